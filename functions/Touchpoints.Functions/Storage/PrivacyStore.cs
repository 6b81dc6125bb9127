using System.ComponentModel.DataAnnotations;
using System.Collections.Frozen;
using System.Net;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Privacy;

namespace Touchpoints.Functions.Storage;

/// <summary>Settings <c>Privacy__*</c>.</summary>
public sealed class PrivacyOptions
{
    public const string Section = "Privacy";

    /// <summary>
    /// The key of the suppression list's hashes (<see cref="Suppression.HashOf"/>). The same for every instance and for the
    /// life of the deployment: changing it forgets every suppression. The default is for local runs only; the Bicep sets a
    /// value of the deployment's own.
    /// </summary>
    [Required, MinLength(16)]
    public string SuppressionSalt { get; set; } = "touchpoints-local-development-only";

    /// <summary>How soon every instance sees a new suppression; the erasure's second pass waits twice this.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// An erasure request and, once carried out, its receipt: what was removed from where (counts, never the data).
/// <see cref="Customers"/> are the profiles found, kept between the two passes only.
/// </summary>
public sealed record ErasureDocument(
    string Id,
    string Type,
    string Status,
    string RequestedBy,
    DateTimeOffset RequestedAt,
    DateTimeOffset? CompletedAt,
    IReadOnlyList<CustomerId> Customers,
    IReadOnlyDictionary<string, int> Receipt)
{
    public const string Kind = "erasure";
    public const string Requested = "requested";
    public const string Erasing = "erasing";
    public const string Done = "done";
    public const string NotFound = "notFound";
}

/// <summary>An entry of the suppression list: the keyed hash of an erased identifier, and when it was added.</summary>
public sealed record SuppressionDocument(string Id, string Type, DateTimeOffset SuppressedAt)
{
    public const string Kind = "suppression";

    public static string IdFor(string hash) => "s-" + hash;
}

/// <summary>
/// The <c>privacy</c> container: erasure requests with their receipts, and the suppression list, which every instance keeps
/// in memory (<see cref="IsSuppressed"/>), read again every <see cref="PrivacyOptions.RefreshInterval"/>: ingestion drops
/// an event naming a suppressed identifier without a request per event.
/// </summary>
public sealed class PrivacyStore(Database database, IOptions<PrivacyOptions> options, TimeProvider clock) : IDisposable
{
    private readonly Container container = database.GetContainer(Containers.Privacy);
    private readonly SemaphoreSlim refreshing = new(1, 1);
    private FrozenSet<string> suppressed = FrozenSet<string>.Empty;
    private DateTimeOffset refreshedAt = DateTimeOffset.MinValue;

    public void Dispose() => refreshing.Dispose();

    public string HashOf(string identifierKey) => Suppression.HashOf(options.Value.SuppressionSalt, identifierKey);

    /// <summary>The suppression list as of at most one refresh interval ago.</summary>
    public async Task<Func<string, bool>> SuppressedAsync(CancellationToken ct)
    {
        if (clock.GetUtcNow() - refreshedAt >= options.Value.RefreshInterval) await RefreshAsync(force: false, ct).ConfigureAwait(false);
        var set = suppressed;
        return set.Count == 0 ? _ => false : key => set.Contains(SuppressionDocument.IdFor(HashOf(key)));
    }

    public async Task RefreshAsync(bool force, CancellationToken ct)
    {
        await refreshing.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (!force && clock.GetUtcNow() - refreshedAt < options.Value.RefreshInterval) return;
            var ids = new List<string>();
            using var feed = container.GetItemQueryStreamIterator(
                new QueryDefinition("SELECT c.id FROM c WHERE c.type = @type").WithParameter("@type", SuppressionDocument.Kind));
            while (feed.HasMoreResults)
            {
                using var page = await feed.ReadNextAsync(ct).ConfigureAwait(false);
                page.EnsureSuccessStatusCode();
                using var json = await System.Text.Json.JsonDocument.ParseAsync(page.Content, cancellationToken: ct).ConfigureAwait(false);
                ids.AddRange(json.RootElement.GetProperty("Documents").EnumerateArray().Select(d => d.GetProperty("id").GetString()!));
            }
            suppressed = ids.ToFrozenSet(StringComparer.Ordinal);
            refreshedAt = clock.GetUtcNow();
        }
        finally
        {
            refreshing.Release();
        }
    }

    /// <summary>Adds the identifiers to the list; the number added now.</summary>
    public async Task<int> SuppressAsync(IEnumerable<string> identifierKeys, CancellationToken ct)
    {
        var added = 0;
        foreach (var hash in identifierKeys.Select(HashOf).Distinct(StringComparer.Ordinal))
        {
            var id = SuppressionDocument.IdFor(hash);
            try
            {
                await container.CreateItemAsync(new SuppressionDocument(id, SuppressionDocument.Kind, clock.GetUtcNow()), new PartitionKey(id),
                    new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct).ConfigureAwait(false);
                added++;
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
            {
            }
        }
        await RefreshAsync(force: true, ct).ConfigureAwait(false);
        return added;
    }

    /// <summary>Removes an identifier from the list (un-suppress); false when it was not on it.</summary>
    public async Task<bool> UnsuppressAsync(string identifierKey, CancellationToken ct)
    {
        var id = SuppressionDocument.IdFor(HashOf(identifierKey));
        using var response = await container.DeleteItemStreamAsync(id, new PartitionKey(id), cancellationToken: ct).ConfigureAwait(false);
        await RefreshAsync(force: true, ct).ConfigureAwait(false);
        return response.IsSuccessStatusCode;
    }

    public async Task SaveAsync(ErasureDocument erasure, CancellationToken ct) =>
        await container.UpsertItemAsync(erasure, new PartitionKey(erasure.Id), new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct).ConfigureAwait(false);

    public async Task<ErasureDocument?> ReadErasureAsync(string id, CancellationToken ct)
    {
        if (!CustomerStore.IsPossibleId(id)) return null;
        try
        {
            return (await container.ReadItemAsync<ErasureDocument>(id, new PartitionKey(id), cancellationToken: ct).ConfigureAwait(false)).Resource;
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }
}
