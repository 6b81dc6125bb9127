using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using Touchpoints.Core.Events;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Ingestion;
using Touchpoints.Core.Tests.Support;
using Touchpoints.Core.Views;
using static Touchpoints.Core.Tests.Support.Build;

namespace Touchpoints.Core.Tests.Ingestion;

public class IngestionBatchTests
{
    private static readonly DateTimeOffset Now = T0.AddHours(1);

    private static IncomingEvent Incoming(string body, long sequence) => new(body, new EventPosition("web/0", sequence), T0);

    [Fact]
    public void Parse_accepts_valid_events_rejects_invalid_ones_and_drops_retries_within_the_batch()
    {
        var (accepted, rejected) = IngestionBatch.Parse(EventSource.Web, [
            Incoming("""{ "type": "page", "messageId": "m-1", "anonymousId": "anon-1", "name": "Home", "timestamp": "2025-03-03T09:00:00Z" }""", 1),
            Incoming("""{ "type": "track", "messageId": "m-2", "anonymousId": "anon-1" }""", 2),
            Incoming("""{ "type": "page", "messageId": "m-1", "anonymousId": "anon-1", "name": "Home", "timestamp": "2025-03-03T09:00:00Z" }""", 3),
            Incoming("{ not json", 4),
        ], Now);

        var only = Assert.Single(accepted);
        Assert.Equal("m-1", only.Event.EventId);
        Assert.Equal(new EventPosition("web/0", 1), only.Position);
        Assert.Equal(2, rejected.Count);
        Assert.Equal("m-2", rejected[0].EventId);
        Assert.Equal("$.event", Assert.Single(rejected[0].Errors).Path);
        Assert.Equal(new EventPosition("web/0", 4), rejected[1].Position);
        Assert.All(rejected, r => Assert.Equal(EventSource.Web, r.Source));
    }

    [Fact]
    public void Rejected_bodies_are_clipped()
    {
        var body = """{ "type": "track", "messageId": "m-big", "anonymousId": "anon-1", "properties": { "blob": " """ + new string('x', Rejection.BodyLimit * 2) + "\" } }";
        var (_, rejected) = IngestionBatch.Parse(EventSource.Web, [Incoming(body, 1)], Now);
        Assert.Equal(Rejection.BodyLimit, Assert.Single(rejected).Body.Length);
    }

    [Fact]
    public void Apply_creates_a_view_reports_causes_and_bumps_the_version()
    {
        var events = new[]
        {
            new AcceptedEvent(Page("p1", T0, "/pricing"), new EventPosition("web/0", 1)),
            new AcceptedEvent(Page("p2", T0.AddMinutes(1), "/"), new EventPosition("web/0", 2)),
            new AcceptedEvent(Crm("c1", T0, CrmEventType.LeadStatusChanged) with { Status = "MQL" }, new EventPosition("crm/0", 9)),
        };
        var update = IngestionBatch.Apply(null, new CustomerSlice(new CustomerId("c-ann"), T0, [], events, ["anonymousId:anon-7f3a", "email:ann@example.com"], []), Now);

        Assert.True(update.Changed);
        Assert.Equal(["web.page", "crm.lead.status_changed"], update.Causes);
        Assert.Equal(1, update.View.Version);
        Assert.Equal(Now, update.View.UpdatedAt);
        Assert.Equal(T0, update.View.CreatedAt);
        Assert.Equal(LifecycleStage.MarketingQualified, update.View.Lifecycle);
        Assert.Equal(["anonymousId:anon-7f3a", "email:ann@example.com"], update.View.Identities.ToArray());

        var next = IngestionBatch.Apply(update.View,
            CustomerSlice.Of(new CustomerId("c-ann"), T0, [new AcceptedEvent(Page("p3", T0.AddMinutes(2), "/"), new EventPosition("web/0", 3))]), Now.AddMinutes(1));
        Assert.Equal(2, next.View.Version);
    }

    [Fact]
    public void Apply_folds_losers_and_records_new_conflicts()
    {
        var loser = ApplyAll(CustomerView.Create(new CustomerId("c-visitor"), T0.AddDays(-9)) with { Identities = ["anonymousId:a1"] }, [Page("p0", T0, "/")]);
        var conflict = new IdentityConflict(T0, "email:ann@example.com", new CustomerId("c-bob"), "profiles hold different exclusive identifiers");
        var update = IngestionBatch.Apply(null, new CustomerSlice(new CustomerId("c-ann"), T0, [loser], [], ["userId:u-1"], [conflict]), Now);

        Assert.Equal([IngestionBatch.MergeCause], update.Causes);
        Assert.Equal(["c-visitor"], update.View.MergedFrom.Values());
        Assert.Equal(T0.AddDays(-9), update.View.CreatedAt);
        Assert.Equal([conflict], update.View.Conflicts.ToArray());
        Assert.Contains("anonymousId:a1", update.View.Identities);

        var again = IngestionBatch.Apply(update.View, new CustomerSlice(new CustomerId("c-ann"), T0, [loser], [], ["userId:u-1"], [conflict]), Now.AddMinutes(5));
        Assert.False(again.Changed);
        Assert.Same(update.View, again.View);
        Assert.Empty(again.Causes);
    }

    [Fact]
    public void A_tombstone_points_at_the_survivor_and_keeps_the_data_its_survivor_folds_in()
    {
        var loser = Build.ApplyAll(CustomerView.Create(new CustomerId("c-visitor"), T0) with { Identities = ["anonymousId:a1"], Version = 4 }, [Page("p1", T0, "/pricing")]);
        var tombstone = CustomerMerge.Tombstone(loser, new CustomerId("c-ann"), Now);
        Assert.True(tombstone.IsTombstone);
        Assert.Equal("c-ann", tombstone.MergedInto);
        Assert.Equal(5, tombstone.Version);
        Assert.Equal(loser.Identities, tombstone.Identities);
        Assert.Equal(loser.Touchpoints, tombstone.Touchpoints);
        Assert.Equal(loser.Journal, tombstone.Journal);
    }

    [Fact]
    public void Applying_a_batch_twice_changes_nothing_the_second_time() =>
        Check.One(Gens.Config, Prop.ForAll(Gens.TwoProfiles, pair =>
        {
            var loser = ApplyAll(CustomerView.Create(new CustomerId("c-visitor"), T0.AddDays(-9)) with { Identities = ["anonymousId:a1"] }, pair.Loser.Select(s => s.Event));
            var events = pair.Survivor.Select((s, i) => new AcceptedEvent(s.Event, new EventPosition($"{IngestedEvent.SourceName(s.Event.Source)}/0", 100 + i))).ToArray();
            ImmutableArray<string> identities = ["userId:u-1", "email:ann@example.com"];
            var first = IngestionBatch.Apply(null, new CustomerSlice(new CustomerId("c-ann"), T0, [loser], events, identities, []), Now);
            var second = IngestionBatch.Apply(first.View, new CustomerSlice(new CustomerId("c-ann"), T0, [loser], events, identities, []), Now.AddMinutes(1));
            return (!second.Changed && ReferenceEquals(first.View, second.View) && second.Causes.Count == 0)
                .Label($"survivor:\n  {Gens.Show(pair.Survivor)}\nloser:\n  {Gens.Show(pair.Loser)}\ncauses: {string.Join(", ", second.Causes)}");
        }));
}
