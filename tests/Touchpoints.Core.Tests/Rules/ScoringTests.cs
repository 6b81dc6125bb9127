using FsCheck;
using FsCheck.Fluent;
using Touchpoints.Core.Events;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Tests.Support;
using Touchpoints.Core.Views;
using static Touchpoints.Core.Tests.Support.Build;

namespace Touchpoints.Core.Tests.Rules;

public class ScoringTests
{
    private static readonly ScoreModel Model = DefaultRules.Compiled.Document.Scores;

    private static CustomerView View(params IngestedEvent[] events) => CustomerProjection.Derive(ApplyAll(events));

    private static WebEvent ProductAdded(string id, DateTimeOffset at, decimal price) =>
        Track(id, at, "Product Added", SpecEvent.ProductAdded, new Commerce { ProductId = "tent-2p", Price = price, Quantity = 1 });

    private static double PointsOf(CustomerScores scores, string signal) => scores.Reasons.Single(r => r.Signal == signal).Points;

    [Fact]
    public void A_customer_without_any_activity_scores_zero_and_has_no_reasons()
    {
        var scores = Scoring.Compute(NewView(), Model, T0);

        Assert.Equal(0, scores.Value);
        Assert.Equal(0, scores.Engagement);
        Assert.Equal(0m, scores.Profitability);
        Assert.Empty(scores.Reasons);
    }

    [Fact]
    public void Pricing_views_and_a_cart_make_intent_the_top_reason_in_words()
    {
        var view = View(
            Page("p1", T0, "/pricing"), Page("p2", T0.AddMinutes(1), "/pricing"), Page("p3", T0.AddMinutes(2), "/pricing/teams"),
            ProductAdded("a1", T0.AddMinutes(3), 129m));

        var scores = Scoring.Compute(view, Model, T0.AddMinutes(10));

        var top = scores.Reasons[0];
        Assert.Equal("intent", top.Signal);
        Assert.Equal("viewed pricing 3 times and has 129.00 in the cart", top.Why);
        Assert.InRange(scores.Value, 20, 40);
        Assert.Equal("engagement", scores.Reasons[1].Signal);
        Assert.Equal("4 interactions across 1 touch point, the last today", scores.Reasons[1].Why);
    }

    [Fact]
    public void Starting_checkout_raises_intent()
    {
        var browsing = View(Page("p1", T0, "/tents"), ProductAdded("a1", T0.AddMinutes(1), 80m));
        var checkout = ApplyAll(browsing, [Track("c1", T0.AddMinutes(2), "Checkout Started", SpecEvent.CheckoutStarted)]);

        var before = PointsOf(Scoring.Compute(browsing, Model, T0.AddMinutes(5)), "intent");
        var after = Scoring.Compute(checkout, Model, T0.AddMinutes(5));

        Assert.True(PointsOf(after, "intent") > before);
        Assert.Contains("started checkout once", after.Reasons.Single(r => r.Signal == "intent").Why, StringComparison.Ordinal);
    }

    [Fact]
    public void Behavioural_signals_lose_half_their_points_per_half_life()
    {
        var view = View(Page("p1", T0, "/pricing"), Page("p2", T0.AddMinutes(1), "/pricing"));
        var last = T0.AddMinutes(1);

        var fresh = PointsOf(Scoring.Compute(view, Model, last), "intent");
        var halfLifeLater = PointsOf(Scoring.Compute(view, Model, last.AddDays(Model.HalfLifeDays)), "intent");

        Assert.Equal(fresh / 2, halfLifeLater, 0.1);
    }

    [Fact]
    public void Fit_counts_title_words_a_known_company_and_a_qualified_lead_status_and_does_not_decay()
    {
        var view = View(
            Crm("c1", T0, CrmEventType.ContactUpdated) with { Traits = new Traits { Title = "Head of Buying", Company = "Peak Outfitters" } },
            Crm("c2", T0.AddMinutes(1), CrmEventType.LeadStatusChanged) with { Status = "SQL" });
        var threeYearsLater = T0.AddYears(3);

        var scores = Scoring.Compute(view, Model, threeYearsLater);

        var fit = Assert.Single(scores.Reasons);
        Assert.Equal("fit", fit.Signal);
        Assert.Equal(15, fit.Points);
        Assert.Equal(15, scores.Value);
        Assert.Equal("title 'Head of Buying' matches 'head of buying', works at Peak Outfitters and lead status is SQL", fit.Why);
    }

    [Fact]
    public void A_title_phrase_in_the_fit_titles_matches_as_a_phrase()
    {
        var model = Model with { FitTitles = ["head of buying"] };
        var view = NewView() with { Traits = new CustomerTraits { Title = new Stamped<string>("Head of Buying, Outdoor", T0) } };

        Assert.Equal("fit", Assert.Single(Scoring.Compute(view, model, T0).Reasons).Signal);
    }

    [Fact]
    public void Monetary_saturates_at_the_revenue_scale_net_of_refunds_and_profitability_subtracts_the_cost_to_serve()
    {
        var view = View(
            Crm("o1", T0, CrmEventType.OrderPlaced, "stripe") with { ObjectId = "o1", Amount = 600m, Currency = "GBP" },
            Crm("r1", T0.AddMinutes(1), CrmEventType.RefundIssued, "stripe") with { Amount = 100m, Currency = "GBP", Cost = 12.5m });

        var scores = Scoring.Compute(view, Model, T0.AddMinutes(1));

        // 25 weight points × (1 − e^(−500/500)).
        Assert.Equal(25 * (1 - Math.Exp(-1)), PointsOf(scores, "monetary"), 0.05);
        Assert.Equal("500.00 GBP spent net of refunds over 1 order", scores.Reasons.Single(r => r.Signal == "monetary").Why);
        Assert.Equal(600m - 100m - view.Touchpoints.Billing!.CostToServe, scores.Profitability);
    }

    [Fact]
    public void Influence_grows_with_followers_on_a_log_scale_up_to_the_followers_scale()
    {
        CustomerScores With(long followers) =>
            Scoring.Compute(View(Social("s1", T0, SocialEventType.Follow, followers: followers)), Model with { Weights = new ScoreWeights(0, 0, 0, 0, 1) }, T0);

        Assert.Equal(60, With(100_000).Value);
        Assert.Equal(60, With(5_000_000).Value);
        Assert.Equal(Math.Round(60 * Math.Log10(1001) / Math.Log10(100_001)), With(1000).Value);
        Assert.Equal("1,000 followers", With(1000).Reasons[0].Why);
    }

    [Fact]
    public void Weights_are_normalised_so_any_scale_gives_the_same_scores()
    {
        var view = RuleGens.View.Sample(1, 1).Single();
        var w = Model.Weights;
        var scaled = Model with { Weights = new ScoreWeights(w.Intent * 7, w.Engagement * 7, w.Fit * 7, w.Monetary * 7, w.Influence * 7) };

        Assert.Equal(Scoring.Compute(view, Model, T0.AddDays(3)).Value, Scoring.Compute(view, scaled, T0.AddDays(3)).Value);
    }

    [Fact]
    public void Scores_are_bounded_deterministic_and_explained_by_at_most_three_reasons_largest_first() =>
        Check.One(Gens.Config, Prop.ForAll(Arb.From(RuleGens.Situation), s =>
        {
            var a = Scoring.Compute(s.View, Model, s.Now);
            var b = Scoring.Compute(s.View, Model, s.Now);
            var points = a.Reasons.Select(r => r.Points).ToArray();
            return (a.Value is >= 0 and <= 100
                    && a.Engagement is >= 0 and <= 100
                    && a.Reasons.Length <= Scoring.ReasonLimit
                    && points.SequenceEqual(points.OrderDescending())
                    && points.All(p => p > 0)
                    && a.Reasons.All(r => r.Why.Length > 0)
                    && points.Sum() <= a.Value + 1.5
                    && a.Value == b.Value && a.Engagement == b.Engagement && a.Profitability == b.Profitability && a.Reasons.SequenceEqual(b.Reasons))
                .Label($"{a.Value} {a.Engagement} [{string.Join("; ", a.Reasons)}]\n{s}");
        }));

    [Fact]
    public void Waiting_never_raises_the_value_or_engagement_score() =>
        Check.One(Gens.Config, Prop.ForAll(Arb.From(RuleGens.Situation), Arb.From(Gen.Choose(0, 24 * 90)), (s, hours) =>
        {
            var now = Scoring.Compute(s.View, Model, s.Now);
            var later = Scoring.Compute(s.View, Model, s.Now.AddHours(hours));
            return (later.Value <= now.Value && later.Engagement <= now.Engagement).Label($"{now} then {later}\n{s}");
        }));
}
