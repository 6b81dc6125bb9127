using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Touchpoints.Core.Collection;

namespace Touchpoints.LocalHost.Demo;

/// <summary>What one request delivered: events taken in, refused (with why), ignored by design, or already seen.</summary>
public sealed record SendOutcome(int Sent, int Accepted, int Refused, int Ignored, int Duplicates, IReadOnlyList<string> Reasons)
{
    public static SendOutcome Empty { get; } = new(0, 0, 0, 0, 0, []);

    public SendOutcome Add(SendOutcome other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new(Sent + other.Sent, Accepted + other.Accepted, Refused + other.Refused, Ignored + other.Ignored, Duplicates + other.Duplicates,
            [.. Reasons, .. other.Reasons]);
    }
}

/// <summary>
/// Sends demo traffic through the app's real front doors on the local host, exactly as the senders do: Segment calls in
/// batches to <c>POST /api/v1/batch</c> with the write key as the HTTP Basic user; CRM events signed as Standard Webhooks
/// and Stripe events signed as Stripe signs them, one delivery per request, to <c>/api/webhooks/{source}</c>; social events
/// published to the <c>social-events</c> hub through the local host's runtime API. A 5xx or a lost connection is retried,
/// as every sender retries (redeliveries are deduplicated downstream); anything else unexpected is an error.
/// </summary>
public sealed class DemoClient(HttpClient http, DemoSources sources, TimeProvider? clock = null)
{
    public const int MaxSegmentBatch = 100;
    private const int Attempts = 4;

    private readonly TimeProvider clock = clock ?? TimeProvider.System;

    public HttpClient Http => http;

    /// <summary>One <c>/api/v1/batch</c> request; each event the collector refuses is counted with its first reason.</summary>
    public async Task<SendOutcome> SendSegmentBatchAsync(IReadOnlyList<JsonObject> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0) return SendOutcome.Empty;
        var body = new JsonObject { ["batch"] = new JsonArray([.. messages.Select(m => (JsonNode)m.DeepClone())]) }.ToJsonString();
        var (status, answer) = await SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/batch") { Content = Json(body) };
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(sources.WriteKey + ":")));
            return request;
        }, cancellationToken).ConfigureAwait(false);

        var rejected = answer?["rejected"] as JsonArray ?? [];
        var reasons = rejected.Select(r => $"collector: {(string?)r?["errors"]?[0]?["message"] ?? "refused"}").ToList();
        return status switch
        {
            HttpStatusCode.OK => new SendOutcome(messages.Count, messages.Count - rejected.Count, rejected.Count, 0, 0, reasons),
            // Nothing in the batch was valid: every event is refused, the request with it.
            HttpStatusCode.BadRequest when rejected.Count > 0 => new SendOutcome(messages.Count, 0, messages.Count, 0, 0, reasons),
            _ => throw Unexpected("POST api/v1/batch", status, answer),
        };
    }

    /// <summary>One CRM event to the Standard Webhooks source: <c>webhook-id</c> derives from the event id, so a rerun is a redelivery.</summary>
    public Task<SendOutcome> SendCrmAsync(JsonObject crmEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(crmEvent);
        var body = crmEvent.ToJsonString();
        var id = "msg_" + ((string?)crmEvent["eventId"] ?? Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(body)))[..24]);
        return SendWebhookAsync(sources.CrmSource, body, request =>
        {
            var timestamp = clock.GetUtcNow().ToUnixTimeSeconds();
            request.Headers.Add("webhook-id", id);
            request.Headers.Add("webhook-timestamp", timestamp.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add("webhook-signature", WebhookSignatures.SignStandard(sources.CrmSecret, id, timestamp, body));
        }, cancellationToken);
    }

    /// <summary>One Stripe event, with <c>Stripe-Signature: t=…,v1=…</c>.</summary>
    public Task<SendOutcome> SendStripeAsync(JsonObject stripeEvent, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(stripeEvent);
        var body = stripeEvent.ToJsonString();
        return SendWebhookAsync(sources.StripeSource, body,
            request => request.Headers.Add("Stripe-Signature", WebhookSignatures.SignStripe(sources.StripeSecret, clock.GetUtcNow().ToUnixTimeSeconds(), body)), cancellationToken);
    }

    /// <summary>Social events onto the <c>social-events</c> hub (what a listening tool's exporter would do); the hub takes them all.</summary>
    public async Task<SendOutcome> PublishSocialAsync(IReadOnlyList<JsonObject> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0) return SendOutcome.Empty;
        var body = new JsonArray([.. events.Select(e => (JsonNode)e.DeepClone())]).ToJsonString();
        var (status, answer) = await SendAsync(() => new HttpRequestMessage(HttpMethod.Post, "runtime/hubs/" + Hubs.SocialEvents) { Content = Json(body) },
            cancellationToken).ConfigureAwait(false);
        if (status != HttpStatusCode.Accepted) throw Unexpected("POST runtime/hubs/" + Hubs.SocialEvents, status, answer);
        return new SendOutcome(events.Count, (int?)answer?["published"] ?? events.Count, 0, 0, 0, []);
    }

    private async Task<SendOutcome> SendWebhookAsync(string source, string body, Action<HttpRequestMessage> sign, CancellationToken cancellationToken)
    {
        var path = "api/webhooks/" + Uri.EscapeDataString(source);
        var (status, answer) = await SendAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = Json(body) };
            // Signed at every attempt, as senders do: a retry carries a fresh timestamp.
            sign(request);
            return request;
        }, cancellationToken).ConfigureAwait(false);
        return status switch
        {
            HttpStatusCode.OK => new SendOutcome(1, (int?)answer?["accepted"] ?? 0, 0, (int?)answer?["ignored"] ?? 0, (int?)answer?["duplicates"] ?? 0, []),
            HttpStatusCode.BadRequest => new SendOutcome(1, 0, 1, 0, 0,
                [$"{source} webhook: {(string?)answer?["errors"]?[0]?["path"]} {(string?)answer?["errors"]?[0]?["message"] ?? (string?)answer?["message"]}".Trim()]),
            _ => throw Unexpected("POST " + path, status, answer),
        };
    }

    private async Task<(HttpStatusCode Status, JsonNode? Body)> SendAsync(Func<HttpRequestMessage> request, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var message = request();
                using var response = await http.SendAsync(message, cancellationToken).ConfigureAwait(false);
                var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                if ((int)response.StatusCode >= 500 && attempt < Attempts)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken).ConfigureAwait(false);
                    continue;
                }

                return (response.StatusCode, Parse(text));
            }
            catch (HttpRequestException) when (attempt < Attempts)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(200 * attempt), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static JsonNode? Parse(string text)
    {
        try
        {
            return string.IsNullOrWhiteSpace(text) ? null : JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return JsonValue.Create(text);
        }
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static InvalidOperationException Unexpected(string what, HttpStatusCode status, JsonNode? body) =>
        new($"{what} answered {(int)status} {status}: {body?.ToJsonString() ?? "(no body)"}");
}
