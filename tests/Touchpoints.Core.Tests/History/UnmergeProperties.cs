using System.Collections.Immutable;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Touchpoints.Core.Events;
using Touchpoints.Core.History;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Ingestion;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Tests.Support;
using Touchpoints.Core.Views;
using static Touchpoints.Core.Tests.Support.Build;

namespace Touchpoints.Core.Tests.History;

/// <summary>
/// Unmerge = never merged: Ann's and Bob's events (any events, any order, in batches of any size, with replays) arrive;
/// Bob's profile is merged into Ann's at any point, after which both go to the one customer. Unmerging Bob's identifier
/// from it gives two views equal to those the same arrivals would have written had they never been merged.
/// </summary>
public sealed class UnmergeProperties
{
    private static readonly CompiledRules Rules = DefaultRules.Compiled;
    private static readonly TimeSpan Window = AppliedEvents.DefaultWindow;
    private static readonly CustomerId A = new("c-ann");
    private static readonly CustomerId B = new("c-bob");
    private static readonly Identifier AnnKey = Identifiers.AnonymousId("ann")!;
    private static readonly Identifier BobKey = Identifiers.AnonymousId("bob")!;

    [Fact]
    public void Unmerging_gives_each_side_the_view_it_would_have_had_alone() =>
        Check.One(Gens.Config, Prop.ForAll(Gens.AnySteps, Arb.From(Gen.Choose(0, int.MaxValue)), (steps, seed) =>
        {
            var random = new Random(seed);
            var events = steps.Select(s => random.Next(2) == 0
                ? s.Event with { EventId = "ann-" + s.Event.EventId, Identifiers = [AnnKey] }
                : s.Event with { EventId = "bob-" + s.Event.EventId, Identifiers = [BobKey] }).ToArray();
            if (!events.Any(IsBob) || events.All(IsBob)) return;

            var together = new Store();
            var alone = new Store();
            var now = T0.AddDays(10);
            var mergeAt = random.Next(events.Length + 1);
            var merged = false;
            var done = new List<IngestedEvent>();
            for (var i = 0; i < events.Length;)
            {
                now = now.AddSeconds(1 + random.Next(3600));
                if (!merged && i >= mergeAt && together.Views.ContainsKey(B))
                {
                    together.Merge(B, A, now);
                    merged = true;
                    now = now.AddSeconds(1);
                }
                var batch = events.Skip(i).Take(1 + random.Next(4)).ToList();
                i += batch.Count;
                if (done.Count > 0 && random.Next(4) == 0) batch.Insert(random.Next(batch.Count + 1), done[random.Next(done.Count)]);
                done.AddRange(batch);
                var (bob, ann) = (batch.Where(IsBob).ToList(), batch.Where(e => !IsBob(e)).ToList());
                if (merged) together.Write(A, batch, [], now);
                else
                {
                    together.Write(A, ann, [], now);
                    together.Write(B, bob, [], now);
                }
                alone.Write(A, ann, [], now);
                alone.Write(B, bob, [], now);
            }
            if (!merged) together.Merge(B, A, now.AddSeconds(1));

            var stored = together.Views[A];
            var split = Unmerge.Split(stored, [together.Chain(A), together.Chain(B)], [BobKey.Key], "test", now.AddHours(1),
                together.Accept, Rules, Window, out var refused);

            Assert.True(split is not null, $"seed {seed}: {refused}");
            Assert.Equal(Projected(alone.Views[A]), Projected(split.Kept));
            Assert.Equal(Projected(alone.Views[B]), Projected(split.Detached));
            Assert.Equal([AnnKey.Key], split.Kept.Identities.ToArray());
            Assert.Equal([BobKey.Key], split.Detached.Identities.ToArray());
            Assert.Equal(split.Detached.Id, Assert.Single(split.Kept.Separations).Other);
            Assert.Equal(A, Assert.Single(split.Detached.Separations).Other);
            // Each side's new history rebuilds it exactly.
            foreach (var (view, chain) in new[] { (split.Kept, split.KeptHistory), (split.Detached, split.DetachedHistory) })
                Assert.Equal(Json(view), Json(HistoryReplay.Rebuild(view, chain, _ => null, together.Accept, Rules, Window, out _)!));
        }));

    [Fact]
    public void An_unmerge_that_detaches_nothing_held_or_everything_is_refused()
    {
        var view = CustomerView.Create(A, T0) with { Identities = [AnnKey.Key, BobKey.Key] };
        AcceptedEvent? Accept(HistoryEvent e, DateTimeOffset at) => null;

        Assert.Null(Unmerge.Split(view, [], [], "t", T0, Accept, Rules, Window, out var refused));
        Assert.Contains("at least one", refused, StringComparison.Ordinal);
        Assert.Null(Unmerge.Split(view, [], ["email:x@example.com"], "t", T0, Accept, Rules, Window, out refused));
        Assert.Contains("does not hold", refused, StringComparison.Ordinal);
        Assert.Null(Unmerge.Split(view, [], [AnnKey.Key, BobKey.Key], "t", T0, Accept, Rules, Window, out refused));
        Assert.Contains("with none", refused, StringComparison.Ordinal);
    }

    private static bool IsBob(IngestedEvent e) => e.Identifiers.Contains(BobKey);

    /// <summary>What the projection derives: identity resolution's and the store's fields left out.</summary>
    private static string Projected(CustomerView view)
    {
        var json = JsonNode.Parse(Json(view))!.AsObject();
        foreach (var name in new[] { "id", "createdAt", "updatedAt", "version", "mergedFrom", "identities", "conflicts", "separations", "history" })
            json.Remove(name);
        return json.ToJsonString();
    }

    /// <summary>Writes as the handler makes them, with their history, in memory.</summary>
    private sealed class Store
    {
        public Dictionary<CustomerId, CustomerView> Views { get; } = [];
        private readonly Dictionary<HistoryPointer, HistoryChunk> chunks = [];
        private readonly Dictionary<string, IngestedEvent> bodies = [];
        private long offset;

        public void Merge(CustomerId loser, CustomerId survivor, DateTimeOffset now)
        {
            Views[loser] = CustomerMerge.Tombstone(Views[loser], survivor, now);
            Write(survivor, [], [Views[loser]], now);
        }

        public void Write(CustomerId id, List<IngestedEvent> batch, IReadOnlyList<CustomerView> losers, DateTimeOffset now)
        {
            if (batch.Count == 0 && losers.Count == 0) return;
            var read = Views.GetValueOrDefault(id);
            var accepted = batch.Select(e =>
            {
                bodies[e.EventId] = e;
                return new AcceptedEvent(e, new EventPosition("0", 0), now.AddSeconds(-1), e.EventId);
            }).ToArray();
            var identities = batch.SelectMany(e => e.Identifiers).Select(i => i.Key).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToImmutableArray();
            var slice = new CustomerSlice(id, T0, losers, accepted, identities, []);
            var update = IngestionBatch.Apply(read, slice, now, Rules, Window);
            if (!update.Changed) return;
            var at = new HistoryPointer(0, offset++);
            chunks[at] = HistoryChunk.Of(read, slice, update.View.Version, now) with { After = read?.History };
            Views[id] = update.View with { History = at };
        }

        public IReadOnlyList<HistoryChunk> Chain(CustomerId id) =>
            HistoryReplay.Chain(chunks, Views[id].History, out var broken) ?? throw new InvalidOperationException(broken);

        public AcceptedEvent? Accept(HistoryEvent e, DateTimeOffset at) =>
            new(bodies[e.Body], new EventPosition(e.Partition!, e.Sequence ?? 0), e.ArrivedAt, e.Body);
    }
}
