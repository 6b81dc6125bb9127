using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Touchpoints.FunctionsHost.App;

using Touchpoints.FunctionsHost.Runtime;

namespace Touchpoints.FunctionsHost.Emulators;

/// <summary>
/// Starts the emulators the settings point at when nothing listens there yet: the Cosmos DB server for a loopback
/// <c>Cosmos__AccountEndpoint</c>, Azurite for development storage (<c>UseDevelopmentStorage=true</c> → ports 10000/10001/10002,
/// or a connection string with loopback endpoints). Stops only what it started.
/// </summary>
public sealed partial class LocalEmulators : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> started = [];

    /// <summary>The setting that names the app's Cosmos DB endpoint: a loopback one nothing listens on gets the npm server.</summary>
    public const string CosmosEndpointSetting = "Cosmos__AccountEndpoint";

    /// <summary>The Functions host's storage connection: development storage on loopback ports nothing listens on gets Azurite.</summary>
    public const string StorageSetting = "AzureWebJobsStorage";

    /// <summary>
    /// Points <paramref name="settings"/> at fresh emulators on free loopback ports (those the caller set stay): the local host
    /// then starts them, and stops them with itself. Runs side by side never share data.
    /// </summary>
    public static void UseFresh(IDictionary<string, string?> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (!settings.ContainsKey(CosmosEndpointSetting)) settings[CosmosEndpointSetting] = $"http://127.0.0.1:{LoopbackPorts.Free()}/";
        if (!settings.ContainsKey(StorageSetting))
            settings[StorageSetting] =
                $"DefaultEndpointsProtocol=http;AccountName={Azurite.AccountName};AccountKey={Azurite.AccountKey};"
                + $"BlobEndpoint=http://127.0.0.1:{LoopbackPorts.Free()}/{Azurite.AccountName};QueueEndpoint=http://127.0.0.1:{LoopbackPorts.Free()}/{Azurite.AccountName};";
    }

    public IReadOnlyList<string> Started { get; private set; } = [];

    public static async Task<LocalEmulators> StartAsync(AppSettings settings, FunctionApp app, ILogger logger, CancellationToken cancellationToken)
    {
        var emulators = new LocalEmulators();
        var names = new List<string>();
        try
        {
            var cosmos = settings.Get(CosmosEndpointSetting) ?? settings.Get(CosmosEndpointSetting.Replace("__", ":", StringComparison.Ordinal));
            if (Uri.TryCreate(cosmos, UriKind.Absolute, out var endpoint) && endpoint.IsLoopback && endpoint.Scheme == Uri.UriSchemeHttp)
            {
                if (await IsListeningAsync(endpoint.Port, cancellationToken).ConfigureAwait(false))
                {
                    LogAlreadyListening(logger, "Cosmos DB", endpoint);
                }
                else
                {
                    var server = await CosmosServer.StartAsync(endpoint.Port, cancellationToken).ConfigureAwait(false);
                    emulators.started.Add(server);
                    names.Add($"cosmosdb-server at {server.Endpoint}");
                    LogStarted(logger, "cosmosdb-server", server.Endpoint);
                }
            }

            var storageConnections = new List<string?> { settings.Get(StorageSetting) };
            storageConnections.AddRange(app.Functions.SelectMany(f => f.Bindings)
                .Where(b => b.Type is BindingTypes.Queue or BindingTypes.QueueTrigger)
                .Select(b => FunctionApp.StorageConnection(b, settings)));
            foreach (var ports in storageConnections.Select(DevelopmentStoragePorts).OfType<(int Blob, int Queue, int Table)>().Distinct())
            {
                if (await IsListeningAsync(ports.Queue, cancellationToken).ConfigureAwait(false))
                {
                    var queueEndpoint = new Uri($"http://127.0.0.1:{ports.Queue}/");
                    LogAlreadyListening(logger, "Azure Storage (queues)", queueEndpoint);
                    continue;
                }

                var azurite = await Azurite.StartAsync(ports.Blob, ports.Queue, ports.Table, cancellationToken).ConfigureAwait(false);
                emulators.started.Add(azurite);
                names.Add($"Azurite (blob {azurite.BlobEndpoint}, queue {azurite.QueueEndpoint})");
                LogStarted(logger, "Azurite", azurite.QueueEndpoint);
            }
        }
        catch
        {
            await emulators.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        emulators.Started = names;
        return emulators;
    }

    /// <summary>
    /// The loopback ports a storage connection string names: <c>UseDevelopmentStorage=true</c> → 10000/10001/10002;
    /// explicit <c>BlobEndpoint</c>/<c>QueueEndpoint</c>/<c>TableEndpoint</c> on 127.0.0.1 or localhost → theirs (0 for one
    /// that is missing: any free port). Null for a real account.
    /// </summary>
    public static (int Blob, int Queue, int Table)? DevelopmentStoragePorts(string? connection)
    {
        if (string.IsNullOrWhiteSpace(connection)) return null;
        var parts = connection.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2))
            .Where(p => p.Length == 2)
            .GroupBy(p => p[0], StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.Last()[1], StringComparer.OrdinalIgnoreCase);
        if (parts.TryGetValue("UseDevelopmentStorage", out var dev) && bool.TryParse(dev, out var isDev) && isDev)
            return (10000, 10001, 10002);

        int? Port(string key) => parts.TryGetValue(key, out var value) && Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.IsLoopback
            ? uri.Port
            : null;
        var queue = Port("QueueEndpoint");
        return queue is null ? null : (Port("BlobEndpoint") ?? 0, queue.Value, Port("TableEndpoint") ?? 0);
    }

    public static async Task<bool> IsListeningAsync(int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            await client.ConnectAsync(System.Net.IPAddress.Loopback, port, timeout.Token).ConfigureAwait(false);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var emulator in Enumerable.Reverse(started))
            await emulator.DisposeAsync().ConfigureAwait(false);
        started.Clear();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{What} is already listening at {Endpoint}; using it")]
    private static partial void LogAlreadyListening(ILogger logger, string what, Uri endpoint);

    [LoggerMessage(Level = LogLevel.Information, Message = "Started {What} at {Endpoint}")]
    private static partial void LogStarted(ILogger logger, string what, Uri endpoint);
}
