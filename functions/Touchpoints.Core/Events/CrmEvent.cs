namespace Touchpoints.Core.Events;

public enum CrmEventType
{
    ContactUpdated,
    LeadStatusChanged,
    OpportunityStageChanged,
    OrderPlaced,
    InvoicePaid,
    RefundIssued,
    TicketOpened,
    TicketClosed,
    CallLogged,
    MeetingLogged,
    MailSent,
    ConsentChanged,
}

/// <summary>The channels consent is tracked for.</summary>
public enum ConsentChannel { Email, Sms, Phone, Mail }

public enum ConsentStatus { Unknown, Granted, Denied }

/// <summary>An event of a CRM or billing system in our canonical schema (<c>Schemas/crm-event.schema.json</c>).</summary>
public sealed record CrmEvent : IngestedEvent
{
    public required CrmEventType Kind { get; init; }
    /// <summary>The system that sent it (hubspot, salesforce, stripe, ...), which scopes <see cref="CrmId"/>.</summary>
    public string? System { get; init; }
    public string? CrmId { get; init; }
    public string? Owner { get; init; }
    /// <summary>The id of the ticket, order, invoice, refund or opportunity the event is about.</summary>
    public string? ObjectId { get; init; }
    public decimal? Amount { get; init; }
    public string? Currency { get; init; }
    public decimal? Cost { get; init; }
    public string? Stage { get; init; }
    public string? Status { get; init; }
    public string? Channel { get; init; }
    public string? Subject { get; init; }
    public Traits Traits { get; init; } = Traits.Empty;
    public ConsentChannel? ConsentChannel { get; init; }
    public ConsentStatus? Consent { get; init; }

    public override EventSource Source => EventSource.Crm;

    public override string Type => "crm." + Kind switch
    {
        CrmEventType.ContactUpdated => "contact.updated",
        CrmEventType.LeadStatusChanged => "lead.status_changed",
        CrmEventType.OpportunityStageChanged => "opportunity.stage_changed",
        CrmEventType.OrderPlaced => "order.placed",
        CrmEventType.InvoicePaid => "invoice.paid",
        CrmEventType.RefundIssued => "refund.issued",
        CrmEventType.TicketOpened => "ticket.opened",
        CrmEventType.TicketClosed => "ticket.closed",
        CrmEventType.CallLogged => "call.logged",
        CrmEventType.MeetingLogged => "meeting.logged",
        CrmEventType.MailSent => "mail.sent",
        CrmEventType.ConsentChanged => "consent.changed",
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, null),
    };
}
