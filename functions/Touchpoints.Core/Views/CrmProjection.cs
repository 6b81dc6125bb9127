using Touchpoints.Core.Events;
using static Touchpoints.Core.Views.CustomerProjection;

namespace Touchpoints.Core.Views;

/// <summary>CRM and billing events onto the sales, support, billing, phone, mail, email and face-to-face sections.</summary>
public static class CrmProjection
{
    private static readonly string[] ClosedStages = ["closedwon", "closed_won", "won", "closedlost", "closed_lost", "lost"];
    private static readonly string[] WonStages = ["closedwon", "closed_won", "won"];

    /// <summary>What one CRM event does to the sections (and consent), and the journal line that tells it.</summary>
    private readonly record struct Projected(TouchpointSections Sections, Touchpoint Touchpoint, string Summary, ConsentBook? Consent = null);

    public static (CustomerView View, JournalEntry? Journal) Apply(CustomerView view, CrmEvent e)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(e);
        var s = view.Touchpoints;
        var (sections, touchpoint, summary, consent) = e.Kind switch
        {
            CrmEventType.ContactUpdated => ContactUpdated(s, e),
            CrmEventType.LeadStatusChanged => LeadStatusChanged(s, e),
            CrmEventType.OpportunityStageChanged => OpportunityStageChanged(s, e),
            CrmEventType.OrderPlaced => OrderPlaced(s, e),
            CrmEventType.InvoicePaid => InvoicePaid(s, e),
            CrmEventType.RefundIssued => RefundIssued(s, e),
            CrmEventType.TicketOpened => TicketOpened(s, e),
            CrmEventType.TicketClosed => TicketClosed(s, e),
            CrmEventType.CallLogged => CallLogged(s, e),
            CrmEventType.MeetingLogged => MeetingLogged(s, e),
            CrmEventType.MailSent => MailSent(s, e),
            CrmEventType.ConsentChanged => ConsentChanged(s, view.Consent, e),
            _ => throw new ArgumentOutOfRangeException(nameof(e), e.Kind, null),
        };
        if (e.Cost is > 0) sections = sections with { Billing = BillingProjection.Cost(sections.Billing, e.Cost.Value, e.OccurredAt) };
        var traits = WithTraits(view.Traits, e.Traits, e.OccurredAt);
        return (view with { Touchpoints = sections, Traits = traits, Consent = consent ?? view.Consent },
            new JournalEntry(e.OccurredAt, touchpoint, summary, e.DedupKey));
    }

    private static Projected ContactUpdated(TouchpointSections s, CrmEvent e) =>
        new(s with { Sales = Sales(s.Sales, e, e.OccurredAt) }, Touchpoint.Sales, $"Contact details updated in {System(e)}");

    private static Projected LeadStatusChanged(TouchpointSections s, CrmEvent e)
    {
        var lead = Sales(s.Sales, e, e.OccurredAt);
        return new(s with { Sales = lead with { LeadStatus = Latest(lead.LeadStatus, e.Status, e.OccurredAt) } }, Touchpoint.Sales,
            $"Lead status is now {e.Status}");
    }

    private static Projected OpportunityStageChanged(TouchpointSections s, CrmEvent e)
    {
        var at = e.OccurredAt;
        var current = Sales(s.Sales, e, at);
        var stage = e.Stage!;
        var key = stage.ToLowerInvariant().Replace(" ", "", StringComparison.Ordinal);
        var opportunity = new Opportunity(e.ObjectId, stage, e.Amount ?? current.Opportunity?.Value, e.Currency ?? current.Opportunity?.Currency,
            !ClosedStages.Contains(key), at);
        var sales = current with
        {
            Opportunity = current.Opportunity is not null && current.Opportunity.UpdatedAt > at ? current.Opportunity : opportunity,
            OpportunitiesWon = current.OpportunitiesWon + (WonStages.Contains(key) ? 1 : 0),
        };
        return new(s with { Sales = sales }, Touchpoint.Sales,
            $"Opportunity {e.ObjectId} moved to {stage}{(e.Amount is { } v ? $" ({Money(v, e.Currency)})" : "")}");
    }

    private static Projected OrderPlaced(TouchpointSections s, CrmEvent e) =>
        new(s with { Billing = BillingProjection.Order(s.Billing, e.ObjectId, e.Amount!.Value, e.Currency, e.OccurredAt) }, Touchpoint.Billing,
            $"Placed order {e.ObjectId} ({Money(e.Amount!.Value, e.Currency)})");

    private static Projected InvoicePaid(TouchpointSections s, CrmEvent e) =>
        new(s with { Billing = BillingProjection.InvoicePaid(s.Billing, e.ObjectId, e.Amount!.Value, e.Currency, e.OccurredAt) }, Touchpoint.Billing,
            $"Paid invoice {e.ObjectId} ({Money(e.Amount!.Value, e.Currency)})");

    private static Projected RefundIssued(TouchpointSections s, CrmEvent e)
    {
        var subject = Subject(e);
        return new(s with { Billing = BillingProjection.Refund(s.Billing, e.Amount!.Value, e.Currency, e.OccurredAt) }, Touchpoint.Billing,
            $"Refunded {Money(e.Amount!.Value, e.Currency)}{(subject.Length > 0 ? $": {subject}" : "")}");
    }

    private static Projected TicketOpened(TouchpointSections s, CrmEvent e) =>
        new(s with { Support = TicketOpened(s.Support, e, e.OccurredAt) }, Touchpoint.Support, $"Opened ticket {e.ObjectId}: {Subject(e)}");

    private static Projected TicketClosed(TouchpointSections s, CrmEvent e)
    {
        var subject = Subject(e);
        return new(s with { Support = TicketClosed(s.Support, e, e.OccurredAt) }, Touchpoint.Support,
            $"Ticket {e.ObjectId} closed{(subject.Length > 0 ? $": {subject}" : "")}");
    }

    private static Projected CallLogged(TouchpointSections s, CrmEvent e)
    {
        var summary = $"Phone call{About(Subject(e))}";
        return new(Contact(s with { Phone = Interact(s.Phone, e.OccurredAt, summary) }, e, e.OccurredAt), Touchpoint.Phone, summary);
    }

    private static Projected MeetingLogged(TouchpointSections s, CrmEvent e)
    {
        var summary = $"Meeting{About(Subject(e))}";
        return new(Contact(s with { InPerson = Interact(s.InPerson, e.OccurredAt, summary) }, e, e.OccurredAt), Touchpoint.InPerson, summary);
    }

    /// <summary>A mail logged on the email channel is an email; any other is a letter.</summary>
    private static Projected MailSent(TouchpointSections s, CrmEvent e)
    {
        if (string.Equals(e.Channel, "email", StringComparison.OrdinalIgnoreCase))
        {
            var email = $"Email sent{About(Subject(e))}";
            return new(Contact(s with { Email = Interact(s.Email, e.OccurredAt, email) }, e, e.OccurredAt), Touchpoint.Email, email);
        }
        var letter = $"Letter sent{About(Subject(e))}";
        return new(Contact(s with { Mail = Interact(s.Mail, e.OccurredAt, letter) }, e, e.OccurredAt), Touchpoint.Mail, letter);
    }

    private static Projected ConsentChanged(TouchpointSections s, ConsentBook consent, CrmEvent e)
    {
        var channel = e.ConsentChannel!.Value;
        var touchpoint = channel switch
        {
            ConsentChannel.Email => Touchpoint.Email,
            ConsentChannel.Mail => Touchpoint.Mail,
            _ => Touchpoint.Phone,
        };
        return new(s, touchpoint, $"{channel} consent {e.Consent!.Value.ToString().ToLowerInvariant()} ({System(e)})",
            consent.With(channel, new ConsentState(e.Consent!.Value, System(e), e.OccurredAt)));
    }

    private static string System(CrmEvent e) => e.System ?? "crm";

    private static string Subject(CrmEvent e) => Clip(e.Subject, 60);

    private static string About(string subject) => subject.Length > 0 ? $" about {subject}" : "";

    private static SalesSection Sales(SalesSection? sales, CrmEvent e, DateTimeOffset at)
    {
        var section = sales is null ? new SalesSection { Activity = Activity.Of(at) } : sales with { Activity = sales.Activity.Add(at) };
        return section with { Owner = Latest(section.Owner, e.Owner, at) };
    }

    // A logged call, meeting or mail by a named owner is the sales team's last contact with the customer. It widens the
    // sales section's time span without counting as a sales event, whether or not the section exists yet: the outcome
    // must not depend on which of a customer's events arrived first.
    private static TouchpointSections Contact(TouchpointSections s, CrmEvent e, DateTimeOffset at)
    {
        if (e.Owner is null) return s;
        var sales = s.Sales ?? new SalesSection { Activity = new Activity(at, at, 0) };
        return s with
        {
            Sales = sales with
            {
                Activity = sales.Activity.Span(at),
                Owner = Latest(sales.Owner, e.Owner, at),
                LastContactAt = sales.LastContactAt is { } last && last > at ? last : at,
            },
        };
    }

    private static SupportSection TicketOpened(SupportSection? support, CrmEvent e, DateTimeOffset at)
    {
        var s = support is null ? new SupportSection { Activity = Activity.Of(at) } : support with { Activity = support.Activity.Add(at) };
        var id = e.ObjectId!;
        var open = s.OpenTickets;
        if (!s.ClosedTicketIds.Contains(id) && !open.Any(t => t.Id == id))
        {
            // Oldest first by opening time, not by arrival: any arrival order makes the same list (and drops the same one).
            open = [.. open.Add(new Ticket(id, e.Subject, at)).OrderBy(t => t.OpenedAt).ThenBy(t => t.Id, StringComparer.Ordinal)];
            if (open.Length > SupportSection.OpenTicketsLimit) open = open.RemoveAt(0);
        }
        return s with
        {
            OpenTickets = open,
            TicketsOpened = s.TicketsOpened + 1,
            LastTicketSubject = Latest(s.LastTicketSubject, e.Subject, at),
        };
    }

    private static SupportSection TicketClosed(SupportSection? support, CrmEvent e, DateTimeOffset at)
    {
        var s = support is null ? new SupportSection { Activity = Activity.Of(at) } : support with { Activity = support.Activity.Add(at) };
        var id = e.ObjectId!;
        var closed = s.ClosedTicketIds.Contains(id) ? s.ClosedTicketIds : s.ClosedTicketIds.Insert(0, id);
        if (closed.Length > SupportSection.OpenTicketsLimit) closed = closed.RemoveAt(closed.Length - 1);
        return s with
        {
            OpenTickets = s.OpenTickets.RemoveAll(t => t.Id == id),
            ClosedTicketIds = closed,
            TicketsClosed = s.TicketsClosed + 1,
            LastTicketSubject = Latest(s.LastTicketSubject, e.Subject, at),
        };
    }
}
