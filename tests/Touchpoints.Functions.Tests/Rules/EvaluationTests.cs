using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Touchpoints.Functions.Rules;

namespace Touchpoints.Functions.Tests.Rules;

[Collection(RulesCollection.Name)]
public sealed class EvaluationTests(RulesFixture fixture) : IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await fixture.PutRulesAsync(TestRules.Document);
        await fixture.ClearQueuesAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task An_order_queues_the_thank_you_email_on_the_high_queue_with_recipient_reasons_and_expiry()
    {
        var ann = new Shopper(fixture);
        var now = fixture.Clock.GetUtcNow();

        await fixture.IngestAndEvaluateAsync(ann.Identify(), ann.Order(120m));

        var message = Assert.Single(await fixture.PeekAsync(Queues.CommunicationsHigh), m => m.CustomerId == ann.CustomerId);
        var body = message.Body;
        Assert.StartsWith("d-", body["id"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("order-thanks", body["ruleId"]!.GetValue<string>());
        Assert.Matches("^v[0-9]+$", body["ruleVersion"]!.GetValue<string>());
        Assert.Equal("marketing", body["kind"]!.GetValue<string>());
        Assert.Equal("email", body["channel"]!.GetValue<string>());
        Assert.Equal("order-thanks", message.Template);
        Assert.Equal(80, body["priority"]!.GetValue<int>());
        Assert.Contains("on web.track.Order Completed", body["reasons"]!.AsArray().Select(r => r!.GetValue<string>()));
        var recipient = body["recipient"]!;
        Assert.Equal(ann.Email, recipient["address"]!.GetValue<string>());
        Assert.Equal("Ann Example", recipient["name"]!.GetValue<string>());
        Assert.Equal("Europe/London", recipient["timezone"]!.GetValue<string>());
        Assert.Equal(now, body["notBefore"]!.GetValue<DateTimeOffset>());
        Assert.Equal(now.AddDays(1), body["expiresAt"]!.GetValue<DateTimeOffset>());
        // Time to live = expiry − now: the message disappears when it is no longer worth sending.
        var ttl = message.ExpiresOn!.Value - message.InsertedOn!.Value;
        Assert.InRange(ttl, TimeSpan.FromDays(1) - TimeSpan.FromSeconds(5), TimeSpan.FromDays(1) + TimeSpan.FromSeconds(5));
        // A small order raises no sales alert.
        Assert.DoesNotContain(await fixture.PeekAsync(Queues.SalesAlerts), m => m.CustomerId == ann.CustomerId);

        var ledger = await fixture.LedgerAsync(ann.CustomerId);
        var decision = Assert.Single(ledger, d => d["ruleId"]!.GetValue<string>() == "order-thanks");
        Assert.Equal(body["id"]!.GetValue<string>(), decision["id"]!.GetValue<string>());
        Assert.Equal("queued", decision["outcome"]!.GetValue<string>());
        Assert.Equal(Queues.CommunicationsHigh, decision["queue"]!.GetValue<string>());
        var state = (await fixture.ReadAsync("communications", "state", ann.CustomerId))!;
        Assert.Contains(decision["id"]!.GetValue<string>(), state["state"]!["decided"]!.AsArray().Select(d => d!.GetValue<string>()));
    }

    [Fact]
    public async Task The_rule_state_never_expires_while_the_ledger_entries_beside_it_take_the_containers_time_to_live()
    {
        var ann = new Shopper(fixture);
        await fixture.IngestAndEvaluateAsync(ann.Identify(), ann.Order(80m));

        var state = (await fixture.ReadAsync("communications", "state", ann.CustomerId))!;
        Assert.Equal(-1, state["ttl"]!.GetValue<int>());
        var ledger = await fixture.LedgerAsync(ann.CustomerId);
        Assert.NotEmpty(ledger);
        Assert.All(ledger, entry => Assert.Null(entry["ttl"]));
    }

    [Fact]
    public async Task A_big_order_raises_a_sales_alert_with_the_next_step_and_recent_activity()
    {
        var bob = new Shopper(fixture, "big");
        var now = fixture.Clock.GetUtcNow();

        await fixture.IngestAndEvaluateAsync(bob.Identify(), bob.Order(1500m));

        var alert = Assert.Single(await fixture.PeekAsync(Queues.SalesAlerts), m => m.CustomerId == bob.CustomerId).Body;
        Assert.Equal("big-order-alert", alert["ruleId"]!.GetValue<string>());
        Assert.Equal("call-big-buyer", alert["template"]!.GetValue<string>());
        Assert.Equal("Call to thank and offer a fitting", alert["nextStep"]!.GetValue<string>());
        Assert.Equal(now.AddHours(4), alert["due"]!.GetValue<DateTimeOffset>());
        Assert.Equal(bob.Email, alert["customer"]!["address"]!.GetValue<string>());
        Assert.NotEmpty(alert["recentActivity"]!.AsArray());
        Assert.Contains(alert["reasons"]!.AsArray().Select(r => r!.GetValue<string>()), r => r.Contains("1000", StringComparison.Ordinal));
        // The thank-you email still goes out: the alert is for the salesperson.
        Assert.Single(await fixture.PeekAsync(Queues.CommunicationsHigh), m => m.CustomerId == bob.CustomerId);
    }

    [Fact]
    public async Task Quiet_hours_become_a_visibility_delay_on_the_queue()
    {
        var cat = new Shopper(fixture, "quiet");
        await fixture.IngestAndEvaluateAsync(cat.Identify());
        // 07:59:56 in London: push waits for the end of quiet hours at 08:00, four seconds away.
        fixture.Clock.AdvanceToNext(new TimeOnly(7, 59, 56));
        var now = fixture.Clock.GetUtcNow();
        var sentBefore = fixture.Sent.All.Count;

        await fixture.IngestAndEvaluateAsync(cat.ProductViewed());

        var decision = Assert.Single(await fixture.LedgerAsync(cat.CustomerId), d => d["ruleId"]!.GetValue<string>() == "viewed-push");
        Assert.Equal("deferred", decision["outcome"]!.GetValue<string>());
        Assert.Equal(now.AddSeconds(4), decision["notBefore"]!.GetValue<DateTimeOffset>());
        Assert.Equal(Queues.CommunicationsLow, decision["queue"]!.GetValue<string>());
        // On the queue but invisible until 08:00: the app asked the queue for a visibility delay of the 4 seconds left, and a
        // time to live of the 12 hours of its expiry after that (Azurite keeps it hidden until then; the clock here is the test's).
        Assert.Equal(1, await fixture.CountAsync(Queues.CommunicationsLow));
        Assert.Empty(await fixture.PeekAsync(Queues.CommunicationsLow));
        var sent = Assert.Single(fixture.Sent.All.Skip(sentBefore), m => m.Queue == Queues.CommunicationsLow);
        Assert.Equal(TimeSpan.FromSeconds(4), sent.Visibility);
        Assert.Equal(TimeSpan.FromSeconds(4) + TimeSpan.FromHours(12), sent.TimeToLive);
        Assert.Empty((await fixture.QueueService.GetQueueClient(Queues.CommunicationsLow).ReceiveMessagesAsync(1, TimeSpan.FromSeconds(1))).Value);
        Assert.Equal("push", sent.Body["channel"]!.GetValue<string>());
        Assert.Equal(cat.UserId, sent.Body["recipient"]!["address"]!.GetValue<string>());
        Assert.Equal(now.AddSeconds(4), sent.Body["notBefore"]!.GetValue<DateTimeOffset>());
    }

    [Fact]
    public async Task Replaying_a_customer_changes_batch_queues_and_records_nothing_twice()
    {
        var dan = new Shopper(fixture, "replay");
        var eve = new Shopper(fixture, "replay");
        var changes = await fixture.IngestAsync(dan.Identify(), dan.Order(80m), eve.Identify(), eve.Order(60m));
        Assert.Equal(2, changes.Count);

        var (status, _) = await fixture.EvaluateAsync(changes);
        Assert.Equal(200, status);
        var queued = await fixture.CountAsync(Queues.CommunicationsHigh);
        var ledger = (await fixture.LedgerAsync(dan.CustomerId)).Count + (await fixture.LedgerAsync(eve.CustomerId)).Count;
        Assert.Equal(2, queued);

        // The host replays the batch (a retry), and a producer resends one message of it in another batch.
        (status, _) = await fixture.EvaluateAsync(changes);
        Assert.Equal(200, status);
        (status, _) = await fixture.EvaluateAsync([changes[1]!.DeepClone()], plain: true);
        Assert.Equal(200, status);

        Assert.Equal(queued, await fixture.CountAsync(Queues.CommunicationsHigh));
        Assert.Equal(ledger, (await fixture.LedgerAsync(dan.CustomerId)).Count + (await fixture.LedgerAsync(eve.CustomerId)).Count);
    }

    [Fact]
    public async Task A_state_written_without_its_messages_version_still_queues_nothing_twice()
    {
        // A crash after the queue and the ledger but before the state: the replay finds the ledger entries (409) and the
        // decision ids, and neither queues again nor counts again.
        var fay = new Shopper(fixture, "crash");
        var changes = await fixture.IngestAsync(fay.Identify(), fay.Order(70m));
        await fixture.EvaluateAsync(changes);
        var state = (await fixture.ReadAsync("communications", "state", fay.CustomerId))!;
        state["state"]!["lastVersion"] = 0;
        state["state"]!["evaluatedThrough"] = 0;
        state["state"]!["evaluated"] = new JsonArray();
        state["state"]!["decided"] = new JsonArray();
        await fixture.Client.GetContainer(fixture.Database, Containers.Communications)
            .UpsertItemStreamAsync(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(state.ToJsonString())), new Microsoft.Azure.Cosmos.PartitionKey(fay.CustomerId));
        var stats = await StatsAsync("order-thanks");

        var (status, body) = await fixture.EvaluateAsync(changes);

        Assert.Equal(200, status);
        Assert.Contains("1 decisions already recorded", body["Logs"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        // The queue got the message again (consumers deduplicate on its id, the ledger id); the ledger and the stats did not.
        Assert.Single(await fixture.LedgerAsync(fay.CustomerId));
        Assert.Equal(stats, await StatsAsync("order-thanks"));
    }

    [Fact]
    public async Task A_new_rules_version_stored_by_another_instance_is_used_within_the_refresh_interval()
    {
        var before = new Shopper(fixture, "cache");
        var after = new Shopper(fixture, "cache");
        await fixture.Services.GetRequiredService<RulesProvider>().GetAsync(default); // cached now
        // Another instance stores a new version: this one keeps its cached rules until 30 s have passed.
        await fixture.Store.SaveAsync(TestRules.WithOrderTemplate("order-thanks-v2"), "someone else", "new template", null, null, default);

        await fixture.IngestAndEvaluateAsync(before.Identify(), before.Order(50m));
        fixture.Clock.Advance(TimeSpan.FromSeconds(31));
        await fixture.IngestAndEvaluateAsync(after.Identify(), after.Order(50m));

        var messages = await fixture.PeekAsync(Queues.CommunicationsHigh);
        Assert.Equal("order-thanks", Assert.Single(messages, m => m.CustomerId == before.CustomerId).Template);
        Assert.Equal("order-thanks-v2", Assert.Single(messages, m => m.CustomerId == after.CustomerId).Template);
    }

    [Fact]
    public async Task Messages_that_are_not_changes_are_ignored_without_failing_the_batch()
    {
        var (status, body) = await fixture.EvaluateAsync(["not json at all", new JsonObject { ["customerId"] = "" }]);

        Assert.Equal(200, status);
        Assert.Contains("2 ignored", body["Logs"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private async Task<long> StatsAsync(string ruleId)
    {
        var stats = await fixture.Http.GetFromJsonAsync<JsonObject>($"{RulesAdminEndpoints.Prefix}/{ruleId}/stats");
        return stats!["totals"]!["queued"]!.GetValue<long>();
    }
}
