using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Touchpoints.Core.Collection;
using Touchpoints.LocalHost.Demo;

namespace Touchpoints.EndToEnd.Tests;

/// <summary>
/// What the front doors refuse: each refusal has its status and a JSON error, and nothing reaches the hub behind the
/// door (<c>GET /runtime/hubs/{hub}</c> lists the same events before and after).
/// </summary>
[Collection(LocalHostCollection.Name)]
public sealed class RejectionTests(LocalHostFixture fixture)
{
    private static string CrmEvent() => new JsonObject
    {
        ["eventId"] = "reject-" + Guid.NewGuid().ToString("N"), ["type"] = "contact.updated", ["occurredAt"] = DateTimeOffset.UtcNow.ToString("O"),
        ["customer"] = new JsonObject { ["system"] = "hubspot", ["crmId"] = "r-" + Guid.NewGuid().ToString("N")[..8], ["email"] = "refused@example.org" },
    }.ToJsonString();

    private static string StripeEvent() => new JsonObject
    {
        ["id"] = "evt_reject_" + Guid.NewGuid().ToString("N"), ["object"] = "event", ["type"] = "invoice.paid", ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
        ["data"] = new JsonObject
        {
            ["object"] = new JsonObject { ["id"] = "in_r", ["customer"] = "cus_r", ["customer_email"] = "refused@example.org", ["amount_paid"] = 100, ["currency"] = "eur" },
        },
    }.ToJsonString();

    private static string SegmentBatch() => new JsonObject
    {
        ["batch"] = new JsonArray(new JsonObject
        {
            ["type"] = "track", ["event"] = "Refused", ["userId"] = "refused-user", ["messageId"] = Guid.NewGuid().ToString(), ["timestamp"] = DateTimeOffset.UtcNow.ToString("O"),
        }),
    }.ToJsonString();

    [Fact]
    public async Task A_Standard_Webhooks_delivery_with_a_bad_signature_is_refused_with_401_and_nothing_is_published()
    {
        var body = CrmEvent();
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var wrong = WebhookSignatures.SignStandard("whsec_" + Convert.ToBase64String(Encoding.UTF8.GetBytes("not-the-secret-not-the-secret-00")), "msg_bad", timestamp, body);

        await AssertRefusedAsync(Hubs.CrmEvents, HttpStatusCode.Unauthorized, "invalid_signature", Webhook(fixture.Sources.CrmSource, body, r => StandardHeaders(r, "msg_bad", timestamp, wrong)));
    }

    [Fact]
    public async Task A_Stripe_delivery_with_a_bad_signature_is_refused_with_401_and_nothing_is_published()
    {
        var body = StripeEvent();
        var wrong = WebhookSignatures.SignStripe("whsec_wrong", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), body);

        await AssertRefusedAsync(Hubs.CrmEvents, HttpStatusCode.Unauthorized, "invalid_signature",
            Webhook(fixture.Sources.StripeSource, body, r => r.Headers.Add("Stripe-Signature", wrong)));
    }

    [Fact]
    public async Task A_Standard_Webhooks_delivery_signed_ten_minutes_ago_is_refused_with_401_and_nothing_is_published()
    {
        var body = CrmEvent();
        var stale = DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds();
        var signature = WebhookSignatures.SignStandard(fixture.Sources.CrmSecret, "msg_stale", stale, body);

        var error = await AssertRefusedAsync(Hubs.CrmEvents, HttpStatusCode.Unauthorized, "invalid_signature",
            Webhook(fixture.Sources.CrmSource, body, r => StandardHeaders(r, "msg_stale", stale, signature)));
        Assert.Contains("minutes from now", (string?)error["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Stripe_delivery_signed_ten_minutes_ago_is_refused_with_401_and_nothing_is_published()
    {
        var body = StripeEvent();
        var signature = WebhookSignatures.SignStripe(fixture.Sources.StripeSecret, DateTimeOffset.UtcNow.AddMinutes(-10).ToUnixTimeSeconds(), body);

        var error = await AssertRefusedAsync(Hubs.CrmEvents, HttpStatusCode.Unauthorized, "invalid_signature",
            Webhook(fixture.Sources.StripeSource, body, r => r.Headers.Add("Stripe-Signature", signature)));
        Assert.Contains("minutes from now", (string?)error["message"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batch_without_a_write_key_is_refused_with_401_and_nothing_is_published() =>
        await AssertRefusedAsync(Hubs.WebEvents, HttpStatusCode.Unauthorized, "unauthorized", Collector(SegmentBatch(), writeKey: null));

    [Fact]
    public async Task A_batch_with_an_unknown_write_key_is_refused_with_401_and_nothing_is_published() =>
        await AssertRefusedAsync(Hubs.WebEvents, HttpStatusCode.Unauthorized, "unauthorized", Collector(SegmentBatch(), writeKey: "not-a-write-key"));

    [Fact]
    public async Task A_batch_over_500_KB_is_refused_with_413_and_nothing_is_published()
    {
        var events = new JsonArray();
        for (var i = 0; i < 40; i++)
        {
            events.Add(new JsonObject
            {
                ["type"] = "track", ["event"] = "Big", ["userId"] = "big-user", ["messageId"] = $"big-{Guid.NewGuid():N}",
                ["properties"] = new JsonObject { ["padding"] = new string('x', 15_000) },
            });
        }

        var body = new JsonObject { ["batch"] = events }.ToJsonString();
        Assert.True(Encoding.UTF8.GetByteCount(body) > 500 * 1024);

        await AssertRefusedAsync(Hubs.WebEvents, HttpStatusCode.RequestEntityTooLarge, "too_large", Collector(body, fixture.Sources.WriteKey));
    }

    [Fact]
    public async Task Six_megabytes_of_NULs_to_the_collector_is_413_not_a_500() =>
        await AssertRefusedAsync(Hubs.WebEvents, HttpStatusCode.RequestEntityTooLarge, "too_large", Collector(new string('\0', 6 * 1024 * 1024), fixture.Sources.WriteKey));

    [Fact]
    public async Task Six_megabytes_of_NULs_to_a_webhook_is_413_not_a_500() =>
        await AssertRefusedAsync(Hubs.CrmEvents, HttpStatusCode.RequestEntityTooLarge, "too_large", Webhook("crm", new string('\0', 6 * 1024 * 1024), _ => { }));

    [Fact]
    public async Task Malformed_JSON_sent_to_the_collector_is_refused_with_400_and_nothing_is_published() =>
        await AssertRefusedAsync(Hubs.WebEvents, HttpStatusCode.BadRequest, "malformed",
            Collector("{\"batch\": [{\"type\": \"track\", \"event\": \"Oops\",", fixture.Sources.WriteKey));

    [Fact]
    public async Task A_correctly_signed_webhook_with_malformed_JSON_is_refused_with_400_and_nothing_is_published()
    {
        const string body = "{\"eventId\": \"broken\", \"type\": ";
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var signature = WebhookSignatures.SignStandard(fixture.Sources.CrmSecret, "msg_malformed", timestamp, body);

        await AssertRefusedAsync(Hubs.CrmEvents, HttpStatusCode.BadRequest, "invalid",
            Webhook(fixture.Sources.CrmSource, body, r => StandardHeaders(r, "msg_malformed", timestamp, signature)));
    }

    private async Task<JsonObject> AssertRefusedAsync(string hub, HttpStatusCode status, string error, Func<HttpRequestMessage> request)
    {
        await fixture.IdleAsync();
        var before = await fixture.HubCountAsync(hub);

        using var message = request();
        using var response = await fixture.Http.SendAsync(message);
        var text = await response.Content.ReadAsStringAsync();
        await fixture.IdleAsync();

        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var body = JsonNode.Parse(text)!.AsObject();
        Assert.Equal(error, (string?)body["error"]);
        Assert.False(string.IsNullOrWhiteSpace((string?)body["message"]));
        Assert.Equal(before, await fixture.HubCountAsync(hub));
        return body;
    }

    private static Func<HttpRequestMessage> Collector(string body, string? writeKey) => () =>
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/batch") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (writeKey is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(writeKey + ":")));
        return request;
    };

    private static Func<HttpRequestMessage> Webhook(string source, string body, Action<HttpRequestMessage> sign) => () =>
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "api/webhooks/" + source) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        sign(request);
        return request;
    };

    private static void StandardHeaders(HttpRequestMessage request, string id, long timestamp, string signature)
    {
        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", signature);
    }
}
