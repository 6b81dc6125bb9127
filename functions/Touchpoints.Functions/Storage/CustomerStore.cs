using System.Text.Json;
using System.Net;
using Microsoft.Azure.Cosmos;
using Touchpoints.Core;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Views;

namespace Touchpoints.Functions.Storage;

/// <summary>
/// Point reads and conditional writes of customer views: the only access ingestion needs. What is read or written is kept in
/// the instance's <see cref="StoreCache"/>; <see cref="ReadCachedAsync"/> answers from it, <see cref="ReadAsync"/> never.
/// </summary>
public sealed class CustomerStore(Database database, StoreCache cache)
{
    private readonly Container container = database.GetContainer(Containers.Customers);

    /// <summary>The view as stored now (null: none), without an exception for a 404.</summary>
    public async Task<Versioned<CustomerView>?> ReadAsync(CustomerId id, CancellationToken ct)
    {
        // An id Cosmos DB could not hold (from a URL, say) names no customer: not a request to send, nor a 400 to surface.
        if (!IsPossibleId(id)) return null;
        using var response = await container.ReadItemStreamAsync(id, new PartitionKey(id), cancellationToken: ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            cache.ForgetView(id);
            return null;
        }
        response.EnsureSuccessStatusCode();
        var view = await JsonSerializer.DeserializeAsync(response.Content, CoreJsonContext.Default.CustomerView, ct).ConfigureAwait(false)
            ?? throw new JsonException($"customer {id} reads as null");
        var read = new Versioned<CustomerView>(view, response.Headers.ETag);
        cache.SetView(read);
        return read;
    }

    /// <summary>
    /// The view this instance last read or wrote, if it is at <paramref name="atLeastVersion"/> or later, else as stored now.
    /// For work whose writes are conditional on the ETag (ingestion) or that needs no newer version than it was told of (a
    /// change evaluation): a stale answer costs a refused write and a re-read, never a wrong one.
    /// </summary>
    public Task<Versioned<CustomerView>?> ReadCachedAsync(CustomerId id, CancellationToken ct, long atLeastVersion = 0) =>
        cache.TryGetView(id, out var view) && view.Document.Version >= atLeastVersion
            ? Task.FromResult<Versioned<CustomerView>?>(view)
            : ReadAsync(id, ct);

    /// <summary>Cosmos DB ids: 1 to 255 characters, none of <c>/ \ ? #</c> (nor <c>%</c>, which gateways decode), no control characters.</summary>
    public static bool IsPossibleId(string id) =>
        id.Length is > 0 and <= 255 && id.AsSpan().IndexOfAny("/\\?#%") < 0 && !id.Any(char.IsControl);

    /// <summary>The customer's current view, following <c>mergedInto</c> from a merged-away id to its survivor.</summary>
    public async Task<CustomerView?> ReadCurrentAsync(CustomerId id, CancellationToken ct) => (await ReadLiveAsync(id, ct).ConfigureAwait(false))?.Document;

    /// <summary>The live document <paramref name="id"/> resolves to, with its ETag, following <c>mergedInto</c>.</summary>
    public async Task<Versioned<CustomerView>?> ReadLiveAsync(CustomerId id, CancellationToken ct)
    {
        for (var hop = 0; hop <= ProfileGraph.MaxHops; hop++)
        {
            var found = await ReadAsync(id, ct).ConfigureAwait(false);
            if (found?.Document.MergedInto is not { } survivor) return found;
            id = survivor;
        }
        return null;
    }

    /// <summary>
    /// A uniform random sample of <paramref name="n"/> live customers, and an estimate of how many live customers there are.
    /// Customer ids are hashes of an identifier (<see cref="Core.Identity.IdentityResolver.NewCustomerId(Core.Identity.Identifier)"/>),
    /// independent of anything a rule looks at, so the <paramref name="n"/> ids that follow a random point of the hash space
    /// are a random sample — one ordered query of n items, not a scan. The share of the hash space they span estimates the
    /// population (n / share, within about 1/√n); if the query wraps around, the sample is every live customer and the count exact.
    /// </summary>
    public async Task<CustomerSample> SampleAsync(int n, Random random, CancellationToken ct)
    {
        var start = CustomerIdSpace.RandomPoint(random);
        var after = await LiveIdsAsync("c.id >= @start", start, n, ct).ConfigureAwait(false);
        if (after.Count == n) return new CustomerSample(after, CustomerIdSpace.EstimateCount(start, after[^1], n, wrapped: false), Exact: false);
        var before = await LiveIdsAsync("c.id < @start", start, n - after.Count, ct).ConfigureAwait(false);
        var all = after.Concat(before).ToArray();
        // Fewer than asked for after the start and before it: every live customer is in the sample.
        if (all.Length < n) return new CustomerSample(all, all.Length, Exact: true);
        return new CustomerSample(all, CustomerIdSpace.EstimateCount(start, all[^1], n, wrapped: true), Exact: false);
    }

    private async Task<List<CustomerId>> LiveIdsAsync(string range, string start, int n, CancellationToken ct)
    {
        var ids = new List<CustomerId>(n);
        if (n <= 0) return ids;
        var query = new QueryDefinition($"SELECT TOP @n c.id FROM c WHERE {range} AND (NOT IS_DEFINED(c.mergedInto) OR IS_NULL(c.mergedInto)) ORDER BY c.id")
            .WithParameter("@n", n).WithParameter("@start", start);
        using var feed = container.GetItemQueryStreamIterator(query, requestOptions: new QueryRequestOptions { MaxItemCount = n });
        while (feed.HasMoreResults && ids.Count < n)
        {
            using var page = await feed.ReadNextAsync(ct).ConfigureAwait(false);
            page.EnsureSuccessStatusCode();
            using var json = await JsonDocument.ParseAsync(page.Content, cancellationToken: ct).ConfigureAwait(false);
            foreach (var d in json.RootElement.GetProperty("Documents").EnumerateArray())
                if (d.TryGetProperty("id", out var id) && id.GetString() is { Length: > 0 } value) ids.Add(new CustomerId(value));
        }
        return ids;
    }

    /// <summary>One page of every customer document, live and tombstones (the repair's full pass: its cost grows with them).</summary>
    public async Task<(IReadOnlyList<Versioned<CustomerView>> Page, string? Continuation)> ScanAsync(string? continuation, int pageSize, CancellationToken ct)
    {
        using var feed = container.GetItemQueryStreamIterator(new QueryDefinition("SELECT * FROM c"), continuation,
            new QueryRequestOptions { MaxItemCount = pageSize });
        if (!feed.HasMoreResults) return ([], null);
        using var page = await feed.ReadNextAsync(ct).ConfigureAwait(false);
        page.EnsureSuccessStatusCode();
        using var json = await JsonDocument.ParseAsync(page.Content, cancellationToken: ct).ConfigureAwait(false);
        // Each document with its _etag, the condition of a repair's write: no second read per document.
        var documents = json.RootElement.GetProperty("Documents").EnumerateArray()
            .Select(d => new Versioned<CustomerView>(d.Deserialize(CoreJsonContext.Default.CustomerView)!, d.GetProperty("_etag").GetString()!))
            .ToArray();
        return (documents, page.ContinuationToken);
    }

    /// <summary>Creates the view when <paramref name="etag"/> is null, else replaces it if it is still at that ETag.</summary>
    public async Task<string> WriteAsync(CustomerView view, string? etag, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(view);
        try
        {
            var response = etag is null
                ? await container.CreateItemAsync(view, new PartitionKey(view.Id), Quiet, ct).ConfigureAwait(false)
                : await container.ReplaceItemAsync(view, view.Id, new PartitionKey(view.Id),
                    new ItemRequestOptions { IfMatchEtag = etag, EnableContentResponseOnWrite = false }, ct).ConfigureAwait(false);
            cache.SetView(new Versioned<CustomerView>(view, response.ETag));
            return response.ETag;
        }
        catch (CosmosException e) when (e.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.PreconditionFailed)
        {
            cache.ForgetView(view.Id);
            throw new ConcurrentUpdateException(view.Id);
        }
    }

    /// <summary>Deletes the view if it is still at <paramref name="etag"/>; false when it changed or is gone.</summary>
    public async Task<bool> DeleteAsync(CustomerId id, string etag, CancellationToken ct)
    {
        cache.ForgetView(id);
        using var response = await container.DeleteItemStreamAsync(id, new PartitionKey(id), new ItemRequestOptions { IfMatchEtag = etag }, ct).ConfigureAwait(false);
        return response.IsSuccessStatusCode;
    }

    private static readonly ItemRequestOptions Quiet = new() { EnableContentResponseOnWrite = false };
}

/// <summary>A random sample of live customers, and how many live customers there are (estimated, or exact when all were taken).</summary>
public sealed record CustomerSample(IReadOnlyList<CustomerId> Ids, long? Population, bool Exact);
