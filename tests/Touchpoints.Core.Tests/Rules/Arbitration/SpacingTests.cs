using Touchpoints.Core.Rules;
using static Touchpoints.Core.Tests.Rules.Arbitration.Given;

namespace Touchpoints.Core.Tests.Rules.Arbitration;

/// <summary>A customer's marketing budget across rules: one message per slot, by priority; transactional messages exempt.</summary>
public sealed class SpacingTests
{
    private const string Refund = "crm.billing.refunded";
    private const string TwelveHours = """{ "any": "12h", "channels": { "email": "24h" }, "exempt": ["transactional"] }""";

    /// <summary>The burst of the issue: a thank-you, a VIP offer, a catalogue and a refund apology within 40 ms.</summary>
    private static readonly CompiledRules Burst = Doc(string.Join(",",
        Marketing("thank-you", "email", 90, Ordered, """, "category": "transactional", "expiry": "1d" """),
        Marketing("vip-offer", "email", 70, Ordered, """, "category": "promotion", "expiry": "3d" """),
        Marketing("apology", "email", 60, Ordered, """, "category": "service", "expiry": "2h" """),
        Marketing("catalogue", "mail", 40, Ordered, """, "category": "promotion", "expiry": "7d" """)),
        spacing: TwelveHours, ownership: """{ "suppressCategories": [], "alertOwner": false }""");

    [Fact]
    public void A_burst_of_marketing_decisions_sends_one_now_and_spaces_or_drops_the_others_never_two_together()
    {
        var result = Change(Burst, Ann(), causes: Ordered);

        // The order confirmation is exempt: it goes at once and takes no slot.
        Assert.Equal(DecisionOutcome.Queued, result.Only("thank-you").Outcome);
        // The best marketing decision goes now.
        Assert.Equal(DecisionOutcome.Queued, result.Only("vip-offer").Outcome);
        // The apology's next free e-mail slot (24 h) is past its 2 h expiry: dropped, with why.
        var apology = result.Only("apology");
        Assert.Equal((DecisionOutcome.Suppressed, SuppressionReason.Spacing), (apology.Outcome, apology.SuppressedBecause));
        Assert.Contains("vip-offer", apology.Explanation, StringComparison.Ordinal);
        // The catalogue waits 12 hours (any channel) for its slot.
        var catalogue = result.Only("catalogue");
        Assert.Equal(DecisionOutcome.Deferred, catalogue.Outcome);
        Assert.Equal(Now.AddHours(12), catalogue.NotBefore);
        Assert.StartsWith("spaced: ", catalogue.Explanation, StringComparison.Ordinal);

        var marketing = result.Communications.Where(c => c.RuleId != "thank-you").Select(c => c.NotBefore).Order().ToArray();
        Assert.All(marketing.Zip(marketing.Skip(1)), pair => Assert.True(pair.Second - pair.First >= TimeSpan.FromHours(12)));
    }

    [Fact]
    public void A_message_sent_by_an_earlier_evaluation_spaces_the_next_one_from_it()
    {
        var rules = Doc(Marketing("nudge", "push", 30, Viewed, """, "expiry": "2d" """), spacing: TwelveHours);
        var state = Fresh(Ann()).WithSent(Sent("vip-offer", Now.AddHours(-3), Channel.Email, "promotion"));

        var nudge = Change(rules, Ann(), state, causes: Viewed).Only("nudge");

        Assert.Equal((DecisionOutcome.Deferred, Now.AddHours(9)), (nudge.Outcome, nudge.NotBefore));
    }

    [Fact]
    public void A_channels_own_gap_applies_to_that_channel_only()
    {
        var rules = Doc(Marketing("mail-news", "email", 30, Viewed, """, "expiry": "3d" """) + "," + Marketing("nudge", "push", 20, Viewed, """, "expiry": "3d" """),
            spacing: """{ "any": "4h", "channels": { "email": "24h" } }""");
        var state = Fresh(Ann()).WithSent(Sent("earlier", Now.AddHours(-5), Channel.Email));

        var result = Change(rules, Ann(), state, causes: Viewed);

        Assert.Equal(Now.AddHours(19), result.Only("mail-news").NotBefore);
        // Push needs 4 h from any marketing: the e-mail of 5 h ago is far enough; the e-mail deferred to +19 h is too.
        Assert.Equal((DecisionOutcome.Queued, Now), (result.Only("nudge").Outcome, result.Only("nudge").NotBefore));
    }

    [Fact]
    public void A_slot_that_falls_in_quiet_hours_waits_for_them_to_end()
    {
        var rules = Doc(Marketing("nudge", "push", 30, Viewed, """, "expiry": "2d" """), spacing: """{ "any": "12h" }""",
            quiet: """{ "start": "21:00", "end": "08:00", "channels": ["push"] }""");
        var state = Fresh(Ann()).WithSent(Sent("vip-offer", Now, Channel.Email));

        // Now is 09:00 in London: the slot is 21:00, quiet until 08:00 the next day.
        var nudge = Change(rules, Ann(), state, causes: Viewed).Only("nudge");

        Assert.Equal(new DateTimeOffset(2025, 3, 4, 8, 0, 0, TimeSpan.Zero), nudge.NotBefore);
    }

    [Fact]
    public void Without_spacing_the_burst_goes_out_together_as_before()
    {
        var unspaced = Doc(string.Join(",",
            Marketing("vip-offer", "email", 70, Ordered, """, "expiry": "3d" """),
            Marketing("catalogue", "mail", 40, Ordered, """, "expiry": "7d" """)));

        var result = Change(unspaced, Ann(), causes: Ordered);

        Assert.All(result.Decisions, d => Assert.Equal(DecisionOutcome.Queued, d.Outcome));
    }
}
