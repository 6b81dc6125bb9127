using Touchpoints.Functions.Tests.Ingestion.Concurrency;

namespace Touchpoints.Functions.Tests.Ingestion;

/// <summary>
/// Cosmos DB round trips per batch: a lookup per identifier and a read per customer the instance does not know yet, a write
/// per customer, never per event; what the instance read or wrote is not read again, and a stale copy costs a refused
/// write and a re-read, never a lost update.
/// </summary>
[Collection(GatedCollection.Name)]
public sealed class RoundTripTests(GatedHandlerFixture fixture)
{
    private readonly string run = Guid.NewGuid().ToString("N")[..8];

    private string Page(int c, int i, int day) => $$"""
        {"type":"page","messageId":"m-{{run}}-{{day}}-{{c}}-{{i}}","userId":"u-{{run}}-{{c}}","anonymousId":"a-{{run}}-{{c}}","properties":{"path":"/p/{{i}}"},
         "timestamp":"2026-11-{{day}}T10:{{i:00}}:00Z"}
        """;

    [Fact]
    public async Task A_batch_costs_one_write_per_customer_and_reads_only_what_the_instance_does_not_know()
    {
        const int customers = 10, perCustomer = 6;
        Task Send(int day) => fixture.IngestAsync(Hubs.WebEvents,
            [.. Enumerable.Range(0, customers).SelectMany(c => Enumerable.Range(0, perCustomer).Select(i => Page(c, i, day)))]);

        // New customers: each identifier looked up (not found) and claimed, each profile created; nothing read per event.
        fixture.Gate.ResetCounts();
        await Send(20);
        Assert.Equal(2 * customers, fixture.Gate.Count("GET", "identities"));
        Assert.Equal(0, fixture.Gate.Count("GET", "customers"));
        Assert.Equal(2 * customers, fixture.Gate.Writes("identities"));
        Assert.Equal(customers, fixture.Gate.Writes("customers"));

        // The same customers again: the instance knows their identifiers and views, so one conditional write each.
        fixture.Gate.ResetCounts();
        await Send(21);
        Assert.Equal(0, fixture.Gate.Count("GET", "identities"));
        Assert.Equal(0, fixture.Gate.Count("GET", "customers"));
        Assert.Equal(customers, fixture.Gate.Count("PUT", "customers"));
        Assert.Equal(0, fixture.Gate.Writes("customers") + fixture.Gate.Writes("identities"));
    }

    [Fact]
    public async Task A_view_changed_by_another_instance_since_this_one_wrote_it_costs_a_refused_write_and_a_reread_and_loses_nothing()
    {
        await fixture.IngestAsync(Hubs.WebEvents, [Page(0, 0, 20)]);
        var (customer, _) = await fixture.ResolveAsync($"userId:u-{run}-0");
        // Another instance writes the view meanwhile (here: straight to the store, as its write would land).
        var container = fixture.Client.GetContainer(fixture.Database, Containers.Customers);
        var stored = (await fixture.ReadAsync(Containers.Customers, customer!))!;
        stored["traits"]!["company"] = new System.Text.Json.Nodes.JsonObject { ["value"] = "Elsewhere Ltd", ["at"] = "2026-11-20T09:00:00Z" };
        stored["version"] = stored["version"]!.GetValue<long>() + 1;
        foreach (var system in stored.Select(p => p.Key).Where(k => k.StartsWith('_')).ToList()) stored.Remove(system);
        using var body = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(stored.ToJsonString()));
        using var upserted = await container.UpsertItemStreamAsync(body, new Microsoft.Azure.Cosmos.PartitionKey(customer));
        upserted.EnsureSuccessStatusCode();

        fixture.Gate.ResetCounts();
        await fixture.IngestAsync(Hubs.WebEvents, [Page(0, 1, 21)]);

        Assert.Equal(2, fixture.Gate.Count("PUT", "customers"));  // refused on the stale ETag, then written
        Assert.Equal(1, fixture.Gate.Count("GET", "customers"));  // the re-read
        var view = (await fixture.ReadAsync(Containers.Customers, customer!))!;
        Assert.Equal("Elsewhere Ltd", view["traits"]!["company"]!["value"]!.GetValue<string>());
        Assert.Equal(2, view["touchpoints"]!["web"]!["activity"]!["count"]!.GetValue<long>());
    }
}
