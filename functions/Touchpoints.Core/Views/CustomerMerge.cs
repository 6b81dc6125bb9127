using System.Collections.Immutable;
using Touchpoints.Core.Identity;

namespace Touchpoints.Core.Views;

/// <summary>Folds a merged-away profile into its survivor, section by section.</summary>
public static class CustomerMerge
{
    /// <summary>Idempotent: a loser already folded in (listed in <see cref="CustomerView.MergedFrom"/>) changes nothing.</summary>
    public static CustomerView Fold(CustomerView survivor, CustomerView loser)
    {
        if (loser.Id == survivor.Id || survivor.MergedFrom.Contains(loser.Id)) return survivor;
        var a = survivor.Touchpoints;
        var b = loser.Touchpoints;
        return survivor with
        {
            CreatedAt = survivor.CreatedAt <= loser.CreatedAt ? survivor.CreatedAt : loser.CreatedAt,
            MergedFrom = [.. survivor.MergedFrom, loser.Id, .. loser.MergedFrom.Where(id => !survivor.MergedFrom.Contains(id))],
            Identities = Identities(survivor.Identities, loser.Identities),
            Traits = Traits(survivor.Traits, loser.Traits),
            Consent = Consent(survivor.Consent, loser.Consent),
            Touchpoints = new TouchpointSections
            {
                Web = Pick(a.Web, b.Web, Web),
                Email = Pick(a.Email, b.Email, Interaction),
                Social = Pick(a.Social, b.Social, SocialProjection.Merge),
                Phone = Pick(a.Phone, b.Phone, Interaction),
                Mail = Pick(a.Mail, b.Mail, Interaction),
                InPerson = Pick(a.InPerson, b.InPerson, Interaction),
                Sales = Pick(a.Sales, b.Sales, Sales),
                Support = Pick(a.Support, b.Support, Support),
                Billing = Pick(a.Billing, b.Billing, BillingProjection.Merge),
            },
            Journal = loser.Journal.Aggregate(survivor.Journal, CustomerProjection.AddToJournal),
            Counters = loser.Counters.Aggregate(survivor.Counters, (acc, c) =>
                acc.TryGetValue(c.Key, out var n) ? acc.SetItem(c.Key, n + c.Value)
                : acc.Count >= CustomerProjection.CounterTypesLimit ? acc : acc.Add(c.Key, c.Value)),
            Conflicts = [.. survivor.Conflicts.Concat(loser.Conflicts).Where(c => c.OtherCustomerId != survivor.Id && c.OtherCustomerId != loser.Id)
                .DistinctBy(c => (c.Identifier, c.OtherCustomerId)).Take(CustomerView.ConflictLimit)],
            Applied = survivor.Applied.Union(loser.Applied),
            // What an unmerge kept apart from the loser stays apart from its survivor.
            Separations = [.. survivor.Separations.Concat(loser.Separations.Where(s => !survivor.Separations.Any(k => k.Other == s.Other && k.At == s.At)))],
        };
    }

    /// <summary>
    /// The tombstone a merged-away profile becomes: its data as read, so that whoever meets it unfolded can finish the merge,
    /// and <see cref="CustomerView.MergedInto"/> so that its id keeps resolving. Tombstones are immutable once written.
    /// </summary>
    public static CustomerView Tombstone(CustomerView loser, CustomerId survivorId, DateTimeOffset now) =>
        loser with { MergedInto = survivorId, Version = loser.Version + 1, UpdatedAt = now };

    /// <summary>
    /// A loser's claim of a user id (or crm id) the survivor already holds another value of never joins it: such a claim was
    /// refused by the store (see <see cref="IdentityResolver.Refuted"/>) and its identifier gets a profile of its own. Each
    /// key is checked against what the survivor holds so far, so that even a loser holding two values of one type (a state
    /// only an old tombstone can be in) brings the survivor one of them, never both: a survivor holding two could never be
    /// written again.
    /// </summary>
    private static ImmutableArray<string> Identities(ImmutableArray<string> survivor, ImmutableArray<string> loser)
    {
        var held = new List<string>(survivor);
        foreach (var key in loser.Order(StringComparer.Ordinal))
            if (!held.Contains(key) && !IdentityResolver.Clashes(held, new IdentifierKey(key))) held.Add(key);
        return [.. held.Order(StringComparer.Ordinal)];
    }

    private static T? Pick<T>(T? a, T? b, Func<T, T, T> merge) where T : class => a is null ? b : b is null ? a : merge(a, b);

    private static CustomerTraits Traits(CustomerTraits a, CustomerTraits b) => new()
    {
        Name = CustomerProjection.Latest(a.Name, b.Name),
        FirstName = CustomerProjection.Latest(a.FirstName, b.FirstName),
        LastName = CustomerProjection.Latest(a.LastName, b.LastName),
        Email = CustomerProjection.Latest(a.Email, b.Email),
        Phone = CustomerProjection.Latest(a.Phone, b.Phone),
        Company = CustomerProjection.Latest(a.Company, b.Company),
        Title = CustomerProjection.Latest(a.Title, b.Title),
        Locale = CustomerProjection.Latest(a.Locale, b.Locale),
        Timezone = CustomerProjection.Latest(a.Timezone, b.Timezone),
    };

    private static ConsentBook Consent(ConsentBook a, ConsentBook b) =>
        Enum.GetValues<Events.ConsentChannel>().Aggregate(a, (book, channel) => b[channel] is { } state ? book.With(channel, state) : book);

    private static InteractionSection Interaction(InteractionSection a, InteractionSection b) =>
        new(a.Activity.Union(b.Activity), CustomerProjection.Later(a.Last, b.Last));

    private static WebSection Web(WebSection a, WebSection b) => a with
    {
        Activity = a.Activity.Union(b.Activity),
        Sessions = a.Sessions + b.Sessions,
        PageViews = a.PageViews + b.PageViews,
        ProductViews = a.ProductViews + b.ProductViews,
        PricingViews = a.PricingViews + b.PricingViews,
        LastPages = [.. a.LastPages.Concat(b.LastPages).OrderByDescending(p => p.At).Take(WebSection.LastPagesLimit)],
        LastSearch = CustomerProjection.Latest(a.LastSearch, b.LastSearch),
        Cart = a.Cart is null ? b.Cart : b.Cart is null || a.Cart.UpdatedAt >= b.Cart.UpdatedAt ? a.Cart : b.Cart,
        FirstUtm = a.FirstUtm is null ? b.FirstUtm : b.FirstUtm is null || a.FirstUtm.At <= b.FirstUtm.At ? a.FirstUtm : b.FirstUtm,
        LastUtm = CustomerProjection.Latest(a.LastUtm, b.LastUtm),
    };

    private static SalesSection Sales(SalesSection a, SalesSection b) => a with
    {
        Activity = a.Activity.Union(b.Activity),
        Owner = CustomerProjection.Latest(a.Owner, b.Owner),
        LeadStatus = CustomerProjection.Latest(a.LeadStatus, b.LeadStatus),
        Opportunity = a.Opportunity is null ? b.Opportunity : b.Opportunity is null || a.Opportunity.UpdatedAt >= b.Opportunity.UpdatedAt ? a.Opportunity : b.Opportunity,
        OpportunitiesWon = a.OpportunitiesWon + b.OpportunitiesWon,
        LastContactAt = a.LastContactAt > b.LastContactAt || b.LastContactAt is null ? a.LastContactAt : b.LastContactAt,
    };

    private static SupportSection Support(SupportSection a, SupportSection b)
    {
        var closed = a.ClosedTicketIds.Union(b.ClosedTicketIds).Take(SupportSection.OpenTicketsLimit).ToImmutableArray();
        return a with
        {
            Activity = a.Activity.Union(b.Activity),
            OpenTickets = [.. a.OpenTickets.Concat(b.OpenTickets).DistinctBy(t => t.Id).Where(t => !closed.Contains(t.Id))
                .OrderBy(t => t.OpenedAt).ThenBy(t => t.Id, StringComparer.Ordinal).TakeLast(SupportSection.OpenTicketsLimit)],
            ClosedTicketIds = closed,
            TicketsOpened = a.TicketsOpened + b.TicketsOpened,
            TicketsClosed = a.TicketsClosed + b.TicketsClosed,
            LastTicketSubject = CustomerProjection.Latest(a.LastTicketSubject, b.LastTicketSubject),
        };
    }
}
