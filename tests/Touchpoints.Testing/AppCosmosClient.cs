using Microsoft.Azure.Cosmos;
using Touchpoints.Functions.Storage;
using Touchpoints.FunctionsHost.Emulators;

namespace Touchpoints.Testing;

/// <summary>
/// The app's own Cosmos DB client (its serializer, retries and options, from <see cref="StorageRegistration"/>) on the npm
/// server, with a handler under its HTTP pipeline: where tests count, hold or fail the store's requests, and the cost
/// meter prices them. Registered in the app's services, it replaces the client the app would build.
/// </summary>
public static class AppCosmosClient
{
    public static CosmosClient Through(CosmosServer cosmos, HttpMessageHandler handler)
    {
        ArgumentNullException.ThrowIfNull(cosmos);
        var options = new CosmosOptions
        {
            AccountEndpoint = cosmos.Endpoint.ToString(), AccountKey = cosmos.Key,
            ConnectionMode = ConnectionMode.Gateway, LimitToEndpoint = true,
        };
        var clientOptions = StorageRegistration.ClientOptions(options);
        clientOptions.HttpClientFactory = () => new HttpClient(handler, disposeHandler: false);
        return StorageRegistration.CreateClient(options, clientOptions);
    }
}
