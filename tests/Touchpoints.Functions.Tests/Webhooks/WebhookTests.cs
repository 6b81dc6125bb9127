using System.Globalization;
using System.Text.Json.Nodes;
using Touchpoints.Core.Collection;
using Touchpoints.Functions.Tests.Collector;
using static Touchpoints.Testing.HttpPayloads;

namespace Touchpoints.Functions.Tests.Webhooks;

[Collection(HandlerCollection.Name)]
public sealed class WebhookTests(HandlerFixture fixture)
{
    private const string Function = "ReceiveWebhook";
    private const string Base = "https://touchpoints.azurewebsites.net/api/webhooks/";
    private readonly string run = Guid.NewGuid().ToString("N")[..8];

    private static Dictionary<string, string> Params(string source) => new() { ["source"] = source };

    private string CanonicalTicket(string type = "ticket.opened") =>
        $$$"""{"type":"{{{type}}}","occurredAt":"2025-03-01T14:00:00Z","objectId":"T-{{{run}}}","subject":"Parcel never arrived","customer":{"email":"ann.{{{run}}}@example.com","system":"zendesk","crmId":"z-{{{run}}}"}}""";

    private Task<Invocation> SendStandardAsync(string id, string body, string secret, DateTimeOffset at, string? signature = null)
    {
        var timestamp = at.ToUnixTimeSeconds();
        var headers = new Dictionary<string, string>
        {
            ["Content-Type"] = "application/json",
            ["webhook-id"] = id,
            ["webhook-timestamp"] = timestamp.ToString(CultureInfo.InvariantCulture),
            ["webhook-signature"] = signature ?? WebhookSignatures.SignStandard(secret, id, timestamp, body),
        };
        return fixture.InvokeAsync(Function, Request(Base + "crm", body, headers, Params("crm")));
    }

    [Fact]
    public async Task A_standard_webhook_with_a_valid_signature_goes_out_as_the_canonical_event_and_is_recorded()
    {
        var id = "msg_" + run;

        var result = await SendStandardAsync(id, CanonicalTicket(), HandlerFixture.CrmSecret, DateTimeOffset.UtcNow);

        Assert.Equal(200, result.Status);
        Assert.Equal(200, result.HttpStatus);
        Assert.Equal(1, result.HttpBody["accepted"]!.GetValue<int>());
        var e = Assert.IsType<JsonObject>(Assert.Single(result.Events!));
        Assert.Equal("ticket.opened", e["type"]!.GetValue<string>());
        Assert.Equal($"crm-{id}", e["eventId"]!.GetValue<string>());
        var record = await fixture.ReadAsync("webhooks", id, "crm");
        Assert.Equal("accepted", record!["status"]!.GetValue<string>());
        Assert.Equal("ticket.opened", record["type"]!.GetValue<string>());
        Assert.NotNull(record["receivedAt"]);
    }

    [Fact]
    public async Task A_signed_delivery_over_one_megabyte_is_413_with_no_output_and_no_record()
    {
        var id = "msg_big_" + run;
        var body = CanonicalTicket().Replace("Parcel never arrived", new string('x', Touchpoints.Functions.Webhooks.WebhookReceiver.MaxDeliveryBytes), StringComparison.Ordinal);

        var result = await SendStandardAsync(id, body, HandlerFixture.CrmSecret, DateTimeOffset.UtcNow);

        result.AssertRefused(413);
        Assert.Null(await fixture.ReadAsync("webhooks", id, "crm"));
    }

    [Fact]
    public async Task A_standard_webhook_signed_with_the_previous_secret_is_accepted_while_both_are_listed()
    {
        var result = await SendStandardAsync("msg_old_" + run, CanonicalTicket(), HandlerFixture.CrmOldSecret, DateTimeOffset.UtcNow);
        Assert.Equal(200, result.HttpStatus);
        Assert.Single(result.Events!);
    }

    [Fact]
    public async Task A_bad_signature_is_401_with_no_output_and_no_record()
    {
        var id = "msg_bad_" + run;
        var result = await SendStandardAsync(id, CanonicalTicket(), "whsec_c29tZW9uZS1lbHNl", DateTimeOffset.UtcNow);
        result.AssertRefused(401);
        Assert.Null(await fixture.ReadAsync("webhooks", id, "crm"));

        var missing = await fixture.InvokeAsync(Function, Request(Base + "crm", CanonicalTicket(),
            new Dictionary<string, string> { ["Content-Type"] = "application/json" }, Params("crm")));
        missing.AssertRefused(401);
    }

    [Fact]
    public async Task A_stale_timestamp_is_401_even_with_a_valid_signature()
    {
        var result = await SendStandardAsync("msg_stale_" + run, CanonicalTicket(), HandlerFixture.CrmSecret, DateTimeOffset.UtcNow.AddMinutes(-6));
        result.AssertRefused(401);
        var future = await SendStandardAsync("msg_future_" + run, CanonicalTicket(), HandlerFixture.CrmSecret, DateTimeOffset.UtcNow.AddMinutes(6));
        future.AssertRefused(401);
    }

    [Fact]
    public async Task A_redelivery_is_answered_200_without_output()
    {
        var id = "msg_dup_" + run;
        var first = await SendStandardAsync(id, CanonicalTicket(), HandlerFixture.CrmSecret, DateTimeOffset.UtcNow);
        Assert.Single(first.Events!);

        var again = await SendStandardAsync(id, CanonicalTicket(), HandlerFixture.CrmSecret, DateTimeOffset.UtcNow);

        Assert.Equal(200, again.HttpStatus);
        Assert.Equal(1, again.HttpBody["duplicates"]!.GetValue<int>());
        Assert.Null(again.Events);
    }

    [Fact]
    public async Task An_unknown_event_type_is_200_and_recorded_as_ignored()
    {
        var id = "msg_unknown_" + run;
        var result = await SendStandardAsync(id, """{"type":"planet.exploded","occurredAt":"2025-03-01T14:00:00Z"}""", HandlerFixture.CrmSecret, DateTimeOffset.UtcNow);

        Assert.Equal(200, result.HttpStatus);
        Assert.Equal(1, result.HttpBody["ignored"]!.GetValue<int>());
        Assert.Null(result.Events);
        var record = await fixture.ReadAsync("webhooks", id, "crm");
        Assert.Equal("ignored", record!["status"]!.GetValue<string>());
        Assert.Equal("planet.exploded", record["type"]!.GetValue<string>());
        Assert.Contains("not a CRM event type", record["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_invalid_canonical_event_is_400_with_its_errors_and_not_recorded()
    {
        var id = "msg_invalid_" + run;
        var result = await SendStandardAsync(id, """{"type":"invoice.paid","occurredAt":"2025-03-01T14:00:00Z","customer":{"email":"x@example.com"}}""",
            HandlerFixture.CrmSecret, DateTimeOffset.UtcNow);
        result.AssertRefused(400);
        Assert.Contains(result.HttpBody["errors"]!.AsArray(), e => e!["path"]!.GetValue<string>() == "$.amount");
        Assert.Null(await fixture.ReadAsync("webhooks", id, "crm"));
    }

    [Fact]
    public async Task An_unknown_source_is_404()
    {
        var result = await fixture.InvokeAsync(Function, Request(Base + "salesforce", "{}", new Dictionary<string, string>(), Params("salesforce")));
        result.AssertRefused(404);
    }

    [Fact]
    public async Task A_signed_stripe_checkout_becomes_an_order_placed_event()
    {
        var evt = "evt_" + run;
        var body = $$$"""
            {"id":"{{{evt}}}","object":"event","api_version":"2024-06-20","created":{{{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}}},"type":"checkout.session.completed","livemode":false,
             "data":{"object":{"id":"cs_test_{{{run}}}","object":"checkout.session","amount_total":129900,"currency":"jpy","customer":"cus_{{{run}}}",
               "customer_details":{"email":"ken.{{{run}}}@example.jp","name":"Ken Sato","phone":null}} }}
            """;
        var headers = new Dictionary<string, string>
        {
            ["Content-Type"] = "application/json; charset=utf-8",
            ["Stripe-Signature"] = WebhookSignatures.SignStripe(HandlerFixture.StripeSecret, DateTimeOffset.UtcNow.ToUnixTimeSeconds(), body),
        };

        var result = await fixture.InvokeAsync(Function, Request(Base + "stripe", body, headers, Params("stripe")));

        Assert.Equal(200, result.HttpStatus);
        var e = Assert.Single(result.Events!)!;
        Assert.Equal($"stripe-{evt}", e["eventId"]!.GetValue<string>());
        Assert.Equal("order.placed", e["type"]!.GetValue<string>());
        Assert.Equal(129900m, e["amount"]!.GetValue<decimal>());
        Assert.Equal("JPY", e["currency"]!.GetValue<string>());
        Assert.Equal("cus_" + run, e["customer"]!["crmId"]!.GetValue<string>());
        Assert.Equal("stripe", e["customer"]!["system"]!.GetValue<string>());
        Assert.Equal($"ken.{run}@example.jp", e["customer"]!["email"]!.GetValue<string>());
        Assert.Equal("accepted", (await fixture.ReadAsync("webhooks", evt, "stripe"))!["status"]!.GetValue<string>());

        headers["Stripe-Signature"] = WebhookSignatures.SignStripe("whsec_wrong", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), body);
        var forged = await fixture.InvokeAsync(Function, Request(Base + "stripe", body.Replace(evt, evt + "x", StringComparison.Ordinal), headers, Params("stripe")));
        forged.AssertRefused(401);
    }

    [Fact]
    public async Task A_signed_hubspot_batch_maps_each_event_and_ignores_a_deal_without_contact()
    {
        // HubSpot signs the URL it called; the host passes it as the trigger's Url (here with an encoded query value).
        var url = Base + "hubspot?portal=62515&tag=a%3Ab";
        var at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        long first = Math.Abs(run.GetHashCode(StringComparison.Ordinal)) * 10L;
        var body = $$"""
            [{"eventId":{{first}},"subscriptionId":7,"portalId":62515,"appId":1,"occurredAt":{{at}},"subscriptionType":"contact.propertyChange","attemptNumber":0,"objectId":901{{run.Length}},"changeSource":"CRM","propertyName":"email","propertyValue":"ann.{{run}}@example.com"},
             {"eventId":{{first + 1}},"subscriptionId":8,"portalId":62515,"appId":1,"occurredAt":{{at}},"subscriptionType":"contact.propertyChange","attemptNumber":0,"objectId":901{{run.Length}},"changeSource":"CRM","propertyName":"hs_lead_status","propertyValue":"OPEN"},
             {"eventId":{{first + 2}},"subscriptionId":9,"portalId":62515,"appId":1,"occurredAt":{{at}},"subscriptionType":"deal.propertyChange","attemptNumber":0,"objectId":5551,"changeSource":"CRM","propertyName":"dealstage","propertyValue":"closedwon"}]
            """;
        var headers = new Dictionary<string, string>
        {
            ["Content-Type"] = "application/json",
            ["X-HubSpot-Request-Timestamp"] = at.ToString(CultureInfo.InvariantCulture),
            ["X-HubSpot-Signature-v3"] = WebhookSignatures.SignHubSpot(HandlerFixture.HubSpotSecret, "POST", "https://touchpoints.azurewebsites.net/api/webhooks/hubspot?portal=62515&tag=a:b", body, at),
        };

        var result = await fixture.InvokeAsync(Function, Request(url, body, headers, Params("hubspot")));

        Assert.Equal(200, result.HttpStatus);
        var events = result.Events!;
        Assert.Equal(2, events.Count);
        Assert.Equal("contact.updated", events[0]!["type"]!.GetValue<string>());
        Assert.Equal($"hubspot-{first}", events[0]!["eventId"]!.GetValue<string>());
        Assert.Equal($"ann.{run}@example.com", events[0]!["customer"]!["email"]!.GetValue<string>());
        Assert.Equal("lead.status_changed", events[1]!["type"]!.GetValue<string>());
        Assert.Equal("OPEN", events[1]!["status"]!.GetValue<string>());
        Assert.Equal(1, result.HttpBody["ignored"]!.GetValue<int>());
        var deal = await fixture.ReadAsync("webhooks", (first + 2).ToString(CultureInfo.InvariantCulture), "hubspot");
        Assert.Equal("ignored", deal!["status"]!.GetValue<string>());

        // A retry by HubSpot (same event ids) publishes nothing again.
        var retry = await fixture.InvokeAsync(Function, Request(url, body, headers, Params("hubspot")));
        Assert.Equal(200, retry.HttpStatus);
        Assert.Equal(3, retry.HttpBody["duplicates"]!.GetValue<int>());
        Assert.Null(retry.Events);
    }

    [Fact]
    public async Task A_hubspot_request_the_host_saw_over_http_behind_tls_offloading_still_verifies()
    {
        var at = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var id = Math.Abs(run.GetHashCode(StringComparison.Ordinal)) * 10L + 7;
        var body = $$$"""[{"eventId":{{{id}}},"portalId":62515,"occurredAt":{{{at}}},"subscriptionType":"contact.creation","objectId":4242{{{run.Length}}}}]""";
        var headers = new Dictionary<string, string>
        {
            ["X-HubSpot-Request-Timestamp"] = at.ToString(CultureInfo.InvariantCulture),
            ["X-HubSpot-Signature-v3"] = WebhookSignatures.SignHubSpot(HandlerFixture.HubSpotSecret, "POST", Base + "hubspot", body, at),
        };

        var result = await fixture.InvokeAsync(Function, Request("http://touchpoints.azurewebsites.net/api/webhooks/hubspot", body, headers, Params("hubspot")));

        Assert.Equal(200, result.HttpStatus);
        Assert.Equal("contact.updated", Assert.Single(result.Events!)!["type"]!.GetValue<string>());
    }
}
