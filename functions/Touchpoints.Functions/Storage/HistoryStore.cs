using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using Microsoft.Extensions.Options;
using Touchpoints.Core;
using Touchpoints.Core.History;
using Touchpoints.Core.Identity;

namespace Touchpoints.Functions.Storage;

public sealed class HistoryOptions
{
    public const string Section = "History";

    /// <summary>
    /// A segment (one append blob) takes chunks until it holds this many bytes; the next write starts the next segment. A
    /// rebuild reads a profile's segments whole, and an append blob takes at most 50,000 appends (the store moves on to the
    /// next segment when a blob refuses more, whatever its size).
    /// </summary>
    [Range(1024, 100L * 1024 * 1024 * 1024)]
    public long SegmentBytes { get; set; } = 64L * 1024 * 1024;
}

/// <summary>
/// Every customer's history in Blob Storage: <c>history/{customerId}/{segment}</c>, append blobs of
/// <see cref="HistoryChunk"/>s, one chunk per write of the view (an append per customer per batch, never per event). An
/// append is atomic; a chunk appended by a writer that then loses its race is simply on no chain
/// (<see cref="HistoryReplay.Chain"/>), so appends need no condition and a retry costs nothing but the orphan.
/// </summary>
public sealed class HistoryStore
{
    /// <summary>An append block holds at most 4 MiB; bodies of one write beyond this go in further parts.</summary>
    public const int MaxEventBytesPerAppend = 3 * 1024 * 1024;

    private readonly Lazy<BlobContainerClient> container;
    private readonly HistoryOptions options;

    public HistoryStore(IConfiguration configuration, IOptions<HistoryOptions> options, BlobClientOptions? clientOptions = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.options = options.Value;
        container = new Lazy<BlobContainerClient>(() => Connect(configuration, clientOptions).GetBlobContainerClient(BlobContainers.History));
    }

    public static BlobServiceClient Connect(IConfiguration configuration, BlobClientOptions? clientOptions = null) =>
        StorageAccount.Connect(configuration, "blob",
            connection => new BlobServiceClient(connection, clientOptions), (uri, credential) => new BlobServiceClient(uri, credential, clientOptions));

    /// <summary>
    /// Appends the history of one write after <see cref="HistoryChunk.After"/> (the view read); the pointer its view keeps.
    /// A write too large for one append goes in parts, each after the one before.
    /// </summary>
    public async Task<HistoryPointer> AppendAsync(CustomerId id, HistoryChunk chunk, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        var previous = chunk.After;
        var segment = previous is null ? 0 : previous.Offset >= options.SegmentBytes ? previous.Segment + 1 : previous.Segment;
        foreach (var part in chunk.Split(MaxEventBytesPerAppend))
        {
            var bytes = HistoryFormat.Write(part with { After = previous });
            (segment, var offset) = await AppendOnceAsync(id, segment, bytes, create: previous is null, ct).ConfigureAwait(false);
            previous = new HistoryPointer(segment, offset);
        }
        return previous!;
    }

    /// <summary>
    /// Appends a chain that starts afresh (an unmerge's: its first chunk has no predecessor) in a segment after every
    /// existing one, so that the segments it replaces can be deleted whole once the view points at it; its head.
    /// </summary>
    public async Task<HistoryPointer> AppendChainAsync(CustomerId id, IReadOnlyList<HistoryChunk> chain, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(chain);
        var segment = (await SegmentsAsync(id, ct).ConfigureAwait(false)).Select(SegmentOf).DefaultIfEmpty(-1).Max() + 1;
        HistoryPointer? previous = null;
        foreach (var chunk in chain)
        {
            foreach (var part in chunk.Split(MaxEventBytesPerAppend))
            {
                if (previous is not null && previous.Offset >= options.SegmentBytes) segment++;
                (segment, var offset) = await AppendOnceAsync(id, segment, HistoryFormat.Write(part with { After = previous }), create: previous is null, ct).ConfigureAwait(false);
                previous = new HistoryPointer(segment, offset);
            }
        }
        return previous ?? throw new ArgumentException("a chain has at least one chunk", nameof(chain));
    }

    private static int SegmentOf(string name) =>
        int.TryParse(name.AsSpan(name.LastIndexOf('/') + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var segment) ? segment : -1;

    /// <summary>Deletes one segment by its name (<see cref="SegmentsAsync"/>).</summary>
    public async Task DeleteSegmentAsync(string name, CancellationToken ct) =>
        await container.Value.DeleteBlobIfExistsAsync(name, cancellationToken: ct).ConfigureAwait(false);

    private async Task<(int Segment, long Offset)> AppendOnceAsync(CustomerId id, int segment, byte[] bytes, bool create, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var blob = container.Value.GetAppendBlobClient(BlobName(id, segment));
            try
            {
                // A profile's first write creates its first segment without asking first (one request more, once).
                if (create) await blob.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
                create = false;
                using var content = new MemoryStream(bytes, writable: false);
                var appended = await blob.AppendBlockAsync(content, cancellationToken: ct).ConfigureAwait(false);
                return (segment, long.Parse(appended.Value.BlobAppendOffset, CultureInfo.InvariantCulture));
            }
            catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.ContainerNotFound && attempt < 3)
            {
                // The infrastructure creates the container in Azure; locally the first write does.
                await container.Value.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
                create = true;
            }
            catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.BlobNotFound && attempt < 3)
            {
                await blob.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
            }
            catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.BlockCountExceedsLimit && attempt < 3)
            {
                segment++;
                create = true;
            }
        }
    }

    /// <summary>Every chunk of a profile's history, with where each starts (all its segments, read whole).</summary>
    public async Task<IReadOnlyDictionary<HistoryPointer, HistoryChunk>> ReadAsync(CustomerId id, CancellationToken ct)
    {
        var chunks = new Dictionary<HistoryPointer, HistoryChunk>();
        foreach (var name in await SegmentsAsync(id, ct).ConfigureAwait(false))
        {
            if (!int.TryParse(name.AsSpan(name.LastIndexOf('/') + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var segment)) continue;
            var content = await container.Value.GetBlobClient(name).DownloadContentAsync(ct).ConfigureAwait(false);
            foreach (var (at, chunk) in HistoryFormat.Read(segment, content.Value.Content.ToMemory().Span)) chunks[at] = chunk;
        }
        return chunks;
    }

    /// <summary>Deletes a profile's whole history; the number of segments deleted.</summary>
    public async Task<int> DeleteAsync(CustomerId id, CancellationToken ct)
    {
        var deleted = 0;
        foreach (var name in await SegmentsAsync(id, ct).ConfigureAwait(false))
            if ((await container.Value.DeleteBlobIfExistsAsync(name, cancellationToken: ct).ConfigureAwait(false)).Value) deleted++;
        return deleted;
    }

    /// <summary>The names of a profile's segments; none before the container exists.</summary>
    public async Task<IReadOnlyList<string>> SegmentsAsync(CustomerId id, CancellationToken ct)
    {
        var names = new List<string>();
        try
        {
            await foreach (var item in container.Value.GetBlobsAsync(new GetBlobsOptions { Prefix = id + "/" }, ct).ConfigureAwait(false)) names.Add(item.Name);
        }
        catch (RequestFailedException e) when (e.ErrorCode == BlobErrorCode.ContainerNotFound)
        {
        }
        return names;
    }

    private static string BlobName(CustomerId id, int segment) => string.Create(CultureInfo.InvariantCulture, $"{id}/{segment:D5}");
}
