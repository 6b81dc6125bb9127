using Touchpoints.Core.Identity;
using System.Text.Json.Nodes;
using Touchpoints.Core.Collection;
using Touchpoints.Core.Events;

namespace Touchpoints.Core.Tests.Collection;

public class WebhookMappingTests
{
    private static readonly DateTimeOffset Now = new(2025, 3, 3, 10, 0, 0, TimeSpan.Zero);

    private static string Stripe(string type, string obj) =>
        $$$"""{"id":"evt_1Qk","object":"event","type":"{{{type}}}","created":1740996000,"livemode":false,"data":{"object":{{{obj}}}}}""";

    private static JsonObject Single(WebhookBatch batch)
    {
        Assert.Empty(batch.Errors);
        var delivery = Assert.Single(batch.Deliveries);
        Assert.True(delivery.Event is not null, delivery.Ignored);
        // Every mapped event is valid for ingestion as it is.
        var parsed = CrmParser.Parse(delivery.Event.ToJsonString(), new ArrivalContext(Now, Now));
        Assert.True(parsed.IsValid, parsed.Reason);
        return delivery.Event;
    }

    [Fact]
    public void Stripe_customer_updated_becomes_contact_updated_with_the_stripe_customer_id()
    {
        var e = Single(StripeEvents.Map("stripe", Stripe("customer.updated",
            """{"id":"cus_Q3k9","object":"customer","email":"ann@example.com","name":"Ann Lee","phone":"+447700900123"}"""), Now));
        Assert.Equal("stripe-evt_1Qk", (string?)e["eventId"]);
        Assert.Equal("contact.updated", (string?)e["type"]);
        Assert.Equal("2025-03-03T10:00:00.000Z", (string?)e["occurredAt"]);
        Assert.Equal("stripe", (string?)e["customer"]!["system"]);
        Assert.Equal("cus_Q3k9", (string?)e["customer"]!["crmId"]);
        Assert.Equal("ann@example.com", (string?)e["customer"]!["email"]);
        Assert.Equal("Ann Lee", (string?)e["customer"]!["name"]);
        Assert.Equal("+447700900123", (string?)e["customer"]!["phone"]);
    }

    [Fact]
    public void Stripe_checkout_in_a_zero_decimal_currency_keeps_the_amount_as_is()
    {
        var e = Single(StripeEvents.Map("stripe", Stripe("checkout.session.completed",
            """{"id":"cs_test_1","object":"checkout.session","customer":null,"customer_details":{"email":"ken@example.jp","name":"Ken"},"amount_total":5000,"currency":"jpy"}"""), Now));
        Assert.Equal("order.placed", (string?)e["type"]);
        Assert.Equal("cs_test_1", (string?)e["objectId"]);
        Assert.Equal(5000m, (decimal)e["amount"]!);
        Assert.Equal("JPY", (string?)e["currency"]);
        Assert.Equal("ken@example.jp", (string?)e["customer"]!["email"]);
        Assert.Null(e["customer"]!["crmId"]);
    }

    [Theory]
    [InlineData("eur", 12345, 123.45)]
    [InlineData("krw", 12345, 12345)]
    [InlineData("kwd", 12340, 12.34)]
    [InlineData("isk", 12300, 123)]
    public void Stripe_amounts_are_read_in_the_currencys_minor_unit(string currency, long minor, decimal major)
    {
        Assert.Equal(major, StripeMoney.FromMinorUnits(minor, currency));
    }

    [Fact]
    public void Stripe_invoice_paid_and_charge_refunded_carry_amount_and_customer()
    {
        var invoice = Single(StripeEvents.Map("stripe", Stripe("invoice.paid",
            """{"id":"in_1","object":"invoice","customer":"cus_A","customer_email":"a@example.com","amount_paid":48000,"currency":"eur"}"""), Now));
        Assert.Equal("invoice.paid", (string?)invoice["type"]);
        Assert.Equal(480m, (decimal)invoice["amount"]!);
        Assert.Equal("in_1", (string?)invoice["objectId"]);
        Assert.Equal("cus_A", (string?)invoice["customer"]!["crmId"]);

        var refund = Single(StripeEvents.Map("stripe", Stripe("charge.refunded",
            """{"id":"ch_1","object":"charge","customer":{"id":"cus_B","object":"customer"},"billing_details":{"email":"b@example.com"},"amount_refunded":2000,"currency":"usd"}"""), Now));
        Assert.Equal("refund.issued", (string?)refund["type"]);
        Assert.Equal(20m, (decimal)refund["amount"]!);
        Assert.Equal("cus_B", (string?)refund["customer"]!["crmId"]);
        Assert.Equal("b@example.com", (string?)refund["customer"]!["email"]);
    }

    [Fact]
    public void Stripe_unknown_types_and_events_without_a_customer_are_ignored_with_a_reason()
    {
        var unknown = Assert.Single(StripeEvents.Map("stripe", Stripe("payment_intent.created", """{"id":"pi_1"}"""), Now).Deliveries);
        Assert.Null(unknown.Event);
        Assert.Contains("not mapped", unknown.Ignored, StringComparison.Ordinal);
        Assert.Equal("evt_1Qk", unknown.Id);

        var anonymous = Assert.Single(StripeEvents.Map("stripe", Stripe("invoice.paid", """{"id":"in_2","amount_paid":100,"currency":"eur"}"""), Now).Deliveries);
        Assert.Null(anonymous.Event);
        Assert.Contains("customer", anonymous.Ignored, StringComparison.Ordinal);
    }

    [Fact]
    public void Stripe_malformed_body_is_refused()
    {
        Assert.NotEmpty(StripeEvents.Map("stripe", "{not json", Now).Errors);
        Assert.NotEmpty(StripeEvents.Map("stripe", "{\"type\":\"invoice.paid\"}", Now).Errors);
    }

    private static string HubSpot(string items) => "[" + items + "]";

    private static string Change(long eventId, string type, long objectId, string? property = null, string? value = null, string extra = "") =>
        $$$"""{"eventId":{{{eventId}}},"subscriptionId":7,"portalId":62515,"appId":1,"occurredAt":1740996000000,"subscriptionType":"{{{type}}}","attemptNumber":0,"objectId":{{{objectId}}},"changeSource":"CRM"{{{(property is null ? "" : $",\"propertyName\":\"{property}\",\"propertyValue\":\"{value}\"")}}}{{{extra}}}}""";

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void HubSpot_first_and_last_name_changes_compose_the_full_name_in_either_order(bool reversed)
    {
        var batch = HubSpot(string.Join(",",
            Change(11, "contact.propertyChange", 901, "firstname", "Hedda"),
            Change(12, "contact.propertyChange", 901, "lastname", "Hub")));
        var arrival = new Touchpoints.Core.Events.ArrivalContext(Now, Now);
        var events = HubSpotEvents.Map("hubspot", batch, Now)
            .Deliveries.Select(d => Touchpoints.Core.Events.EventParser.Parse(Touchpoints.Core.Events.EventSource.Crm, d.Event!.ToJsonString(), arrival).Event!).ToArray();
        if (reversed) Array.Reverse(events);

        var view = events.Aggregate(Touchpoints.Core.Views.CustomerView.Create(new CustomerId("c-hedda"), Now), (v, e) => Touchpoints.Core.Views.CustomerProjection.Apply(v, e));

        Assert.Equal("Hedda Hub", view.Traits.Name?.Value);
        Assert.Equal("Hedda", view.Traits.FirstName?.Value);
        Assert.Equal("Hub", view.Traits.LastName?.Value);
    }

    [Fact]
    public void HubSpot_contact_events_map_to_contact_updated_and_lead_status_changed()
    {
        var batch = HubSpot(string.Join(",",
            Change(1, "contact.creation", 901),
            Change(2, "contact.propertyChange", 901, "email", "ann@example.com"),
            Change(3, "contact.propertyChange", 901, "jobtitle", "CTO"),
            Change(4, "contact.propertyChange", 901, "lifecyclestage", "salesqualifiedlead"),
            Change(5, "contact.propertyChange", 901, "hubspot_owner_id", "42"),
            Change(6, "contact.propertyChange", 901, "favourite_colour", "blue")));
        var result = HubSpotEvents.Map("hubspot", batch, Now);
        Assert.Empty(result.Errors);
        Assert.Equal(["1", "2", "3", "4", "5", "6"], result.Deliveries.Select(d => d.Id));
        var events = result.Deliveries.Take(5).Select(d => d.Event ?? throw new InvalidOperationException(d.Ignored)).ToArray();
        Assert.All(events, e => Assert.Equal("hubspot", (string?)e["customer"]!["system"]));
        Assert.All(events, e => Assert.Equal("901", (string?)e["customer"]!["crmId"]));
        Assert.Equal("hubspot-2", (string?)events[1]["eventId"]);
        Assert.Equal("ann@example.com", (string?)events[1]["customer"]!["email"]);
        Assert.Equal("CTO", (string?)events[2]["customer"]!["title"]);
        Assert.Equal("lead.status_changed", (string?)events[3]["type"]);
        Assert.Equal("salesqualifiedlead", (string?)events[3]["status"]);
        Assert.Equal("42", (string?)events[4]["owner"]);
        Assert.Equal("2025-03-03T10:00:00.000Z", (string?)events[0]["occurredAt"]);
        Assert.Contains("favourite_colour", result.Deliveries[5].Ignored, StringComparison.Ordinal);
    }

    [Fact]
    public void HubSpot_deal_events_map_only_when_they_name_a_contact()
    {
        var result = HubSpotEvents.Map("hubspot", HubSpot(string.Join(",",
            Change(10, "deal.propertyChange", 5551, "dealstage", "contractsent"),
            Change(11, "deal.propertyChange", 5551, "dealstage", "closedwon", ",\"associatedContactId\":901,\"amount\":\"1200.50\""),
            Change(12, "company.creation", 77))), Now);
        Assert.Null(result.Deliveries[0].Event);
        Assert.Contains("no associated contact", result.Deliveries[0].Ignored, StringComparison.Ordinal);
        var deal = result.Deliveries[1].Event!;
        Assert.Equal("opportunity.stage_changed", (string?)deal["type"]);
        Assert.Equal("closedwon", (string?)deal["stage"]);
        Assert.Equal("5551", (string?)deal["objectId"]);
        Assert.Equal(1200.50m, (decimal)deal["amount"]!);
        Assert.Equal("901", (string?)deal["customer"]!["crmId"]);
        Assert.Null(result.Deliveries[2].Event);
    }

    [Fact]
    public void Standard_webhooks_body_is_a_canonical_event_whose_missing_id_derives_from_the_delivery()
    {
        const string body = """{"type":"ticket.opened","occurredAt":"2025-03-01T14:00:00Z","objectId":4411,"customer":{"email":"ann@example.com"}}""";
        var e = Single(StandardWebhookEvents.Map("crm", "msg_1", body, Now));
        Assert.Equal("crm-msg_1", (string?)e["eventId"]);

        var own = Single(StandardWebhookEvents.Map("crm", "msg_2", body.Replace("{\"type\"", "{\"eventId\":\"zd-1\",\"type\"", StringComparison.Ordinal), Now));
        Assert.Equal("zd-1", (string?)own["eventId"]);
    }

    [Fact]
    public void Standard_webhooks_unknown_type_is_ignored_and_an_invalid_event_refused()
    {
        var unknown = Assert.Single(StandardWebhookEvents.Map("crm", "msg_3", """{"type":"planet.exploded"}""", Now).Deliveries);
        Assert.Null(unknown.Event);

        var invalid = StandardWebhookEvents.Map("crm", "msg_4", """{"type":"ticket.opened","occurredAt":"2025-03-01T14:00:00Z","customer":{"email":"ann@example.com"}}""", Now);
        Assert.Contains(invalid.Errors, e => e.Path == "$.objectId");
        Assert.Empty(invalid.Deliveries);
    }
}
