using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Touchpoints.Functions.Ingestion;
using Touchpoints.FunctionsHost.Emulators;
using Touchpoints.FunctionsHost.EventHubs;
using Touchpoints.FunctionsHost.Runtime;

namespace Touchpoints.Functions.Tests.Ingestion.Concurrency;

/// <summary>
/// The custom handler against a real (npm) Cosmos DB server, with a <see cref="StoreGate"/> in its Cosmos client's HTTP
/// pipeline; invoked as the Functions host invokes it, including the host's retry of a failed invocation.
/// </summary>
public sealed class GatedHandlerFixture : IAsyncLifetime, IDisposable
{
    private CosmosServer cosmos = null!;
    private AmqpEventHubsEndpoint? eventHubs;

    /// <summary>The hubs the handler publishes to itself (an admin operation announcing changes), through the AMQP endpoint.</summary>
    public InMemoryEventHubs EventHubs { get; } = new(defaultPartitionCount: 4);
    private WebApplication app = null!;
    private HttpClient host = null!;
    private long sequence = 1_000;

    public StoreGate Gate { get; } = new();

    /// <summary>This fixture's database on the assembly's one Cosmos DB server.</summary>
    public string Database { get; } = SharedEmulators.NewDatabaseName("gated");

    public CosmosClient Client { get; private set; } = null!;

    /// <summary>The handler's services (its stores), and its HTTP door for the admin operations.</summary>
    public IServiceProvider Services => app.Services;

    public HttpClient Host => host;

    public async Task InitializeAsync()
    {
        cosmos = await SharedEmulators.CosmosAsync();
        // The hub the admin operations announce changes on, as the infrastructure creates it.
        EventHubs.Hub(Touchpoints.Core.Resources.Hubs.CustomerChanges);
        eventHubs = AmqpEventHubsEndpoint.Start(EventHubs, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        var settings = HandlerFixture.Settings(cosmos, await SharedEmulators.AzuriteAsync(), Database);
        settings[SettingNames.EventHubConnection] = eventHubs.ConnectionString;
        app = HandlerApp.Build([], builder =>
        {
            builder.WebHost.UseTestServer();
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Services.AddSingleton(AppCosmosClient.Through(cosmos, Gate));
            builder.Logging.AddFakeLogging(o => o.CollectRecordsForDisabledLogLevels = false);
        });
        await app.StartAsync();
        host = app.GetTestClient();
        Client = cosmos.CreateClient();
    }

    public async Task DisposeAsync()
    {
        host.Dispose();
        await app.DisposeAsync();
        if (eventHubs is not null) await eventHubs.DisposeAsync();
        using (await Client.GetDatabase(Database).DeleteStreamAsync()) { }
        Client.Dispose();
    }

    public void Dispose() => Gate.Dispose();

    /// <summary>One invocation of an ingestion function with a batch from <paramref name="partition"/>; its HTTP status.</summary>
    public async Task<int> InvokeOnceAsync(string hub, string partition, long firstSequence, IReadOnlyList<string> bodies)
    {
        var function = IngestionEndpoints.Functions.Single(f => f.Hub == hub).Function;
        using var response = await host.PostAsync("/" + function, JsonContent.Create(HostPayloads.EventHubBatch(hub, partition, firstSequence, bodies)));
        return (int)response.StatusCode;
    }

    /// <summary>A batch as the host delivers it: a failed invocation is replayed (the functions' retry policy) until it succeeds.</summary>
    public async Task IngestAsync(string hub, IReadOnlyList<string> bodies, string partition = "0", long? firstSequence = null)
    {
        var first = firstSequence ?? Interlocked.Add(ref sequence, bodies.Count);
        for (var attempt = 1; ; attempt++)
        {
            var status = await InvokeOnceAsync(hub, partition, first, bodies);
            if (status == 200) return;
            Assert.True(attempt < 10, $"{hub} batch still failed after {attempt} invocations (status {status}); the handler last logged: {LastError()}");
        }
    }

    /// <summary>The handler's last warning or error, exception included: why an invocation failed.</summary>
    private string LastError() =>
        app.Services.GetRequiredService<FakeLogCollector>().GetSnapshot().LastOrDefault(r => r.Level >= LogLevel.Warning) is { } r
            ? $"{r.Level} {r.Category}: {r.Message} {r.Exception}"
            : "nothing";

    public async Task<JsonObject?> ReadAsync(string container, string id)
    {
        using var response = await Client.GetContainer(Database, container).ReadItemStreamAsync(id, new PartitionKey(id));
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return (await JsonNode.ParseAsync(response.Content))!.AsObject();
    }

    /// <summary>Where an identifier resolves: the live customer, and how many tombstones were followed to reach it.</summary>
    public Task<(string? Customer, int Hops)> ResolveAsync(string identityKey) => Resolution.ResolveAsync(ReadAsync, identityKey);

    /// <summary>Waits until an identity document exists (another batch's claim has landed): state, not time.</summary>
    public async Task UntilClaimedAsync(string identityKey)
    {
        for (var i = 0; i < 10_000; i++)
        {
            if (await ReadAsync("identities", IdentityDocument.IdFor(identityKey)) is not null) return;
            await Task.Yield();
        }
        Assert.Fail($"{identityKey} was never claimed");
    }
}

[CollectionDefinition(Name)]
public sealed class GatedCollection : ICollectionFixture<GatedHandlerFixture>
{
    public const string Name = "gated handler";
}
