using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Touchpoints.Core;
using Touchpoints.Core.Ingestion;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Views;
using Touchpoints.Functions.Rules;

namespace Touchpoints.Functions.Tests.Rules;

/// <summary>Scores that age, through the handler and the emulators: the timer rewrites a quiet customer's view when due, only then.</summary>
[Collection(RulesCollection.Name)]
public sealed class AgeingTests(RulesFixture fixture) : IAsyncLifetime
{
    /// <summary>The tests' rules with a segment on the value score, and a sales alert when a quiet customer leaves it.</summary>
    private static readonly string Document = TestRules.Document
        .Replace("""
          "segments": [],
        """, """
          "segments": [ { "id": "warm", "when": { "fact": "scores.value", "op": "gte", "value": 15 } } ],
        """, StringComparison.Ordinal)
        .Replace("""
              "id": "order-thanks",
        """, """
              "id": "warm-gone-quiet", "kind": "salesAlert", "template": "gone-quiet", "priority": 70,
              "trigger": { "on": "change", "causes": ["segment.left:warm"] },
              "conditions": { "fact": "lastInteractionAt", "op": "olderThan", "value": "1d" }
            },
            {
              "id": "order-thanks",
        """, StringComparison.Ordinal);

    public async Task InitializeAsync()
    {
        Assert.Contains("warm-gone-quiet", Document, StringComparison.Ordinal);
        Assert.Contains("\"id\": \"warm\"", Document, StringComparison.Ordinal);
        await fixture.PutRulesAsync(Document);
        await fixture.ClearQueuesAsync();
        await fixture.DeleteSchedulerCursorAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<CustomerView> ViewAsync(string customerId) =>
        JsonSerializer.Deserialize((await fixture.ReadAsync(Containers.Customers, customerId, customerId))!, CoreJsonContext.Default.CustomerView)!;

    private IEnumerable<CustomerChanged> Announced(string customerId) =>
        fixture.EventHubs.Hub(Hubs.CustomerChanges).Events()
            .Select(e => JsonSerializer.Deserialize(e.Body.Span, Touchpoints.Functions.Storage.StorageJsonContext.Default.CustomerChanged)!)
            .Where(c => c.CustomerId.Value == customerId);

    private async Task<(int Status, string Log)> RunTimerAtAsync(DateTimeOffset at)
    {
        fixture.Clock.Advance(at - fixture.Clock.GetUtcNow());
        await fixture.DeleteSchedulerCursorAsync();
        var (status, body) = await fixture.RunTimerAsync();
        return (status, body.ToJsonString());
    }

    [Fact]
    public async Task Ageing_moves_a_quiet_customer_out_of_a_value_segment_on_schedule_at_the_cost_of_its_one_due_wake_up()
    {
        fixture.Clock.AdvanceToNext(new TimeOnly(9, 0));
        var ann = new Shopper(fixture, "ageing");
        var others = Enumerable.Range(0, 5).Select(_ => new Shopper(fixture, "cold")).ToArray();
        await fixture.IngestAndEvaluateAsync([ann.Identify(), ann.ProductAdded(), ann.Track("Checkout Started"), .. others.Select(o => o.Identify())]);
        var written = fixture.Clock.GetUtcNow();
        var view = await ViewAsync(ann.CustomerId);
        Assert.Contains("warm", view.Segments);
        var rules = await fixture.Services.GetRequiredService<RulesProvider>().GetAsync(default);
        var due = Ageing.NextChange(view, rules, written)!.Value;
        Assert.InRange(due - written, TimeSpan.FromDays(1), TimeSpan.FromDays(90));

        // Armed in ann's rule state (beside the cart reminder); the others, whose segments time does not change, have nothing armed.
        var state = (await fixture.ReadAsync("communications", "state", ann.CustomerId))!;
        var armed = Assert.Single(state["state"]!["armed"]!.AsArray(), a => a!["ruleId"]!.GetValue<string>() == Ageing.ScheduleId)!;
        Assert.Equal(due, armed["dueAt"]!.GetValue<DateTimeOffset>());
        foreach (var other in others)
            Assert.Empty((await fixture.ReadAsync("communications", "state", other.CustomerId))!["state"]!["armed"]!.AsArray());

        // The cart reminder, due first, goes out at its time; the wake-up for ageing is written then (one wake-up at a time).
        var (status, log) = await RunTimerAtAsync(written + TimeSpan.FromMinutes(16));
        Assert.True(status == 200, log);
        await fixture.ClearQueuesAsync();

        // Not yet: a run a day before it finds nothing of ann's, and the view stays as written.
        (status, log) = await RunTimerAtAsync(due - TimeSpan.FromDays(1));
        Assert.True(status == 200, log);
        Assert.Equal(view.Version, (await ViewAsync(ann.CustomerId)).Version);

        // Due: one wake-up, one customer evaluated, one view replaced, one history append, one change announced.
        fixture.Gate.ResetCounts();
        (status, log) = await RunTimerAtAsync(due + TimeSpan.FromMinutes(2));
        Assert.True(status == 200, log);
        Assert.True(log.Contains("1 wake-ups, 1 customers evaluated", StringComparison.Ordinal), log);
        Assert.Equal(1, fixture.Gate.Count("PUT", Containers.Customers));
        var aged = await ViewAsync(ann.CustomerId);
        Assert.Equal(view.Version + 1, aged.Version);
        Assert.DoesNotContain("warm", aged.Segments);
        Assert.True(aged.Scores!.Value < 15, $"value {aged.Scores.Value}");
        var change = Assert.Single(Announced(ann.CustomerId));
        Assert.Equal(aged.Version, change.Version);
        Assert.Equal([Ageing.Cause, "segment.left:warm"], change.Causes);

        // The rules see the customer leave the segment, as any change: the owner is alerted.
        var (evaluated, body) = await fixture.EvaluateAsync([JsonSerializer.SerializeToNode(change, Touchpoints.Functions.Storage.StorageJsonContext.Default.CustomerChanged)]);
        Assert.True(evaluated == 200, body.ToJsonString());
        var alert = Assert.Single(await fixture.PeekAsync(Queues.SalesAlerts));
        Assert.Equal(ann.CustomerId, alert.CustomerId);
        Assert.Equal("gone-quiet", alert.Template);
        // Nothing else is due until the view changes again; a replay of the run rewrites nothing.
        state = (await fixture.ReadAsync("communications", "state", ann.CustomerId))!;
        Assert.DoesNotContain(state["state"]!["armed"]!.AsArray(), a => a!["ruleId"]!.GetValue<string>() == Ageing.ScheduleId);
        (status, log) = await RunTimerAtAsync(due + TimeSpan.FromMinutes(3));
        Assert.True(status == 200, log);
        Assert.Equal(aged.Version, (await ViewAsync(ann.CustomerId)).Version);

        // History holds the rescore: the view rebuilt from it is the one the timer wrote.
        using var rebuild = await fixture.Http.PostAsync($"/api/manage/customers/{ann.CustomerId}/rebuild", null);
        var rebuilt = JsonNode.Parse(await rebuild.Content.ReadAsStringAsync())!;
        Assert.True(rebuild.IsSuccessStatusCode, rebuilt.ToJsonString());
        Assert.Equal("unchanged", rebuilt["outcome"]!.GetValue<string>());
    }
}
