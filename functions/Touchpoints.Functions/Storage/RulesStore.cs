using System.Collections.Immutable;
using System.Net;
using Microsoft.Azure.Cosmos;

namespace Touchpoints.Functions.Storage;

/// <summary>The active version is not the one the caller expected (an <c>If-Match</c> that no longer holds).</summary>
public sealed class RulesVersionMismatchException(int? active, int expected)
    : Exception($"The active rules version is {(active is null ? "the shipped default" : "v" + active)}, not v{expected}.")
{
    public int? Active { get; } = active;
}

/// <summary>
/// The rules documents in <c>config</c> (partition key <c>/id</c>): every version as its own immutable document
/// (<c>rules-v{n}</c>), and the pointer <c>rules-active</c> naming the current one. A new version is a conditional create of
/// <c>rules-v{latest+1}</c> followed by a move of the pointer on its ETag; losing either race takes the next number.
/// </summary>
public sealed class RulesStore(Database database, TimeProvider clock)
{
    private const int MaxAttempts = 10;
    private static readonly ItemRequestOptions Quiet = new() { EnableContentResponseOnWrite = false };

    private readonly Container container = database.GetContainer(Containers.Config);

    public async Task<Versioned<ActiveRulesDocument>?> ReadPointerAsync(CancellationToken ct)
    {
        try
        {
            var response = await container.ReadItemAsync<ActiveRulesDocument>(ActiveRulesDocument.DocumentId,
                new PartitionKey(ActiveRulesDocument.DocumentId), cancellationToken: ct).ConfigureAwait(false);
            return new Versioned<ActiveRulesDocument>(response.Resource, response.ETag);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<RulesVersionDocument?> ReadVersionAsync(int version, CancellationToken ct)
    {
        var id = RulesVersionDocument.IdFor(version);
        try
        {
            return (await container.ReadItemAsync<RulesVersionDocument>(id, new PartitionKey(id), cancellationToken: ct).ConfigureAwait(false)).Resource;
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>
    /// Stores <paramref name="text"/> (already validated) as version latest+1 and makes it active. With
    /// <paramref name="expectedActive"/>, fails with <see cref="RulesVersionMismatchException"/> unless that version is active
    /// (0: unless none is stored yet).
    /// </summary>
    public async Task<RulesVersionDocument> SaveAsync(string text, string author, string? comment, int? rolledBackFrom, int? expectedActive, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            var pointer = await ReadPointerAsync(ct).ConfigureAwait(false);
            // Version 0 stands for the shipped default: "no version stored yet".
            if (expectedActive is { } expected && (pointer?.Document.Version ?? 0) != expected)
                throw new RulesVersionMismatchException(pointer?.Document.Version, expected);

            // A crashed save may have left rules-v{latest+1} behind without moving the pointer: skip past it.
            var number = (pointer?.Document.Latest ?? 0) + 1;
            RulesVersionDocument? created = null;
            for (var probe = 0; probe < MaxAttempts && created is null; probe++, number++)
            {
                var version = new RulesVersionDocument(RulesVersionDocument.IdFor(number), number, author, comment, clock.GetUtcNow(), text, rolledBackFrom);
                try
                {
                    await container.CreateItemAsync(version, new PartitionKey(version.Id), Quiet, ct).ConfigureAwait(false);
                    created = version;
                }
                catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
                {
                    // Taken by a concurrent save or a crashed one: the next number.
                }
            }
            if (created is null) throw new ConcurrentUpdateException(ActiveRulesDocument.DocumentId);

            var summaries = (pointer?.Document.Versions ?? []).Add(created.Summary);
            if (summaries.Length > ActiveRulesDocument.SummaryLimit) summaries = summaries.RemoveRange(0, summaries.Length - ActiveRulesDocument.SummaryLimit);
            var next = new ActiveRulesDocument(ActiveRulesDocument.DocumentId, created.Version, created.Version, summaries, clock.GetUtcNow());
            try
            {
                if (pointer is null)
                    await container.CreateItemAsync(next, new PartitionKey(next.Id), Quiet, ct).ConfigureAwait(false);
                else
                    await container.ReplaceItemAsync(next, next.Id, new PartitionKey(next.Id),
                        new ItemRequestOptions { IfMatchEtag = pointer.ETag, EnableContentResponseOnWrite = false }, ct).ConfigureAwait(false);
                return created;
            }
            catch (CosmosException e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict && attempt < MaxAttempts)
            {
                // Another save moved the pointer meanwhile; ours stays as an unlisted, inactive document. Save again on top.
            }
        }
    }

    public static ImmutableArray<RulesVersionSummary> Newest(ActiveRulesDocument? active) =>
        active is null ? [] : [.. active.Versions.OrderByDescending(v => v.Version)];
}
