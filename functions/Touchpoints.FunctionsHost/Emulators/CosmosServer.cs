using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Azure.Cosmos;

namespace Touchpoints.FunctionsHost.Emulators;

/// <summary>
/// An in-memory Cosmos DB (SQL API) emulator: <c>@vercel/cosmosdb-server</c>, patched by <c>Emulators/patches</c>
/// (applied by <c>npm ci</c>), served over plain HTTP with keep-alive on a loopback port by <c>Emulators/cosmosdb-server.js</c>.
/// </summary>
public sealed partial class CosmosServer : IAsyncDisposable
{
    /// <summary>The Cosmos DB emulator's published key. The server ignores auth; the SDK only needs valid base64.</summary>
    public const string WellKnownKey = "C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw==";

    private readonly NodeProcess process;

    private CosmosServer(NodeProcess process, Uri endpoint)
    {
        this.process = process;
        Endpoint = endpoint;
    }

    public Uri Endpoint { get; }

    public string Key { get; } = WellKnownKey;

    public string ConnectionString => $"AccountEndpoint={Endpoint};AccountKey={Key};";

    /// <summary>Starts the server on a free loopback port.</summary>
    public static Task<CosmosServer> StartAsync(CancellationToken cancellationToken = default) => StartAsync(0, cancellationToken);

    /// <summary>Starts the server on <paramref name="port"/> (0: a free one) of 127.0.0.1.</summary>
    public static async Task<CosmosServer> StartAsync(int port, CancellationToken cancellationToken = default)
    {
        var script = Path.Combine(NodeTooling.RepoRoot, "functions", "Touchpoints.FunctionsHost", "Emulators", "cosmosdb-server.js");
        var (process, ready) = await NodeProcess
            .StartAsync("cosmosdb-server", [script, port.ToString(CultureInfo.InvariantCulture), "127.0.0.1"], ReadyLine(), 1, cancellationToken)
            .ConfigureAwait(false);
        var actualPort = int.Parse(ready[0].Groups["port"].Value, CultureInfo.InvariantCulture);
        return new CosmosServer(process, new Uri($"http://127.0.0.1:{actualPort}/"));
    }

    /// <summary>
    /// The client options this emulator needs: Gateway mode (it has no direct/TCP mode) and LimitToEndpoint,
    /// because the account metadata it serves advertises an https region endpoint that does not exist.
    /// </summary>
    public static CosmosClientOptions ClientOptions() => new()
    {
        ConnectionMode = ConnectionMode.Gateway,
        LimitToEndpoint = true,
    };

    /// <param name="configure">Adjusts <see cref="ClientOptions"/>, e.g. to set the serializer product code uses.</param>
    public CosmosClient CreateClient(Action<CosmosClientOptions>? configure = null)
    {
        var options = ClientOptions();
        configure?.Invoke(options);
        return new CosmosClient(Endpoint.ToString(), Key, options);
    }

    public ValueTask DisposeAsync() => process.DisposeAsync();

    [GeneratedRegex(@"Ready to accept HTTP connections at \S+:(?<port>\d+)")]
    private static partial Regex ReadyLine();
}
