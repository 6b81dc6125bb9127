using Touchpoints.Core.Identity;
using Touchpoints.Core.Rules;
using static Touchpoints.Core.Tests.Rules.Arbitration.Given;

namespace Touchpoints.Core.Tests.Rules.Arbitration;

/// <summary>
/// One customer's customer-changes messages can arrive in any order (Azure spreads a custom handler's outputs over the
/// hub's partitions) and any number of times. Which were evaluated is an exact set, not a watermark.
/// </summary>
public class ChangeOrderTests
{
    private static readonly CompiledRules Rules = Doc($"{Marketing("browse", cause: Viewed)}, {Marketing("cart", cause: Added)}");

    [Fact]
    public void An_older_change_evaluated_after_a_newer_one_still_brings_its_causes()
    {
        var view = Ann() with { Version = 5 };
        var newer = Arbiter.OnChanges(Rules, view, Fresh(view), [new(5, [Viewed])], Now)!;
        var older = Arbiter.OnChanges(Rules, view, newer.State, [new(4, [Added])], Now.AddMinutes(1));

        Assert.NotNull(older);
        Assert.Contains(older.Decisions, d => d.RuleId == "cart");
        Assert.Equal(5, older.State.LastVersion);
    }

    [Fact]
    public void A_replayed_change_decides_nothing_whatever_arrived_in_between()
    {
        var view = Ann() with { Version = 5 };
        var first = Arbiter.OnChanges(Rules, view, Fresh(view), [new(4, [Added])], Now)!;
        var newer = Arbiter.OnChanges(Rules, view, first.State, [new(5, [Viewed])], Now)!;

        Assert.Null(Arbiter.OnChanges(Rules, view, newer.State, [new(4, [Added])], Now.AddMinutes(2)));
        Assert.Null(Arbiter.OnChanges(Rules, view, newer.State, [new(5, [Viewed]), new(4, [Added])], Now.AddMinutes(2)));
    }

    [Fact]
    public void A_batch_holding_a_replay_and_a_new_change_evaluates_only_the_new_changes_causes()
    {
        var view = Ann() with { Version = 5 };
        var first = Arbiter.OnChanges(Rules, view, Fresh(view), [new(4, [Added])], Now)!;

        var both = Arbiter.OnChanges(Rules, view, first.State, [new(4, [Added]), new(5, [Viewed])], Now.AddHours(1))!;

        Assert.DoesNotContain(both.Decisions, d => d.RuleId == "cart");
        Assert.Contains(both.Decisions, d => d.RuleId == "browse");
    }

    [Fact]
    public void The_evaluated_set_stays_bounded_and_compacts_into_its_floor()
    {
        var state = RuleState.Empty(new CustomerId("c-ann"));
        state = state.WithEvaluated([1, 2, 3, 5]);
        Assert.Equal(3, state.EvaluatedThrough);
        Assert.Equal([5L], state.Evaluated.ToArray());
        Assert.False(state.HasEvaluated(4));
        Assert.True(state.HasEvaluated(2));

        state = state.WithEvaluated(Enumerable.Range(0, 200).Select(i => 10L + (2 * i)));
        Assert.InRange(state.Evaluated.Length, 1, RuleState.EvaluatedLimit);
        Assert.True(state.HasEvaluated(10));
        Assert.False(state.HasEvaluated(409));
        Assert.Equal(408, state.LastVersion);
    }

    [Fact]
    public void A_state_written_before_exact_tracking_counts_its_watermark_as_evaluated()
    {
        var legacy = RuleState.Empty(new CustomerId("c-ann")) with { LastVersion = 7 };
        Assert.True(legacy.HasEvaluated(7));
        Assert.False(legacy.HasEvaluated(8));
        var next = legacy.WithEvaluated([9]);
        Assert.True(next.HasEvaluated(6));
        Assert.False(next.HasEvaluated(8));
    }
}
