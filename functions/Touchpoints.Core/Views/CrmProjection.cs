using Touchpoints.Core.Events;
using static Touchpoints.Core.Views.CustomerProjection;

namespace Touchpoints.Core.Views;

/// <summary>CRM and billing events onto the sales, support, billing, phone, mail, email and face-to-face sections.</summary>
public static class CrmProjection
{
    private static readonly string[] ClosedStages = ["closedwon", "closed_won", "won", "closedlost", "closed_lost", "lost"];
    private static readonly string[] WonStages = ["closedwon", "closed_won", "won"];

    public static (CustomerView View, JournalEntry? Journal) Apply(CustomerView view, CrmEvent e)
    {
        var at = e.OccurredAt;
        var s = view.Touchpoints;
        var traits = WithTraits(view.Traits, e.Traits, at);
        var consent = view.Consent;
        var system = e.System ?? "crm";
        var subject = Clip(e.Subject, 60);
        Touchpoint touchpoint;
        string summary;

        switch (e.Kind)
        {
            case CrmEventType.ContactUpdated:
                touchpoint = Touchpoint.Sales;
                s = s with { Sales = Sales(s.Sales, e, at) };
                summary = $"Contact details updated in {system}";
                break;
            case CrmEventType.LeadStatusChanged:
                touchpoint = Touchpoint.Sales;
                var lead = Sales(s.Sales, e, at);
                s = s with { Sales = lead with { LeadStatus = Latest(lead.LeadStatus, e.Status, at) } };
                summary = $"Lead status is now {e.Status}";
                break;
            case CrmEventType.OpportunityStageChanged:
                touchpoint = Touchpoint.Sales;
                var current = Sales(s.Sales, e, at);
                var stage = e.Stage!;
                var key = stage.ToLowerInvariant().Replace(" ", "", StringComparison.Ordinal);
                var opportunity = new Opportunity(e.ObjectId, stage, e.Amount ?? current.Opportunity?.Value, e.Currency ?? current.Opportunity?.Currency,
                    !ClosedStages.Contains(key), at);
                s = s with
                {
                    Sales = current with
                    {
                        Opportunity = current.Opportunity is not null && current.Opportunity.UpdatedAt > at ? current.Opportunity : opportunity,
                        OpportunitiesWon = current.OpportunitiesWon + (WonStages.Contains(key) ? 1 : 0),
                    },
                };
                summary = $"Opportunity {e.ObjectId} moved to {stage}{(e.Amount is { } v ? $" ({Money(v, e.Currency)})" : "")}";
                break;
            case CrmEventType.OrderPlaced:
                touchpoint = Touchpoint.Billing;
                s = s with { Billing = BillingProjection.Order(s.Billing, e.ObjectId, e.Amount!.Value, e.Currency, at) };
                summary = $"Placed order {e.ObjectId} ({Money(e.Amount!.Value, e.Currency)})";
                break;
            case CrmEventType.InvoicePaid:
                touchpoint = Touchpoint.Billing;
                s = s with { Billing = BillingProjection.InvoicePaid(s.Billing, e.ObjectId, e.Amount!.Value, e.Currency, at) };
                summary = $"Paid invoice {e.ObjectId} ({Money(e.Amount!.Value, e.Currency)})";
                break;
            case CrmEventType.RefundIssued:
                touchpoint = Touchpoint.Billing;
                s = s with { Billing = BillingProjection.Refund(s.Billing, e.Amount!.Value, e.Currency, at) };
                summary = $"Refunded {Money(e.Amount!.Value, e.Currency)}{(subject.Length > 0 ? $": {subject}" : "")}";
                break;
            case CrmEventType.TicketOpened:
                touchpoint = Touchpoint.Support;
                s = s with { Support = TicketOpened(s.Support, e, at) };
                summary = $"Opened ticket {e.ObjectId}: {subject}";
                break;
            case CrmEventType.TicketClosed:
                touchpoint = Touchpoint.Support;
                s = s with { Support = TicketClosed(s.Support, e, at) };
                summary = $"Ticket {e.ObjectId} closed{(subject.Length > 0 ? $": {subject}" : "")}";
                break;
            case CrmEventType.CallLogged:
                touchpoint = Touchpoint.Phone;
                summary = $"Phone call{About(subject)}";
                s = Contact(s with { Phone = Interact(s.Phone, at, summary) }, e, at);
                break;
            case CrmEventType.MeetingLogged:
                touchpoint = Touchpoint.InPerson;
                summary = $"Meeting{About(subject)}";
                s = Contact(s with { InPerson = Interact(s.InPerson, at, summary) }, e, at);
                break;
            case CrmEventType.MailSent when string.Equals(e.Channel, "email", StringComparison.OrdinalIgnoreCase):
                touchpoint = Touchpoint.Email;
                summary = $"Email sent{About(subject)}";
                s = Contact(s with { Email = Interact(s.Email, at, summary) }, e, at);
                break;
            case CrmEventType.MailSent:
                touchpoint = Touchpoint.Mail;
                summary = $"Letter sent{About(subject)}";
                s = Contact(s with { Mail = Interact(s.Mail, at, summary) }, e, at);
                break;
            case CrmEventType.ConsentChanged:
                var channel = e.ConsentChannel!.Value;
                touchpoint = channel switch
                {
                    ConsentChannel.Email => Touchpoint.Email,
                    ConsentChannel.Mail => Touchpoint.Mail,
                    _ => Touchpoint.Phone,
                };
                consent = consent.With(channel, new ConsentState(e.Consent!.Value, system, at));
                summary = $"{channel} consent {e.Consent!.Value.ToString().ToLowerInvariant()} ({system})";
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(e), e.Kind, null);
        }
        if (e.Cost is > 0) s = s with { Billing = BillingProjection.Cost(s.Billing, e.Cost.Value, at) };
        return (view with { Touchpoints = s, Traits = traits, Consent = consent }, new JournalEntry(at, touchpoint, summary, e.DedupKey));
    }

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
