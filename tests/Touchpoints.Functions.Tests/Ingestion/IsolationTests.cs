using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Touchpoints.Core.Identity;
using Touchpoints.Functions.Ingestion;

namespace Touchpoints.Functions.Tests.Ingestion;

/// <summary>
/// One bad event never costs a good one: what cannot be represented is refused at the door, and an event that passed
/// validation but cannot be applied (a bug, a stored view it would break) is refused on its own, with its reason, while the
/// rest of its batch is written and its outputs emitted.
/// </summary>
[Collection(HandlerCollection.Name)]
public sealed class IsolationTests(HandlerFixture fixture)
{
    private readonly string run = Guid.NewGuid().ToString("N")[..8];

    private string Page(string id, string user) =>
        $$"""{"type":"page","messageId":"{{id}}-{{run}}","userId":"{{user}}-{{run}}","properties":{"path":"/"},"timestamp":"2026-11-20T10:00:00Z"}""";

    private static string Customer(string key) => IdentityResolver.NewCustomerId(Identifier.TryParseKey(key)!);

    [Theory]
    [InlineData("""{"type":"track","event":"Order Completed","messageId":"M","userId":"U","properties":{"total":79228162514264337593543950335}}""", "$.properties.total")]
    [InlineData("""{"type":"track","event":"Order Completed","messageId":"M","userId":"U","properties":{"total":1e30}}""", "$.properties.total")]
    [InlineData("""{"type":"track","event":"Product Added","messageId":"M","userId":"U","properties":{"price":-2000000000000}}""", "$.properties.price")]
    [InlineData("""{"type":"page","messageId":"M","userId":"U","timestamp":"0001-01-01T00:00:00Z","sentAt":"9999-12-31T00:00:00Z"}""", "$.sentAt")]
    public async Task An_event_whose_numbers_or_times_cannot_be_represented_is_rejected_and_its_batch_is_applied(string hostile, string path)
    {
        var bad = hostile.Replace("\"M\"", $"\"bad-{run}\"", StringComparison.Ordinal).Replace("\"U\"", $"\"u-{run}\"", StringComparison.Ordinal);
        var (status, body) = await fixture.InvokeAsync("IngestWebEvents",
            HostPayloads.EventHubBatch(Hubs.WebEvents, $"n{run}", 1, [Page("ok1", "good"), bad, Page("ok2", "good")]));

        Assert.Equal(200, status);
        Assert.Single(body["Outputs"]!["changes"]!.AsArray());
        Assert.Equal(2, (await fixture.CustomerAsync(Customer($"userId:good-{run}")))!["touchpoints"]!["web"]!["pageViews"]!.GetValue<long>());
        Assert.Null(await fixture.CustomerAsync(Customer($"userId:u-{run}")));
        var rejected = Assert.Single(await fixture.QueryAsync("rejected", "web", $"c.partition = 'web-events/n{run}'"));
        Assert.Contains(path, rejected["reason"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_event_that_cannot_be_applied_to_its_stored_view_is_refused_and_the_other_customers_are_written()
    {
        // A stored view as an older version might have left it: its web section lacks a list the projection needs.
        await fixture.InvokeAsync("IngestWebEvents", HostPayloads.EventHubBatch(Hubs.WebEvents, $"s{run}", 1, [Page("first", "broken")]));
        var broken = Customer($"userId:broken-{run}");
        var stored = (await fixture.CustomerAsync(broken))!;
        stored["touchpoints"]!["web"]!.AsObject().Remove("lastPages");
        using (var content = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(stored.ToJsonString())))
            (await fixture.Client.GetContainer(fixture.Database, Containers.Customers).UpsertItemStreamAsync(content, new Microsoft.Azure.Cosmos.PartitionKey(broken)))
                .EnsureSuccessStatusCode();

        var (status, body) = await fixture.InvokeAsync("IngestWebEvents",
            HostPayloads.EventHubBatch(Hubs.WebEvents, $"b{run}", 1, [Page("a", "fine"), Page("b", "broken"), Page("c", "fine")]));

        Assert.Equal(200, status);
        var changed = body["Outputs"]!["changes"]!.AsArray().Select(c => c!["customerId"]!.GetValue<string>()).ToArray();
        Assert.Equal([Customer($"userId:fine-{run}")], changed);
        Assert.Equal(2, (await fixture.CustomerAsync(Customer($"userId:fine-{run}")))!["touchpoints"]!["web"]!["pageViews"]!.GetValue<long>());
        Assert.Equal(1, (await fixture.CustomerAsync(broken))!["touchpoints"]!["web"]!["pageViews"]!.GetValue<long>());
        var rejected = Assert.Single(await fixture.QueryAsync("rejected", "web", $"c.partition = 'web-events/b{run}'"));
        Assert.Equal($"b-{run}", rejected["eventId"]!.GetValue<string>());
        Assert.Contains("could not be applied", rejected["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains($"b-{run}", rejected["body"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sender_reusing_another_senders_event_id_suppresses_nothing()
    {
        string Order(string scope, decimal amount) =>
            $$"""{"eventId":"evt-{{run}}","type":"order.placed","occurredAt":"2026-11-20T10:00:00Z","customer":{"system":"stripe","crmId":"cus-{{run}}"},"objectId":"o-{{scope}}","amount":{{amount}},"currency":"eur","_source":"{{scope}}"}""";

        await fixture.InvokeAsync("IngestCrmEvents", HostPayloads.EventHubBatch(Hubs.CrmEvents, $"d{run}", 1, [Order("stripe", 40m)]));
        await fixture.InvokeAsync("IngestCrmEvents", HostPayloads.EventHubBatch(Hubs.CrmEvents, $"e{run}", 1, [Order("crm", 2m), Order("stripe", 40m)]));

        var billing = (await fixture.CustomerAsync(Customer($"crm.stripe:cus-{run}")))!["touchpoints"]!["billing"]!;
        Assert.Equal(2, billing["orders"]!.GetValue<long>());
        Assert.Equal(42m, billing["revenue"]!.GetValue<decimal>());
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("a#b")]
    [InlineData("a?b")]
    [InlineData("a\\b")]
    [InlineData("100%25")]
    [InlineData("two words")]
    [InlineData("Zoë Ünal")]
    [InlineData("%2F%ff")]
    public async Task Any_identifier_round_trips_through_ingestion_and_both_lookups(string raw)
    {
        var user = $"{raw}-{run}";
        var json = System.Text.Json.JsonSerializer.Serialize(user);
        string Page(string id) => $$"""{"type":"page","messageId":"{{id}}-{{run}}","userId":{{json}},"properties":{"path":"/"},"timestamp":"2026-11-20T10:00:00Z"}""";

        var first = await fixture.InvokeAsync("IngestWebEvents", HostPayloads.EventHubBatch(Hubs.WebEvents, $"i{run}", 1, [Page("one")]));
        var second = await fixture.InvokeAsync("IngestWebEvents", HostPayloads.EventHubBatch(Hubs.WebEvents, $"j{run}", 1, [Page("two")]));

        Assert.Equal(200, first.Status);
        Assert.Equal(200, second.Status);
        var id = Customer($"userId:{user}");
        Assert.Equal(2, (await fixture.CustomerAsync(id))!["touchpoints"]!["web"]!["pageViews"]!.GetValue<long>());
        using var found = await fixture.Host.GetAsync("/api/customers?identity=" + Uri.EscapeDataString($"userId:{user}"));
        Assert.Equal(200, (int)found.StatusCode);
        Assert.Equal(id, (await found.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>());
    }
}
