using Touchpoints.Core.Identity;
using Touchpoints.Core.Tests.Support;
using System.Collections.Immutable;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Touchpoints.Core.Events;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Views;
using static Touchpoints.Core.Tests.Rules.Arbitration.Given;

namespace Touchpoints.Core.Tests.Rules.Arbitration;

/// <summary>
/// A profile that may yet be merged away waits before it is messaged (the settle window), and a merged-away profile's rule
/// state is absorbed by its survivor, so that schedules, goals and caps follow the customer.
/// </summary>
public class SettleAndMergeTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromMinutes(1);

    private static readonly CompiledRules Rules = Doc($$"""
        {{Marketing("thanks", "email", 80, Ordered)}},
        {{Alert("big-buyer", 90, Ordered)}},
        { "id": "cart", "kind": "marketing", "channel": "email", "template": "cart-reminder", "priority": 60,
          "trigger": { "on": "delay", "cause": "{{Added}}", "after": "4h", "unless": ["{{Ordered}}"] },
          "conditions": { "fact": "touchpoints.web.cart.value", "op": "gt", "value": 0 } }
        """);

    private static RuleState New(CustomerView view, DateTimeOffset since) => Fresh(view) with { Since = since };

    [Fact]
    public void A_change_on_a_profile_still_settling_arms_its_rules_until_the_window_ends_and_decides_nothing()
    {
        var result = Arbiter.OnChange(Rules, Ann(), New(Ann(), Now), [Ordered], Now.AddSeconds(5), Settle);

        Assert.Empty(result.Decisions);
        Assert.Empty(result.Communications);
        Assert.Empty(result.SalesAlerts);
        Assert.Equal(["big-buyer", "thanks"], result.State.Armed.Select(a => a.RuleId).Order(StringComparer.Ordinal));
        Assert.All(result.State.Armed, a =>
        {
            Assert.Equal(Now + Settle, a.DueAt);
            Assert.Equal("settle:v7", a.Occurrence);
            Assert.Contains("on " + Ordered, a.Reasons);
        });
        Assert.Equal(Now + Settle, result.NextWakeUp);
        Assert.Equal(1, result.Stat("thanks", "evaluated"));
    }

    [Fact]
    public void A_settled_profile_or_one_whose_age_is_unknown_decides_at_once()
    {
        var settled = Arbiter.OnChange(Rules, Ann(), New(Ann(), Now), [Ordered], Now + Settle, Settle);
        var unknown = Arbiter.OnChange(Rules, Ann(), Fresh(Ann()), [Ordered], Now, Settle);
        var noWindow = Arbiter.OnChange(Rules, Ann(), New(Ann(), Now), [Ordered], Now, TimeSpan.Zero);

        foreach (var result in new[] { settled, unknown, noWindow })
        {
            Assert.Equal(DecisionOutcome.Queued, result.Only("thanks").Outcome);
            Assert.Empty(result.State.Armed);
        }
    }

    [Fact]
    public void When_it_has_settled_the_timer_decides_it_once_against_the_customer_as_he_is_then()
    {
        var armed = Arbiter.OnChange(Rules, Ann(), New(Ann(), Now), [Ordered], Now, Settle).State;
        // Meanwhile his profile was merged with one whose email consent is denied.
        var merged = Ann().WithConsent(ConsentChannel.Email, ConsentStatus.Denied) with { Version = 9 };

        var early = Arbiter.OnSchedule(Rules, merged, armed, Now.AddSeconds(30));
        var due = Arbiter.OnSchedule(Rules, merged, early.State, Now + Settle);
        var again = Arbiter.OnSchedule(Rules, merged, due.State, Now + Settle + TimeSpan.FromMinutes(1));

        Assert.Empty(early.Decisions);
        var thanks = due.Only("thanks");
        Assert.Equal((DecisionOutcome.Suppressed, SuppressionReason.Consent), (thanks.Outcome, thanks.SuppressedBecause));
        Assert.Equal("settle:v7", thanks.Occurrence);
        Assert.Contains("on " + Ordered, thanks.Reasons);
        Assert.Equal(DecisionOutcome.Queued, due.Only("big-buyer").Outcome);
        Assert.Single(due.SalesAlerts);
        Assert.Empty(due.State.Armed);
        Assert.Empty(again.Decisions);
    }

    [Fact]
    public void A_rule_triggered_again_while_settling_is_decided_once()
    {
        var first = Arbiter.OnChange(Rules, Ann(), New(Ann(), Now), [Ordered], Now, Settle);
        var second = Arbiter.OnChange(Rules, Ann() with { Version = 8 }, first.State, [Ordered], Now.AddSeconds(20), Settle);
        var due = Arbiter.OnSchedule(Rules, Ann() with { Version = 8 }, second.State, Now + Settle);

        Assert.Single(second.State.Armed, a => a.RuleId == "thanks");
        Assert.Single(due.Decisions, d => d.RuleId == "thanks");
    }

    [Fact]
    public void A_survivor_absorbs_the_losers_schedules_goals_and_sent_records_so_caps_and_cooldowns_count_the_customer()
    {
        var loser = Arbiter.OnChange(Rules, Ann("c-loser").WithCart(40), Fresh(Ann("c-loser")), [Added], Now).State
            .WithSent(Sent("thanks", Now.AddMinutes(-5)));
        var survivor = Fresh(Ann("c-survivor")).WithSent(Sent("other", Now.AddHours(-1)));

        var absorbed = survivor.Absorb(new CustomerId("c-loser"), loser);

        Assert.Equal("cart", Assert.Single(absorbed.Armed).RuleId);
        Assert.Equal(2, absorbed.Sent.Length);
        Assert.Equal(["c-loser"], absorbed.Absorbed.Values());
        Assert.Equal(Now.AddHours(4), absorbed.WakeUpAt);
        // The survivor's cart reminder fires from the loser's cart, against the survivor's view.
        var due = Arbiter.OnSchedule(Rules, Ann("c-survivor").WithCart(40), absorbed, Now.AddHours(4));
        Assert.Equal("c-survivor", Assert.Single(due.Communications).CustomerId);
    }

    [Fact]
    public void Absorbing_is_idempotent_and_independent_of_the_order_of_the_losers_and_loses_nothing()
    {
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300), Prop.ForAll(States.ToArbitrary(), States.ToArbitrary(), States.ToArbitrary(), (s, a, b) =>
        {
            var once = s.Absorb(new CustomerId("c-a"), a);
            Assert.Equal(Show(once), Show(once.Absorb(new CustomerId("c-a"), a)));
            var ab = once.Absorb(new CustomerId("c-b"), b);
            var ba = s.Absorb(new CustomerId("c-b"), b).Absorb(new CustomerId("c-a"), a);
            Assert.Equal(Show(ab), Show(ba));

            var all = new[] { s, a, b };
            Assert.Equal(all.SelectMany(x => x.Sent).Select(x => x.DecisionId).ToHashSet(), ab.Sent.Select(x => x.DecisionId).ToHashSet());
            foreach (var rule in all.SelectMany(x => x.Armed).GroupBy(x => x.RuleId))
                Assert.Equal(rule.Min(x => x.DueAt), Assert.Single(ab.Armed, x => x.RuleId == rule.Key).DueAt);
            foreach (var goal in all.SelectMany(x => x.Pending).GroupBy(x => (x.RuleId, x.Treated)))
                Assert.Equal(goal.Max(x => x.Until), Assert.Single(ab.Pending, x => (x.RuleId, x.Treated) == goal.Key).Until);
            Assert.Equal(all.SelectMany(x => x.Decided).ToHashSet(), ab.Decided.ToHashSet());
        }));
    }

    private static readonly string[] RuleIds = ["a", "b", "c"];

    private static readonly Gen<RuleState> States =
        from sent in Gen.ArrayOf(from rule in Gen.Elements(RuleIds) from minutes in Gen.Choose(-600, 0) from n in Gen.Choose(0, 30)
                                 select new SentRecord($"d-{rule}{n}", rule, RuleKind.Marketing, Channel.Email, null, rule, Now.AddMinutes(minutes)))
        from armed in Gen.ArrayOf(from rule in Gen.Elements(RuleIds) from minutes in Gen.Choose(0, 600) from n in Gen.Choose(0, 3)
                                  select new ArmedSchedule(rule, Now.AddMinutes(minutes), $"delay:v{n}"))
        from pending in Gen.ArrayOf(from rule in Gen.Elements(RuleIds) from treated in Gen.Elements(true, false) from days in Gen.Choose(1, 9)
                                    select new PendingGoal($"d-{rule}{days}", rule, Ordered, treated, Now.AddDays(days)))
        from since in Gen.Elements<DateTimeOffset?>(null, Now, Now.AddDays(-3))
        select new RuleState
        {
            CustomerId = new CustomerId("c-any"),
            Sent = [.. sent.DistinctBy(x => x.DecisionId)],
            Armed = [.. armed.DistinctBy(x => x.RuleId)],
            Pending = [.. pending.DistinctBy(x => (x.RuleId, x.Treated))],
            Decided = [.. sent.Select(x => x.DecisionId).Distinct()],
            Since = since,
        };

    private static string Show(RuleState state) => JsonSerializer.Serialize(state with
    {
        // Decided keeps arrival order (the newest are kept); compared here as a set.
        Decided = [.. state.Decided.Order(StringComparer.Ordinal)],
    }, Json);
}
