using Touchpoints.Core.Rules;
using static Touchpoints.Core.Tests.Rules.Arbitration.Given;

namespace Touchpoints.Core.Tests.Rules.Arbitration;

/// <summary>Delay and inactivity rules, armed by changes and fired by the timer; conversions of pending goals.</summary>
public class ScheduleTests
{
    private static readonly CompiledRules CartRules = Doc($$"""
        { "id": "cart", "kind": "marketing", "channel": "email", "template": "cart-reminder", "priority": 60,
          "trigger": { "on": "delay", "cause": "{{Added}}", "after": "4h", "unless": ["{{Ordered}}"] },
          "conditions": { "fact": "touchpoints.web.cart.value", "op": "gt", "value": 0 } }
        """);

    private static readonly CompiledRules IdleRules = Doc("""
        { "id": "miss-you", "kind": "marketing", "channel": "email", "template": "miss-you", "priority": 20,
          "trigger": { "on": "inactivity", "after": "30d" } }
        """);

    private static readonly CompiledRules PausedCartRules = Doc($$"""
        { "id": "cart", "kind": "marketing", "channel": "email", "template": "cart-reminder", "priority": 60, "paused": true,
          "trigger": { "on": "delay", "cause": "{{Added}}", "after": "4h", "unless": ["{{Ordered}}"] },
          "conditions": { "fact": "touchpoints.web.cart.value", "op": "gt", "value": 0 } }
        """);

    [Fact]
    public void A_paused_rule_arms_nothing_and_drops_what_it_had_armed_when_due()
    {
        var view = Ann().WithCart(40);
        Assert.Empty(Change(PausedCartRules, view, causes: Added).State.Armed);

        // Armed before the pause: when due, dropped without a decision, not kept to fire after a resume.
        var armed = Change(CartRules, view, causes: Added).State;
        var due = Arbiter.OnSchedule(PausedCartRules, view, armed, Now.AddHours(4));

        Assert.Empty(due.Decisions);
        Assert.Empty(due.State.Armed);
        Assert.Empty(Arbiter.Preview(PausedCartRules, view, armed, Now).Decisions);
    }

    [Fact]
    public void A_delay_cause_arms_the_rule_without_deciding_anything()
    {
        var result = Change(CartRules, Ann().WithCart(40), causes: Added);

        Assert.Empty(result.Decisions);
        var armed = Assert.Single(result.State.Armed);
        Assert.Equal(("cart", Now.AddHours(4), "delay:v7"), (armed.RuleId, armed.DueAt, armed.Occurrence));
        Assert.Equal(Now.AddHours(4), result.NextWakeUp);
    }

    [Fact]
    public void A_delay_counts_from_when_the_customer_acted_not_from_when_the_change_was_processed()
    {
        var view = Ann().WithCart(40);
        var processedLate = Change(CartRules, view, causes: Added, now: Now.AddHours(3));

        Assert.Equal(Now.AddHours(4), Assert.Single(processedLate.State.Armed).DueAt);
    }

    [Fact]
    public void A_cart_reminder_fires_once_when_due()
    {
        var view = Ann().WithCart(40);
        var armed = Change(CartRules, view, causes: Added).State;

        var early = Arbiter.OnSchedule(CartRules, view, armed, Now.AddHours(3));
        var due = Arbiter.OnSchedule(CartRules, view, early.State, Now.AddHours(4));
        var again = Arbiter.OnSchedule(CartRules, view, due.State, Now.AddHours(5));
        var replay = Arbiter.OnSchedule(CartRules, view, armed, Now.AddHours(4).AddMinutes(1));

        Assert.Empty(early.Decisions);
        Assert.Equal(Now.AddHours(4), early.NextWakeUp);
        var decision = Assert.Single(due.Decisions);
        Assert.Equal((DecisionOutcome.Queued, "delay:v7"), (decision.Outcome, decision.Occurrence));
        Assert.Equal("4 hours after web.track.Product Added without web.track.Order Completed", decision.Reasons[0]);
        Assert.Single(due.Communications);
        Assert.Empty(due.State.Armed);
        Assert.Null(due.NextWakeUp);
        Assert.Empty(again.Decisions);
        // The same occurrence decided from the old state is the same decision (the ledger and queue dedupe by id).
        Assert.Equal(decision.Id, Assert.Single(replay.Decisions).Id);
    }

    [Fact]
    public void An_unless_cause_disarms_the_reminder()
    {
        var armed = Change(CartRules, Ann().WithCart(40), causes: Added).State;

        var ordered = Change(CartRules, Ann().WithCart(0) with { Version = 8 }, armed, Now.AddHours(1), Ordered);
        var due = Arbiter.OnSchedule(CartRules, Ann().WithCart(0) with { Version = 8 }, ordered.State, Now.AddHours(4));

        Assert.Empty(ordered.State.Armed);
        Assert.Null(ordered.NextWakeUp);
        Assert.Empty(due.Decisions);
    }

    [Fact]
    public void An_unless_cause_in_the_same_change_as_the_cause_wins()
    {
        var result = Change(CartRules, Ann().WithCart(40), causes: [Added, Ordered]);

        Assert.Empty(result.State.Armed);
    }

    [Fact]
    public void A_due_schedule_whose_condition_stopped_holding_is_dropped_not_fired_later()
    {
        var armed = Change(CartRules, Ann().WithCart(40), causes: Added).State;
        var emptied = Ann().WithCart(0);

        var due = Arbiter.OnSchedule(CartRules, emptied, armed, Now.AddHours(4));
        var refilled = Arbiter.OnSchedule(CartRules, Ann().WithCart(40), due.State, Now.AddHours(6));

        var dropped = Assert.Single(due.Decisions);
        Assert.Equal((DecisionOutcome.Suppressed, SuppressionReason.Audience), (dropped.Outcome, dropped.SuppressedBecause));
        Assert.Equal("no longer holds when due: its conditions do not hold", dropped.Explanation);
        Assert.Equal(1, due.Stat("cart", "notHolding"));
        Assert.Empty(due.Communications);
        Assert.Empty(due.State.Armed);
        Assert.Empty(refilled.Decisions);
    }

    [Fact]
    public void A_new_cause_rearms_the_delay_from_the_latest_change()
    {
        var first = Change(CartRules, Ann().WithCart(40), causes: Added);
        var second = Change(CartRules, Ann().WithCart(80, at: Now.AddHours(2)) with { Version = 8 }, first.State, Now.AddHours(2), Added);

        var armed = Assert.Single(second.State.Armed);
        Assert.Equal((Now.AddHours(6), "delay:v8"), (armed.DueAt, armed.Occurrence));
        Assert.Empty(Arbiter.OnSchedule(CartRules, Ann().WithCart(80), second.State, Now.AddHours(4)).Decisions);
        Assert.Single(Arbiter.OnSchedule(CartRules, Ann().WithCart(80), second.State, Now.AddHours(6)).Communications);
    }

    [Fact]
    public void Replaying_the_arming_change_after_the_reminder_fired_does_not_arm_it_again()
    {
        var view = Ann().WithCart(40);
        var armed = Change(CartRules, view, causes: Added).State;
        var fired = Arbiter.OnSchedule(CartRules, view, armed, Now.AddHours(4)).State;

        var replay = Change(CartRules, view, fired, Now.AddHours(5), Added);

        Assert.Empty(replay.State.Armed);
        Assert.Empty(replay.Decisions);
    }

    [Fact]
    public void Inactivity_arms_at_the_last_interaction_plus_its_duration_and_fires_if_the_customer_stayed_away()
    {
        var lastSeen = Now.AddHours(-1);
        var view = Ann().LastSeen(lastSeen);

        var armed = Change(IdleRules, view);
        var due = Arbiter.OnSchedule(IdleRules, view, armed.State, lastSeen.AddDays(30));

        Assert.Equal(lastSeen.AddDays(30), armed.NextWakeUp);
        Assert.Equal("no interaction for 30 days", Assert.Single(due.Decisions).Reasons[0]);
        Assert.Single(due.Communications);
    }

    [Fact]
    public void Inactivity_rearms_instead_of_firing_when_the_customer_came_back()
    {
        var view = Ann().LastSeen(Now.AddHours(-1));
        var armed = Change(IdleRules, view).State;
        var back = Ann().LastSeen(Now.AddDays(20));

        var due = Arbiter.OnSchedule(IdleRules, back, armed, Now.AddDays(30));

        Assert.Empty(due.Decisions);
        Assert.Equal(Now.AddDays(50), due.NextWakeUp);
    }

    [Fact]
    public void A_schedule_whose_rule_left_the_document_is_dropped()
    {
        var armed = Change(CartRules, Ann().WithCart(40), causes: Added).State;

        var result = Arbiter.OnSchedule(Doc(Marketing("other")), Ann().WithCart(40), armed, Now.AddHours(5));

        Assert.Empty(result.Decisions);
        Assert.Empty(result.State.Armed);
    }

    [Fact]
    public void A_goal_converts_treated_and_held_out_pending_goals_once_within_their_window()
    {
        var rules = Doc($$"""
            {{Marketing("treated", extra: $", \"goal\": \"{Ordered}\", \"attributionWindow\": \"7d\"")}},
            {{Marketing("held", channel: "push", extra: $", \"goal\": \"{Ordered}\", \"holdout\": 100")}},
            {{Marketing("other-goal", channel: "mail", extra: ", \"goal\": \"crm.invoice.paid\"")}}
            """);
        var decided = Change(rules, Ann());

        var converted = Change(rules, Ann() with { Version = 8 }, decided.State, Now.AddDays(2), Ordered);
        var again = Change(rules, Ann() with { Version = 9 }, converted.State, Now.AddDays(3), Ordered);

        Assert.Equal(3, decided.State.Pending.Length);
        Assert.Equal(1, converted.Stat("treated", "converted.treated"));
        Assert.Equal(1, converted.Stat("held", "converted.holdout"));
        Assert.Equal(0, converted.Stat("other-goal", "converted.treated"));
        Assert.Equal("other-goal", Assert.Single(converted.State.Pending).RuleId);
        Assert.Empty(again.Stats.Where(s => s.Counter.StartsWith("converted", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_goal_after_the_attribution_window_converts_nothing()
    {
        var rules = Doc(Marketing("treated", extra: $", \"goal\": \"{Ordered}\", \"attributionWindow\": \"2d\""));
        var decided = Change(rules, Ann());

        var late = Change(rules, Ann() with { Version = 8 }, decided.State, Now.AddDays(3), Ordered);

        Assert.Equal(0, late.Stat("treated", "converted.treated"));
        Assert.Empty(late.State.Pending);
    }
}

/// <summary>What schedules cost: wake-ups written only when the timer must look sooner, inactivity armed only within the audience.</summary>
public class WakeUpCostTests
{
    private static readonly CompiledRules CustomersOnly = Doc("""
        { "id": "win-back", "kind": "marketing", "channel": "email", "template": "win-back", "priority": 20,
          "audience": { "lifecycle": ["customer"] }, "trigger": { "on": "inactivity", "after": "30d" } }
        """);

    [Fact]
    public void An_inactivity_rule_is_not_armed_for_a_customer_outside_its_audience_and_is_disarmed_when_one_leaves_it()
    {
        var visitor = Change(CustomersOnly, Ann() with { Lifecycle = Touchpoints.Core.Views.LifecycleStage.Anonymous }, causes: "web.page");
        var customer = Change(CustomersOnly, Ann() with { Lifecycle = Touchpoints.Core.Views.LifecycleStage.Customer }, causes: "web.page");
        var churned = Change(CustomersOnly, Ann() with { Lifecycle = Touchpoints.Core.Views.LifecycleStage.Churned, Version = 8 }, customer.State,
            causes: "web.page");

        Assert.Empty(visitor.State.Armed);
        Assert.Null(visitor.NextWakeUp);
        Assert.Equal("win-back", Assert.Single(customer.State.Armed).RuleId);
        Assert.Empty(churned.State.Armed);
    }

    [Fact]
    public void A_wake_up_is_written_only_when_the_timer_must_look_sooner_than_the_one_written()
    {
        var none = RuleState.Empty(new Touchpoints.Core.Identity.CustomerId("c-1"));
        var written = none with { WakeUpWritten = Now.AddDays(30) };

        Assert.Equal(Now.AddDays(30), none.WakeUpToWrite(Now.AddDays(30), Now));
        Assert.Null(none.WakeUpToWrite(null, Now));
        // Moved later (another interaction): the timer meets the written one first, finds nothing due and writes the next.
        Assert.Null(written.WakeUpToWrite(Now.AddDays(31), Now));
        Assert.Null(written.WakeUpToWrite(Now.AddDays(30), Now));
        // Sooner: a new one.
        Assert.Equal(Now.AddHours(4), written.WakeUpToWrite(Now.AddHours(4), Now));
        // The written one is reached (the timer is evaluating it, or about to): the next must be written.
        Assert.Equal(Now.AddDays(61), written.WakeUpToWrite(Now.AddDays(61), Now.AddDays(30)));
        // Still due at the time written, past it: the timer has not come by yet (it would have consumed the schedule).
        Assert.Null(written.WakeUpToWrite(Now.AddDays(30), Now.AddDays(30).AddMinutes(1)));
    }
}
