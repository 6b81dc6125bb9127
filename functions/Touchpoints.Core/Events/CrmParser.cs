using System.Collections.Frozen;
using System.Text.Json.Serialization;
using Touchpoints.Core.Identity;

namespace Touchpoints.Core.Events;

/// <summary>A CRM or billing event in our canonical schema (<c>Schemas/crm-event.schema.json</c>).</summary>
internal sealed class CrmMessage
{
    [System.Text.Json.Serialization.JsonPropertyName(IngestedEvent.ScopeMember)] public string? Scope { get; set; }
    public string? EventId { get; set; }
    public string? Type { get; set; }
    public DateTimeOffset? OccurredAt { get; set; }
    public CrmCustomer? Customer { get; set; }
    public string? Owner { get; set; }
    [JsonConverter(typeof(StringOrNumberConverter))] public string? ObjectId { get; set; }
    public decimal? Amount { get; set; }
    public string? Currency { get; set; }
    public decimal? Cost { get; set; }
    public string? Stage { get; set; }
    public string? Status { get; set; }
    public string? Channel { get; set; }
    public string? Subject { get; set; }
}

internal sealed class CrmCustomer
{
    public string? System { get; set; }
    [JsonConverter(typeof(StringOrNumberConverter))] public string? CrmId { get; set; }
    public string? Email { get; set; }
    public string? Phone { get; set; }
    [JsonConverter(typeof(StringOrNumberConverter))] public string? UserId { get; set; }
    public string? Name { get; set; }
    public string? FirstName { get; set; }
    public string? LastName { get; set; }
    public string? Company { get; set; }
    public string? Title { get; set; }
    public string? Locale { get; set; }
    public string? Timezone { get; set; }
}

public static class CrmParser
{
    public const int MaxSubjectLength = 300;

    public static readonly FrozenDictionary<string, CrmEventType> Types = new Dictionary<string, CrmEventType>
    {
        ["contact.updated"] = CrmEventType.ContactUpdated, ["lead.status_changed"] = CrmEventType.LeadStatusChanged,
        ["opportunity.stage_changed"] = CrmEventType.OpportunityStageChanged, ["order.placed"] = CrmEventType.OrderPlaced,
        ["invoice.paid"] = CrmEventType.InvoicePaid, ["refund.issued"] = CrmEventType.RefundIssued,
        ["ticket.opened"] = CrmEventType.TicketOpened, ["ticket.closed"] = CrmEventType.TicketClosed,
        ["call.logged"] = CrmEventType.CallLogged, ["meeting.logged"] = CrmEventType.MeetingLogged,
        ["mail.sent"] = CrmEventType.MailSent, ["consent.changed"] = CrmEventType.ConsentChanged,
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<string, ConsentChannel> ConsentChannels = new Dictionary<string, ConsentChannel>
    {
        ["email"] = ConsentChannel.Email, ["sms"] = ConsentChannel.Sms, ["phone"] = ConsentChannel.Phone, ["mail"] = ConsentChannel.Mail,
    }.ToFrozenDictionary();

    private static readonly FrozenDictionary<string, ConsentStatus> ConsentStatuses = new Dictionary<string, ConsentStatus>
    {
        ["granted"] = ConsentStatus.Granted, ["denied"] = ConsentStatus.Denied, ["unknown"] = ConsentStatus.Unknown,
    }.ToFrozenDictionary();

    public static ParseResult Parse(string body, ArrivalContext arrival)
    {
        var m = EventParser.Deserialize(body, WireJsonContext.Default.CrmMessage, out var malformed);
        if (m is null) return ParseResult.Invalid(null, [malformed!]);

        var errors = new List<ValidationError>();
        if (string.IsNullOrWhiteSpace(m.EventId)) errors.Add(new("$.eventId", "is required"));
        CrmEventType kind = default;
        if (m.Type is null) errors.Add(new("$.type", "is required"));
        else if (!Types.TryGetValue(m.Type, out kind))
            errors.Add(new("$.type", $"'{m.Type}' is not one of {string.Join(", ", Types.Keys)}"));
        if (m.OccurredAt is null) errors.Add(new("$.occurredAt", "is required"));
        else EventParser.CheckNotFuture(m.OccurredAt.Value, "$.occurredAt", arrival, errors);
        if (m.Amount < 0) errors.Add(new("$.amount", "must not be negative"));
        if (m.Cost < 0) errors.Add(new("$.cost", "must not be negative"));
        EventParser.CheckAmount(m.Amount, "$.amount", errors);
        EventParser.CheckAmount(m.Cost, "$.cost", errors);

        var known = errors.Count == 0 || m.Type is not null && Types.ContainsKey(m.Type);
        ConsentChannel? consentChannel = null;
        ConsentStatus? consent = null;
        if (known)
        {
            switch (kind)
            {
                case CrmEventType.OrderPlaced or CrmEventType.InvoicePaid or CrmEventType.RefundIssued when m.Amount is null:
                    errors.Add(new("$.amount", $"is required for {m.Type}"));
                    break;
                case CrmEventType.OpportunityStageChanged when string.IsNullOrWhiteSpace(m.Stage):
                    errors.Add(new("$.stage", "is required for opportunity.stage_changed"));
                    break;
                case CrmEventType.LeadStatusChanged when string.IsNullOrWhiteSpace(m.Status):
                    errors.Add(new("$.status", "is required for lead.status_changed"));
                    break;
                case CrmEventType.TicketOpened or CrmEventType.TicketClosed when string.IsNullOrWhiteSpace(m.ObjectId):
                    errors.Add(new("$.objectId", $"(the ticket id) is required for {m.Type}"));
                    break;
                case CrmEventType.ConsentChanged:
                    if (m.Channel is null || !ConsentChannels.TryGetValue(m.Channel, out var channel))
                        errors.Add(new("$.channel", "must be one of email, sms, phone, mail for consent.changed"));
                    else consentChannel = channel;
                    if (m.Status is null || !ConsentStatuses.TryGetValue(m.Status, out var status))
                        errors.Add(new("$.status", "must be one of granted, denied, unknown for consent.changed"));
                    else consent = status;
                    break;
            }
        }

        var c = m.Customer;
        var identifiers = new List<Identifier>(4);
        if (c is null) errors.Add(new("$.customer", "is required"));
        else
        {
            if (c.CrmId is not null && string.IsNullOrWhiteSpace(c.System)) errors.Add(new("$.customer.system", "is required with crmId"));
            else if (c.CrmId is not null && Identifiers.Crm(c.System, "x") is null)
                errors.Add(new("$.customer.system", $"'{c.System}' is not a system name: use letters, digits, - or _"));
            Add(identifiers, Identifiers.Crm(c.System, c.CrmId));
            Add(identifiers, Identifiers.UserId(c.UserId));
            Add(identifiers, Identifiers.Email(c.Email));
            Add(identifiers, Identifiers.Phone(c.Phone, arrival.PhoneRegionFor(c.Locale)));
            if (identifiers.Count == 0) errors.Add(new("$.customer", "has no usable identifier (crmId with system, userId, email or phone)"));
        }

        if (errors.Count > 0) return ParseResult.Invalid(m.EventId, errors);
        var first = c!.FirstName;
        var last = c.LastName;
        return ParseResult.Valid(new CrmEvent
        {
            EventId = m.EventId!.Trim(),
            Scope = m.Scope,
            OccurredAt = m.OccurredAt!.Value,
            Identifiers = identifiers,
            Kind = kind,
            System = c.System?.Trim().ToLowerInvariant(),
            CrmId = c.CrmId,
            Owner = string.IsNullOrWhiteSpace(m.Owner) ? null : m.Owner.Trim(),
            ObjectId = m.ObjectId,
            Amount = m.Amount,
            Currency = m.Currency?.ToUpperInvariant(),
            Cost = m.Cost,
            Stage = m.Stage?.Trim(),
            Status = m.Status?.Trim(),
            Channel = m.Channel?.Trim(),
            Subject = m.Subject is { Length: > MaxSubjectLength } s ? s[..MaxSubjectLength] : m.Subject,
            Traits = new Traits
            {
                // Only a name given whole, or both parts: HubSpot sends firstname and lastname as separate property changes, and
                // the view composes the name from the parts it holds.
                Name = c.Name ?? (first is not null && last is not null ? $"{first} {last}".Trim() : null),
                FirstName = first,
                LastName = last,
                Email = c.Email,
                Phone = c.Phone,
                Company = c.Company,
                Title = c.Title,
                Locale = c.Locale,
                Timezone = c.Timezone,
            },
            ConsentChannel = consentChannel,
            Consent = consent,
        });
    }

    private static void Add(List<Identifier> identifiers, Identifier? identifier)
    {
        if (identifier is not null) identifiers.Add(identifier);
    }
}
