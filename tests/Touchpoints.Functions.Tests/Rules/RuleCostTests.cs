using System.Text.Json.Nodes;
using Touchpoints.Functions.Rules;

namespace Touchpoints.Functions.Tests.Rules;

/// <summary>What the rules functions cost in Cosmos DB requests, pinned so that a regression fails.</summary>
[Collection(RulesCollection.Name)]
public sealed class RuleCostTests(RulesFixture fixture) : IAsyncLifetime
{
    private static readonly string IdleDocument = TestRules.Document.Replace("""
              "id": "order-thanks",
        """, """
              "id": "quiet-nudge", "kind": "marketing", "category": "nurture", "channel": "push", "template": "miss-you",
              "priority": 20, "trigger": { "on": "inactivity", "after": "2h" }, "expiry": "1d"
            },
            {
              "id": "order-thanks",
        """, StringComparison.Ordinal);

    public async Task InitializeAsync()
    {
        await fixture.ClearQueuesAsync();
        await fixture.DeleteSchedulerCursorAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_batch_of_evaluations_writes_its_stats_once_per_rule_and_day_not_once_per_customer()
    {
        await fixture.PutRulesAsync(TestRules.Document);
        Task<JsonArray> OrdersOf(int customers) => fixture.IngestAsync([.. Enumerable.Range(0, customers).SelectMany(_ =>
        {
            var shopper = new Shopper(fixture, "stats");
            return new[] { shopper.Identify(), shopper.Order(50) };
        })]);
        Assert.Equal(200, (await fixture.EvaluateAsync(await OrdersOf(8))).Status); // the day's documents exist from here on
        var changes = await OrdersOf(8);

        fixture.Gate.ResetCounts();
        var (status, body) = await fixture.EvaluateAsync(changes);

        Assert.True(status == 200, body.ToJsonString());
        // Eight customers, two rules evaluated (order-thanks queued, big-order-alert's conditions not holding): two patches.
        Assert.Equal(2, fixture.Gate.Count("PATCH", Containers.RuleStats));
        Assert.Equal(0, fixture.Gate.Writes(Containers.RuleStats));
    }

    [Fact]
    public async Task An_inactivity_schedule_moved_later_by_each_visit_costs_one_wake_up_and_still_fires_after_the_last_visit()
    {
        Assert.Contains("quiet-nudge", IdleDocument, StringComparison.Ordinal);
        await fixture.PutRulesAsync(IdleDocument);
        // Morning, whatever the collection's other tests did to the shared clock: the nudge falls outside quiet hours.
        fixture.Clock.AdvanceToNext(new TimeOnly(9, 0));
        var ivy = new Shopper(fixture, "idle");
        fixture.Gate.ResetCounts();

        await fixture.IngestAndEvaluateAsync(ivy.Identify(), ivy.Track("Newsletter Opened"));
        Assert.Equal(1, fixture.Gate.Writes(Containers.WakeUps));
        for (var visit = 0; visit < 3; visit++)
        {
            fixture.Clock.Advance(TimeSpan.FromMinutes(10));
            await fixture.IngestAndEvaluateAsync(ivy.Track("Newsletter Opened"));
        }
        var lastVisit = fixture.Clock.GetUtcNow();
        Assert.Equal(1, fixture.Gate.Writes(Containers.WakeUps));

        // The first wake-up: nothing is due (the customer came back), and the next wake-up is written then.
        fixture.Clock.Advance(TimeSpan.FromHours(2) - TimeSpan.FromMinutes(30) + TimeSpan.FromMinutes(2));
        await fixture.DeleteSchedulerCursorAsync();
        Assert.Equal(200, (await fixture.RunTimerAsync()).Status);
        Assert.Empty(await fixture.PeekAsync(Queues.CommunicationsLow));
        Assert.Equal(2, fixture.Gate.Writes(Containers.WakeUps));

        // Two hours after the last visit: the nudge goes out.
        fixture.Clock.Advance(lastVisit + TimeSpan.FromHours(2) + TimeSpan.FromMinutes(2) - fixture.Clock.GetUtcNow());
        await fixture.DeleteSchedulerCursorAsync();
        Assert.Equal(200, (await fixture.RunTimerAsync()).Status);
        var nudge = Assert.Single(await fixture.PeekAsync(Queues.CommunicationsLow));
        Assert.Equal("miss-you", nudge.Template);
    }
}
