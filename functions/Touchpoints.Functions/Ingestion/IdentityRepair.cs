using Microsoft.Extensions.Options;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Views;
using Touchpoints.Functions.Storage;

namespace Touchpoints.Functions.Ingestion;

/// <summary>What one page of the repair found and did.</summary>
public sealed record RepairReport(
    int Scanned,
    int UnfoldedTombstones,
    int IdentifiersCompressed,
    int IdentifiersReclaimed,
    int SplitsResolved,
    int OrphansMerged,
    int CyclesBroken,
    int LeftApart,
    string? Continuation)
{
    /// <summary>Identifiers an earlier version stored in another form (a phone number before E.164), claimed in today's form.</summary>
    public int IdentifiersRekeyed { get; init; }
}

/// <summary>
/// Heals identity data that earlier versions wrote, without new traffic, one page of customer documents at a time
/// (<c>POST /api/manage/identities/repair</c>, resumable with its continuation). Everything it changes goes through
/// ingestion's own protocol (<see cref="IngestionHandler.ReconcileAsync"/>): conditional writes, tombstones at the version
/// read, identifiers moved only towards survivors, so it is safe while ingestion runs. What it heals:
/// <list type="bullet">
/// <item>a tombstone its survivor never folded in (a crash between the two writes): folded;</item>
/// <item>identifiers pointing at a tombstone (a redirect chain): moved to the live customer;</item>
/// <item>an identifier a live profile lists but nothing owns (a withdrawn claim): claimed again for it;</item>
/// <item>a live profile listing an identifier that resolves to another live profile (a split): resolved as an event naming
/// both would be — joined, or kept apart with the conflict recorded when they hold different user ids;</item>
/// <item>a live profile nothing resolves to (an orphan) that lists identifiers of another live profile: merged into it;</item>
/// <item>a loop of tombstones (opposite merges): the oldest member is made live again, the others fold into it;</item>
/// <item>an identifier stored in a form ingestion no longer makes (a phone number before E.164, read in
/// <c>Identity__DefaultPhoneRegion</c> when it was written without its country): claimed for the profile in today's form,
/// the old key left where it is, so both forms find the customer.</item>
/// </list>
/// </summary>
public sealed partial class IdentityRepair(
    CustomerStore customers, IdentityStore identities, IngestionHandler ingestion, IOptions<IdentityOptions> identity, TimeProvider clock, ILogger<IdentityRepair> logger)
{
    public const int DefaultPageSize = 100;

    public async Task<RepairReport> RepairPageAsync(string? continuation, int pageSize, CancellationToken ct)
    {
        var (page, next) = await customers.ScanAsync(continuation, pageSize, ct).ConfigureAwait(false);
        int unfolded = 0, compressed = 0, reclaimed = 0, joined = 0, orphans = 0, cycles = 0, apart = 0, rekeyed = 0;
        foreach (var doc in page)
        {
            var profile = doc.Document;
            if (profile.MergedInto is not null)
            {
                var (root, loop) = await FollowAsync(profile.Id, ct).ConfigureAwait(false);
                if (loop is not null)
                {
                    cycles += await BreakLoopAsync(loop, ct).ConfigureAwait(false) ? 1 : 0;
                    root = await FollowAsync(profile.Id, ct).ConfigureAwait(false) is { Loop: null } again ? again.Root : null;
                }
                if (root is null) continue;
                // Identifiers still pointing at this tombstone (those moved elsewhere since, or refused, are not its business).
                var stale = (await identities.LookupAsync(profile.Identities, ct).ConfigureAwait(false)).Count(o => o.Value.CustomerId == profile.Id);
                var isUnfolded = !root.MergedFrom.Contains(profile.Id);
                if (!isUnfolded && stale == 0) continue;
                unfolded += isUnfolded ? 1 : 0;
                compressed += stale;
                await ingestion.ReconcileAsync([], [profile.Id], ct).ConfigureAwait(false);
                continue;
            }

            var owners = await identities.LookupAsync(profile.Identities, ct).ConfigureAwait(false);
            var anchor = owners.FirstOrDefault(o => o.Value.CustomerId == profile.Id).Key;
            var links = new List<IReadOnlyList<Identifier>>();
            var visit = new List<CustomerId>();
            CustomerId? orphanOf = null;
            foreach (var key in profile.Identities)
            {
                if (Identifier.TryParseKey(key) is not { } identifier) continue;
                if (Current(key, identifier) is { } current && anchor is not null)
                {
                    links.Add([current, Identifier.AsStored(anchor)!]);
                    rekeyed++;
                }
                if (!owners.TryGetValue(key, out var owner))
                {
                    if (anchor is not null) { links.Add([identifier, Identifier.AsStored(anchor)!]); reclaimed++; }
                    continue;
                }
                if (owner.CustomerId == profile.Id) continue;
                var (root, _) = await FollowAsync(owner.CustomerId, ct).ConfigureAwait(false);
                if (root is null) continue;
                if (root.Id == profile.Id) { visit.Add(owner.CustomerId); compressed++; continue; }
                if (anchor is not null) { links.Add([identifier, Identifier.AsStored(anchor)!]); joined++; }
                else orphanOf ??= root.Id;
            }
            if (anchor is null && orphanOf is { } into)
            {
                // Nothing resolves to this profile, so no batch can reach it: merging it into the profile its identifiers
                // resolve to cannot race an opposite merge. Its tombstone is folded in by the reconciliation below.
                if (await MergeOrphanAsync(doc, into, ct).ConfigureAwait(false)) { orphans++; visit.Add(profile.Id); }
                else apart++;
            }
            if (links.Count > 0 || visit.Count > 0) await ingestion.ReconcileAsync(links, visit, ct).ConfigureAwait(false);
        }
        var report = new RepairReport(page.Count, unfolded, compressed, reclaimed, joined, orphans, cycles, apart, next) { IdentifiersRekeyed = rekeyed };
        if (unfolded + compressed + reclaimed + joined + orphans + cycles + apart + rekeyed > 0)
            LogRepaired(logger, page.Count, unfolded, compressed, reclaimed, joined, orphans, cycles, apart);
        return report;
    }

    /// <summary>
    /// The identifier in the form ingestion makes today, when <paramref name="key"/> was stored in another: a phone key
    /// whose normalisation changed (an international number kept with its trunk 0), or a national one that the default
    /// region now reads. Null when the key is current.
    /// </summary>
    private Identifier? Current(string key, Identifier identifier)
    {
        if (!string.Equals(identifier.Key, key, StringComparison.Ordinal)) return identifier;
        return identifier.Kind == IdentifierKind.Phone && !identifier.Value.StartsWith('+')
            && Identifiers.Phone(identifier.Value, identity.Value.PhoneRegion) is { } e164 ? e164 : null;
    }

    /// <summary>The live profile a profile id resolves to, or the loop of tombstones it is caught in.</summary>
    private async Task<(CustomerView? Root, IReadOnlyList<Versioned<CustomerView>>? Loop)> FollowAsync(CustomerId id, CancellationToken ct)
    {
        var graph = await ProfileGraph.ReadAsync(customers, [id], ct).ConfigureAwait(false);
        return graph.LoopFrom(id) is { } loop ? (null, loop) : (graph.Live.GetValueOrDefault(graph.Root(id))?.Document, null);
    }

    /// <summary>
    /// Loops exist only in data written before merges committed on the loser's version. The member of highest rank becomes
    /// live again (the one place a tombstone is rewritten, conditional on its version); the others fold into it when met.
    /// </summary>
    private async Task<bool> BreakLoopAsync(IReadOnlyList<Versioned<CustomerView>> loop, CancellationToken ct)
    {
        var facts = loop.Select(l => (Doc: l, Facts: new ProfileFacts(l.Document.Id, l.Document.CreatedAt, l.Document.Identities))).ToList();
        var best = facts.Aggregate((a, b) => IdentityResolver.Outranks(a.Facts, a.Facts.Id, b.Facts, b.Facts.Id) ? a : b).Doc;
        try
        {
            await customers.WriteAsync(best.Document with { MergedInto = null, Version = best.Document.Version + 1, UpdatedAt = clock.GetUtcNow() }, best.ETag, ct)
                .ConfigureAwait(false);
            return true;
        }
        catch (ConcurrentUpdateException)
        {
            return false;
        }
    }

    private async Task<bool> MergeOrphanAsync(Versioned<CustomerView> orphan, CustomerId into, CancellationToken ct)
    {
        var survivor = await customers.ReadAsync(into, ct).ConfigureAwait(false);
        if (survivor is null || survivor.Document.MergedInto is not null) return false;
        var clash = orphan.Document.Identities.Any(k => IdentityResolver.Clashes(survivor.Document.Identities, new IdentifierKey(k)));
        if (clash) return false;
        try
        {
            await customers.WriteAsync(CustomerMerge.Tombstone(orphan.Document, into, clock.GetUtcNow()), orphan.ETag, ct).ConfigureAwait(false);
            return true;
        }
        catch (ConcurrentUpdateException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Identity repair: {Scanned} documents; {Unfolded} unfolded tombstones, {Compressed} identifiers compressed, {Reclaimed} reclaimed, {Joined} splits resolved, {Orphans} orphans merged, {Cycles} loops broken, {Apart} left apart")]
    private static partial void LogRepaired(ILogger logger, int scanned, int unfolded, int compressed, int reclaimed, int joined, int orphans, int cycles, int apart);
}
