using Touchpoints.Core.Events;
using static Touchpoints.Core.Views.CustomerProjection;

namespace Touchpoints.Core.Views;

/// <summary>Segment calls onto the web section (and the email and billing sections for Segment's email and order events).</summary>
public static class WebProjection
{
    public static (CustomerView View, JournalEntry? Journal) Apply(CustomerView view, WebEvent e)
    {
        var at = e.OccurredAt;
        var sections = view.Touchpoints;
        var web = sections.Web;
        var section = web is null
            ? new WebSection { Activity = Activity.Of(at), Sessions = 1 }
            : web with
            {
                Activity = web.Activity.Add(at),
                // A gap after the latest known event opens a session; a late event falls inside one already counted.
                Sessions = at - web.Activity.LastAt > WebSection.SessionTimeout ? web.Sessions + 1 : web.Sessions,
            };
        if (e.Campaign is not null)
            section = section with { FirstUtm = Earliest(section.FirstUtm, e.Campaign, at), LastUtm = Latest(section.LastUtm, e.Campaign, at) };

        var traits = WithTraits(view.Traits, e.Traits, at);
        var consent = view.Consent;
        var touchpoint = Touchpoint.Web;
        string? summary = null;
        var commerce = e.Commerce;

        switch (e.Call)
        {
            case WebCall.Page or WebCall.Screen:
                var title = e.Page?.Title ?? e.Name;
                section = section with
                {
                    PageViews = section.PageViews + 1,
                    PricingViews = section.PricingViews + (IsPricing(e.Page, e.Name) ? 1 : 0),
                    LastPages = AddPage(section, new PageVisit(at, e.Page?.Path, title)),
                };
                summary = $"Viewed {(e.Call == WebCall.Screen ? "screen" : "page")} {Clip(title ?? e.Page?.Path ?? "(untitled)", 60)}";
                break;
            case WebCall.Identify:
                summary = null;
                break;
            case WebCall.Track:
                summary = $"{e.Name}";
                switch (e.Spec)
                {
                    case SpecEvent.ProductViewed:
                        section = section with { ProductViews = section.ProductViews + 1 };
                        summary = $"Viewed product {Clip(commerce?.ProductName ?? commerce?.ProductId, 50)}";
                        break;
                    case SpecEvent.ProductsSearched:
                        section = section with { LastSearch = Latest(section.LastSearch, commerce?.Query, at) };
                        summary = $"Searched for \"{Clip(commerce?.Query, 50)}\"";
                        break;
                    case SpecEvent.ProductAdded or SpecEvent.ProductRemoved:
                        var sign = e.Spec == SpecEvent.ProductAdded ? 1 : -1;
                        var quantity = Math.Max(commerce?.Quantity ?? 1, 1);
                        section = section with { Cart = AddToCart(section.Cart, sign * quantity, sign * quantity * (commerce?.Price ?? 0), commerce?.Currency, at) };
                        summary = $"{(sign > 0 ? "Added" : "Removed")} {Clip(commerce?.ProductName ?? commerce?.ProductId, 50)} {(sign > 0 ? "to" : "from")} cart";
                        break;
                    case SpecEvent.CartViewed or SpecEvent.CheckoutStarted:
                        if (commerce?.Total is { } total && (section.Cart is null || section.Cart.UpdatedAt <= at))
                            section = section with { Cart = new Cart(total, commerce.ItemCount ?? section.Cart?.Items ?? 0, commerce.Currency, at) };
                        summary = e.Spec == SpecEvent.CheckoutStarted ? $"Started checkout ({Money(commerce?.Total ?? 0, commerce?.Currency)})" : "Viewed cart";
                        break;
                    case SpecEvent.OrderCompleted:
                        if (section.Cart is null || section.Cart.UpdatedAt <= at)
                            section = section with { Cart = new Cart(0, 0, commerce?.Currency, at) };
                        sections = sections with { Billing = BillingProjection.Order(sections.Billing, commerce?.OrderId, commerce?.Total ?? 0, commerce?.Currency, at) };
                        summary = $"Completed order {commerce?.OrderId} ({Money(commerce?.Total ?? 0, commerce?.Currency)})";
                        break;
                    case SpecEvent.OrderRefunded:
                        sections = sections with { Billing = BillingProjection.Refund(sections.Billing, commerce?.Total ?? 0, commerce?.Currency, at) };
                        summary = $"Refunded order {commerce?.OrderId} ({Money(commerce?.Total ?? 0, commerce?.Currency)})";
                        break;
                    case SpecEvent.EmailOpened or SpecEvent.EmailLinkClicked or SpecEvent.Unsubscribed:
                        touchpoint = Touchpoint.Email;
                        summary = e.Spec switch
                        {
                            SpecEvent.EmailOpened => "Opened an email",
                            SpecEvent.EmailLinkClicked => "Clicked a link in an email",
                            _ => "Unsubscribed from email",
                        };
                        sections = sections with { Email = Interact(sections.Email, at, summary) };
                        if (e.Spec == SpecEvent.Unsubscribed)
                            consent = consent.With(ConsentChannel.Email, new ConsentState(ConsentStatus.Denied, "web", at));
                        break;
                    case SpecEvent.SignedUp:
                        summary = "Signed up";
                        break;
                }
                break;
        }

        // Email events describe the email channel; they are not visits to the website.
        if (touchpoint == Touchpoint.Web) sections = sections with { Web = section };
        var journal = summary is null ? null : new JournalEntry(at, touchpoint, summary, e.DedupKey);
        return (view with { Touchpoints = sections, Traits = traits, Consent = consent }, journal);
    }

    private static bool IsPricing(PageContext? page, string? name) =>
        (page?.Path?.Contains("pricing", StringComparison.OrdinalIgnoreCase) ?? false)
        || (page?.Title?.Contains("pricing", StringComparison.OrdinalIgnoreCase) ?? false)
        || (name?.Contains("pricing", StringComparison.OrdinalIgnoreCase) ?? false);

    private static System.Collections.Immutable.ImmutableArray<PageVisit> AddPage(WebSection section, PageVisit visit)
    {
        var pages = section.LastPages;
        if (pages.Length >= WebSection.LastPagesLimit && visit.At <= pages[^1].At) return pages;
        var index = 0;
        while (index < pages.Length && pages[index].At >= visit.At) index++;
        pages = pages.Insert(index, visit);
        return pages.Length > WebSection.LastPagesLimit ? pages.RemoveAt(pages.Length - 1) : pages;
    }

    // Additions and removals are deltas: they commute with each other, and a snapshot (cart viewed, order) newer than a
    // delta already accounts for it.
    private static Cart? AddToCart(Cart? cart, int items, decimal value, string? currency, DateTimeOffset at)
    {
        if (cart is not null && at < cart.UpdatedAt && cart.Items == 0 && cart.Value == 0) return cart;
        var baseCart = cart ?? new Cart(0, 0, currency, at);
        return new Cart(
            Math.Max(0, baseCart.Value + value), Math.Max(0, baseCart.Items + items), currency ?? baseCart.Currency,
            at > baseCart.UpdatedAt ? at : baseCart.UpdatedAt);
    }
}
