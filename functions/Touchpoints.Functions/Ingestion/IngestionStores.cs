using System.Text.Json;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Azure.Cosmos;
using Touchpoints.Core;
using Touchpoints.Core.Events;
using Touchpoints.Core.Ingestion;
using Touchpoints.Core.Views;
using Touchpoints.Functions.Cosmos;

namespace Touchpoints.Functions.Ingestion;

/// <summary>A document with the ETag it was read at: the condition of the next write.</summary>
public sealed record Versioned<T>(T Document, string ETag);

/// <summary>Another writer changed the document since it was read.</summary>
public sealed class ConcurrentUpdateException(string id) : Exception($"'{id}' was changed by another writer.");

/// <summary>Point reads and conditional writes of customer views: the only access ingestion needs.</summary>
public sealed class CustomerStore(Database database)
{
    private readonly Container container = database.GetContainer(Containers.Customers);

    public async Task<Versioned<CustomerView>?> ReadAsync(string id, CancellationToken ct)
    {
        // An id Cosmos DB could not hold (from a URL, say) names no customer: not a request to send, nor a 400 to surface.
        if (!IsPossibleId(id)) return null;
        try
        {
            var response = await container.ReadItemAsync<CustomerView>(id, new PartitionKey(id), cancellationToken: ct).ConfigureAwait(false);
            return new Versioned<CustomerView>(response.Resource, response.ETag);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Cosmos DB ids: 1 to 255 characters, none of <c>/ \ ? #</c> (nor <c>%</c>, which gateways decode), no control characters.</summary>
    public static bool IsPossibleId(string id) =>
        id.Length is > 0 and <= 255 && id.AsSpan().IndexOfAny("/\\?#%") < 0 && !id.Any(char.IsControl);

    /// <summary>The customer's current view, following <c>mergedInto</c> from a merged-away id to its survivor.</summary>
    public async Task<CustomerView?> ReadCurrentAsync(string id, CancellationToken ct)
    {
        for (var hop = 0; hop <= ProfileGraph.MaxHops; hop++)
        {
            var found = await ReadAsync(id, ct).ConfigureAwait(false);
            if (found?.Document.MergedInto is not { } survivor) return found?.Document;
            id = survivor;
        }
        return null;
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
        try
        {
            var response = etag is null
                ? await container.CreateItemAsync(view, new PartitionKey(view.Id), Quiet, ct).ConfigureAwait(false)
                : await container.ReplaceItemAsync(view, view.Id, new PartitionKey(view.Id),
                    new ItemRequestOptions { IfMatchEtag = etag, EnableContentResponseOnWrite = false }, ct).ConfigureAwait(false);
            return response.ETag;
        }
        catch (CosmosException e) when (e.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.PreconditionFailed)
        {
            throw new ConcurrentUpdateException(view.Id);
        }
    }

    private static readonly ItemRequestOptions Quiet = new() { EnableContentResponseOnWrite = false };
}

/// <summary>An identity document as read: the customer it names and the ETag a conditional move is made on.</summary>
public sealed record IdentityOwner(string CustomerId, string ETag);

/// <summary>
/// The identifier → customer map. Claims are conditional creates: the first writer of an identifier owns it, and a claim is
/// never withdrawn (others may already have built on it). After that an identifier only moves, by conditional replace, from
/// a merged-away profile to its survivor.
/// </summary>
public sealed class IdentityStore(Database database, TimeProvider clock)
{
    private readonly Container container = database.GetContainer(Containers.Identities);

    public async Task<Dictionary<string, IdentityOwner>> LookupAsync(IEnumerable<string> keys, CancellationToken ct)
    {
        var found = await Task.WhenAll(keys.Select(async key => (key, owner: await ReadAsync(key, ct).ConfigureAwait(false)))).ConfigureAwait(false);
        return found.Where(f => f.owner is not null).ToDictionary(f => f.key, f => f.owner!, StringComparer.Ordinal);
    }

    private async Task<IdentityOwner?> ReadAsync(string key, CancellationToken ct)
    {
        var id = IdentityDocument.IdFor(key);
        try
        {
            var response = await container.ReadItemAsync<IdentityDocument>(id, new PartitionKey(id), cancellationToken: ct).ConfigureAwait(false);
            return new IdentityOwner(response.Resource.CustomerId, response.ETag);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// Claims each identifier for its customer; false when another writer claimed one of them for someone else first. The
    /// claims this call did make stay: the batch resolves again and counts them like anyone else's. An identifier that
    /// <paramref name="existing"/> shows already has a document (a refused claim) is re-pointed on the version looked up.
    /// </summary>
    public async Task<bool> ClaimAsync(IReadOnlyDictionary<string, string> claims, IReadOnlyDictionary<string, IdentityOwner> existing, CancellationToken ct)
    {
        var won = await Task.WhenAll(claims.Select(async claim =>
        {
            var document = new IdentityDocument(IdentityDocument.IdFor(claim.Key), claim.Key, claim.Value, clock.GetUtcNow());
            if (existing.TryGetValue(claim.Key, out var refused))
            {
                try
                {
                    await container.ReplaceItemAsync(document, document.Id, new PartitionKey(document.Id),
                        new ItemRequestOptions { IfMatchEtag = refused.ETag, EnableContentResponseOnWrite = false }, ct).ConfigureAwait(false);
                    return true;
                }
                catch (CosmosException e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
                {
                    return false;
                }
            }
            try
            {
                await container.CreateItemAsync(document, new PartitionKey(document.Id), Quiet, ct).ConfigureAwait(false);
                return true;
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
            {
                // A replay of our own claim is not a race.
                return (await ReadAsync(claim.Key, ct).ConfigureAwait(false))?.CustomerId == claim.Value;
            }
        })).ConfigureAwait(false);
        return won.All(w => w);
    }

    /// <summary>
    /// Moves an identifier that points at one of <paramref name="from"/> (merged-away profiles) to their survivor
    /// <paramref name="to"/>, conditional on the version read (<paramref name="known"/>, else read first). When another
    /// writer moved it meanwhile, it is read again and moved only if it still points at one of <paramref name="from"/>:
    /// identifiers only ever move from a loser towards its survivor. Returns whether this call moved it.
    /// </summary>
    public async Task<bool> MoveAsync(string key, IdentityOwner? known, IReadOnlySet<string> from, string to, CancellationToken ct)
    {
        var current = known ?? await ReadAsync(key, ct).ConfigureAwait(false);
        for (var attempt = 0; attempt < MaxMoveAttempts && current is not null && current.CustomerId != to && from.Contains(current.CustomerId); attempt++)
        {
            var document = new IdentityDocument(IdentityDocument.IdFor(key), key, to, clock.GetUtcNow());
            try
            {
                await container.ReplaceItemAsync(document, document.Id, new PartitionKey(document.Id),
                    new ItemRequestOptions { IfMatchEtag = current.ETag, EnableContentResponseOnWrite = false }, ct).ConfigureAwait(false);
                return true;
            }
            catch (CosmosException e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
            {
                current = await ReadAsync(key, ct).ConfigureAwait(false);
            }
        }
        return false;
    }

    /// <summary>Each failed attempt means another writer moved the identifier; it cannot move more often than merges happen.</summary>
    private const int MaxMoveAttempts = 8;

    private static readonly ItemRequestOptions Quiet = new() { EnableContentResponseOnWrite = false };
}

/// <summary>Keeps refused events. Ids derive from the event's place in its partition, so a replay overwrites, never duplicates.</summary>
public sealed class RejectionStore(Database database, TimeProvider clock)
{
    private readonly Container container = database.GetContainer(Containers.Rejected);

    public Task SaveAsync(IEnumerable<Rejection> rejections, CancellationToken ct) =>
        Task.WhenAll(rejections.Select(r =>
        {
            var source = IngestedEvent.SourceName(r.Source);
            var document = new RejectionDocument(IdOf(r), source, r.EventId, r.Position?.Partition, r.Position?.SequenceNumber,
                string.Join("; ", r.Errors), r.Errors, r.Body, clock.GetUtcNow());
            return container.UpsertItemAsync(document, new PartitionKey(source), new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct);
        }));

    private static string IdOf(Rejection r)
    {
        var identity = r.Position is { } p ? $"{p.Partition}@{p.SequenceNumber}" : r.Body;
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)).AsSpan(0, 16));
    }
}
