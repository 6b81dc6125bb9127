using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Touchpoints.Core.Resources;
using Touchpoints.Functions.Privacy;
using Touchpoints.Functions.Rules;
using Touchpoints.Functions.Tests.Rules;

namespace Touchpoints.Functions.Tests.Delivery;

/// <summary>
/// The delivery functions against the emulators and a real webhook receiver (node, verifying Standard Webhooks signatures
/// with the npm package): what passes the send-time guard arrives once, signed; what no longer stands is dropped with its
/// reason on the ledger; a destination that keeps failing exhausts the queue's deliveries and the ledger says failed.
/// </summary>
[Collection(RulesCollection.Name)]
public sealed class DeliveryTests(RulesFixture fixture) : IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await fixture.PutRulesAsync(TestRules.Document);
        await fixture.ClearQueuesAsync();
        await fixture.Destination.FailAsync(false);
        await fixture.Destination.ClearAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<JsonObject> LedgerEntryAsync(Shopper shopper, string ruleId) =>
        Assert.Single(await fixture.LedgerAsync(shopper.CustomerId), d => d["ruleId"]!.GetValue<string>() == ruleId);

    /// <summary>A rule's totals for the fixture's day, from the management API.</summary>
    private async Task<JsonObject> TotalsAsync(string ruleId)
    {
        var day = DateOnly.FromDateTime(fixture.Clock.GetUtcNow().UtcDateTime).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        return (await fixture.Http.GetFromJsonAsync<JsonObject>($"{RulesAdminEndpoints.Prefix}/{ruleId}/stats?from={day}&to={day}"))!["totals"]!.AsObject();
    }

    private async Task<List<JsonObject>> ReceivedAsync(string webhookId) =>
        [.. (await fixture.Destination.ReceivedAsync()).Where(r => r["id"]?.GetValue<string>() == webhookId)];

    /// <summary>An order: its thank-you e-mail taken off the high-priority queue, not yet delivered.</summary>
    private async Task<(Shopper Shopper, string Text, string DecisionId)> OrderThanksQueuedAsync(string tag)
    {
        var shopper = new Shopper(fixture, tag);
        await fixture.IngestAndEvaluateAsync(shopper.Identify(), shopper.Order(40m));
        var text = Assert.Single(await fixture.TakeAsync(Queues.CommunicationsHigh), t => t.Contains(shopper.CustomerId, StringComparison.Ordinal));
        return (shopper, text, JsonNode.Parse(text)!["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_message_that_passes_the_guard_reaches_its_destination_once_signed_by_every_secret_and_the_ledger_says_delivered()
    {
        var (ann, text, id) = await OrderThanksQueuedAsync("deliver");
        var delivered = (await TotalsAsync("order-thanks"))["delivered"]!.GetValue<long>();

        var (status, body) = await fixture.DeliverAsync(Queues.CommunicationsHigh, text);

        Assert.True(status == 200, body.ToJsonString());
        var received = Assert.Single(await ReceivedAsync(id));
        Assert.Equal("/esp", received["path"]!.GetValue<string>());
        // Both secrets of the rotation verify it (the npm standardwebhooks package); the CRM's does not.
        Assert.Equal([true, true, false], received["verifiedBy"]!.AsArray().Select(v => v!.GetValue<bool>()));
        var message = received["body"]!.AsObject();
        Assert.Equal("communication.send", message["type"]!.GetValue<string>());
        Assert.Equal(ann.Email, message["data"]!["recipient"]!["address"]!.GetValue<string>());
        Assert.Equal("order-thanks", message["data"]!["template"]!.GetValue<string>());
        var delivery = (await LedgerEntryAsync(ann, "order-thanks"))["delivery"]!;
        Assert.Equal(("delivered", "esp"), (delivery["status"]!.GetValue<string>(), delivery["destination"]!.GetValue<string>()));

        // The queue delivers at least once: the same message again is not sent again.
        (status, _) = await fixture.DeliverAsync(Queues.CommunicationsHigh, text, dequeueCount: 2);
        Assert.Equal(200, status);
        Assert.Single(await ReceivedAsync(id));
        // The rule's stats count it once.
        Assert.Equal(delivered + 1, (await TotalsAsync("order-thanks"))["delivered"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_sales_alert_goes_to_the_crm_destination_with_the_owner_of_today()
    {
        var bob = new Shopper(fixture, "alert");
        await fixture.IngestAndEvaluateAsync(bob.Identify(), bob.Order(1500m));
        var text = Assert.Single(await fixture.TakeAsync(Queues.SalesAlerts), t => t.Contains(bob.CustomerId, StringComparison.Ordinal));
        var id = JsonNode.Parse(text)!["id"]!.GetValue<string>();

        Assert.Equal(200, (await fixture.DeliverAsync(Queues.SalesAlerts, text)).Status);

        var received = Assert.Single(await ReceivedAsync(id));
        Assert.Equal("/crm", received["path"]!.GetValue<string>());
        Assert.Equal([false, false, true], received["verifiedBy"]!.AsArray().Select(v => v!.GetValue<bool>()));
        Assert.Equal("salesAlert.raise", received["body"]!["type"]!.GetValue<string>());
        Assert.Equal("delivered", (await LedgerEntryAsync(bob, "big-order-alert"))["delivery"]!["status"]!.GetValue<string>());
    }

    [Fact]
    public async Task Consent_revoked_between_the_decision_and_its_delivery_drops_the_message_with_its_reason()
    {
        var (carl, text, id) = await OrderThanksQueuedAsync("revoked");
        await fixture.IngestAndEvaluateAsync(carl.Track("Unsubscribed"));
        var dropped = (await TotalsAsync("order-thanks"))["droppedBy"]!.AsObject()["consent"]?.GetValue<long>() ?? 0;

        Assert.Equal(200, (await fixture.DeliverAsync(Queues.CommunicationsHigh, text)).Status);
        // Delivered again (at least once), it is dropped again but counted once.
        Assert.Equal(200, (await fixture.DeliverAsync(Queues.CommunicationsHigh, text, dequeueCount: 2)).Status);
        Assert.Equal(dropped + 1, (await TotalsAsync("order-thanks"))["droppedBy"]!["consent"]!.GetValue<long>());

        Assert.Empty(await ReceivedAsync(id));
        var delivery = (await LedgerEntryAsync(carl, "order-thanks"))["delivery"]!;
        Assert.Equal(("dropped", "consent"), (delivery["status"]!.GetValue<string>(), delivery["reason"]!.GetValue<string>()));
        Assert.Contains("email consent is denied", delivery["explanation"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rule_paused_between_the_decision_and_its_delivery_drops_the_message()
    {
        var (dana, text, id) = await OrderThanksQueuedAsync("paused");
        using (var pause = new HttpRequestMessage(HttpMethod.Post, $"{RulesAdminEndpoints.Prefix}/order-thanks/pause?reason=wrong%20coupon"))
        {
            pause.Headers.Add("X-Author", "dana@marketing");
            Assert.Equal(System.Net.HttpStatusCode.Created, (await fixture.Http.SendAsync(pause)).StatusCode);
        }

        Assert.Equal(200, (await fixture.DeliverAsync(Queues.CommunicationsHigh, text)).Status);

        Assert.Empty(await ReceivedAsync(id));
        Assert.Equal("rulePaused", (await LedgerEntryAsync(dana, "order-thanks"))["delivery"]!["reason"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_person_erased_between_the_decision_and_its_delivery_is_never_written_to()
    {
        var (erin, text, id) = await OrderThanksQueuedAsync("erased");
        await EraseAsync("email:" + erin.Email);

        Assert.Equal(200, (await fixture.DeliverAsync(Queues.CommunicationsHigh, text)).Status);

        Assert.Empty(await ReceivedAsync(id));
        // Her ledger went with her: nothing is written back for her either.
        Assert.Empty(await fixture.LedgerAsync(erin.CustomerId));
    }

    [Fact]
    public async Task Quiet_hours_that_began_before_delivery_hold_the_message_on_its_queue_until_they_end()
    {
        // Decided at 20:50 in London (January: UTC), queued for now; the push expires 12 hours later.
        fixture.Clock.AdvanceToNext(new TimeOnly(20, 50));
        var fay = new Shopper(fixture, "quiet");
        await fixture.IngestAndEvaluateAsync(fay.Identify(), fay.ProductViewed());
        var text = Assert.Single(await fixture.TakeAsync(Queues.CommunicationsLow), t => t.Contains(fay.CustomerId, StringComparison.Ordinal));
        var id = JsonNode.Parse(text)!["id"]!.GetValue<string>();
        // By the time it is delivered it is 22:00, inside the push quiet hours (21:00–08:00), which end before it expires.
        fixture.Clock.AdvanceToNext(new TimeOnly(22, 0));

        Assert.Equal(200, (await fixture.DeliverAsync(Queues.CommunicationsLow, text)).Status);

        Assert.Empty(await ReceivedAsync(id));
        var delivery = (await LedgerEntryAsync(fay, "viewed-push"))["delivery"]!;
        Assert.Equal("held", delivery["status"]!.GetValue<string>());
        var until = delivery["until"]!.GetValue<DateTimeOffset>();
        Assert.Equal(new TimeOnly(8, 0), TimeOnly.FromDateTime(TimeZoneInfo.ConvertTime(until, TimeZoneInfo.FindSystemTimeZoneById("Europe/London")).DateTime));
        // The same message is back on its queue, invisible until then.
        var held = fixture.Sent.All.Last(s => s.Queue == Queues.CommunicationsLow);
        Assert.Equal(until - fixture.Clock.GetUtcNow(), held.Visibility);
    }

    [Fact]
    public async Task A_destination_that_keeps_failing_is_retried_and_after_the_last_delivery_the_ledger_says_failed()
    {
        var (gus, text, id) = await OrderThanksQueuedAsync("failing");
        await fixture.Destination.FailAsync(true);

        for (var dequeue = 1; dequeue <= Touchpoints.Functions.Delivery.DeliveryOptions.MaxDequeueCount; dequeue++)
        {
            var (status, _) = await fixture.DeliverAsync(Queues.CommunicationsHigh, text, dequeue);
            // Each invocation fails, so the host retries it; after the last one it moves the message to the poison queue.
            Assert.Equal(500, status);
            var delivery = (await LedgerEntryAsync(gus, "order-thanks"))["delivery"];
            if (dequeue < Touchpoints.Functions.Delivery.DeliveryOptions.MaxDequeueCount) Assert.Null(delivery);
            else
            {
                Assert.Equal("failed", delivery!["status"]!.GetValue<string>());
                Assert.Contains("communications-high-poison", delivery["explanation"]!.GetValue<string>(), StringComparison.Ordinal);
            }
        }
        // Each invocation tried twice (one retry with backoff inside it), all signed alike under the same webhook id.
        var attempts = await ReceivedAsync(id);
        Assert.Equal(2 * Touchpoints.Functions.Delivery.DeliveryOptions.MaxDequeueCount, attempts.Count);
        Assert.All(attempts, a => Assert.True(a["failed"]!.GetValue<bool>()));
    }

    [Fact]
    public async Task A_message_that_is_not_one_of_this_app_is_dropped_without_failing()
    {
        var (status, body) = await fixture.DeliverAsync(Queues.CommunicationsNormal, "{\"not\": \"a message\"}");

        Assert.True(status == 200, body.ToJsonString());
        Assert.Contains("dropped", body.ToJsonString(), StringComparison.Ordinal);
    }

    /// <summary>A full erasure through the admin API and both passes of the erasures queue.</summary>
    private async Task EraseAsync(string identifier)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/manage/people/erasures")
        {
            Content = new StringContent(new JsonObject { ["identifier"] = identifier }.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Author", "privacy-officer@example.com");
        using var response = await fixture.Http.SendAsync(request);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();
        var erasures = fixture.QueueService.GetQueueClient(Queues.Erasures);
        var queued = Assert.Single((await erasures.ReceiveMessagesAsync(32)).Value,
            m => JsonSerializer.Deserialize(m.Body.ToString(), PrivacyJsonContext.Default.ErasureMessage)!.RequestId == id);
        await erasures.DeleteMessageAsync(queued.MessageId, queued.PopReceipt);
        var message = JsonSerializer.Deserialize(queued.Body.ToString(), PrivacyJsonContext.Default.ErasureMessage)!;
        foreach (var pass in (int[])[1, 2])
        {
            var (status, _) = await fixture.InvokeAsync(PrivacyEndpoints.ErasureFunction, new JsonObject
            {
                ["Data"] = new JsonObject { [PrivacyEndpoints.ErasureTrigger] = JsonValue.Create(JsonValue.Create(JsonSerializer.Serialize(message with { Pass = pass }, PrivacyJsonContext.Default.ErasureMessage)).ToJsonString()) },
                ["Metadata"] = new JsonObject { ["DequeueCount"] = "1" },
            });
            Assert.Equal(200, status);
        }
    }
}
