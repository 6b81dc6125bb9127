using Microsoft.Azure.Cosmos;
using Touchpoints.FunctionsHost.Emulators;

namespace Touchpoints.Functions.Tests.Emulators;

/// <summary>One cosmosdb-server per test collection; tests isolate themselves with fresh ids.</summary>
public sealed class CosmosServerFixture : IAsyncLifetime
{
    private CosmosServer? server;
    private CosmosClient? client;

    public CosmosServer Server => server ?? throw new InvalidOperationException("Not initialised.");

    public CosmosClient Client => client ?? throw new InvalidOperationException("Not initialised.");

    public async Task InitializeAsync()
    {
        server = await CosmosServer.StartAsync();
        client = server.CreateClient(options => options.SerializerOptions = new CosmosSerializationOptions
        {
            PropertyNamingPolicy = CosmosPropertyNamingPolicy.CamelCase,
        });
    }

    public async Task DisposeAsync()
    {
        client?.Dispose();
        if (server is not null)
        {
            await server.DisposeAsync();
        }
    }

    public async Task<Container> ContainerAsync(string id, string partitionKeyPath)
    {
        Database database = await Client.CreateDatabaseIfNotExistsAsync("emulator-tests");
        return await database.CreateContainerIfNotExistsAsync(id, partitionKeyPath);
    }
}

[CollectionDefinition(Name)]
public sealed class CosmosServerCollectionDefinition : ICollectionFixture<CosmosServerFixture>
{
    public const string Name = "cosmosdb-server";
}
