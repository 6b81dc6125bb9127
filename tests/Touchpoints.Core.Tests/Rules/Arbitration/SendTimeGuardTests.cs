using Touchpoints.Core.Events;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Views;
using static Touchpoints.Core.Tests.Rules.Arbitration.Given;

namespace Touchpoints.Core.Tests.Rules.Arbitration;

/// <summary>The send-time guard: a decision re-checked against the customer, the suppression list and the rules of now.</summary>
public sealed class SendTimeGuardTests
{
    private static readonly CompiledRules Rules = Doc(
        Marketing("offer", "email") + "," + Marketing("nudge", "push", extra: """, "audience": { "lifecycle": ["customer"] }""") + "," + Alert("call"),
        quiet: """{ "start": "21:00", "end": "08:00", "channels": ["push"] }""");

    private static readonly CompiledRules Paused = Doc(Marketing("offer", "email", extra: """, "paused": true""") + "," + Alert("call"));

    /// <summary>The message the arbiter queued for Ann on <paramref name="ruleId"/> at <see cref="Given.Now"/>.</summary>
    private static CommunicationMessage Queued(string ruleId, CustomerView? view = null)
    {
        var result = Change(Rules, view ?? Ann() with { Lifecycle = LifecycleStage.Customer }, causes: Viewed);
        return Assert.Single(result.Communications, c => c.RuleId == ruleId);
    }

    [Fact]
    public void A_message_whose_decision_still_stands_is_sent_to_the_address_the_customer_has_now()
    {
        var message = Queued("offer");
        var moved = Ann() with { Traits = Ann().Traits with { Email = S("ann.lee@new.example") } };

        var verdict = Assert.IsType<SendCommunication>(SendTimeGuard.Check(message, moved, suppressed: false, Rules, Now.AddMinutes(5)));

        Assert.Equal("ann.lee@new.example", verdict.Message.Recipient.Address);
        Assert.Equal(message.Id, verdict.Message.Id);
    }

    [Fact]
    public void Consent_denied_since_the_decision_drops_the_message()
    {
        var message = Queued("offer");
        var verdict = SendTimeGuard.Check(message, Ann().WithConsent(ConsentChannel.Email, ConsentStatus.Denied), false, Rules, Now.AddMinutes(5));

        Assert.Equal(DropReason.Consent, Assert.IsType<Drop>(verdict).Reason);
    }

    [Fact]
    public void An_erased_or_suppressed_person_gets_nothing()
    {
        var message = Queued("offer");

        Assert.Equal(DropReason.Erased, Assert.IsType<Drop>(SendTimeGuard.Check(message, null, false, Rules, Now)).Reason);
        Assert.Equal(DropReason.Suppressed, Assert.IsType<Drop>(SendTimeGuard.Check(message, Ann(), true, Rules, Now)).Reason);
    }

    [Fact]
    public void A_rule_paused_or_removed_since_the_decision_drops_its_messages_and_alerts()
    {
        var message = Queued("offer");
        Assert.Equal(DropReason.RulePaused, Assert.IsType<Drop>(SendTimeGuard.Check(message, Ann(), false, Paused, Now)).Reason);
        var other = Doc(Marketing("something-else"));
        Assert.Equal(DropReason.RuleRemoved, Assert.IsType<Drop>(SendTimeGuard.Check(message, Ann(), false, other, Now)).Reason);
    }

    [Fact]
    public void A_customer_who_left_the_rules_audience_meanwhile_is_not_sent_to()
    {
        var message = Queued("nudge");
        var lapsed = Ann() with { Lifecycle = LifecycleStage.Known };

        var drop = Assert.IsType<Drop>(SendTimeGuard.Check(message, lapsed, false, Rules, Now.AddMinutes(1)));

        Assert.Equal(DropReason.Audience, drop.Reason);
        Assert.Contains("lifecycle", drop.Explanation, StringComparison.Ordinal);
    }

    [Fact]
    public void Quiet_hours_that_began_since_the_decision_hold_it_until_they_end_unless_it_expires_first()
    {
        var message = Queued("nudge");
        var late = new DateTimeOffset(2025, 3, 3, 22, 30, 0, TimeSpan.Zero);

        var hold = Assert.IsType<Hold>(SendTimeGuard.Check(message, Ann() with { Lifecycle = LifecycleStage.Customer }, false, Rules, late));
        Assert.Equal(new DateTimeOffset(2025, 3, 4, 8, 0, 0, TimeSpan.Zero), hold.Until);

        var expiring = message with { ExpiresAt = late.AddHours(1) };
        Assert.Equal(DropReason.Expired, Assert.IsType<Drop>(SendTimeGuard.Check(expiring, Ann() with { Lifecycle = LifecycleStage.Customer }, false, Rules, late)).Reason);
        Assert.Equal(DropReason.Expired, Assert.IsType<Drop>(SendTimeGuard.Check(message with { ExpiresAt = Now }, Ann(), false, Rules, Now.AddMinutes(1))).Reason);
    }

    [Fact]
    public void A_message_that_surfaces_before_its_time_waits_for_it()
    {
        var message = Queued("offer") with { NotBefore = Now.AddDays(9) };

        Assert.Equal(Now.AddDays(9), Assert.IsType<Hold>(SendTimeGuard.Check(message, Ann(), false, Rules, Now.AddDays(7))).Until);
    }

    [Fact]
    public void A_merged_customer_is_sent_to_as_the_survivor()
    {
        var message = Queued("offer");
        var survivor = Ann("c-survivor");

        var verdict = Assert.IsType<SendCommunication>(SendTimeGuard.Check(message, survivor, false, Rules, Now));

        Assert.Equal("c-survivor", verdict.Message.CustomerId.Value);
    }

    [Fact]
    public void A_sales_alert_goes_to_whoever_owns_the_account_now()
    {
        var result = Change(Rules, Ann().OwnedBy("rep-1", openOpportunity: false), causes: "crm.ticket.opened");
        var alert = Assert.Single(result.SalesAlerts);

        var verdict = Assert.IsType<SendSalesAlert>(SendTimeGuard.Check(alert, Ann().OwnedBy("rep-2", openOpportunity: false), false, Rules, Now.AddMinutes(3)));

        Assert.Equal("rep-2", verdict.Alert.Owner);
        Assert.Equal(DropReason.RulePaused, Assert.IsType<Drop>(SendTimeGuard.Check(alert with { RuleId = "offer" }, Ann(), false, Paused, Now)).Reason);
    }
}
