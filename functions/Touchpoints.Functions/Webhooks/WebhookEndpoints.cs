using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Touchpoints.Core.Collection;
using Touchpoints.Functions.Hosting;
using Touchpoints.Functions.Storage;

namespace Touchpoints.Functions.Webhooks;

/// <summary>
/// <c>ReceiveWebhook</c> (route <c>api/webhooks/{source}</c>, forwarded as it came): CRM and billing webhooks, authenticated
/// by their signatures, deduplicated by delivery id, mapped to canonical CRM events published to the hub <c>crm-events</c>
/// with the Event Hubs SDK, keyed by contact (<see cref="CanonicalCrm.PartitionKey"/>), before the sender gets its 200.
/// </summary>
public static class WebhookEndpoints
{
    public const string Function = "ReceiveWebhook";

    public const string Route = "/api/webhooks/{source}";

    /// <summary>Where the webhooks publish (with the Event Hubs SDK; the identity needs Data Sender on it).</summary>
    public const string Hub = Hubs.CrmEvents;

    public static IServiceCollection AddWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WebhookOptions>().Bind(configuration.GetSection(WebhookOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebhookOptions>, WebhookOptionsValidator>();
        services.AddSingleton<WebhookReceiver>();
        return services;
    }

    public static IEndpointRouteBuilder MapWebhooks(this IEndpointRouteBuilder app)
    {
        app.MapPost(Route, (HttpContext context, WebhookReceiver receiver) => receiver.HandleAsync(context));
        return app;
    }
}

public sealed partial class WebhookReceiver(
    IOptionsMonitor<WebhookOptions> options, IOptions<IdentityOptions> identity, DeliveryStore deliveries, EventPublisher publisher, TimeProvider clock,
    ILogger<WebhookReceiver> logger)
{
    /// <summary>The largest delivery taken: what one Event Hubs event can carry.</summary>
    public const int MaxDeliveryBytes = 1024 * 1024;

    public async Task HandleAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = await HttpInvocation.ReadAsync(context, MaxDeliveryBytes).ConfigureAwait(false);
        await HttpInvocation.WriteAsync(context, await HandleAsync(request, context.RequestAborted).ConfigureAwait(false)).ConfigureAwait(false);
    }

    private async Task<HttpOutput> HandleAsync(HttpTriggerRequest request, CancellationToken ct)
    {
        var name = request.Param("source");
        if (options.CurrentValue.Find(name) is not var (source, settings)) return Fail(404, "unknown_source", $"no webhook source is named '{name}'");

        // An Event Hubs event holds at most 1 MB: a larger delivery could never be published. Refused before the signature
        // and the JSON are even looked at; the declared length first, then what actually came.
        if (long.TryParse(request.Header("Content-Length"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var declared)
            && declared > MaxDeliveryBytes)
            return Fail(413, "too_large", $"a delivery may be at most {MaxDeliveryBytes / 1024} KB; this one declares {declared} bytes");
        var body = request.Body ?? "";
        if (body.Length > MaxDeliveryBytes || System.Text.Encoding.UTF8.GetByteCount(body) > MaxDeliveryBytes)
            return Fail(413, "too_large", $"a delivery may be at most {MaxDeliveryBytes / 1024} KB");

        var now = clock.GetUtcNow();
        var secrets = settings.SecretList;
        var deliveryId = request.Header("webhook-id") ?? request.Header("svix-id");
        var check = settings.Scheme switch
        {
            WebhookScheme.StandardWebhooks => WebhookSignatures.VerifyStandard(deliveryId,
                request.Header("webhook-timestamp") ?? request.Header("svix-timestamp"),
                request.Header("webhook-signature") ?? request.Header("svix-signature"), body, secrets, now),
            WebhookScheme.Stripe => WebhookSignatures.VerifyStripe(request.Header("Stripe-Signature"), body, secrets, now),
            WebhookScheme.HubSpot => VerifyHubSpot(request, settings, body, now),
            _ => SignatureCheck.Invalid("the source has no scheme"),
        };
        if (!check.IsValid)
        {
            LogBadSignature(logger, source, check.Error);
            return Fail(401, "invalid_signature", check.Error ?? "invalid signature");
        }

        var batch = settings.Scheme switch
        {
            WebhookScheme.StandardWebhooks => StandardWebhookEvents.Map(source, deliveryId!, body, now, identity.Value.PhoneRegion),
            WebhookScheme.Stripe => StripeEvents.Map(source, body, now, identity.Value.PhoneRegion),
            _ => HubSpotEvents.Map(source, body, now, identity.Value.PhoneRegion),
        };
        if (batch.Errors.Count > 0)
        {
            LogRefused(logger, source, string.Join("; ", batch.Errors));
            var error = HttpInvocation.Error("invalid", "the delivery is not valid");
            error["errors"] = new JsonArray([.. batch.Errors.Select(e => (JsonNode)new JsonObject { ["path"] = e.Path, ["message"] = e.Message })]);
            return HttpOutput.Json(400, error.ToJsonString());
        }

        bool[] fresh;
        try
        {
            fresh = await deliveries.RecordAsync(source, batch.Deliveries, now, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // A 500 and every sender retries: nothing is lost.
            LogFailed(logger, source, e);
            return HttpOutput.Json(500, HttpInvocation.Error("unavailable", "the delivery could not be recorded; retry").ToJsonString());
        }

        var events = new List<JsonObject>();
        int accepted = 0, ignored = 0, duplicates = 0;
        for (var i = 0; i < batch.Deliveries.Count; i++)
        {
            var delivery = batch.Deliveries[i];
            if (!fresh[i]) duplicates++;
            else if (delivery.Event is { } e)
            {
                accepted++;
                // Event ids are unique per webhook source: scoped by it, another sender cannot suppress this one's events.
                e[Core.Events.IngestedEvent.ScopeMember] = source;
                events.Add(e);
            }
            else
            {
                ignored++;
                LogIgnored(logger, source, delivery.Id, delivery.Type, delivery.Ignored);
            }
        }
        try
        {
            await publisher.PublishAsync(WebhookEndpoints.Hub, [.. events.Select(e => (CanonicalCrm.PartitionKey(e), e))], ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Recorded but not published: the records go again, so the sender's retry is taken as new, not as a duplicate.
            LogFailed(logger, source, e);
            await deliveries.ForgetAsync(source, [.. batch.Deliveries.Where((_, i) => fresh[i])]).ConfigureAwait(false);
            return HttpOutput.Json(500, HttpInvocation.Error("unavailable", "the delivery could not be stored; retry").ToJsonString());
        }

        LogReceived(logger, source, batch.Deliveries.Count, accepted, ignored, duplicates);
        var answer = new JsonObject { ["received"] = batch.Deliveries.Count, ["accepted"] = accepted, ["ignored"] = ignored, ["duplicates"] = duplicates };
        return HttpOutput.Json(200, answer.ToJsonString());
    }

    /// <summary>
    /// HubSpot signs the URL it called. The host's trigger <c>Url</c> is that URL unless a proxy or TLS offloading sits in
    /// between: <c>PublicUrl</c> overrides it, and an <c>http://</c> URL is also tried as <c>https://</c> (HubSpot only
    /// calls HTTPS targets); the signature must still match.
    /// </summary>
    private static SignatureCheck VerifyHubSpot(HttpTriggerRequest request, WebhookSource settings, string body, DateTimeOffset now)
    {
        var url = settings.PublicUrl ?? request.Url ?? "";
        var timestamp = request.Header("X-HubSpot-Request-Timestamp");
        var signature = request.Header("X-HubSpot-Signature-v3");
        var method = request.Method ?? "POST";
        var check = WebhookSignatures.VerifyHubSpot(method, url, body, timestamp, signature, settings.SecretList, now);
        if (check.IsValid || !url.StartsWith("http://", StringComparison.OrdinalIgnoreCase)) return check;
        var https = WebhookSignatures.VerifyHubSpot(method, "https://" + url["http://".Length..], body, timestamp, signature, settings.SecretList, now);
        return https.IsValid ? https : check;
    }

    private static HttpOutput Fail(int status, string code, string message) =>
        HttpOutput.Json(status, HttpInvocation.Error(code, message).ToJsonString());

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook from {Source} refused: {Reason}")]
    private static partial void LogBadSignature(ILogger logger, string source, string? reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook from {Source} is not valid: {Errors}")]
    private static partial void LogRefused(ILogger logger, string source, string errors);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook delivery {DeliveryId} ({Type}) from {Source} ignored: {Reason}")]
    private static partial void LogIgnored(ILogger logger, string source, string deliveryId, string? type, string? reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Webhook from {Source}: {Received} deliveries, {Accepted} accepted, {Ignored} ignored, {Duplicates} duplicates")]
    private static partial void LogReceived(ILogger logger, string source, int received, int accepted, int ignored, int duplicates);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook from {Source} failed; the sender will retry")]
    private static partial void LogFailed(ILogger logger, string source, Exception exception);
}
