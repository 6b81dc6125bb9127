using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Touchpoints.Functions.Cosmos;
using Touchpoints.LocalHost.Emulators;

namespace Touchpoints.Functions.Tests.Ingestion;

/// <summary>Cosmos DB round trips per batch: a lookup per distinct identifier, a read and a write per customer, never per event.</summary>
public sealed partial class RoundTripTests : IAsyncLifetime, IDisposable
{
    private readonly CountingHandler counter = new();
    private CosmosServer cosmos = null!;
    private WebApplication app = null!;

    public async Task InitializeAsync()
    {
        cosmos = await CosmosServer.StartAsync();
        var settings = HandlerFixture.Settings(cosmos);
        app = HandlerApp.Build([], builder =>
        {
            builder.WebHost.UseTestServer();
            builder.Configuration.AddInMemoryCollection(settings);
            var options = new CosmosOptions
            {
                AccountEndpoint = cosmos.Endpoint.ToString(), AccountKey = cosmos.Key,
                ConnectionMode = ConnectionMode.Gateway, LimitToEndpoint = true,
            };
            var clientOptions = CosmosRegistration.ClientOptions(options);
            clientOptions.HttpClientFactory = () => new HttpClient(counter, disposeHandler: false);
            builder.Services.AddSingleton(CosmosRegistration.CreateClient(options, clientOptions));
        });
        await app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await app.DisposeAsync();
        await cosmos.DisposeAsync();
    }

    public void Dispose() => counter.Dispose();

    [Fact]
    public async Task A_batch_costs_one_read_and_one_write_per_customer_and_one_lookup_per_identifier()
    {
        using var client = app.GetTestClient();
        const int customers = 10, perCustomer = 6;
        string Page(int c, int i, int day) => $$"""
            {"type":"page","messageId":"m-{{day}}-{{c}}-{{i}}","userId":"u-{{c}}","anonymousId":"a-{{c}}","properties":{"path":"/p/{{i}}"},
             "timestamp":"2026-11-{{day}}T10:{{i:00}}:00Z"}
            """;
        async Task Send(int day, long first) => (await client.PostAsync("/IngestWebEvents", JsonContent.Create(HostPayloads.EventHubBatch("web-events", "0", first,
            [.. Enumerable.Range(0, customers).SelectMany(c => Enumerable.Range(0, perCustomer).Select(i => Page(c, i, day)))])))).EnsureSuccessStatusCode();

        await Send(20, 1);
        counter.Reset();
        await Send(21, 1000);

        Assert.Equal(2 * customers, counter.Count("GET", "identities"));
        Assert.Equal(customers, counter.Count("GET", "customers"));
        Assert.Equal(customers, counter.Count("PUT", "customers"));
        Assert.Equal(0, counter.Count("POST", "customers") + counter.Count("POST", "identities"));
    }

    private sealed partial class CountingHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        private readonly ConcurrentDictionary<(string, string), int> counts = new();

        public void Reset() => counts.Clear();

        public int Count(string method, string container) => counts.GetValueOrDefault((method, container));

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var match = Document().Match(request.RequestUri!.AbsolutePath);
            if (match.Success) counts.AddOrUpdate((request.Method.Method, match.Groups["container"].Value), 1, (_, n) => n + 1);
            return base.SendAsync(request, cancellationToken);
        }

        [GeneratedRegex("/colls/(?<container>[^/]+)/docs")]
        private static partial Regex Document();
    }
}
