using System.Collections.Concurrent;
using System.Net;
using Microsoft.Azure.Cosmos;

namespace Touchpoints.Benchmarks.Cost;

/// <summary>
/// A handler under the Cosmos DB client's HTTP pipeline (<see cref="CosmosClientOptions.HttpClientFactory"/>; the app talks
/// to Cosmos DB in Gateway mode here) that counts every request the app makes: by container and operation, with bytes sent
/// and received on the wire, status, and the request units it would cost in Azure under <see cref="RequestUnits"/>. The
/// npm server charges nothing, so the charge is priced from sizes.
/// </summary>
internal sealed class RequestMeter : DelegatingHandler
{
    private readonly ConcurrentDictionary<string, Tally> tallies = new(StringComparer.Ordinal);

    public RequestMeter() : base(new SocketsHttpHandler()) { }

    public sealed class Tally
    {
        public long Count;
        public long BytesSent;
        public long BytesReceived;
        public double RequestUnits;
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        long sent = 0;
        if (request.Content is not null)
        {
            await request.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
            sent = request.Content.Headers.ContentLength ?? 0;
        }
        var response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await response.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
        var received = response.Content.Headers.ContentLength ?? 0;
        var (container, operation) = Classify(request);
        if (container is null) return response; // account, database and container metadata: not per event
        var key = $"{container} {operation} {(int)response.StatusCode}";
        var tally = tallies.GetOrAdd(key, _ => new Tally());
        Interlocked.Increment(ref tally.Count);
        Interlocked.Add(ref tally.BytesSent, sent);
        Interlocked.Add(ref tally.BytesReceived, received);
        var charge = RequestUnits.Of(operation, response.StatusCode, sent, received);
        lock (tally) tally.RequestUnits += charge;
        return response;
    }

    /// <summary>The container and operation of a document request (<c>/dbs/{db}/colls/{container}/docs[/{id}]</c>).</summary>
    private static (string? Container, string Operation) Classify(HttpRequestMessage request)
    {
        var segments = (request.RequestUri?.AbsolutePath ?? "").Split('/', StringSplitOptions.RemoveEmptyEntries);
        var colls = Array.IndexOf(segments, "colls");
        if (colls < 0 || colls + 1 >= segments.Length) return (null, "");
        var container = Uri.UnescapeDataString(segments[colls + 1]);
        var docs = Array.IndexOf(segments, "docs", colls);
        if (docs < 0) return (null, ""); // partition key ranges, container reads: address resolution
        var isItem = docs + 1 < segments.Length;
        bool Header(string name) => request.Headers.TryGetValues(name, out var values)
            && values.Any(v => string.Equals(v, "True", StringComparison.OrdinalIgnoreCase));
        var operation = request.Method.Method switch
        {
            "GET" when isItem => "read",
            "GET" => "readFeed",
            "POST" when Header("x-ms-documentdb-isquery") => "query",
            "POST" when Header("x-ms-documentdb-is-upsert") => "upsert",
            "POST" when Header("x-ms-cosmos-is-batch-request") => "batch",
            "POST" => "create",
            "PUT" => "replace",
            "PATCH" => "patch",
            "DELETE" => "delete",
            var m => m.ToLowerInvariant(),
        };
        return (container, operation);
    }

    public IReadOnlyDictionary<string, Tally> Snapshot() =>
        tallies.ToDictionary(t => t.Key, t => new Tally
        {
            Count = Interlocked.Read(ref t.Value.Count),
            BytesSent = Interlocked.Read(ref t.Value.BytesSent),
            BytesReceived = Interlocked.Read(ref t.Value.BytesReceived),
            RequestUnits = t.Value.RequestUnits,
        }, StringComparer.Ordinal);

    public void Reset() => tallies.Clear();
}

/// <summary>
/// Request units priced from sizes, after Microsoft's published figures for a point operation on an item with default
/// indexing (https://learn.microsoft.com/azure/cosmos-db/request-units): reads 1.0 RU at 1 KB rising to 1.7 RU at 16 KB
/// (10 RU at 100 KB); writes (create, replace, upsert) 5 RU at 1 KB, 7 RU at 8 KB, 9.5 RU at 16 KB (50 RU at 100 KB),
/// linear in between. Assumptions where Azure does not publish a figure: a 404 read costs 1 RU; a refused conditional
/// write (409, 412) costs 1 RU (the precondition is checked before the write); a patch or delete is a write of the
/// document (at least 1 KB); a query costs 2.8 RU plus the read of what it returns.
/// </summary>
internal static class RequestUnits
{
    private static readonly (double Kb, double Ru)[] Reads = [(0, 1.0), (1, 1.0), (16, 1.7), (100, 10)];
    private static readonly (double Kb, double Ru)[] Writes = [(0, 5.0), (1, 5.0), (8, 7.0), (16, 9.5), (100, 50)];

    public static double Of(string operation, HttpStatusCode status, long sent, long received)
    {
        var ok = (int)status is >= 200 and < 300;
        return operation switch
        {
            "read" or "readFeed" => ok ? Interpolate(Reads, received / 1024.0) : 1.0,
            "query" => 2.8 + (received > 0 ? Interpolate(Reads, received / 1024.0) - 1.0 : 0),
            "create" or "replace" or "upsert" or "batch" => ok ? Interpolate(Writes, sent / 1024.0) : 1.0,
            "patch" or "delete" => ok ? Interpolate(Writes, Math.Max(1, sent / 1024.0)) : 1.0,
            _ => 1.0,
        };
    }

    private static double Interpolate((double Kb, double Ru)[] table, double kb)
    {
        for (var i = 1; i < table.Length; i++)
        {
            if (kb <= table[i].Kb)
            {
                var (x0, y0) = table[i - 1];
                var (x1, y1) = table[i];
                return y0 + (y1 - y0) * (kb - x0) / (x1 - x0);
            }
        }
        var (xa, ya) = table[^2];
        var (xb, yb) = table[^1];
        return yb + (yb - ya) * (kb - xb) / (xb - xa);
    }
}
