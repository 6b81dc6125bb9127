using System.Collections.Immutable;
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
/// Rebuild = live: two profiles get any events in batches of any size, in any order (late events, replays of events they
/// already have), one is merged into the other at any point, writes that lose their race leave chunks off the chain, and
/// writes without history (an identifier reserved) and writes that only score the view again as it aged come between; replaying each profile's chain gives exactly the view
/// live ingestion wrote, the merged-away one included.
/// </summary>
public sealed class ReplayProperties
{
    private static readonly CompiledRules Rules = DefaultRules.Compiled;
    private static readonly TimeSpan Window = AppliedEvents.DefaultWindow;
    private static readonly CustomerId A = new("c-a");
    private static readonly CustomerId B = new("c-b");

    [Fact]
    public void A_view_rebuilt_from_its_history_equals_the_view_ingestion_wrote() =>
        Check.One(Gens.Config, Prop.ForAll(Gens.AnySteps, Arb.From(Gen.Choose(0, int.MaxValue)), (steps, seed) =>
        {
            var live = new Live(new Random(seed));
            live.Run(steps.Select(s => s.Event).ToArray());
            foreach (var id in (CustomerId[])[A, B])
            {
                if (!live.Views.TryGetValue(id, out var stored)) continue;
                var rebuilt = live.Rebuild(stored);
                Assert.True(rebuilt is not null, $"seed {seed}: {id} could not be rebuilt");
                Assert.True(Json(stored) == Json(rebuilt!), $"seed {seed}, {id}:\n  {Gens.Show(steps)}\n{Json(stored)}\n!=\n{Json(rebuilt!)}");
            }
        }));

    [Fact]
    public void A_chain_that_starts_after_version_zero_is_refused_as_older_than_history()
    {
        var chunk = new HistoryChunk { Version = 4, Base = 3, At = T0, CreatedAt = T0 };
        var at = new HistoryPointer(0, 0);
        Assert.Null(HistoryReplay.Chain(new Dictionary<HistoryPointer, HistoryChunk> { [at] = chunk }, at, out var broken));
        Assert.Contains("before history was kept", broken, StringComparison.Ordinal);
        Assert.Null(HistoryReplay.Chain(new Dictionary<HistoryPointer, HistoryChunk>(), at, out broken));
        Assert.Contains("no chunk", broken, StringComparison.Ordinal);
    }

    [Fact]
    public void A_write_split_into_parts_replays_as_the_one_write_it_was()
    {
        var events = Enumerable.Range(0, 5).Select(i => (IngestedEvent)Page($"p{i}", T0.AddMinutes(i), $"/p{i}")).ToArray();
        var live = new Live(new Random(1), maxEventBytes: 2);
        live.Write(A, events, []);
        Assert.Equal(5, live.Chunks.Count);
        Assert.Equal(Json(live.Views[A]), Json(live.Rebuild(live.Views[A])!));
    }

    /// <summary>Live ingestion in miniature: writes as the handler makes them, with their history, in memory.</summary>
    private sealed class Live(Random random, int maxEventBytes = 1 << 20)
    {
        public Dictionary<CustomerId, CustomerView> Views { get; } = [];
        public Dictionary<HistoryPointer, HistoryChunk> Chunks { get; } = [];
        // The test keeps events by a key written as the body; parsing bodies is the handler tests' business.
        private readonly Dictionary<string, IngestedEvent> bodies = [];
        private DateTimeOffset now = T0.AddDays(10);
        private long offset;

        public void Run(IngestedEvent[] events)
        {
            var merged = false;
            var mergeAt = random.Next(events.Length + 1);
            var done = new List<IngestedEvent>();
            for (var i = 0; i < events.Length;)
            {
                if (!merged && i >= mergeAt && Views.ContainsKey(B))
                {
                    Merge();
                    merged = true;
                }
                var size = 1 + random.Next(4);
                var batch = events.Skip(i).Take(size).ToList();
                i += batch.Count;
                // A replay of events already applied, now and then.
                if (done.Count > 0 && random.Next(4) == 0) batch.Insert(random.Next(batch.Count + 1), done[random.Next(done.Count)]);
                var target = merged || random.Next(2) == 0 ? A : B;
                if (random.Next(8) == 0) Orphan(target, batch);
                if (random.Next(8) == 0) Reserve(target);
                if (random.Next(6) == 0) Rescore(target);
                Write(target, batch, []);
                done.AddRange(batch);
            }
            if (!merged && Views.ContainsKey(B) && random.Next(2) == 0) Merge();
        }

        private void Merge()
        {
            now = now.AddMinutes(1);
            var loser = Views[B];
            Views[B] = CustomerMerge.Tombstone(loser, A, now);
            Write(A, [], [Views[B]]);
        }

        /// <summary>A chunk appended by a writer that then lost its race: on no chain.</summary>
        private void Orphan(CustomerId id, IReadOnlyList<IngestedEvent> batch)
        {
            var read = Views.GetValueOrDefault(id);
            var chunk = HistoryChunk.Of(read, Slice(id, batch, []), (read?.Version ?? 0) + 1, now);
            Chunks[new HistoryPointer(0, offset++)] = chunk;
        }

        /// <summary>A write without history: an exclusive identifier reserved before a merge.</summary>
        private void Reserve(CustomerId id)
        {
            if (!Views.TryGetValue(id, out var view) || view.IsTombstone) return;
            Views[id] = view with { Identities = [.. view.Identities.Add($"userId:reserved-{offset}").Order(StringComparer.Ordinal)], Version = view.Version + 1 };
        }

        /// <summary>A write that only scores the view again, hours to weeks later: its scores aged (<see cref="Ageing"/>).</summary>
        private void Rescore(CustomerId id)
        {
            if (!Views.TryGetValue(id, out var read) || read.IsTombstone) return;
            now = now.AddHours(1 + random.Next(24 * 60));
            var slice = CustomerSlice.Rescoring(id, read.CreatedAt);
            var update = IngestionBatch.Apply(read, slice, now, Rules, Window);
            var at = new HistoryPointer(0, offset++);
            Chunks[at] = HistoryChunk.Of(read, slice, update.View.Version, now);
            Views[id] = update.View with { History = at };
        }

        public void Write(CustomerId id, IReadOnlyList<IngestedEvent> batch, IReadOnlyList<CustomerView> losers)
        {
            now = now.AddSeconds(1 + random.Next(3600));
            var read = Views.GetValueOrDefault(id);
            var slice = Slice(id, batch, losers);
            var update = IngestionBatch.Apply(read, slice, now, Rules, Window);
            if (!update.Changed) return;
            // Each part is appended after the one before it, as the store appends them.
            var at = read?.History;
            foreach (var part in HistoryChunk.Of(read, slice, update.View.Version, now).Split(maxEventBytes))
            {
                var previous = at;
                at = new HistoryPointer(0, offset++);
                Chunks[at] = part with { After = previous };
            }
            Views[id] = update.View with { History = at };
        }

        private CustomerSlice Slice(CustomerId id, IReadOnlyList<IngestedEvent> batch, IReadOnlyList<CustomerView> losers)
        {
            var accepted = batch.Select(e =>
            {
                bodies[e.EventId] = e;
                return new AcceptedEvent(e, new EventPosition("0", 0), now.AddSeconds(-1), e.EventId);
            }).ToArray();
            var identities = batch.SelectMany(e => e.Identifiers).Select(i => i.Key).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToImmutableArray();
            return new CustomerSlice(id, T0, losers, accepted, identities, []);
        }

        public CustomerView? Rebuild(CustomerView stored)
        {
            var chain = HistoryReplay.Chain(Chunks, stored.History, out var broken) ?? throw new InvalidOperationException(broken);
            return HistoryReplay.Rebuild(stored, chain, id => Views.TryGetValue(id, out var loser) ? Rebuild(loser) : null,
                (e, _) => new AcceptedEvent(bodies[e.Body], new EventPosition(e.Partition!, e.Sequence ?? 0), e.ArrivedAt, e.Body),
                Rules, Window, out _);
        }
    }
}
