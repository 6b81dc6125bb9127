using System.Collections.Concurrent;
using Azure.Core;
using Azure.Core.Pipeline;

namespace Touchpoints.Benchmarks.Cost;

/// <summary>
/// Counts the history's Blob Storage requests in the app's blob client pipeline: by operation (the <c>comp</c> of the
/// request: appendblock, a create, a list, a read) and status, with the bytes sent. Blob Storage bills per operation
/// (not by request units) and per GB stored.
/// </summary>
internal sealed class BlobMeter : HttpPipelinePolicy
{
    private readonly ConcurrentDictionary<string, (long Count, long Bytes)> requests = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, (long Count, long Bytes)> Requests => requests;

    public void Reset() => requests.Clear();

    public override void Process(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        ProcessNext(message, pipeline);
        Count(message);
    }

    public override async ValueTask ProcessAsync(HttpMessage message, ReadOnlyMemory<HttpPipelinePolicy> pipeline)
    {
        await ProcessNextAsync(message, pipeline).ConfigureAwait(false);
        Count(message);
    }

    private void Count(HttpMessage message)
    {
        var query = message.Request.Uri.Query;
        var comp = query.Contains("comp=appendblock", StringComparison.Ordinal) ? "append"
            : query.Contains("comp=list", StringComparison.Ordinal) ? "list"
            : message.Request.Method == RequestMethod.Put ? "create"
            : message.Request.Method.Method.ToLowerInvariant();
        var bytes = message.Request.Content?.TryComputeLength(out var length) == true ? length : 0;
        var key = $"{comp} {message.Response.Status}";
        requests.AddOrUpdate(key, (1, bytes), (_, t) => (t.Count + 1, t.Bytes + bytes));
    }
}
