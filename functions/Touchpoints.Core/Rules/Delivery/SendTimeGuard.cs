using Touchpoints.Core.Views;

namespace Touchpoints.Core.Rules;

/// <summary>Why a message decided earlier is not sent when it comes due.</summary>
public enum DropReason { Erased, Suppressed, Expired, RuleRemoved, RulePaused, Consent, Audience, NoAddress, NoDestination, Unrecorded }

/// <summary>What delivery does with a message taken off its queue: send it (as it now stands), hold it, or drop it.</summary>
public abstract record DeliveryVerdict;

/// <summary>Send <paramref name="Message"/>: the queued one with today's recipient (and survivor, after a merge).</summary>
public sealed record SendCommunication(CommunicationMessage Message) : DeliveryVerdict;

/// <summary>Send <paramref name="Alert"/>: the queued one with today's owner and contact.</summary>
public sealed record SendSalesAlert(SalesAlertMessage Alert) : DeliveryVerdict;

/// <summary>Not now: quiet hours began since the decision (or a long delay outlived a queue's visibility), so it waits.</summary>
public sealed record Hold(DateTimeOffset Until, string Explanation) : DeliveryVerdict;

/// <summary>Never: the decision no longer stands, for <paramref name="Reason"/>.</summary>
public sealed record Drop(DropReason Reason, string Explanation) : DeliveryVerdict;

/// <summary>
/// The send-time guard: a decision was right when it was made, but minutes or days pass before its message is delivered
/// (quiet hours, a queue backlog). At delivery the guard checks it again against the customer as he is now (the view,
/// merges followed), the suppression list and the active rules, in the order a customer would care about: gone or
/// suppressed, expired, the rule removed or paused, consent, still in the rule's audience, still reachable, quiet hours.
/// Pure: the caller reads, the guard decides, the caller acts.
/// </summary>
public static class SendTimeGuard
{
    public static DeliveryVerdict Check(CommunicationMessage message, CustomerView? view, bool suppressed, CompiledRules rules, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(rules);
        if (Common(message.RuleId, message.ExpiresAt, view, suppressed, rules, now) is { } drop) return drop;
        var customer = view!;
        var rule = rules.Rules.First(r => r.Definition.Id == message.RuleId).Definition;
        var channel = message.Channel;
        if (Arbiter.ConsentMiss(rules.Policies, channel, customer) is { } consent) return new Drop(DropReason.Consent, consent);
        if (Arbiter.AudienceMiss(rule, customer) is { } audience) return new Drop(DropReason.Audience, "no longer in the rule's audience: " + audience);
        if (Arbiter.AddressFor(channel, customer) is not { } address) return new Drop(DropReason.NoAddress, $"nothing to reach the customer by {Facts.Name(channel)} any more");

        var zone = LocalTime.ZoneOf(customer, rules.Policies);
        // Quiet hours are the customer's as he is now (his time zone may have changed), and a message that surfaced before its
        // time (a delay longer than a queue's visibility) waits for it.
        var at = QuietHoursClock.DeliverAt(rules.Policies.QuietHours, channel, message.NotBefore > now ? message.NotBefore : now, zone);
        if (at > now)
        {
            if (message.ExpiresAt is { } expires && at > expires)
                return new Drop(DropReason.Expired, $"quiet hours hold it until {at:u}, past its expiry at {expires:u}");
            return new Hold(at, message.NotBefore > now ? $"not due before {message.NotBefore:u}" : $"quiet hours began since it was decided: held until {at:u}");
        }
        return new SendCommunication(message with
        {
            CustomerId = customer.Id,
            Recipient = new Recipient(Trait(customer.Traits.Name), address, Trait(customer.Traits.Locale), zone.Id),
        });
    }

    public static DeliveryVerdict Check(SalesAlertMessage alert, CustomerView? view, bool suppressed, CompiledRules rules, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentNullException.ThrowIfNull(rules);
        if (Common(alert.RuleId, alert.ExpiresAt, view, suppressed, rules, now) is { } drop) return drop;
        var customer = view!;
        var rule = rules.Rules.First(r => r.Definition.Id == alert.RuleId).Definition;
        if (Arbiter.AudienceMiss(rule, customer) is { } audience) return new Drop(DropReason.Audience, "no longer in the rule's audience: " + audience);
        // The owner is whoever owns the customer now: an account handed over since the decision goes to its new owner.
        var zone = LocalTime.ZoneOf(customer, rules.Policies);
        return new SendSalesAlert(alert with
        {
            CustomerId = customer.Id,
            Owner = Trait(customer.Touchpoints.Sales?.Owner) ?? alert.Owner,
            Customer = new Recipient(Trait(customer.Traits.Name), Trait(customer.Traits.Email) ?? Trait(customer.Traits.Phone), Trait(customer.Traits.Locale), zone.Id),
        });
    }

    private static Drop? Common(string ruleId, DateTimeOffset? expiresAt, CustomerView? view, bool suppressed, CompiledRules rules, DateTimeOffset now)
    {
        if (view is null || view.IsTombstone) return new Drop(DropReason.Erased, "the customer no longer exists (erased)");
        if (suppressed) return new Drop(DropReason.Suppressed, "the person asked to be forgotten: an identifier is on the suppression list");
        if (expiresAt is { } expires && expires <= now) return new Drop(DropReason.Expired, $"expired at {expires:u}");
        var rule = rules.Rules.FirstOrDefault(r => r.Definition.Id == ruleId)?.Definition;
        if (rule is null) return new Drop(DropReason.RuleRemoved, $"rule '{ruleId}' is no longer in the active rules (version {rules.Version})");
        if (rule.Paused) return new Drop(DropReason.RulePaused, $"rule '{ruleId}' is paused (version {rules.Version})");
        return null;
    }

    private static string? Trait(Stamped<string>? trait) => string.IsNullOrWhiteSpace(trait?.Value) ? null : trait.Value;
}
