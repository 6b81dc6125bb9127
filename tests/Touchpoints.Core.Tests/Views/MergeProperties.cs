using Touchpoints.Core.Identity;
using FsCheck;
using FsCheck.Fluent;
using Touchpoints.Core.Tests.Support;
using Touchpoints.Core.Views;
using static Touchpoints.Core.Tests.Support.Build;

namespace Touchpoints.Core.Tests.Views;

public class MergeProperties
{
    [Fact]
    public void A_survivor_takes_one_value_of_each_exclusive_type_from_a_loser_holding_two()
    {
        // Only an old tombstone can hold two user ids; folded, it must leave a survivor that can still be written.
        var survivor = CustomerView.Create(new CustomerId("c-stripe"), T0) with { Identities = ["crm.stripe:cus_1"] };
        var loser = CustomerView.Create(new CustomerId("c-old"), T0) with { Identities = ["anonymousId:a", "userId:u-0", "userId:u-1"] };

        var folded = CustomerMerge.Fold(survivor, loser);

        Assert.Equal(["anonymousId:a", "crm.stripe:cus_1", "userId:u-0"], folded.Identities.ToArray());
        Assert.False(IdentityResolver.HoldsAnExclusiveTwice(folded.Identities));
    }

    private static (CustomerView Survivor, CustomerView Loser) Profiles(Step[] survivor, Step[] loser) =>
        (ApplyAll(CustomerView.Create(new CustomerId("c-ann"), T0.AddDays(-3)) with { Identities = ["userId:u-1001"] }, survivor.Select(s => s.Event)),
         ApplyAll(CustomerView.Create(new CustomerId("c-visitor"), T0.AddDays(-9)) with { Identities = ["anonymousId:anon-7f3a"] }, loser.Select(s => s.Event)));

    [Fact]
    public void Folding_a_loser_twice_equals_folding_it_once() =>
        Check.One(Gens.Config, Prop.ForAll(Gens.TwoProfiles, pair =>
        {
            var (survivor, loser) = Profiles(pair.Survivor, pair.Loser);
            var once = CustomerMerge.Fold(survivor, loser);
            return ReferenceEquals(once, CustomerMerge.Fold(once, loser))
                && ReferenceEquals(survivor, CustomerMerge.Fold(survivor, survivor));
        }));

    [Fact]
    public void Counters_and_counts_of_a_fold_are_the_sums_of_both_profiles() =>
        Check.One(Gens.Config, Prop.ForAll(Gens.TwoProfiles, pair =>
        {
            var (a, b) = Profiles(pair.Survivor, pair.Loser);
            var m = CustomerMerge.Fold(a, b);
            var problems = new List<string>();
            foreach (var key in a.Counters.Keys.Union(b.Counters.Keys))
            {
                var expected = a.Counters.GetValueOrDefault(key) + b.Counters.GetValueOrDefault(key);
                if (m.Counters.GetValueOrDefault(key) != expected) problems.Add($"counter {key}: {m.Counters.GetValueOrDefault(key)} != {expected}");
            }
            void Sum<T>(string name, Func<CustomerView, T?> of, Func<T, long> value) where T : class
            {
                var expected = (of(a) is { } x ? value(x) : 0) + (of(b) is { } y ? value(y) : 0);
                var actual = of(m) is { } z ? value(z) : 0;
                if (actual != expected) problems.Add($"{name}: {actual} != {expected}");
            }
            Sum("web.pageViews", v => v.Touchpoints.Web, w => w.PageViews);
            Sum("web.productViews", v => v.Touchpoints.Web, w => w.ProductViews);
            Sum("web.pricingViews", v => v.Touchpoints.Web, w => w.PricingViews);
            Sum("social.mentions", v => v.Touchpoints.Social, s => s.Mentions);
            Sum("social.reviews", v => v.Touchpoints.Social, s => s.Reviews);
            Sum("social.positiveReviews", v => v.Touchpoints.Social, s => s.PositiveReviews);
            Sum("social.sentimentCount", v => v.Touchpoints.Social, s => s.SentimentCount);
            Sum("support.opened", v => v.Touchpoints.Support, s => s.TicketsOpened);
            Sum("support.closed", v => v.Touchpoints.Support, s => s.TicketsClosed);
            Sum("billing.orders", v => v.Touchpoints.Billing, s => s.Orders);
            Sum("billing.revenueCents", v => v.Touchpoints.Billing, s => (long)(s.Revenue * 100));
            Sum("billing.costCents", v => v.Touchpoints.Billing, s => (long)(s.CostToServe * 100));
            Sum("sales.won", v => v.Touchpoints.Sales, s => s.OpportunitiesWon);
            foreach (var (touchpoint, activity) in m.Touchpoints.Active())
            {
                long Count(CustomerView v) => v.Touchpoints.Active().Where(x => x.Touchpoint == touchpoint).Sum(x => x.Activity.Count);
                if (activity.Count != Count(a) + Count(b)) problems.Add($"{touchpoint}.Activity.Count: {activity.Count} != {Count(a) + Count(b)}");
            }
            return (problems.Count == 0).Label($"survivor:\n  {Gens.Show(pair.Survivor)}\nloser:\n  {Gens.Show(pair.Loser)}\n{string.Join("\n", problems)}");
        }));

    /// <summary>The fields a merge cannot reproduce from the events alone: whose id, and the merge bookkeeping.</summary>
    private static CustomerView Comparable(CustomerView v) => Canonical(v) with
    {
        Id = new CustomerId("c"),
        CreatedAt = T0,
        UpdatedAt = T0,
        MergedFrom = [],
        Identities = [],
        // Both profiles saw a session of their own: the sum is the number of sessions each device saw.
        Touchpoints = Canonical(v).Touchpoints with { Web = v.Touchpoints.Web is null ? null : v.Touchpoints.Web with { Sessions = 0 } },
    };

    [Fact]
    public void Folding_two_profiles_equals_projecting_all_their_events_into_one() =>
        Check.One(Gens.Config, Prop.ForAll(Gens.TwoProfiles, pair =>
        {
            var (a, b) = Profiles(pair.Survivor, pair.Loser);
            var folded = Json(Comparable(CustomerMerge.Fold(a, b)));
            var replayed = Json(Comparable(ApplyAll(pair.Survivor.Concat(pair.Loser).Select(s => s.Event))));
            return (folded == replayed).Label($"survivor:\n  {Gens.Show(pair.Survivor)}\nloser:\n  {Gens.Show(pair.Loser)}\n{folded}\n!=\n{replayed}");
        }));
}
