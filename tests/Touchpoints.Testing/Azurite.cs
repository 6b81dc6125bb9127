using System.Text.RegularExpressions;

namespace Touchpoints.Testing;

/// <summary>An in-memory Azurite (Azure Storage emulator) on free loopback ports; blobs and queues are what we use.</summary>
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

    public static async Task<Azurite> StartAsync(CancellationToken cancellationToken = default)
    {
        var cli = Path.Combine(NodeTooling.NodeModules, "azurite", "dist", "src", "azurite.js");
        // Port 0 lets the OS pick free ports (no race with other test runs); Azurite logs the ports it actually bound.
        // The table service cannot be switched off in the combined CLI, so it gets a free port too and goes unused.
        string[] arguments =
        [
            cli,
            "--blobHost", "127.0.0.1", "--blobPort", "0",
            "--queueHost", "127.0.0.1", "--queuePort", "0",
            "--tableHost", "127.0.0.1", "--tablePort", "0",
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

    [GeneratedRegex(@"Azurite (?<service>Blob|Queue) service is successfully listening at (?<url>\S+)")]
    private static partial Regex ReadyLine();
}
