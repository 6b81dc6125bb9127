using Touchpoints.Core.Identity;
using System.Collections.Immutable;
using Touchpoints.Core.Events;
using Touchpoints.Core.Ingestion;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Views;
using static Touchpoints.Core.Tests.Support.Build;

namespace Touchpoints.Core.Tests.Rules;

public class SegmentationTests
{
    private static readonly CompiledRules Rules = DefaultRules.Compiled;
    private static readonly DateTimeOffset Now = T0.AddHours(1);

    /// <summary>The view after a batch, as ingestion derives it with the default rules.</summary>
    private static CustomerView Derived(params IngestedEvent[] events) =>
        Segmentation.Derive(CustomerProjection.Derive(ApplyAll(events)), Rules, Now).View;

    private static CrmEvent Order(string id, decimal amount, int minute = 0) =>
        Crm(id, T0.AddMinutes(minute), CrmEventType.OrderPlaced, "stripe") with { ObjectId = id, Amount = amount, Currency = "GBP" };

    private static CrmEvent Refund(string id, decimal amount, decimal cost, int minute = 1) =>
        Crm(id, T0.AddMinutes(minute), CrmEventType.RefundIssued, "stripe") with { Amount = amount, Currency = "GBP", Cost = cost };

    [Fact]
    public void Influential_means_ten_thousand_followers_or_five_shares()
    {
        Assert.Contains("influential", Derived(Social("s1", T0, SocialEventType.Follow, followers: 12_000)).Segments);
        Assert.Contains("influential", Derived([.. Enumerable.Range(0, 5).Select(i => Social($"s{i}", T0.AddMinutes(i), SocialEventType.Share))]).Segments);
        Assert.DoesNotContain("influential", Derived([.. Enumerable.Range(0, 4).Select(i => Social($"s{i}", T0.AddMinutes(i), SocialEventType.Share, followers: 9_999))]).Segments);
    }

    [Fact]
    public void An_advocate_left_a_positive_review_or_shares_with_a_positive_tone()
    {
        Assert.Contains("advocate", Derived(Social("r1", T0, SocialEventType.Review, rating: 5)).Segments);
        Assert.Contains("advocate", Derived(
            Social("s1", T0, SocialEventType.Share, sentiment: 0.75), Social("s2", T0.AddMinutes(1), SocialEventType.Share, sentiment: 0.25)).Segments);
        Assert.DoesNotContain("advocate", Derived(
            Social("s1", T0, SocialEventType.Share, sentiment: -0.5), Social("s2", T0.AddMinutes(1), SocialEventType.Share, sentiment: 0.75)).Segments);
        Assert.DoesNotContain("advocate", Derived(Social("r1", T0, SocialEventType.Review, rating: 2)).Segments);
    }

    [Fact]
    public void Profitable_and_costly_follow_revenue_refunds_and_cost_to_serve()
    {
        var profitable = Derived(Order("o1", 250m));
        var costly = Derived(Order("o1", 50m), Refund("r1", 40m, 20m));
        var even = Derived(Order("o1", 50m));

        Assert.Contains("profitable", profitable.Segments);
        Assert.Equal(-10m, costly.Scores!.Profitability);
        Assert.Contains("costly", costly.Segments);
        Assert.DoesNotContain("costly", even.Segments);
        Assert.DoesNotContain("profitable", even.Segments);
    }

    [Fact]
    public void High_value_reads_the_value_score_computed_just_before()
    {
        var view = CustomerProjection.Derive(ApplyAll([
            Page("p1", T0, "/pricing"), Page("p2", T0.AddMinutes(1), "/pricing"), Page("p3", T0.AddMinutes(2), "/pricing"),
            Track("a1", T0.AddMinutes(3), "Product Added", SpecEvent.ProductAdded, new Commerce { Price = 420m, Quantity = 1 }),
            Track("c1", T0.AddMinutes(4), "Checkout Started", SpecEvent.CheckoutStarted),
            Order("o1", 900m, 5),
            Crm("k1", T0.AddMinutes(6), CrmEventType.ContactUpdated) with { Traits = new Traits { Title = "Purchasing Manager", Company = "Peak Club" } },
        ]));
        Assert.Null(view.Scores);

        var change = Segmentation.Derive(view, Rules, T0.AddMinutes(10));

        Assert.True(change.View.Scores!.Value >= 60, change.View.Scores.ToString());
        Assert.Contains("high-value", change.View.Segments);
        Assert.Contains("segment.entered:high-value", change.Causes);
    }

    [Fact]
    public void Segments_are_sorted_and_an_empty_document_has_none()
    {
        var view = Derived(Social("r1", T0, SocialEventType.Review, rating: 5, followers: 50_000), Order("o1", 300m));
        var (empty, errors) = RulesCompiler.Compile("""
            { "policies": { "defaultTimezone": "Europe/London", "consent": {}, "priorityTiers": { "high": 70, "normal": 30 } },
              "scores": { "weights": { "intent": 1, "engagement": 1, "fit": 1, "monetary": 1, "influence": 1 }, "halfLifeDays": 30, "revenueScale": 500, "followersScale": 1000 },
              "rules": [] }
            """, "empty");

        Assert.Empty(errors);
        Assert.Equal(view.Segments.Order(StringComparer.Ordinal), view.Segments);
        Assert.True(view.Segments.Length >= 3);
        Assert.Empty(Segmentation.Of(view, empty!, Now));
    }

    [Fact]
    public void Ingestion_with_rules_derives_scores_and_segments_in_the_same_write_and_reports_segment_entry()
    {
        var events = new[] { new AcceptedEvent(Social("s1", T0, SocialEventType.Follow, followers: 25_000), new EventPosition("social/0", 1)) };

        var update = IngestionBatch.Apply(null, new CustomerSlice(new CustomerId("c-ann"), T0, [], events, ["social.x:annlee"], []), Now, Rules);

        Assert.True(update.Changed);
        Assert.Equal(1, update.View.Version);
        Assert.NotNull(update.View.Scores);
        Assert.Equal<string>(["influential"], update.View.Segments);
        Assert.Equal(["social.follow", "segment.entered:influential"], update.Causes);
    }

    [Fact]
    public void Ingestion_reports_segments_left_and_entered_and_a_replay_changes_nothing()
    {
        var first = IngestionBatch.Apply(null, new CustomerSlice(new CustomerId("c-ann"), T0, [],
            [new AcceptedEvent(Order("o1", 50m), new EventPosition("crm/0", 1)), new AcceptedEvent(Refund("r1", 40m, 20m), new EventPosition("crm/0", 2))],
            ["crm.stripe:901"], []), Now, Rules);
        Assert.Contains("costly", first.View.Segments);
        Assert.Contains("segment.entered:costly", first.Causes);

        var batch = new[] { new AcceptedEvent(Order("o2", 400m, 30), new EventPosition("crm/0", 3)) };
        var second = IngestionBatch.Apply(first.View, new CustomerSlice(new CustomerId("c-ann"), T0, [], batch, ["crm.stripe:901"], []), Now.AddMinutes(30), Rules);

        Assert.Equal(2, second.View.Version);
        Assert.DoesNotContain("costly", second.View.Segments);
        Assert.Contains("profitable", second.View.Segments);
        Assert.Equal("crm.order.placed", second.Causes[0]);
        Assert.Contains("segment.entered:profitable", second.Causes);
        Assert.Contains("segment.left:costly", second.Causes);

        var replay = IngestionBatch.Apply(second.View, new CustomerSlice(new CustomerId("c-ann"), T0, [], batch, ["crm.stripe:901"], []), Now.AddHours(2), Rules);
        Assert.False(replay.Changed);
        Assert.Same(second.View, replay.View);
        Assert.Empty(replay.Causes);
    }

    [Fact]
    public void Ingestion_without_rules_leaves_scores_and_segments_alone()
    {
        var update = IngestionBatch.Apply(null, new CustomerSlice(new CustomerId("c-ann"), T0, [],
            [new AcceptedEvent(Social("s1", T0, SocialEventType.Follow, followers: 25_000), null)], ["social.x:annlee"], []), Now);

        Assert.Null(update.View.Scores);
        Assert.Empty(update.View.Segments);
        Assert.Equal(["social.follow"], update.Causes);
    }
}
