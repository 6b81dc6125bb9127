using Touchpoints.Core.Identity;
using Touchpoints.Core.Tests.Support;
using Touchpoints.Core.Events;
using Touchpoints.Core.Views;
using static Touchpoints.Core.Tests.Support.Build;

namespace Touchpoints.Core.Tests.Views;

public class JournalAndLifecycleTests
{
    [Fact]
    public void Journal_is_newest_first_and_capped()
    {
        var events = Enumerable.Range(0, CustomerView.JournalLimit + 20)
            .Select(i => (IngestedEvent)Page($"p{i}", T0.AddMinutes((i * 37) % 97), $"/p{i}"))
            .ToArray();
        var view = ApplyAll(events);

        Assert.Equal(CustomerView.JournalLimit, view.Journal.Length);
        Assert.Equal(view.Journal.OrderBy(j => j, CustomerProjection.JournalOrder), view.Journal);
        var newest = events.Select(e => e.OccurredAt).OrderDescending().Take(CustomerView.JournalLimit).ToArray();
        Assert.Equal(newest, view.Journal.Select(j => j.At));
    }

    [Fact]
    public void An_event_applied_twice_changes_nothing_the_second_time()
    {
        var e = Page("p1", T0, "/");
        var once = ApplyAll([e]);
        Assert.Same(once, CustomerProjection.Apply(once, e));
        Assert.Same(once, CustomerProjection.Apply(once, e with { EventId = "p1" }, T0.AddDays(1)));
    }

    [Fact]
    public void Ids_are_scoped_by_their_sender_so_one_sender_cannot_suppress_anothers_event()
    {
        var stripe = Crm("evt-1", T0, CrmEventType.CallLogged) with { Scope = "stripe" };
        var view = ApplyAll([stripe, stripe with { Scope = "crm" }, stripe]);
        Assert.Equal(2, view.Counters.Values.Sum());
        Assert.NotEqual(stripe.DedupKey, (stripe with { Scope = "crm" }).DedupKey);
        Assert.Equal("crm:evt-1", (stripe with { Scope = null }).DedupKey);
    }

    [Fact]
    public void A_resend_after_thousands_of_newer_events_is_still_recognised()
    {
        var first = Page("first", T0, "/");
        var view = CustomerProjection.Apply(NewView(), first, T0);
        for (var i = 0; i < 3000; i++) view = CustomerProjection.Apply(view, Page($"p{i}", T0.AddSeconds(i), "/"), T0.AddSeconds(i));
        Assert.Same(view, CustomerProjection.Apply(view, first, T0.AddDays(2)));
        Assert.Equal(3001, view.Applied.Count);
    }

    [Fact]
    public void An_event_that_arrived_before_the_dedup_window_is_forgotten_when_the_view_is_next_written()
    {
        var old = CustomerProjection.Apply(NewView(), Page("old", T0, "/"), T0);
        var view = CustomerProjection.Apply(old, Page("new", T0.AddDays(8), "/"), T0.AddDays(8));
        var pruned = view.Applied.Prune(T0.AddDays(8) - AppliedEvents.DefaultWindow);
        Assert.False(pruned.Contains(Page("old", T0, "/").DedupKey));
        Assert.True(pruned.Contains(Page("new", T0, "/").DedupKey));
    }

    [Fact]
    public void The_dedup_record_is_bounded_and_drops_its_oldest_days_first()
    {
        var applied = AppliedEvents.Empty;
        for (var i = 0; i < AppliedEvents.Limit + 500; i++) applied = applied.Record($"web:{i}", T0.AddMinutes(i));
        var pruned = applied.Prune(T0.AddDays(-1));
        Assert.InRange(pruned.Count, 1, AppliedEvents.Limit);
        Assert.True(pruned.Contains($"web:{AppliedEvents.Limit + 499}"));
        Assert.False(pruned.Contains("web:0"));
    }

    [Fact]
    public void The_dedup_record_round_trips_through_its_json_form()
    {
        var view = ApplyAll([Page("p1", T0, "/"), Page("p2", T0.AddDays(1), "/"), Crm("p1", T0, CrmEventType.CallLogged)]);
        var json = Json(view);
        var back = System.Text.Json.JsonSerializer.Deserialize(json, CoreJsonContext.Default.CustomerView)!;
        Assert.Equal(3, back.Applied.Count);
        Assert.True(back.Applied.Contains(Page("p2", T0, "/").DedupKey));
        Assert.False(back.Applied.Contains(Page("p3", T0, "/").DedupKey));
        Assert.Equal(json, Json(back));
    }

    [Fact]
    public void Ids_are_unique_per_source_only()
    {
        var view = ApplyAll([Page("42", T0, "/"), Crm("42", T0, CrmEventType.CallLogged)]);
        Assert.Equal(2, view.Journal.Length);
    }

    [Theory]
    [InlineData(new[] { "anonymousId:a1" }, null, LifecycleStage.Anonymous)]
    [InlineData(new[] { "anonymousId:a1", "email:ann@example.com" }, null, LifecycleStage.Known)]
    [InlineData(new[] { "email:ann@example.com" }, "New", LifecycleStage.Lead)]
    [InlineData(new[] { "email:ann@example.com" }, "Marketing Qualified", LifecycleStage.MarketingQualified)]
    [InlineData(new[] { "email:ann@example.com" }, "sql", LifecycleStage.SalesQualified)]
    [InlineData(new[] { "email:ann@example.com" }, "closed_won", LifecycleStage.Customer)]
    [InlineData(new[] { "email:ann@example.com" }, "Churned", LifecycleStage.Churned)]
    public void Lifecycle_stage_follows_identity_and_lead_status(string[] identities, string? status, LifecycleStage expected)
    {
        var view = NewView() with { Identities = [.. identities] };
        if (status is not null)
            view = CustomerProjection.Apply(view, Crm("c1", T0, CrmEventType.LeadStatusChanged) with { Status = status });
        Assert.Equal(expected, Lifecycle.Of(view));
        Assert.Equal(expected, CustomerProjection.Derive(view).Lifecycle);
    }

    [Fact]
    public void A_paying_customer_is_a_customer_and_churn_overrides_it()
    {
        var paid = ApplyAll([Crm("b1", T0, CrmEventType.InvoicePaid, "stripe") with { ObjectId = "inv-1", Amount = 10m }]);
        Assert.Equal(LifecycleStage.Customer, Lifecycle.Of(paid));
        var churned = CustomerProjection.Apply(paid, Crm("c2", T0.AddDays(1), CrmEventType.LeadStatusChanged) with { Status = "churned" });
        Assert.Equal(LifecycleStage.Churned, Lifecycle.Of(churned));
    }

    [Fact]
    public void Counters_stop_adding_new_types_at_the_limit_but_keep_counting_known_ones()
    {
        var view = ApplyAll(Enumerable.Range(0, CustomerProjection.CounterTypesLimit + 10).Select(i => (IngestedEvent)Track($"t{i}", T0, $"Custom {i}")));
        Assert.Equal(CustomerProjection.CounterTypesLimit, view.Counters.Count);
        view = CustomerProjection.Apply(view, Track("again", T0, "Custom 0"));
        Assert.Equal(2, view.Counters["web.track.Custom 0"]);
    }

    [Fact]
    public void Merge_folds_sections_identities_and_bookkeeping()
    {
        var survivor = ApplyAll(NewView("c-ann") with { Identities = ["userId:u-1"] }, [Page("p1", T0, "/"), Crm("b1", T0, CrmEventType.OrderPlaced) with { ObjectId = "o1", Amount = 10m }]);
        var loser = ApplyAll(CustomerView.Create(new CustomerId("c-visitor"), T0.AddDays(-90)) with { Identities = ["anonymousId:a1"] },
            [Page("p2", T0.AddMinutes(1), "/pricing"), Crm("b2", T0, CrmEventType.OrderPlaced) with { ObjectId = "o2", Amount = 5m }]);

        var merged = CustomerMerge.Fold(survivor, loser);
        Assert.Equal("c-ann", merged.Id);
        Assert.Equal(T0.AddDays(-90), merged.CreatedAt);
        Assert.Equal(["c-visitor"], merged.MergedFrom.Values());
        Assert.Equal(["anonymousId:a1", "userId:u-1"], merged.Identities.ToArray());
        Assert.Equal(2, merged.Touchpoints.Web!.PageViews);
        Assert.Equal(1, merged.Touchpoints.Web.PricingViews);
        Assert.Equal(15m, merged.Touchpoints.Billing!.Revenue);
        Assert.Equal(4, merged.Journal.Length);
        // The loser's events are known to the survivor: replaying them changes nothing.
        Assert.Same(merged, CustomerProjection.Apply(merged, Page("p2", T0.AddMinutes(1), "/pricing")));
        Assert.Same(merged, CustomerMerge.Fold(merged, loser));
    }
}
