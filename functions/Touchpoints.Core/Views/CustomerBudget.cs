using System.Collections.Immutable;
using Touchpoints.Core.Events;

namespace Touchpoints.Core.Views;

/// <summary>
/// The document budget: no sequence of valid events can grow a customer document past <see cref="MaxDocumentBytes"/>
/// (Cosmos DB refuses items over 2 MB, and every write of a large document costs more). Every string the view keeps from
/// events is clipped, every list is bounded; <see cref="Enforce"/> runs before every write, and returns the view itself
/// when nothing is over (the common case costs a walk, not a copy).
/// <para>
/// The bounds: free text (journal lines, titles, subjects, searches, stages, owners) <see cref="TextLimit"/> characters;
/// paths and URLs <see cref="UrlLimit"/>; counter keys (event names) <see cref="KeyLimit"/>; identifiers are bounded by
/// their own rules (256 characters, at most <see cref="CustomerView.AnonymousIdLimit"/> anonymous ids and
/// <see cref="CustomerView.IdentifiersPerKindLimit"/> of each other kind); the dedup record by <see cref="AppliedEvents.Limit"/>.
/// </para>
/// </summary>
public static class CustomerBudget
{
    public const int MaxDocumentBytes = 256 * 1024;
    public const int TextLimit = 200;
    public const int UrlLimit = 512;
    public const int KeyLimit = 120;
    public const int HandlesLimit = 20;

    public static CustomerView Enforce(CustomerView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var t = view.Touchpoints;
        var sections = t with
        {
            Web = t.Web is { } web ? Web(web) : null,
            Email = Interaction(t.Email),
            Social = t.Social is { } social ? Social(social) : null,
            Phone = Interaction(t.Phone),
            Mail = Interaction(t.Mail),
            InPerson = Interaction(t.InPerson),
            Sales = t.Sales is { } sales ? Sales(sales) : null,
            Support = t.Support is { } support ? Support(support) : null,
            Billing = t.Billing is { } billing ? Billing(billing) : null,
        };
        var journal = Map(view.Journal, j => j.Summary.Length <= TextLimit ? j : j with { Summary = Clip(j.Summary, TextLimit)! });
        var counters = view.Counters.Keys.All(k => k.Length <= KeyLimit) ? view.Counters : Counters(view.Counters);
        var traits = Traits(view.Traits);
        var conflicts = Map(view.Conflicts, c => c.Reason.Length <= TextLimit ? c : c with { Reason = Clip(c.Reason, TextLimit)! });
        if (sections == t && journal == view.Journal && counters == view.Counters && traits == view.Traits && conflicts == view.Conflicts) return view;
        return view with { Touchpoints = sections, Journal = journal, Counters = counters, Traits = traits, Conflicts = conflicts };
    }

    /// <summary>A string cut to <paramref name="limit"/> characters (never inside a surrogate pair), marked with an ellipsis.</summary>
    public static string? Clip(string? text, int limit)
    {
        if (text is null || text.Length <= limit) return text;
        var cut = limit - 1;
        if (char.IsHighSurrogate(text[cut - 1])) cut--;
        return string.Concat(text.AsSpan(0, cut), "…");
    }

    private static Stamped<string>? Text(Stamped<string>? value, int limit = TextLimit) =>
        value is null || value.Value.Length <= limit ? value : value with { Value = Clip(value.Value, limit)! };

    private static ImmutableArray<T> Map<T>(ImmutableArray<T> items, Func<T, T> clip) where T : class
    {
        ImmutableArray<T>.Builder? changed = null;
        for (var i = 0; i < items.Length; i++)
        {
            var clipped = clip(items[i]);
            if (ReferenceEquals(clipped, items[i]) && changed is null) continue;
            changed ??= items.ToBuilder();
            changed[i] = clipped;
        }
        return changed?.ToImmutable() ?? items;
    }

    private static ImmutableSortedDictionary<string, long> Counters(ImmutableSortedDictionary<string, long> counters)
    {
        var builder = ImmutableSortedDictionary.CreateBuilder<string, long>(StringComparer.Ordinal);
        foreach (var (key, count) in counters)
        {
            var clipped = Clip(key, KeyLimit)!;
            builder[clipped] = builder.TryGetValue(clipped, out var n) ? n + count : count;
        }
        return builder.ToImmutable();
    }

    private static CustomerTraits Traits(CustomerTraits t)
    {
        var clipped = t with
        {
            Name = Text(t.Name), FirstName = Text(t.FirstName), LastName = Text(t.LastName), Email = Text(t.Email, UrlLimit), Phone = Text(t.Phone), Company = Text(t.Company), Title = Text(t.Title),
            Locale = Text(t.Locale), Timezone = Text(t.Timezone),
        };
        return clipped == t ? t : clipped;
    }

    private static InteractionSection? Interaction(InteractionSection? section) =>
        section is null || section.Last.What.Length <= TextLimit ? section : section with { Last = section.Last with { What = Clip(section.Last.What, TextLimit)! } };

    private static Campaign? Campaign(Campaign? c)
    {
        if (c is null) return null;
        var clipped = new Campaign(Clip(c.Source, TextLimit), Clip(c.Medium, TextLimit), Clip(c.Name, TextLimit), Clip(c.Term, TextLimit), Clip(c.Content, TextLimit));
        return clipped == c ? c : clipped;
    }

    private static Stamped<Campaign>? Utm(Stamped<Campaign>? utm) =>
        utm is null ? null : Campaign(utm.Value) is var c && ReferenceEquals(c, utm.Value) ? utm : utm with { Value = c! };

    private static WebSection Web(WebSection web)
    {
        var clipped = web with
        {
            LastPages = Map(web.LastPages, p => (p.Path?.Length ?? 0) <= UrlLimit && (p.Title?.Length ?? 0) <= TextLimit ? p
                : p with { Path = Clip(p.Path, UrlLimit), Title = Clip(p.Title, TextLimit) }),
            LastSearch = Text(web.LastSearch),
            FirstUtm = Utm(web.FirstUtm),
            LastUtm = Utm(web.LastUtm),
            Cart = web.Cart is { Currency.Length: > 16 } cart ? cart with { Currency = Clip(cart.Currency, 16) } : web.Cart,
        };
        return clipped == web ? web : clipped;
    }

    private static SocialSection Social(SocialSection social)
    {
        var handles = social.Handles.Length > HandlesLimit
            ? [.. social.Handles.OrderByDescending(h => h.SeenAt).Take(HandlesLimit)]
            : social.Handles;
        handles = Map(handles, h => h.Handle.Length <= Identity.Identifiers.MaxLength && (h.ProfileUrl?.Length ?? 0) <= UrlLimit && h.Network.Length <= 64 ? h
            : h with { Handle = Clip(h.Handle, Identity.Identifiers.MaxLength)!, ProfileUrl = Clip(h.ProfileUrl, UrlLimit), Network = Clip(h.Network, 64)! });
        return handles == social.Handles ? social : social with { Handles = handles };
    }

    private static SalesSection Sales(SalesSection sales)
    {
        var clipped = sales with
        {
            Owner = Text(sales.Owner, UrlLimit),
            LeadStatus = Text(sales.LeadStatus),
            Opportunity = sales.Opportunity is { } o && (o.Stage.Length > TextLimit || (o.Id?.Length ?? 0) > TextLimit || (o.Currency?.Length ?? 0) > 16)
                ? o with { Stage = Clip(o.Stage, TextLimit)!, Id = Clip(o.Id, TextLimit), Currency = Clip(o.Currency, 16) }
                : sales.Opportunity,
        };
        return clipped == sales ? sales : clipped;
    }

    private static SupportSection Support(SupportSection support)
    {
        var clipped = support with
        {
            OpenTickets = Map(support.OpenTickets, k => k.Id.Length <= TextLimit && (k.Subject?.Length ?? 0) <= TextLimit ? k
                : k with { Id = Clip(k.Id, TextLimit)!, Subject = Clip(k.Subject, TextLimit) }),
            ClosedTicketIds = support.ClosedTicketIds.All(i => i.Length <= TextLimit) ? support.ClosedTicketIds : [.. support.ClosedTicketIds.Select(i => Clip(i, TextLimit)!)],
            LastTicketSubject = Text(support.LastTicketSubject),
        };
        return clipped == support ? support : clipped;
    }

    private static BillingSection Billing(BillingSection billing)
    {
        var clipped = billing with
        {
            LastOrder = billing.LastOrder is { } o && ((o.Id?.Length ?? 0) > TextLimit || (o.Currency?.Length ?? 0) > 16)
                ? o with { Id = Clip(o.Id, TextLimit), Currency = Clip(o.Currency, 16) }
                : billing.LastOrder,
            RecentOrderIds = billing.RecentOrderIds.All(i => i.Length <= TextLimit) ? billing.RecentOrderIds : [.. billing.RecentOrderIds.Select(i => Clip(i, TextLimit)!)],
            Currency = Clip(billing.Currency, 16),
        };
        return clipped == billing ? billing : clipped;
    }
}
