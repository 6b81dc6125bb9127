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

        var step = new Step(section, sections, view.Consent, Touchpoint.Web, null);
        step = e.Call switch
        {
            WebCall.Page or WebCall.Screen => Page(step, e),
            WebCall.Track => e.Spec switch
            {
                SpecEvent.ProductViewed => ProductViewed(step, e),
                SpecEvent.ProductsSearched => ProductsSearched(step, e),
                SpecEvent.ProductAdded or SpecEvent.ProductRemoved => CartChanged(step, e),
                SpecEvent.CartViewed or SpecEvent.CheckoutStarted => CartSeen(step, e),
                SpecEvent.OrderCompleted => OrderCompleted(step, e),
                SpecEvent.OrderRefunded => OrderRefunded(step, e),
                SpecEvent.EmailOpened or SpecEvent.EmailLinkClicked or SpecEvent.Unsubscribed => EmailEvent(step, e),
                SpecEvent.SignedUp => step with { Summary = "Signed up" },
                _ => step with { Summary = $"{e.Name}" },
            },
            // Identify, group and alias calls carry traits and identifiers only: no line in the journal.
            _ => step,
        };

        // Email events describe the email channel; they are not visits to the website.
        var result = step.Touchpoint == Touchpoint.Web ? step.Sections with { Web = step.Web } : step.Sections;
        var journal = step.Summary is null ? null : new JournalEntry(at, step.Touchpoint, step.Summary, e.DedupKey);
        return (view with { Touchpoints = result, Traits = WithTraits(view.Traits, e.Traits, at), Consent = step.Consent }, journal);
    }

    /// <summary>
    /// One web call's effect, built up by the method of its kind: the web section (kept only when the call is a visit to the
    /// website), the other sections it touches (billing, email), consent, its touch point and its journal line.
    /// </summary>
    private readonly record struct Step(WebSection Web, TouchpointSections Sections, ConsentBook Consent, Touchpoint Touchpoint, string? Summary);

    private static Step Page(Step step, WebEvent e)
    {
        var title = e.Page?.Title ?? e.Name;
        var web = step.Web with
        {
            PageViews = step.Web.PageViews + 1,
            PricingViews = step.Web.PricingViews + (IsPricing(e.Page, e.Name) ? 1 : 0),
            LastPages = AddPage(step.Web, new PageVisit(e.OccurredAt, e.Page?.Path, title)),
        };
        return step with { Web = web, Summary = $"Viewed {(e.Call == WebCall.Screen ? "screen" : "page")} {Clip(title ?? e.Page?.Path ?? "(untitled)", 60)}" };
    }

    private static Step ProductViewed(Step step, WebEvent e) =>
        step with
        {
            Web = step.Web with { ProductViews = step.Web.ProductViews + 1 },
            Summary = $"Viewed product {Clip(e.Commerce?.ProductName ?? e.Commerce?.ProductId, 50)}",
        };

    private static Step ProductsSearched(Step step, WebEvent e) =>
        step with
        {
            Web = step.Web with { LastSearch = Latest(step.Web.LastSearch, e.Commerce?.Query, e.OccurredAt) },
            Summary = $"Searched for \"{Clip(e.Commerce?.Query, 50)}\"",
        };

    private static Step CartChanged(Step step, WebEvent e)
    {
        var commerce = e.Commerce;
        var sign = e.Spec == SpecEvent.ProductAdded ? 1 : -1;
        var quantity = Math.Max(commerce?.Quantity ?? 1, 1);
        return step with
        {
            Web = step.Web with { Cart = AddToCart(step.Web.Cart, sign * quantity, sign * quantity * (commerce?.Price ?? 0), commerce?.Currency, e.OccurredAt) },
            Summary = $"{(sign > 0 ? "Added" : "Removed")} {Clip(commerce?.ProductName ?? commerce?.ProductId, 50)} {(sign > 0 ? "to" : "from")} cart",
        };
    }

    /// <summary>A cart viewed or a checkout started: a snapshot of the cart, newer than what the section holds, replaces it.</summary>
    private static Step CartSeen(Step step, WebEvent e)
    {
        var commerce = e.Commerce;
        var web = step.Web;
        if (commerce?.Total is { } total && (web.Cart is null || web.Cart.UpdatedAt <= e.OccurredAt))
            web = web with { Cart = new Cart(total, commerce.ItemCount ?? web.Cart?.Items ?? 0, commerce.Currency, e.OccurredAt) };
        return step with
        {
            Web = web,
            Summary = e.Spec == SpecEvent.CheckoutStarted ? $"Started checkout ({Money(commerce?.Total ?? 0, commerce?.Currency)})" : "Viewed cart",
        };
    }

    private static Step OrderCompleted(Step step, WebEvent e)
    {
        var commerce = e.Commerce;
        var web = step.Web;
        if (web.Cart is null || web.Cart.UpdatedAt <= e.OccurredAt) web = web with { Cart = new Cart(0, 0, commerce?.Currency, e.OccurredAt) };
        return step with
        {
            Web = web,
            Sections = step.Sections with { Billing = BillingProjection.Order(step.Sections.Billing, commerce?.OrderId, commerce?.Total ?? 0, commerce?.Currency, e.OccurredAt) },
            Summary = $"Completed order {commerce?.OrderId} ({Money(commerce?.Total ?? 0, commerce?.Currency)})",
        };
    }

    private static Step OrderRefunded(Step step, WebEvent e)
    {
        var commerce = e.Commerce;
        return step with
        {
            Sections = step.Sections with { Billing = BillingProjection.Refund(step.Sections.Billing, commerce?.Total ?? 0, commerce?.Currency, e.OccurredAt) },
            Summary = $"Refunded order {commerce?.OrderId} ({Money(commerce?.Total ?? 0, commerce?.Currency)})",
        };
    }

    /// <summary>Segment's email events belong to the email channel; an unsubscribe denies email consent.</summary>
    private static Step EmailEvent(Step step, WebEvent e)
    {
        var summary = e.Spec switch
        {
            SpecEvent.EmailOpened => "Opened an email",
            SpecEvent.EmailLinkClicked => "Clicked a link in an email",
            _ => "Unsubscribed from email",
        };
        var consent = e.Spec == SpecEvent.Unsubscribed
            ? step.Consent.With(ConsentChannel.Email, new ConsentState(ConsentStatus.Denied, "web", e.OccurredAt))
            : step.Consent;
        return step with
        {
            Sections = step.Sections with { Email = Interact(step.Sections.Email, e.OccurredAt, summary) },
            Consent = consent,
            Touchpoint = Touchpoint.Email,
            Summary = summary,
        };
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
