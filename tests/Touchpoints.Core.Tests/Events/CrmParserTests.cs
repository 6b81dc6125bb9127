using Touchpoints.Core.Events;
using Touchpoints.Core.Identity;

namespace Touchpoints.Core.Tests.Events;

public class CrmParserTests
{
    private static readonly ArrivalContext Arrival = new(new(2025, 3, 3, 10, 0, 0, TimeSpan.Zero), new(2025, 3, 3, 10, 0, 0, TimeSpan.Zero));

    private static ParseResult Parse(string body) => EventParser.Parse(EventSource.Crm, body, Arrival);

    private static string Body(string type, string extra = "") => $$"""
        {
          "eventId": "hs-evt-5521",
          "type": "{{type}}",
          "occurredAt": "2025-03-01T14:00:00Z",
          "customer": { "system": "HubSpot", "crmId": 901, "email": "ann@example.com", "firstName": "Ann", "lastName": "Lee", "company": "Acme Ltd" },
          "owner": " maria.rossi@ourco.com "{{(extra.Length > 0 ? "," + extra : "")}}
        }
        """;

    [Theory]
    [InlineData("contact.updated", "", CrmEventType.ContactUpdated)]
    [InlineData("lead.status_changed", "\"status\": \"MQL\"", CrmEventType.LeadStatusChanged)]
    [InlineData("opportunity.stage_changed", "\"stage\": \"Proposal\", \"objectId\": \"opp-7\", \"amount\": 12000", CrmEventType.OpportunityStageChanged)]
    [InlineData("order.placed", "\"objectId\": \"ord-1\", \"amount\": 99.5, \"currency\": \"eur\"", CrmEventType.OrderPlaced)]
    [InlineData("invoice.paid", "\"objectId\": \"inv-1\", \"amount\": 480", CrmEventType.InvoicePaid)]
    [InlineData("refund.issued", "\"objectId\": \"ref-1\", \"amount\": 20", CrmEventType.RefundIssued)]
    [InlineData("ticket.opened", "\"objectId\": 4411, \"subject\": \"Parcel never arrived\"", CrmEventType.TicketOpened)]
    [InlineData("ticket.closed", "\"objectId\": \"4411\", \"cost\": 12.5", CrmEventType.TicketClosed)]
    [InlineData("call.logged", "\"subject\": \"Renewal\"", CrmEventType.CallLogged)]
    [InlineData("meeting.logged", "\"subject\": \"QBR\"", CrmEventType.MeetingLogged)]
    [InlineData("mail.sent", "\"channel\": \"email\", \"subject\": \"Your quote\"", CrmEventType.MailSent)]
    [InlineData("consent.changed", "\"channel\": \"sms\", \"status\": \"denied\"", CrmEventType.ConsentChanged)]
    public void Every_event_type_parses(string type, string extra, CrmEventType kind)
    {
        var result = Parse(Body(type, extra));
        Assert.True(result.IsValid, result.Reason);
        var e = Assert.IsType<CrmEvent>(result.Event);
        Assert.Equal(kind, e.Kind);
        Assert.Equal("crm." + type, e.Type);
        Assert.Equal("hubspot", e.System);
        Assert.Equal("maria.rossi@ourco.com", e.Owner);
        Assert.Equal("Ann Lee", e.Traits.Name);
        Assert.Equal("Acme Ltd", e.Traits.Company);
        Assert.Contains(new Identifier(IdentifierKind.CrmId, "901", "hubspot"), e.Identifiers);
        Assert.Contains(new Identifier(IdentifierKind.Email, "ann@example.com"), e.Identifiers);
    }

    [Fact]
    public void Order_amount_currency_and_numeric_object_ids_are_read()
    {
        var e = Assert.IsType<CrmEvent>(Parse(Body("order.placed", "\"objectId\": 3344, \"amount\": 99.5, \"currency\": \"eur\"")).Event);
        Assert.Equal("3344", e.ObjectId);
        Assert.Equal(99.5m, e.Amount);
        Assert.Equal("EUR", e.Currency);
    }

    [Fact]
    public void Consent_change_reads_channel_and_status()
    {
        var e = Assert.IsType<CrmEvent>(Parse(Body("consent.changed", "\"channel\": \"email\", \"status\": \"granted\"")).Event);
        Assert.Equal(ConsentChannel.Email, e.ConsentChannel);
        Assert.Equal(ConsentStatus.Granted, e.Consent);
    }

    [Theory]
    [InlineData("order.placed")]
    [InlineData("invoice.paid")]
    [InlineData("refund.issued")]
    public void Amount_is_required_for_money_events(string type)
    {
        var result = Parse(Body(type, "\"objectId\": \"x-1\""));
        Assert.False(result.IsValid);
        Assert.Equal("$.amount", Assert.Single(result.Errors).Path);
    }

    [Fact]
    public void Negative_amounts_and_costs_are_rejected_together()
    {
        var result = Parse(Body("order.placed", "\"amount\": -5, \"cost\": -1"));
        Assert.Equal(["$.amount", "$.cost"], result.Errors.Select(e => e.Path).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("\"channel\": \"fax\", \"status\": \"granted\"", new[] { "$.channel" })]
    [InlineData("\"channel\": \"email\", \"status\": \"maybe\"", new[] { "$.status" })]
    [InlineData("", new[] { "$.channel", "$.status" })]
    public void Consent_change_channel_and_status_are_validated(string extra, string[] paths)
    {
        var result = Parse(Body("consent.changed", extra));
        Assert.False(result.IsValid);
        Assert.Equal(paths, result.Errors.Select(e => e.Path).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("opportunity.stage_changed", "$.stage")]
    [InlineData("lead.status_changed", "$.status")]
    [InlineData("ticket.opened", "$.objectId")]
    [InlineData("ticket.closed", "$.objectId")]
    public void Type_specific_members_are_required(string type, string path)
    {
        var result = Parse(Body(type));
        Assert.Equal(path, Assert.Single(result.Errors).Path);
    }

    [Fact]
    public void A_customer_without_usable_identifier_is_rejected()
    {
        var result = Parse("""
            { "eventId": "e-1", "type": "call.logged", "occurredAt": "2025-03-01T14:00:00Z",
              "customer": { "email": "test@test.com", "phone": "000-000", "userId": "undefined", "name": "Test Person" } }
            """);
        Assert.False(result.IsValid);
        Assert.Equal("$.customer", Assert.Single(result.Errors).Path);
    }

    [Fact]
    public void Crm_id_without_system_is_rejected()
    {
        var result = Parse("""
            { "eventId": "e-2", "type": "call.logged", "occurredAt": "2025-03-01T14:00:00Z", "customer": { "crmId": "901", "email": "ann@example.com" } }
            """);
        Assert.False(result.IsValid);
        Assert.Contains(result.Errors, e => e.Path == "$.customer.system");
    }

    [Fact]
    public void Missing_customer_type_and_time_are_all_reported()
    {
        var result = Parse("""{ "eventId": "e-3" }""");
        Assert.Equal(["$.customer", "$.occurredAt", "$.type"], result.Errors.Select(e => e.Path).Order(StringComparer.Ordinal));
        Assert.Equal("e-3", result.EventId);
    }

    [Fact]
    public void Unknown_type_is_rejected()
    {
        var result = Parse(Body("deal.created"));
        Assert.Equal("$.type", Assert.Single(result.Errors).Path);
    }

    [Fact]
    public void Future_crm_events_are_rejected()
    {
        var result = Parse(Body("call.logged").Replace("2025-03-01T14:00:00Z", "2026-01-01T00:00:00Z", StringComparison.Ordinal));
        Assert.Equal("$.occurredAt", Assert.Single(result.Errors).Path);
    }

    [Fact]
    public void An_amount_beyond_a_trillion_is_refused()
    {
        var result = Parse(Body("order.placed", "\"amount\": 1000000000001, \"currency\": \"eur\", \"objectId\": \"o1\""));
        Assert.Contains(result.Errors, e => e.Path == "$.amount");
    }
}
