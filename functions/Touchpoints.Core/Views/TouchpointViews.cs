using System.Collections.Frozen;
using System.Collections.Immutable;
using Touchpoints.Core.Events;
using Touchpoints.Core.Identity;

namespace Touchpoints.Core.Views;

/// <summary>Contact details: what a person at a touch point needs to address the customer.</summary>
public sealed record ContactDetails(string? Name, string? Email, string? Phone, string? Company, string? Title);

/// <summary>
/// What one touch point reads of the customer view: enough to serve the customer without asking again, and no more
/// (web personalisation, for one, never sees contact details).
/// </summary>
public sealed record TouchpointView
{
    public required CustomerId CustomerId { get; init; }
    public required Touchpoint Touchpoint { get; init; }
    public required LifecycleStage Lifecycle { get; init; }
    public string? Locale { get; init; }
    public string? Timezone { get; init; }
    public ContactDetails? Contact { get; init; }
    public ConsentBook? Consent { get; init; }
    public string? SalesOwner { get; init; }
    public ImmutableArray<Ticket>? OpenTickets { get; init; }
    public ImmutableArray<JournalEntry>? Journal { get; init; }
    public WebSection? Web { get; init; }
    public InteractionSection? Email { get; init; }
    public SocialSection? Social { get; init; }
    public InteractionSection? Phone { get; init; }
    public InteractionSection? Mail { get; init; }
    public InteractionSection? InPerson { get; init; }
    public SalesSection? Sales { get; init; }
    public SupportSection? Support { get; init; }
    public BillingSection? Billing { get; init; }
}

/// <summary>The one place that decides what each touch point sees.</summary>
public static class TouchpointViews
{
    [Flags]
    private enum Needs
    {
        None = 0,
        Contact = 1,
        Consent = 2,
        Owner = 4,
        Tickets = 8,
        Journal = 16,
        Web = 32,
        Email = 64,
        Social = 128,
        Phone = 256,
        Mail = 512,
        InPerson = 1024,
        Sales = 2048,
        Support = 4096,
        Billing = 8192,
    }

    private static readonly FrozenDictionary<Touchpoint, Needs> ByTouchpoint = new Dictionary<Touchpoint, Needs>
    {
        // Personalising pages: behaviour only — the page must never be able to show who the visitor is.
        [Touchpoint.Web] = Needs.Web,
        [Touchpoint.Email] = Needs.Contact | Needs.Consent | Needs.Email | Needs.Web,
        [Touchpoint.Social] = Needs.Social | Needs.Consent | Needs.Tickets,
        // An agent on the phone: who is calling, what they may be contacted about, what is open, and what just happened.
        [Touchpoint.Phone] = Needs.Contact | Needs.Consent | Needs.Owner | Needs.Tickets | Needs.Journal | Needs.Phone | Needs.Billing,
        [Touchpoint.Mail] = Needs.Contact | Needs.Consent | Needs.Mail,
        [Touchpoint.InPerson] = Needs.Contact | Needs.Owner | Needs.Tickets | Needs.Journal | Needs.InPerson | Needs.Billing,
        [Touchpoint.Sales] = Needs.Contact | Needs.Consent | Needs.Owner | Needs.Tickets | Needs.Journal | Needs.Sales | Needs.Billing | Needs.Social | Needs.Web,
        [Touchpoint.Support] = Needs.Contact | Needs.Consent | Needs.Owner | Needs.Tickets | Needs.Journal | Needs.Support | Needs.Billing | Needs.Phone | Needs.Email,
        [Touchpoint.Billing] = Needs.Contact | Needs.Billing | Needs.Tickets,
    }.ToFrozenDictionary();

    public static TouchpointView For(Touchpoint touchpoint, CustomerView view)
    {
        var needs = ByTouchpoint[touchpoint];
        var t = view.Touchpoints;
        var traits = view.Traits;
        T? If<T>(Needs need, T? value) where T : class => needs.HasFlag(need) ? value : null;
        return new TouchpointView
        {
            CustomerId = view.Id,
            Touchpoint = touchpoint,
            Lifecycle = view.Lifecycle,
            Locale = traits.Locale?.Value,
            Timezone = traits.Timezone?.Value,
            Contact = If(Needs.Contact, new ContactDetails(traits.Name?.Value, traits.Email?.Value, traits.Phone?.Value, traits.Company?.Value, traits.Title?.Value)),
            Consent = If(Needs.Consent, view.Consent),
            SalesOwner = If(Needs.Owner, t.Sales?.Owner?.Value),
            OpenTickets = needs.HasFlag(Needs.Tickets) ? t.Support?.OpenTickets ?? [] : null,
            Journal = needs.HasFlag(Needs.Journal) ? view.Journal : null,
            Web = If(Needs.Web, t.Web),
            Email = If(Needs.Email, t.Email),
            Social = If(Needs.Social, t.Social),
            Phone = If(Needs.Phone, t.Phone),
            Mail = If(Needs.Mail, t.Mail),
            InPerson = If(Needs.InPerson, t.InPerson),
            Sales = If(Needs.Sales, t.Sales),
            Support = If(Needs.Support, t.Support),
            Billing = If(Needs.Billing, t.Billing),
        };
    }

    public static bool TryParse(string name, out Touchpoint touchpoint) =>
        Enum.TryParse(name, ignoreCase: true, out touchpoint) && Enum.IsDefined(touchpoint) && !char.IsAsciiDigit(name[0]);
}
