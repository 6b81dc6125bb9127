using Touchpoints.Functions.Tests.Ingestion.Concurrency;

namespace Touchpoints.Functions.Tests.Ingestion;

/// <summary>Cosmos DB round trips per batch: a lookup per distinct identifier, a read and a write per customer, never per event.</summary>
[Collection(GatedCollection.Name)]
public sealed class RoundTripTests(GatedHandlerFixture fixture)
{
    private readonly string run = Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task A_batch_costs_one_read_and_one_write_per_customer_and_one_lookup_per_identifier()
    {
        const int customers = 10, perCustomer = 6;
        string Page(int c, int i, int day) => $$"""
            {"type":"page","messageId":"m-{{run}}-{{day}}-{{c}}-{{i}}","userId":"u-{{run}}-{{c}}","anonymousId":"a-{{run}}-{{c}}","properties":{"path":"/p/{{i}}"},
             "timestamp":"2026-11-{{day}}T10:{{i:00}}:00Z"}
            """;
        Task Send(int day) => fixture.IngestAsync(Hubs.WebEvents,
            [.. Enumerable.Range(0, customers).SelectMany(c => Enumerable.Range(0, perCustomer).Select(i => Page(c, i, day)))]);

        await Send(20);
        fixture.Gate.ResetCounts();
        await Send(21);

        Assert.Equal(2 * customers, fixture.Gate.Count("GET", "identities"));
        Assert.Equal(customers, fixture.Gate.Count("GET", "customers"));
        Assert.Equal(customers, fixture.Gate.Count("PUT", "customers"));
        Assert.Equal(0, fixture.Gate.Count("POST", "customers") + fixture.Gate.Count("POST", "identities"));
    }
}
