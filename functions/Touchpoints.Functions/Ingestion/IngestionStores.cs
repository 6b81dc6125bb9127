using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Azure.Cosmos;
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

    /// <summary>Tombstones chain only while a merge is being completed; a longer chain is a bug, not data.</summary>
    public const int MaxMergeHops = 8;

    /// <summary>The customer's current view, following <c>mergedInto</c> from a merged-away id to its survivor.</summary>
    public async Task<CustomerView?> ReadCurrentAsync(string id, CancellationToken ct)
    {
        for (var hop = 0; hop < MaxMergeHops; hop++)
        {
            var found = await ReadAsync(id, ct).ConfigureAwait(false);
            if (found?.Document.MergedInto is not { } survivor) return found?.Document;
            id = survivor;
        }
        return null;
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

/// <summary>The identifier → customer map. Claims are conditional creates: the first writer of an identifier owns it.</summary>
public sealed class IdentityStore(Database database, TimeProvider clock)
{
    private readonly Container container = database.GetContainer(Containers.Identities);

    public async Task<Dictionary<string, string>> LookupAsync(IEnumerable<string> keys, CancellationToken ct)
    {
        var found = await Task.WhenAll(keys.Select(async key =>
        {
            var id = IdentityDocument.IdFor(key);
            try
            {
                var response = await container.ReadItemAsync<IdentityDocument>(id, new PartitionKey(id), cancellationToken: ct).ConfigureAwait(false);
                return (key, response.Resource.CustomerId);
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                return (key, CustomerId: (string?)null);
            }
        })).ConfigureAwait(false);
        return found.Where(f => f.CustomerId is not null).ToDictionary(f => f.key, f => f.CustomerId!);
    }

    /// <summary>
    /// Claims each identifier for its customer; false when another writer claimed one of them for someone else first. A
    /// losing batch withdraws the claims it made, so that nothing points at a profile it will not write.
    /// </summary>
    public async Task<bool> ClaimAsync(IReadOnlyDictionary<string, string> claims, CancellationToken ct)
    {
        var results = await Task.WhenAll(claims.Select(async claim =>
        {
            var document = new IdentityDocument(IdentityDocument.IdFor(claim.Key), claim.Key, claim.Value, clock.GetUtcNow());
            try
            {
                var created = await container.CreateItemAsync(document, new PartitionKey(document.Id), Quiet, ct).ConfigureAwait(false);
                return (Won: true, Created: (Id: document.Id, created.ETag));
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
            {
                // A replay of our own claim is not a race; a claim withdrawn since the conflict is (resolve again).
                try
                {
                    var existing = await container.ReadItemAsync<IdentityDocument>(document.Id, new PartitionKey(document.Id), cancellationToken: ct).ConfigureAwait(false);
                    return (Won: existing.Resource.CustomerId == claim.Value, Created: ((string Id, string ETag)?)null);
                }
                catch (CosmosException gone) when (gone.StatusCode == HttpStatusCode.NotFound)
                {
                    return (Won: false, Created: null);
                }
            }
        })).ConfigureAwait(false);
        if (results.All(r => r.Won)) return true;
        await Task.WhenAll(results.Where(r => r.Created is not null).Select(async r =>
        {
            try
            {
                // Only if untouched since: a merge may have re-pointed it meanwhile, and then it is no longer ours to withdraw.
                await container.DeleteItemAsync<IdentityDocument>(r.Created!.Value.Id, new PartitionKey(r.Created.Value.Id),
                    new ItemRequestOptions { IfMatchEtag = r.Created.Value.ETag }, ct).ConfigureAwait(false);
            }
            catch (CosmosException e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.NotFound)
            {
            }
        })).ConfigureAwait(false);
        return false;
    }

    /// <summary>Points identifiers of a merged-away profile at its survivor.</summary>
    public Task RepointAsync(IEnumerable<string> keys, string customerId, CancellationToken ct) =>
        Task.WhenAll(keys.Select(key =>
        {
            var document = new IdentityDocument(IdentityDocument.IdFor(key), key, customerId, clock.GetUtcNow());
            return container.UpsertItemAsync(document, new PartitionKey(document.Id), Quiet, ct);
        }));

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
