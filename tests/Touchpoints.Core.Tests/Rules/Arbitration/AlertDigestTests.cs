using Touchpoints.Core.Rules;
using static Touchpoints.Core.Tests.Rules.Arbitration.Given;

namespace Touchpoints.Core.Tests.Rules.Arbitration;

/// <summary>One alert per owner: alerts of one evaluation go out as one message listing every reason.</summary>
public sealed class AlertDigestTests
{
    private const string Ticket = "crm.ticket.opened";

    private static readonly CompiledRules ThreeAlerts = Doc(string.Join(",",
        Alert("detractor", 90, Ticket, """, "nextStep": "Call today", "dueIn": "4h" """),
        Alert("churn-risk", 70, Ticket, """, "dueIn": "1d" """),
        Alert("upsell", 50, Ticket, """, "nextStep": "Offer the bundle", "dueIn": "2d" """)));

    [Fact]
    public void Three_rules_alerting_one_owner_at_once_yield_one_alert_listing_every_reason()
    {
        var result = Change(ThreeAlerts, Ann().OwnedBy("rep-7", openOpportunity: false), causes: Ticket);

        var alert = Assert.Single(result.SalesAlerts);
        Assert.Equal(("detractor", "rep-7"), (alert.RuleId, alert.Owner));
        Assert.Equal(["churn-risk", "upsell"], alert.Digest!.Select(d => d.RuleId));
        Assert.Contains(alert.Reasons, r => r.StartsWith("upsell: ", StringComparison.Ordinal));
        Assert.Contains(alert.Reasons, r => r.StartsWith("detractor: ", StringComparison.Ordinal));
        // Due when the most urgent of them is due.
        Assert.Equal(Now.AddHours(4), alert.Due);
        // Every rule's decision is in the ledger; the folded ones say where they went.
        Assert.Null(result.Only("detractor").DigestedInto);
        Assert.Equal(alert.Id, result.Only("churn-risk").DigestedInto);
        Assert.Equal(alert.Id, result.Only("upsell").DigestedInto);
        Assert.All(result.Decisions, d => Assert.Equal(DecisionOutcome.Queued, d.Outcome));
    }

    [Fact]
    public void A_single_alert_is_sent_as_it_is()
    {
        var result = Change(Doc(Alert("detractor", 90, Ticket)), Ann(), causes: Ticket);

        var alert = Assert.Single(result.SalesAlerts);
        Assert.Null(alert.Digest);
        Assert.DoesNotContain(alert.Reasons, r => r.StartsWith("detractor: ", StringComparison.Ordinal));
    }

    [Fact]
    public void An_alert_raised_within_the_window_of_an_open_one_updates_it_instead_of_opening_another()
    {
        var rules = Doc(Alert("churn-risk", 70, Ticket), ownership: """{ "suppressCategories": [], "alertOwner": true, "digestWindow": "1h" }""");
        var earlier = Fresh(Ann()) with
        {
            Sent = [new SentRecord("d-open", "detractor", RuleKind.SalesAlert, null, null, "call", Now.AddMinutes(-20))],
        };

        var update = Assert.Single(Change(rules, Ann(), earlier, causes: Ticket).SalesAlerts).Updates;

        Assert.NotNull(update);
        Assert.Equal(("d-open", Now.AddMinutes(-20)), (update.Id, update.OpenedAt));
        Assert.Equal(["detractor"], update.EarlierRules);

        // Past the window, an alert opens a task of its own.
        Assert.Null(Assert.Single(Change(rules, Ann(), earlier, now: Now.AddHours(2), causes: Ticket).SalesAlerts).Updates);
        // A shorter window: the alert of 20 minutes ago is closed already.
        var short_ = Doc(Alert("churn-risk", 70, Ticket), ownership: """{ "suppressCategories": [], "alertOwner": true, "digestWindow": "15m" }""");
        Assert.Null(Assert.Single(Change(short_, Ann(), earlier, causes: Ticket).SalesAlerts).Updates);
    }
}
