using System.Net;
using System.Text.Json;
using Microsoft.Azure.Cosmos;
using Touchpoints.Core.Identity;

namespace Touchpoints.Functions.Storage;

/// <summary>An identity document as read: the customer it names and the ETag a conditional move is made on.</summary>
public sealed record IdentityOwner(CustomerId CustomerId, string ETag);

/// <summary>
/// The identifier → customer map. Claims are conditional creates: the first writer of an identifier owns it, and a claim is
/// never withdrawn (others may already have built on it). After that an identifier only moves, by conditional replace, from
/// a merged-away profile to its survivor.
/// </summary>
public sealed class IdentityStore(Database database, StoreCache cache, TimeProvider clock)
{
    private readonly Container container = database.GetContainer(Containers.Identities);

    /// <summary>
    /// The owners of <paramref name="keys"/> that have one; with <paramref name="cached"/>, those this instance last read or
    /// wrote are not read again. An identifier only ever moves from a merged-away profile towards its survivor, so a stale
    /// owner still leads to the right profile (through its tombstone), and a write made on its ETag is refused, never wrong.
    /// </summary>
    public async Task<Dictionary<string, IdentityOwner>> LookupAsync(IEnumerable<string> keys, CancellationToken ct, bool cached = false)
    {
        var found = await Task.WhenAll(keys.Select(async key =>
            (key, owner: cached && cache.TryGetOwner(key, out var known) ? known : await ReadAsync(key, ct).ConfigureAwait(false)))).ConfigureAwait(false);
        return found.Where(f => f.owner is not null).ToDictionary(f => f.key, f => f.owner!, StringComparer.Ordinal);
    }

    private async Task<IdentityOwner?> ReadAsync(string key, CancellationToken ct)
    {
        var id = IdentityDocument.IdFor(key);
        // The stream API: an unknown identifier (most of a new visitor's) is a 404 to read, not an exception to throw.
        using var response = await container.ReadItemStreamAsync(id, new PartitionKey(id), cancellationToken: ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            cache.ForgetOwner(key);
            return null;
        }
        response.EnsureSuccessStatusCode();
        var document = await JsonSerializer.DeserializeAsync(response.Content, StorageJsonContext.Default.IdentityDocument, ct).ConfigureAwait(false)
            ?? throw new JsonException($"identity document {id} reads as null");
        var owner = new IdentityOwner(document.CustomerId, response.Headers.ETag);
        cache.SetOwner(key, owner);
        return owner;
    }

    /// <summary>
    /// Claims each identifier for its customer; false when another writer claimed one of them for someone else first. The
    /// claims this call did make stay: the batch resolves again and counts them like anyone else's. An identifier that
    /// <paramref name="existing"/> shows already has a document (a refused claim) is re-pointed on the version looked up.
    /// </summary>
    public async Task<bool> ClaimAsync(IReadOnlyDictionary<string, CustomerId> claims, IReadOnlyDictionary<string, IdentityOwner> existing, CancellationToken ct)
    {
        var won = await Task.WhenAll(claims.Select(async claim =>
        {
            var document = new IdentityDocument(IdentityDocument.IdFor(claim.Key), claim.Key, claim.Value, clock.GetUtcNow());
            if (existing.TryGetValue(claim.Key, out var refused))
            {
                try
                {
                    var replaced = await container.ReplaceItemAsync(document, document.Id, new PartitionKey(document.Id),
                        new ItemRequestOptions { IfMatchEtag = refused.ETag, EnableContentResponseOnWrite = false }, ct).ConfigureAwait(false);
                    cache.SetOwner(claim.Key, new IdentityOwner(claim.Value, replaced.ETag));
                    return true;
                }
                catch (CosmosException e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
                {
                    cache.ForgetOwner(claim.Key);
                    return false;
                }
            }
            try
            {
                var created = await container.CreateItemAsync(document, new PartitionKey(document.Id), Quiet, ct).ConfigureAwait(false);
                cache.SetOwner(claim.Key, new IdentityOwner(claim.Value, created.ETag));
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
    public async Task<bool> MoveAsync(string key, IdentityOwner? known, IReadOnlySet<CustomerId> from, CustomerId to, CancellationToken ct)
    {
        var current = known ?? await ReadAsync(key, ct).ConfigureAwait(false);
        for (var attempt = 0; attempt < MaxMoveAttempts && current is not null && current.CustomerId != to && from.Contains(current.CustomerId); attempt++)
        {
            var document = new IdentityDocument(IdentityDocument.IdFor(key), key, to, clock.GetUtcNow());
            try
            {
                var moved = await container.ReplaceItemAsync(document, document.Id, new PartitionKey(document.Id),
                    new ItemRequestOptions { IfMatchEtag = current.ETag, EnableContentResponseOnWrite = false }, ct).ConfigureAwait(false);
                cache.SetOwner(key, new IdentityOwner(to, moved.ETag));
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
