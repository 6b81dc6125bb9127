using FsCheck;
using FsCheck.Fluent;
using Touchpoints.Core.Events;
using Touchpoints.Core.History;
using Touchpoints.Core.Ingestion;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Tests.Support;
using Touchpoints.Core.Views;
using static Touchpoints.Core.Tests.Support.Build;

namespace Touchpoints.Core.Tests.Rules;

public sealed class AgeingTests
{
    private static readonly CompiledRules Rules = DefaultRules.Compiled;
    private static readonly DateTimeOffset Written = T0.AddMinutes(10);

    /// <summary>A buyer who looked at pricing, started checkout and spent 900: high-value as ingestion wrote it at <see cref="Written"/>.</summary>
    private static CustomerView HighValue()
    {
        var view = CustomerProjection.Derive(ApplyAll([
            Page("p1", T0, "/pricing"), Page("p2", T0.AddMinutes(1), "/pricing"), Page("p3", T0.AddMinutes(2), "/pricing"),
            Track("a1", T0.AddMinutes(3), "Product Added", SpecEvent.ProductAdded, new Commerce { Price = 420m, Quantity = 1 }),
            Track("c1", T0.AddMinutes(4), "Checkout Started", SpecEvent.CheckoutStarted),
            Crm("o1", T0.AddMinutes(5), CrmEventType.OrderPlaced, "stripe") with { ObjectId = "o1", Amount = 900m, Currency = "GBP" },
            Crm("k1", T0.AddMinutes(6), CrmEventType.ContactUpdated) with { Traits = new Traits { Title = "Purchasing Manager", Company = "Peak Club" } },
        ]));
        return Segmentation.Derive(view, Rules, Written).View with { Version = 1 };
    }

    private static int ValueAt(CustomerView view, DateTimeOffset at) => Scoring.Compute(view, Rules.Document.Scores, at).Value;

    [Fact]
    public void A_quiet_high_value_customer_is_due_to_leave_high_value_within_a_quarter_hour_of_its_value_falling_below_60()
    {
        var view = HighValue();
        Assert.Contains("high-value", view.Segments);

        var due = Ageing.NextChange(view, Rules, Written);

        Assert.NotNull(due);
        Assert.True(ValueAt(view, due.Value) < 60, $"value {ValueAt(view, due.Value)} at {due}");
        Assert.True(ValueAt(view, due.Value - Ageing.Resolution) >= 60, $"value {ValueAt(view, due.Value - Ageing.Resolution)} a quarter hour before {due}");
        Assert.DoesNotContain("high-value", Ageing.SegmentsAt(view, Rules, due.Value));
        // Intent, engagement and money decay with a 30-day half-life; fit (a purchasing manager at a known company) does not.
        Assert.InRange(due.Value - Written, TimeSpan.FromDays(1), TimeSpan.FromDays(60));
    }

    [Fact]
    public void A_customer_whose_segments_do_not_depend_on_time_has_no_ageing_wake_up()
    {
        var view = Segmentation.Derive(CustomerProjection.Derive(ApplyAll([Social("s1", T0, SocialEventType.Follow, followers: 12_000)])), Rules, Written).View;
        Assert.Equal<string>(["influential"], view.Segments);

        Assert.Null(Ageing.NextChange(view, Rules, Written));
    }

    [Fact]
    public void A_view_whose_segments_are_stale_already_is_due_at_once()
    {
        var view = HighValue() with { Segments = [] };

        Assert.Equal(Written, Ageing.NextChange(view, Rules, Written));
    }

    [Fact]
    public void The_moment_found_is_the_first_probe_interval_whose_segments_differ_halved_to_the_resolution() =>
        Check.One(Gens.Config, Prop.ForAll(RuleGens.View.ToArbitrary(), Arb.From(Gen.Choose(0, 60 * 24 * 30)), (generated, minutes) =>
        {
            var now = T0.AddMinutes(minutes);
            var view = Segmentation.Derive(generated, Rules, now).View;
            var due = Ageing.NextChange(view, Rules, now);
            bool Same(DateTimeOffset at) => Ageing.SegmentsAt(view, Rules, at).SequenceEqual(view.Segments, StringComparer.Ordinal);
            if (due is not { } at)
            {
                Assert.All(Ageing.Probes, p => Assert.True(Same(now + p), $"differs at +{p} but nothing is due"));
                return;
            }
            Assert.True(at > now && at <= now + Ageing.Horizon);
            Assert.False(Same(at));
            Assert.All(Ageing.Probes.Where(p => now + p < at - Ageing.Resolution), p => Assert.True(Same(now + p), $"differs at +{p}, before {at}"));
        }));

    [Fact]
    public void A_change_evaluation_arms_the_ageing_wake_up_and_the_timer_asks_for_a_rescore_only_once_it_is_due()
    {
        var view = HighValue();
        var due = Ageing.NextChange(view, Rules, Written)!.Value;

        var changed = Arbiter.OnChange(Rules, view, RuleState.Empty(view.Id), ["web.page"], Written);
        var ageing = Assert.Single(changed.State.Armed, a => a.RuleId == Ageing.ScheduleId);
        Assert.Equal(due, ageing.DueAt);
        Assert.True(changed.NextWakeUp <= due);
        Assert.False(changed.Rescore);

        var early = Arbiter.OnSchedule(Rules, view, changed.State, due - TimeSpan.FromMinutes(1));
        Assert.False(early.Rescore);
        Assert.Equal(due, Assert.Single(early.State.Armed, a => a.RuleId == Ageing.ScheduleId).DueAt);

        var onTime = Arbiter.OnSchedule(Rules, view, changed.State, due);
        Assert.True(onTime.Rescore);
        Assert.Empty(onTime.Decisions);
        // Until the rescore's own change evaluation arms the next moment, the customer is looked at again after a while.
        Assert.Equal(due + Ageing.Retry, Assert.Single(onTime.State.Armed, a => a.RuleId == Ageing.ScheduleId).DueAt);
    }

    [Fact]
    public void A_rescore_writes_the_aged_segments_with_their_causes_and_records_in_history_only_that_it_happened()
    {
        // That history replays to the same view is ReplayProperties' property, which rescores at random moments.
        var view = HighValue() with { History = new HistoryPointer(0, 0) };
        var due = Ageing.NextChange(view, Rules, Written)!.Value;

        var slice = CustomerSlice.Rescoring(view.Id, view.CreatedAt);
        var update = IngestionBatch.Apply(view, slice, due, Rules);

        Assert.True(update.Changed);
        Assert.Equal(2, update.View.Version);
        Assert.DoesNotContain("high-value", update.View.Segments);
        Assert.Equal([Ageing.Cause, "segment.left:high-value"], update.Causes);
        var chunk = HistoryChunk.Of(view, slice, update.View.Version, due);
        Assert.True(chunk.Rescored);
        Assert.Empty(chunk.Events);
        Assert.Contains("\"rescored\":true", System.Text.Encoding.UTF8.GetString(HistoryFormat.Write(chunk)), StringComparison.Ordinal);
        Assert.DoesNotContain("rescored", System.Text.Encoding.UTF8.GetString(HistoryFormat.Write(chunk with { Rescored = null })), StringComparison.Ordinal);
    }
}
