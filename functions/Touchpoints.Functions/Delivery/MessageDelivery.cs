using System.Text.Json;
using Microsoft.Extensions.Options;
using Touchpoints.Core;
using Touchpoints.Core.Rules;
using Touchpoints.Functions.Hosting;
using Touchpoints.Functions.Rules;
using Touchpoints.Functions.Storage;

namespace Touchpoints.Functions.Delivery;

/// <summary>
/// Delivers one queued message: reads the customer as he is now (merges followed), the suppression list and the active
/// rules; asks the pure <see cref="SendTimeGuard"/>; carries out its verdict — send to the route's destination, hold on the
/// queue, or drop — and records the outcome on the decision's ledger entry. Idempotent per message: a redelivery sends the
/// same <c>webhook-id</c>, so a destination drops the duplicate; a hold re-queues the same message.
/// </summary>
public sealed partial class MessageDelivery(
    CustomerStore customers,
    PrivacyStore privacy,
    RulesProvider rules,
    LedgerStore ledger,
    RuleStatsStore stats,
    CommunicationQueues queues,
    Destinations destinations,
    IOptions<DeliveryOptions> options,
    TouchpointsMetrics metrics,
    TimeProvider clock,
    ILogger<MessageDelivery> logger)
{
    /// <summary>A communication from <paramref name="queue"/>, taken for the <paramref name="dequeueCount"/>-th time.</summary>
    public async Task<DeliveryRecord?> DeliverCommunicationAsync(string queue, string text, int dequeueCount, CancellationToken ct)
    {
        if (Decode(text, DecisionsJsonContext.Default.CommunicationMessage) is not { Id.Length: > 0, RuleId.Length: > 0, CustomerId.IsDefault: false } message)
        {
            LogUndecodable(logger, queue);
            return null;
        }
        var decided = await ledger.ReadAsync(message.CustomerId, message.Id, ct).ConfigureAwait(false);
        if (AlreadyDelivered(decided) is { } delivered) return delivered;
        var (view, suppressed, active) = await ReadAsync(message.CustomerId, ct).ConfigureAwait(false);
        var now = clock.GetUtcNow();
        var verdict = NotRecordedYet(decided, view, message.CreatedAt, now) ?? SendTimeGuard.Check(message, view, suppressed, active, now);
        return await CarryOutAsync(queue, decided?.Delivery, message.Id, message.RuleId, message.CustomerId, Facts.Name(message.Channel), text, message.ExpiresAt, verdict, dequeueCount, ct)
            .ConfigureAwait(false);
    }

    /// <summary>A sales alert, taken for the <paramref name="dequeueCount"/>-th time.</summary>
    public async Task<DeliveryRecord?> DeliverSalesAlertAsync(string text, int dequeueCount, CancellationToken ct)
    {
        if (Decode(text, DecisionsJsonContext.Default.SalesAlertMessage) is not { Id.Length: > 0, RuleId.Length: > 0, CustomerId.IsDefault: false } alert)
        {
            LogUndecodable(logger, Queues.SalesAlerts);
            return null;
        }
        var decided = await ledger.ReadAsync(alert.CustomerId, alert.Id, ct).ConfigureAwait(false);
        if (AlreadyDelivered(decided) is { } delivered) return delivered;
        var (view, suppressed, active) = await ReadAsync(alert.CustomerId, ct).ConfigureAwait(false);
        var now = clock.GetUtcNow();
        var verdict = NotRecordedYet(decided, view, alert.CreatedAt, now) ?? SendTimeGuard.Check(alert, view, suppressed, active, now);
        return await CarryOutAsync(Queues.SalesAlerts, decided?.Delivery, alert.Id, alert.RuleId, alert.CustomerId, DeliveryOptions.SalesAlertsRoute, text, alert.ExpiresAt, verdict, dequeueCount, ct)
            .ConfigureAwait(false);
    }

    /// <summary>How long a message waits for its decision to reach the ledger before it is dropped as never recorded.</summary>
    public static readonly TimeSpan RecordingPatience = TimeSpan.FromHours(1);

    /// <summary>How soon a message whose decision is not in the ledger yet is looked at again.</summary>
    public static readonly TimeSpan RecordingRetry = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Delivered before: a redelivery of the queue message after the send (the instance died before the host deleted it) is
    /// not sent again. Null: go on.
    /// </summary>
    private DeliveryRecord? AlreadyDelivered(Decision? decided)
    {
        if (decided?.Delivery is not { Status: DeliveryStatus.Delivered } delivered) return null;
        LogAlreadyDelivered(logger, decided.Id);
        return delivered;
    }

    /// <summary>
    /// The rules queue a message before they record its decision (so that a writer dying in between leaves an outbox entry
    /// that sends it, never a decision without its message): a message can arrive first. It waits a little, on its queue,
    /// for its decision — unless its customer is gone (the guard drops it as erased) or it waited too long.
    /// </summary>
    private static DeliveryVerdict? NotRecordedYet(Decision? decided, Core.Views.CustomerView? view, DateTimeOffset createdAt, DateTimeOffset now)
    {
        if (decided is not null || view is null) return null;
        return now - createdAt < RecordingPatience
            ? new Hold(now + RecordingRetry, "its decision is not in the ledger yet")
            : new Drop(DropReason.Unrecorded, $"its decision never reached the ledger within {RecordingPatience.TotalMinutes:0} minutes");
    }

    private async Task<(Core.Views.CustomerView? View, bool Suppressed, CompiledRules Rules)> ReadAsync(Core.Identity.CustomerId id, CancellationToken ct)
    {
        var view = await customers.ReadCurrentAsync(id, ct).ConfigureAwait(false);
        var isSuppressed = await privacy.SuppressedAsync(ct).ConfigureAwait(false);
        var active = await rules.GetAsync(ct).ConfigureAwait(false);
        return (view, view is not null && view.Identities.Any(isSuppressed), active);
    }

    private async Task<DeliveryRecord> CarryOutAsync(
        string queue, DeliveryRecord? before, string decisionId, string ruleId, Core.Identity.CustomerId decidedFor, string route, string text, DateTimeOffset? expiresAt,
        DeliveryVerdict verdict, int dequeueCount, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        DeliveryRecord record;
        switch (verdict)
        {
            case Drop drop:
                record = new DeliveryRecord(DeliveryStatus.Dropped, now, drop.Reason, drop.Explanation, Attempt: dequeueCount);
                break;
            case Hold hold:
                // The same message again, invisible until the hold ends: the guard looks at it afresh then. The queue refuses one
                // that would expire before (nothing is sent): then it is dropped as expired.
                record = await queues.SendAsync(queue, text, hold.Until, expiresAt, now, ct).ConfigureAwait(false)
                    ? new DeliveryRecord(DeliveryStatus.Held, now, Explanation: hold.Explanation, Attempt: dequeueCount, Until: hold.Until)
                    : new DeliveryRecord(DeliveryStatus.Dropped, now, DropReason.Expired, $"{hold.Explanation}; it expires before then", Attempt: dequeueCount);
                break;
            default:
                var (id, body) = verdict switch
                {
                    SendCommunication c => (c.Message.Id, WebhookBodies.Of(c.Message, now)),
                    SendSalesAlert a => (a.Alert.Id, WebhookBodies.Of(a.Alert, now)),
                    _ => throw new InvalidOperationException($"unknown verdict {verdict.GetType().Name}"),
                };
                if (options.Value.For(route) is not var (name, destination))
                {
                    record = new DeliveryRecord(DeliveryStatus.Dropped, now, DropReason.NoDestination,
                        $"no destination takes '{route}' (Delivery:Destinations)", Attempt: dequeueCount);
                    break;
                }
                try
                {
                    await destinations.SendAsync(name, destination, id, body, ct).ConfigureAwait(false);
                    record = new DeliveryRecord(DeliveryStatus.Delivered, clock.GetUtcNow(), Destination: name, Attempt: dequeueCount);
                }
                catch (DestinationFailedException e) when (dequeueCount >= DeliveryOptions.MaxDequeueCount)
                {
                    // The host moves the message to {queue}-poison after this invocation: the ledger says so first.
                    await RecordAsync(queue, before, ruleId, decidedFor, decisionId, route, new DeliveryRecord(DeliveryStatus.Failed, clock.GetUtcNow(), Explanation:
                        $"{e.Message}; after {dequeueCount} deliveries it is on {queue}-poison", Destination: name, Attempt: dequeueCount), ct).ConfigureAwait(false);
                    throw;
                }
                break;
        }
        await RecordAsync(queue, before, ruleId, decidedFor, decisionId, route, record, ct).ConfigureAwait(false);
        return record;
    }

    private async Task RecordAsync(
        string queue, DeliveryRecord? before, string ruleId, Core.Identity.CustomerId customer, string decisionId, string route, DeliveryRecord record,
        CancellationToken ct)
    {
        // Counted in the rule's stats once per decision: when the entry had no final outcome before (none, or held); a
        // redelivery of a message already dropped is not a second drop. Holds are not outcomes yet.
        var recorded = await ledger.RecordDeliveryAsync(customer, decisionId, record, ct).ConfigureAwait(false);
        if (recorded && before is null or { Status: DeliveryStatus.Held } && StatCounterFor(record) is { } counter)
            await stats.IncrementAsync([new StatIncrement(ruleId, DateOnly.FromDateTime(record.At.UtcDateTime), counter)], ct).ConfigureAwait(false);
        metrics.Delivery(queue, route, Names.CamelCase(record.Status), record.Reason is { } r ? Names.CamelCase(r) : null);
        LogOutcome(logger, decisionId, queue, record.Status, record.Reason);
    }

    private static string? StatCounterFor(DeliveryRecord record) => record.Status switch
    {
        DeliveryStatus.Delivered => StatCounter.Delivered,
        DeliveryStatus.Failed => StatCounter.DeliveryFailed,
        DeliveryStatus.Dropped when record.Reason is { } reason => StatCounter.Dropped(reason),
        _ => null,
    };

    /// <summary>A message as this app writes it; null for anything else (checked by the caller: JSON may omit members).</summary>
    private static T? Decode<T>(string text, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(text, type);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A message on {Queue} is not one this app wrote; dropped")]
    private static partial void LogUndecodable(ILogger logger, string queue);

    [LoggerMessage(Level = LogLevel.Information, Message = "Decision {DecisionId} was delivered already: not sent again")]
    private static partial void LogAlreadyDelivered(ILogger logger, string decisionId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Decision {DecisionId} from {Queue}: {Status} {Reason}")]
    private static partial void LogOutcome(ILogger logger, string decisionId, string queue, DeliveryStatus status, DropReason? reason);
}

/// <summary>What a destination receives: the Standard Webhooks envelope (<c>type</c>, <c>timestamp</c>, <c>data</c>).</summary>
public static class WebhookBodies
{
    public const string CommunicationType = "communication.send";
    public const string SalesAlertType = "salesAlert.raise";

    public static string Of(CommunicationMessage message, DateTimeOffset now) =>
        JsonSerializer.Serialize(new CommunicationWebhook(CommunicationType, now, message), OutboundJsonContext.Default.CommunicationWebhook);

    public static string Of(SalesAlertMessage alert, DateTimeOffset now) =>
        JsonSerializer.Serialize(new SalesAlertWebhook(SalesAlertType, now, alert), OutboundJsonContext.Default.SalesAlertWebhook);
}

public sealed record CommunicationWebhook(string Type, DateTimeOffset Timestamp, CommunicationMessage Data);

public sealed record SalesAlertWebhook(string Type, DateTimeOffset Timestamp, SalesAlertMessage Data);
