using Touchpoints.Core.Events;
using Touchpoints.Core.Views;
using static Touchpoints.Core.Tests.Support.Build;

namespace Touchpoints.Core.Tests.Views;

public class WebProjectionTests
{
    [Fact]
    public void Page_views_are_counted_and_the_first_one_opens_a_session()
    {
        var view = ApplyAll([Page("p1", T0, "/"), Page("p2", T0.AddMinutes(2), "/shoes", "Shoes")]);
        var web = view.Touchpoints.Web!;
        Assert.Equal(2, web.PageViews);
        Assert.Equal(1, web.Sessions);
        Assert.Equal(new Activity(T0, T0.AddMinutes(2), 2), web.Activity);
        Assert.Equal(2, view.Counters["web.page"]);
    }

    [Fact]
    public void A_gap_of_more_than_thirty_minutes_opens_a_new_session()
    {
        var view = ApplyAll([
            Page("p1", T0, "/"),
            Page("p2", T0.AddMinutes(30), "/a"),                  // exactly 30 min: same session
            Page("p3", T0.AddMinutes(61), "/b"),                  // 31 min gap: new session
            Page("p4", T0.AddMinutes(45), "/late"),               // late: falls inside a counted session
        ]);
        Assert.Equal(2, view.Touchpoints.Web!.Sessions);
        Assert.Equal(4, view.Touchpoints.Web.PageViews);
    }

    [Fact]
    public void Last_pages_keep_the_five_newest_newest_first_whatever_the_arrival_order()
    {
        var pages = Enumerable.Range(0, 8).Select(i => Page($"p{i}", T0.AddMinutes(i), $"/page-{i}")).ToArray();
        var inOrder = ApplyAll(pages);
        var shuffled = ApplyAll([pages[5], pages[0], pages[7], pages[2], pages[6], pages[1], pages[4], pages[3]]);

        Assert.Equal(["/page-7", "/page-6", "/page-5", "/page-4", "/page-3"], inOrder.Touchpoints.Web!.LastPages.Select(p => p.Path));
        Assert.Equal(inOrder.Touchpoints.Web.LastPages.ToArray(), shuffled.Touchpoints.Web!.LastPages.ToArray());
    }

    [Fact]
    public void Pricing_views_are_recognised_by_path_title_or_name()
    {
        var view = ApplyAll([
            Page("p1", T0, "/pricing"),
            Page("p2", T0.AddMinutes(1), "/plans", "Pricing and plans"),
            Page("p3", T0.AddMinutes(2), "/about", "About us"),
        ]);
        Assert.Equal(2, view.Touchpoints.Web!.PricingViews);
    }

    [Fact]
    public void First_and_last_utm_are_kept_by_event_time()
    {
        var spring = new Campaign("newsletter", "email", "spring", null, null);
        var retarget = new Campaign("google", "cpc", "retarget", "trail shoes", null);
        var launch = new Campaign("instagram", "social", "launch", null, null);
        var view = ApplyAll([
            Page("p1", T0.AddDays(1), "/", campaign: spring),
            Page("p2", T0.AddDays(2), "/", campaign: retarget),
            Page("p3", T0, "/", campaign: launch), // late, but the earliest
            Page("p4", T0.AddDays(3), "/"),        // no campaign: changes nothing
        ]);
        Assert.Equal(new Stamped<Campaign>(launch, T0), view.Touchpoints.Web!.FirstUtm);
        Assert.Equal(new Stamped<Campaign>(retarget, T0.AddDays(2)), view.Touchpoints.Web.LastUtm);
    }

    [Fact]
    public void Cart_follows_additions_removals_and_the_cart_viewed_snapshot()
    {
        var shoe = new Commerce { ProductId = "sku-1", ProductName = "Trail shoe", Price = 90m, Quantity = 2, Currency = "EUR" };
        var sock = new Commerce { ProductId = "sku-2", ProductName = "Socks", Price = 10m, Currency = "EUR" };
        var view = ApplyAll([
            Track("t1", T0, "Product Added", SpecEvent.ProductAdded, shoe),
            Track("t2", T0.AddMinutes(1), "Product Added", SpecEvent.ProductAdded, sock),
            Track("t3", T0.AddMinutes(2), "Product Removed", SpecEvent.ProductRemoved, sock),
        ]);
        Assert.Equal(new Cart(180m, 2, "EUR", T0.AddMinutes(2)), view.Touchpoints.Web!.Cart);

        var viewed = CustomerProjection.Apply(view, Track("t4", T0.AddMinutes(3), "Cart Viewed", SpecEvent.CartViewed,
            new Commerce { Total = 170m, ItemCount = 3, Currency = "EUR" }));
        Assert.Equal(new Cart(170m, 3, "EUR", T0.AddMinutes(3)), viewed.Touchpoints.Web!.Cart);
    }

    [Fact]
    public void Removing_more_than_the_cart_holds_never_goes_negative()
    {
        var view = ApplyAll([Track("t1", T0, "Product Removed", SpecEvent.ProductRemoved, new Commerce { ProductId = "sku-1", Price = 5m })]);
        Assert.Equal(0, view.Touchpoints.Web!.Cart!.Items);
        Assert.Equal(0m, view.Touchpoints.Web.Cart.Value);
    }

    [Fact]
    public void Product_views_and_searches_are_recorded()
    {
        var view = ApplyAll([
            Track("t1", T0, "Product Viewed", SpecEvent.ProductViewed, new Commerce { ProductId = "sku-1", ProductName = "Trail shoe" }),
            Track("t2", T0.AddMinutes(1), "Products Searched", SpecEvent.ProductsSearched, new Commerce { Query = "waterproof" }),
            Track("t3", T0.AddMinutes(-5), "Products Searched", SpecEvent.ProductsSearched, new Commerce { Query = "older" }),
        ]);
        Assert.Equal(1, view.Touchpoints.Web!.ProductViews);
        Assert.Equal(new Stamped<string>("waterproof", T0.AddMinutes(1)), view.Touchpoints.Web.LastSearch);
        Assert.Equal("Viewed product Trail shoe", view.Journal.Single(j => j.EventId == "web:t1").Summary);
    }

    [Fact]
    public void Order_clears_the_cart_and_counts_once_when_billing_reports_it_too()
    {
        var order = new Commerce { OrderId = "ord-50314", Total = 180m, Revenue = 170m, Currency = "EUR" };
        var view = ApplyAll([
            Track("t1", T0, "Product Added", SpecEvent.ProductAdded, new Commerce { ProductId = "sku-1", Price = 90m, Quantity = 2, Currency = "EUR" }),
            Track("t2", T0.AddMinutes(5), "Order Completed", SpecEvent.OrderCompleted, order),
            Crm("stripe-1", T0.AddMinutes(6), CrmEventType.OrderPlaced, "stripe") with { ObjectId = "ord-50314", Amount = 180m, Currency = "EUR" },
        ]);
        Assert.Equal(new Cart(0, 0, "EUR", T0.AddMinutes(5)), view.Touchpoints.Web!.Cart);
        var billing = view.Touchpoints.Billing!;
        Assert.Equal(1, billing.Orders);
        Assert.Equal(180m, billing.Revenue);
        Assert.Equal(new Order("ord-50314", 180m, "EUR", T0.AddMinutes(5)), billing.LastOrder);
        Assert.Equal(LifecycleStage.Customer, Lifecycle.Of(view));
    }

    [Fact]
    public void Billing_order_first_then_web_order_still_counts_once()
    {
        var view = ApplyAll([
            Crm("stripe-1", T0, CrmEventType.OrderPlaced, "stripe") with { ObjectId = "ord-1", Amount = 50m, Currency = "EUR" },
            Track("t1", T0.AddMinutes(1), "Order Completed", SpecEvent.OrderCompleted, new Commerce { OrderId = "ord-1", Total = 50m, Currency = "EUR" }),
        ]);
        Assert.Equal(1, view.Touchpoints.Billing!.Orders);
        Assert.Equal(50m, view.Touchpoints.Billing.Revenue);
    }

    [Fact]
    public void Web_refund_reaches_billing()
    {
        var view = ApplyAll([Track("t1", T0, "Order Refunded", SpecEvent.OrderRefunded, new Commerce { OrderId = "ord-1", Total = 30m, Currency = "EUR" })]);
        Assert.Equal(1, view.Touchpoints.Billing!.RefundCount);
        Assert.Equal(30m, view.Touchpoints.Billing.Refunds);
    }

    [Fact]
    public void Email_spec_events_go_to_the_email_section_not_the_web()
    {
        var view = ApplyAll([
            Track("t1", T0, "Email Opened", SpecEvent.EmailOpened),
            Track("t2", T0.AddMinutes(1), "Email Link Clicked", SpecEvent.EmailLinkClicked),
        ]);
        Assert.Null(view.Touchpoints.Web);
        Assert.Equal(2, view.Touchpoints.Email!.Activity.Count);
        Assert.Equal(new LastInteraction(T0.AddMinutes(1), "Clicked a link in an email"), view.Touchpoints.Email.Last);
        Assert.All(view.Journal, j => Assert.Equal(Touchpoint.Email, j.Touchpoint));
    }

    [Fact]
    public void Unsubscribing_denies_email_consent_unless_a_later_grant_is_known()
    {
        var view = ApplyAll([Track("t1", T0, "Unsubscribed", SpecEvent.Unsubscribed)]);
        Assert.Equal(ConsentStatus.Denied, view.Consent.StatusOf(ConsentChannel.Email));
        Assert.Equal(new ConsentState(ConsentStatus.Denied, "web", T0), view.Consent.Email);

        var regranted = ApplyAll([
            Crm("c1", T0.AddDays(1), CrmEventType.ConsentChanged) with { ConsentChannel = ConsentChannel.Email, Consent = ConsentStatus.Granted },
            Track("t1", T0, "Unsubscribed", SpecEvent.Unsubscribed),
        ]);
        Assert.Equal(ConsentStatus.Granted, regranted.Consent.StatusOf(ConsentChannel.Email));
    }

    [Fact]
    public void Identify_sets_traits_without_a_journal_entry()
    {
        var view = ApplyAll([Identify("i1", T0, new Traits { Name = "Ann Lee", Email = "Ann@Example.com", Company = "Acme" })]);
        Assert.Equal(new Stamped<string>("ann@example.com", T0), view.Traits.Email);
        Assert.Equal("Acme", view.Traits.Company?.Value);
        Assert.Empty(view.Journal);
        Assert.Equal(1, view.Touchpoints.Web!.Activity.Count);
    }
}
