using System.Text.RegularExpressions;

namespace Touchpoints.FunctionsHost.Emulators;

/// <summary>An in-memory Azurite (Azure Storage emulator) on loopback ports; blobs and queues are what we use.</summary>
public sealed partial class Azurite : IAsyncDisposable
{
    public const string AccountName = "devstoreaccount1";

    /// <summary>Azurite's published development-storage key.</summary>
    public const string AccountKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly NodeProcess process;

    private Azurite(NodeProcess process, Uri blobEndpoint, Uri queueEndpoint)
    {
        this.process = process;
        BlobEndpoint = blobEndpoint;
        QueueEndpoint = queueEndpoint;
    }

    public Uri BlobEndpoint { get; }

    public Uri QueueEndpoint { get; }

    public string ConnectionString =>
        $"DefaultEndpointsProtocol=http;AccountName={AccountName};AccountKey={AccountKey};BlobEndpoint={BlobEndpoint};QueueEndpoint={QueueEndpoint};";

    /// <summary>Starts Azurite on free loopback ports.</summary>
    public static Task<Azurite> StartAsync(CancellationToken cancellationToken = default) => StartAsync(0, 0, 0, cancellationToken);

    /// <summary>Starts Azurite on the given ports of 127.0.0.1 (0: a free one; the development storage ports are 10000/10001/10002).</summary>
    public static async Task<Azurite> StartAsync(int blobPort, int queuePort, int tablePort, CancellationToken cancellationToken = default)
    {
        var cli = Path.Combine(NodeTooling.NodeModules, "azurite", "dist", "src", "azurite.js");
        // Port 0 lets the OS pick free ports (no race with other test runs); Azurite logs the ports it actually bound.
        // The table service cannot be switched off in the combined CLI, so it gets a port too and goes unused.
        string[] arguments =
        [
            cli,
            "--blobHost", "127.0.0.1", "--blobPort", Port(blobPort),
            "--queueHost", "127.0.0.1", "--queuePort", Port(queuePort),
            "--tableHost", "127.0.0.1", "--tablePort", Port(tablePort),
            "--inMemoryPersistence", "--loose", "--skipApiVersionCheck", "--disableTelemetry", "--silent",
        ];
        var (process, ready) = await NodeProcess
            .StartAsync("azurite", arguments, ReadyLine(), 2, cancellationToken)
            .ConfigureAwait(false);
        Uri Endpoint(string service) =>
            new($"{ready.Single(m => m.Groups["service"].Value == service).Groups["url"].Value.TrimEnd('/')}/{AccountName}");
        return new Azurite(process, Endpoint("Blob"), Endpoint("Queue"));
    }

    public ValueTask DisposeAsync() => process.DisposeAsync();

    private static string Port(int port) => port.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [GeneratedRegex(@"Azurite (?<service>Blob|Queue) service is successfully listening at (?<url>\S+)")]
    private static partial Regex ReadyLine();
}
