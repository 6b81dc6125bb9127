using Microsoft.Azure.Cosmos;
using Touchpoints.FunctionsHost.Emulators;

namespace Touchpoints.Functions.Tests.Emulators;

/// <summary>The assembly's cosmosdb-server with a database of its own for these tests; tests isolate themselves with fresh ids.</summary>
public sealed class CosmosServerFixture : IAsyncLifetime
{
    private CosmosServer? server;

    /// <summary>The database of these tests on the assembly's one Cosmos DB server.</summary>
    public string DatabaseName { get; } = SharedEmulators.NewDatabaseName("emulator-tests");
    private CosmosClient? client;

    public CosmosServer Server => server ?? throw new InvalidOperationException("Not initialised.");

    public CosmosClient Client => client ?? throw new InvalidOperationException("Not initialised.");

    public async Task InitializeAsync()
    {
        server = await SharedEmulators.CosmosAsync();
        client = server.CreateClient(options => options.SerializerOptions = new CosmosSerializationOptions
        {
            PropertyNamingPolicy = CosmosPropertyNamingPolicy.CamelCase,
        });
    }

    public async Task DisposeAsync()
    {
        if (client is not null)
        {
            using (await client.GetDatabase(DatabaseName).DeleteStreamAsync()) { }
            client.Dispose();
        }
    }

    public async Task<Container> ContainerAsync(string id, string partitionKeyPath)
    {
        Database database = await Client.CreateDatabaseIfNotExistsAsync(DatabaseName);
        return await database.CreateContainerIfNotExistsAsync(id, partitionKeyPath);
    }
}

[CollectionDefinition(Name)]
public sealed class CosmosServerCollectionDefinition : ICollectionFixture<CosmosServerFixture>
{
    public const string Name = "cosmosdb-server";
}
