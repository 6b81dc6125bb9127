using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Touchpoints.Core;
using Touchpoints.Core.History;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Ingestion;
using Touchpoints.Core.Resources;
using Touchpoints.Core.Views;
using Touchpoints.Functions.Rules;
using Touchpoints.Functions.Storage;

namespace Touchpoints.Functions.Ingestion;

/// <summary>What to detach: identifier keys the customer holds, or every identifier a profile merged into it brought and it still holds.</summary>
public sealed record UnmergeRequest(IReadOnlyList<string>? Identifiers, string? MergedFrom);

public enum UnmergeOutcome { Unmerged, Planned, NotFound, Refused }

/// <summary>
/// What an unmerge did (or, <see cref="UnmergeOutcome.Planned"/>, would do): the profile kept, the one detached, how many
/// events of history each was rebuilt from, how many identity documents were re-pointed; who asked, and when.
/// </summary>
public sealed record UnmergeReport(
    UnmergeOutcome Outcome, CustomerId Kept, CustomerId? Detached, IReadOnlyList<string> Identifiers, int KeptEvents, int DetachedEvents,
    int IdentifiersMoved, string By, DateTimeOffset At, string? Reason = null);

/// <summary>
/// Splits a wrongly merged customer in two (<see cref="Unmerge"/>), safe under concurrent ingestion:
/// <list type="number">
/// <item>the customer, its history and that of every profile merged into it are read, and split (a pure function);</item>
/// <item>the detached profile is written first, with a history chain of its own: no identifier resolves to it yet;</item>
/// <item>the kept profile is written, with its own new chain and the <see cref="Separation"/>, conditional on the version
/// read — the commit. A batch that wrote it meanwhile makes the unmerge start again from what is stored now, so its events
/// are split too; a batch that read it before now fails its write and resolves again, finding the separation: from then on
/// the detached identifiers resolve to the detached profile (<see cref="ProfileGraph.Moved"/>) and the separation keeps any
/// later link from merging the two;</item>
/// <item>the detached identifiers' documents are re-pointed (ingestion re-points any it meets first), the histories the two
/// chains replaced are deleted, and both customers are announced on <c>customer-changes</c>.</item>
/// </list>
/// </summary>
public sealed partial class Unmerging(
    CustomerStore customers,
    IdentityStore identities,
    HistoryStore history,
    RulesProvider rules,
    EventPublisher publisher,
    IOptions<IngestionOptions> ingestion,
    IOptions<IdentityOptions> identity,
    TimeProvider clock,
    ILogger<Unmerging> logger)
{
    public const string Cause = "identity.unmerged";
    private const int MaxAttempts = 5;

    public async Task<UnmergeReport> UnmergeAsync(CustomerId id, UnmergeRequest request, string by, bool dryRun, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        var compiled = await rules.GetAsync(ct).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            var now = clock.GetUtcNow();
            UnmergeReport Report(UnmergeOutcome outcome, string? reason = null, IReadOnlyList<string>? keys = null) =>
                new(outcome, id, null, keys ?? [], 0, 0, 0, by, now, reason);
            if (await customers.ReadLiveAsync(id, ct).ConfigureAwait(false) is not { } stored) return Report(UnmergeOutcome.NotFound, "no such customer");
            id = stored.Document.Id;
            var detach = await DetachedKeysAsync(stored.Document, request, ct).ConfigureAwait(false);
            if (detach is null) return Report(UnmergeOutcome.Refused, $"{request.MergedFrom} is not a profile merged into {id}");

            var (chains, broken) = await ChainsAsync(stored.Document, ct).ConfigureAwait(false);
            if (chains is null) return Report(UnmergeOutcome.Refused, broken, detach);
            var arrival = new ArrivalRules(identity.Value.PhoneRegion);
            var split = Unmerge.Split(stored.Document, chains, detach, by, now, (e, at) => HistoryReplay.Accept(e, at, arrival),
                compiled, ingestion.Value.DedupWindow, out var refused);
            if (split is null) return Report(UnmergeOutcome.Refused, refused, detach);
            var result = new UnmergeReport(dryRun ? UnmergeOutcome.Planned : UnmergeOutcome.Unmerged, id, split.Detached.Id, split.Detached.Identities,
                split.KeptEvents, split.DetachedEvents, 0, by, now);
            if (dryRun) return result;

            // 2. The detached profile: new, or what an earlier attempt of this same unmerge left (it names the kept one). The
            //    merged-away profiles that held only detached identifiers are the detached person's: they go with it.
            var earlier = await customers.ReadAsync(split.Detached.Id, ct).ConfigureAwait(false);
            if (earlier is not null && !earlier.Document.Separations.Any(s => s.Other == id))
                return Report(UnmergeOutcome.Refused, $"{split.Detached.Id} exists and is not a profile an unmerge of {id} made", detach);
            var moving = await TombstonesOfAsync(stored.Document, detach, ct).ConfigureAwait(false);
            var replacedDetached = await history.SegmentsAsync(split.Detached.Id, ct).ConfigureAwait(false);
            var detached = split.Detached with
            {
                MergedFrom = [.. moving.Select(t => t.Document.Id)],
                History = await history.AppendChainAsync(split.Detached.Id, split.DetachedHistory, ct).ConfigureAwait(false),
            };
            var detachedETag = await customers.WriteAsync(detached, earlier?.ETag, ct).ConfigureAwait(false);

            // 3. The commit: the kept profile, on the version read.
            var replacedKept = await history.SegmentsAsync(id, ct).ConfigureAwait(false);
            // It keeps listing every profile merged into it, those that go with the detached one too: a batch that meets one of
            // their tombstones before it is redirected must find it folded in already, not fold it again.
            var kept = split.Kept with { UpdatedAt = now, History = await history.AppendChainAsync(id, split.KeptHistory, ct).ConfigureAwait(false) };
            try
            {
                await customers.WriteAsync(kept, stored.ETag, ct).ConfigureAwait(false);
            }
            catch (ConcurrentUpdateException)
            {
                LogRaced(logger, id, attempt);
                if (attempt < MaxAttempts) continue;
                // Nothing resolves to the detached profile while the kept one has no separation: it goes, lest it count twice.
                await customers.DeleteAsync(detached.Id, detachedETag, ct).ConfigureAwait(false);
                throw;
            }

            // 4. The tombstones of the profiles that go with the detached one lead there now (it lists them as folded in), then
            //    identity documents, replaced histories, announcements. A step that fails here is finished by ingestion: a
            //    batch that meets a detached identifier still naming the kept profile follows the separation.
            if (!await RedirectAsync(detached.MergedFrom, id, detached.Id, now, ct).ConfigureAwait(false)) LogNotRedirected(logger, id, detached.Id);
            var from = stored.Document.MergedFrom.Append(id).ToHashSet();
            var moved = await Task.WhenAll(detach.Select(key => identities.MoveAsync(key, null, from, detached.Id, ct))).ConfigureAwait(false);
            foreach (var segment in replacedKept.Concat(replacedDetached)) await history.DeleteSegmentAsync(segment, ct).ConfigureAwait(false);
            foreach (var loser in stored.Document.MergedFrom) await history.DeleteAsync(loser, ct).ConfigureAwait(false);
            await publisher.PublishAsync(Hubs.CustomerChanges, [
                (null, Change(new CustomerChanged(id, kept.Version, [Cause], now))),
                (null, Change(new CustomerChanged(detached.Id, detached.Version, [Cause], now))),
            ], ct).ConfigureAwait(false);
            LogUnmerged(logger, id, detached.Id, detach.Count, split.KeptEvents, split.DetachedEvents, by);
            return result with { IdentifiersMoved = moved.Count(m => m) };
        }
    }

    private static JsonObject Change(CustomerChanged change) => JsonSerializer.SerializeToNode(change, StorageJsonContext.Default.CustomerChanged)!.AsObject();

    /// <summary>The identifiers to detach: those named, or those a merged-away profile holds that the customer still holds.</summary>
    private async Task<IReadOnlyList<string>?> DetachedKeysAsync(CustomerView stored, UnmergeRequest request, CancellationToken ct)
    {
        if (request.MergedFrom is null) return request.Identifiers ?? [];
        var loser = new CustomerId(request.MergedFrom);
        if (!stored.MergedFrom.Contains(loser) || await customers.ReadAsync(loser, ct).ConfigureAwait(false) is not { } tombstone) return null;
        return [.. tombstone.Document.Identities.Intersect(stored.Identities, StringComparer.Ordinal)];
    }

    /// <summary>The tombstones merged into <paramref name="stored"/> that hold identifiers and only detached ones.</summary>
    private async Task<List<Versioned<CustomerView>>> TombstonesOfAsync(CustomerView stored, IReadOnlyList<string> detach, CancellationToken ct)
    {
        var moving = new List<Versioned<CustomerView>>();
        foreach (var loser in stored.MergedFrom)
            if (await customers.ReadAsync(loser, ct).ConfigureAwait(false) is { Document.IsTombstone: true } tombstone
                && !tombstone.Document.Identities.IsEmpty && tombstone.Document.Identities.All(detach.Contains))
                moving.Add(tombstone);
        return moving;
    }

    /// <summary>
    /// Points the tombstones <paramref name="ids"/> merged into <paramref name="from"/> at <paramref name="to"/> instead, each
    /// on the version read; false when one leads elsewhere (another unmerge moved it meanwhile).
    /// </summary>
    private async Task<bool> RedirectAsync(IEnumerable<CustomerId> ids, CustomerId from, CustomerId to, DateTimeOffset now, CancellationToken ct)
    {
        var moving = ids.ToHashSet();
        foreach (var id in moving)
        {
            // One merged into another that moves moves with it.
            if (await customers.ReadAsync(id, ct).ConfigureAwait(false) is not { } tombstone
                || tombstone.Document.MergedInto is not { } into || into == to || moving.Contains(into)) continue;
            if (into != from) return false;
            try
            {
                await customers.WriteAsync(tombstone.Document with { MergedInto = to, Version = tombstone.Document.Version + 1, UpdatedAt = now }, tombstone.ETag, ct)
                    .ConfigureAwait(false);
            }
            catch (ConcurrentUpdateException)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The committed chain of the customer and of every profile merged into it, each read once.</summary>
    private async Task<(List<IReadOnlyList<HistoryChunk>>? Chains, string? Broken)> ChainsAsync(CustomerView stored, CancellationToken ct)
    {
        var chains = new List<IReadOnlyList<HistoryChunk>>();
        var seen = new HashSet<CustomerId>();
        var pending = new Queue<CustomerView>([stored]);
        while (pending.TryDequeue(out var profile))
        {
            if (!seen.Add(profile.Id)) continue;
            var chunks = await history.ReadAsync(profile.Id, ct).ConfigureAwait(false);
            if (HistoryReplay.Chain(chunks, profile.History, out var broken) is not { } chain) return (null, $"{profile.Id}: {broken}");
            chains.Add(chain);
            foreach (var loser in chain.SelectMany(c => c.Losers).Distinct().Where(l => !seen.Contains(l)))
            {
                if (await customers.ReadAsync(loser, ct).ConfigureAwait(false) is not { } document) return (null, $"merged-away profile {loser} is gone");
                pending.Enqueue(document.Document);
            }
        }
        return (chains, null);
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "Audit: customer {CustomerId} unmerged by {Author}: {Identifiers} identifiers detached into {Detached}; {KeptEvents} events kept, {DetachedEvents} moved")]
    private static partial void LogUnmerged(ILogger logger, CustomerId customerId, CustomerId detached, int identifiers, int keptEvents, int detachedEvents, string author);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unmerge of {CustomerId}: a merged-away profile moved elsewhere meanwhile and was not redirected to {Detached}")]
    private static partial void LogNotRedirected(ILogger logger, CustomerId customerId, CustomerId detached);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Customer {CustomerId} changed while it was unmerged (attempt {Attempt}); starting again")]
    private static partial void LogRaced(ILogger logger, CustomerId customerId, int attempt);
}
