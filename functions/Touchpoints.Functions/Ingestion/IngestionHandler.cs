using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;
using Touchpoints.Core.Events;
using Touchpoints.Core.History;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Ingestion;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Views;
using Touchpoints.Functions.Hosting;
using Touchpoints.Functions.Rules;
using Touchpoints.Functions.Storage;

namespace Touchpoints.Functions.Ingestion;

/// <summary>What one batch did.</summary>
public sealed record BatchOutcome(IReadOnlyList<CustomerChanged> Changes, int Accepted, int Rejected);

/// <summary>
/// Ingests one Event Hubs batch: parse, resolve identities for the whole batch, then per affected customer one read and one
/// conditional write. Cosmos round trips: a lookup per distinct identifier and a read and a write per distinct customer,
/// never per event. Idempotent end to end, so the trigger's at-least-once delivery and retries replay it safely.
/// </summary>
public sealed partial class IngestionHandler(
    CustomerStore customers,
    IdentityStore identities,
    HistoryStore history,
    PrivacyStore privacy,
    RejectionStore rejections,
    RulesProvider rules,
    IOptions<IngestionOptions> options,
    IOptions<IdentityOptions> identity,
    TouchpointsMetrics metrics,
    TimeProvider clock,
    ILogger<IngestionHandler> logger)
{
    /// <summary>Re-resolutions within one invocation after losing a race; past this the invocation fails and is retried.</summary>
    public const int MaxAttempts = 8;

    public async Task<BatchOutcome> IngestAsync(EventSource source, IReadOnlyList<IncomingEvent> batch, CancellationToken ct)
    {
        var started = clock.GetTimestamp();
        var sourceName = source.ToString().ToLowerInvariant();
        var (parsed, rejected) = IngestionBatch.Parse(source, batch, clock.GetUtcNow(), identity.Value.PhoneRegion);
        // Events of erased people are dropped, counted, never stored: the suppression list holds their identifiers' hashes.
        var isSuppressed = await privacy.SuppressedAsync(ct).ConfigureAwait(false);
        // Each distinct identifier of the batch hashed once (a keyed hash each), not once per event naming it.
        var suppressed = parsed.SelectMany(a => a.Event.Identifiers).Select(i => i.Key).Distinct(StringComparer.Ordinal).Where(isSuppressed)
            .ToHashSet(StringComparer.Ordinal);
        var accepted = suppressed.Count == 0 ? parsed : [.. parsed.Where(a => !a.Event.Identifiers.Any(i => suppressed.Contains(i.Key)))];
        if (accepted.Count < parsed.Count)
        {
            LogSuppressed(logger, source, parsed.Count - accepted.Count);
            metrics.Suppressed(sourceName, parsed.Count - accepted.Count);
        }
        foreach (var r in rejected) LogRejected(logger, source, r.EventId, r.Errors);
        if (rejected.Count > 0) await rejections.SaveAsync(rejected, ct).ConfigureAwait(false);
        if (accepted.Count == 0)
        {
            metrics.Batch(sourceName, batch.Count, 0, rejected.Select(Reason), clock.GetElapsedTime(started));
            return new BatchOutcome([], 0, rejected.Count);
        }

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var refused = new ConcurrentQueue<Rejection>();
                // Attempts start from what this instance knows: losing a race forgot what it found stale (a refused write
                // forgets its view, a refused claim reads its owner), so a second attempt costs reads only of that. A third
                // reads everything again, in case something stale was not where the race was lost.
                var changes = await ApplyAsync(accepted, [], [], refused, cached: attempt <= 2, ct).ConfigureAwait(false);
                if (!refused.IsEmpty)
                {
                    foreach (var r in refused) LogRejected(logger, source, r.EventId, r.Errors);
                    await rejections.SaveAsync(refused, ct).ConfigureAwait(false);
                }
                LogBatch(logger, source, batch.Count, accepted.Count - refused.Count, rejected.Count + refused.Count, changes.Count);
                var written = clock.GetUtcNow();
                foreach (var a in accepted) metrics.Lag(sourceName, written - (a.ArrivedAt ?? written));
                metrics.Batch(sourceName, batch.Count, accepted.Count - refused.Count, rejected.Concat(refused).Select(Reason), clock.GetElapsedTime(started));
                return new BatchOutcome(changes, accepted.Count - refused.Count, rejected.Count + refused.Count);
            }
            catch (StaleResolutionException e) when (attempt < MaxAttempts)
            {
                LogRace(logger, attempt, e.Message);
            }
        }
    }

    /// <summary>
    /// Repairs stored identity data with the same protocol as ingestion: <paramref name="links"/> (identifiers that belong
    /// together) are resolved as an event's would be, without projecting anything, and every profile in
    /// <paramref name="visit"/> is read, so that a tombstone among them is folded into its survivor and identifiers that
    /// point at it are moved on. Retries a lost race as ingestion does.
    /// </summary>
    public async Task<IReadOnlyList<CustomerChanged>> ReconcileAsync(
        IReadOnlyList<IReadOnlyList<Identifier>> links, IReadOnlyCollection<CustomerId> visit, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ApplyAsync([], [.. links.Select(l => new EventIdentity(l, now))], visit, new ConcurrentQueue<Rejection>(), cached: false, ct).ConfigureAwait(false);
            }
            catch (StaleResolutionException e) when (attempt < MaxAttempts)
            {
                LogRace(logger, attempt, e.Message);
            }
        }
    }

    private async Task<IReadOnlyList<CustomerChanged>> ApplyAsync(
        IReadOnlyList<AcceptedEvent> accepted,
        IReadOnlyList<EventIdentity> links,
        IReadOnlyCollection<CustomerId> visit,
        ConcurrentQueue<Rejection> refused,
        bool cached,
        CancellationToken ct)
    {
        // 1. Identities: one lookup per distinct identifier, then every profile they name, tombstones followed to their roots.
        var keys = accepted.SelectMany(a => a.Event.Identifiers).Concat(links.SelectMany(l => l.Identifiers))
            .Select(i => i.Key).Distinct(StringComparer.Ordinal).ToArray();
        var lookups = await identities.LookupAsync(keys, ct, cached).ConfigureAwait(false);
        var graph = await ProfileGraph.ReadAsync(customers, lookups.Values.Select(o => o.CustomerId).Concat(visit), ct, cached).ConfigureAwait(false);
        var owners = lookups.ToDictionary(l => l.Key, l => graph.Root(l.Value.CustomerId), StringComparer.Ordinal);

        var (plan, fresh) = IngestionBatch.Resolve(accepted, owners, graph.Live.ToDictionary(d => d.Key, d => d.Value.Document), links, graph.Moved(owners),
            graph.Tombstones.Keys.ToHashSet());
        if (fresh.Count == 0 && links.Count == 0 && graph.Tombstones.Count == 0) return [];

        // A claim the store refused (IdentityResolver.Refuted) is re-pointed, conditional on the version looked up.
        if (!await identities.ClaimAsync(plan.Claims, lookups, ct).ConfigureAwait(false))
            throw new StaleResolutionException("another writer claimed an identifier of this batch first");

        // 2. Merges commit here: each loser becomes a tombstone at exactly the version read (or is created as one when only
        //    claimed), before its survivor is written. A failure means the store moved on: resolve again.
        var now = clock.GetUtcNow();
        await ReserveExclusivesAsync(plan, graph, now, ct).ConfigureAwait(false);
        var tombstones = await Task.WhenAll(plan.Merges.Select(m => CommitMergeAsync(m.Key, m.Value, graph, owners, now, ct))).ConfigureAwait(false);

        // 3. Survivors: fold in this batch's losers and every unfolded tombstone met on the way (finishing a merge another
        //    batch committed but did not complete), then the events; one conditional write each.
        CustomerId SurvivorOf(CustomerId profile) => plan.Merges.GetValueOrDefault(profile, profile);
        var folds = tombstones.Concat(graph.Tombstones.Values.Select(t => t.Document))
            .ToLookup(t => SurvivorOf(graph.Root(t.Id)));
        var eventsByCustomer = fresh.Select((a, i) => (a, target: plan.Targets[i])).ToLookup(x => x.target, x => x.a);
        var affected = plan.Identities.Keys.Union(plan.Targets).Union(folds.Select(f => f.Key)).ToArray();
        // Scores and segments derive from the active rules, read once per batch (cached).
        var compiled = await rules.GetAsync(ct).ConfigureAwait(false);
        var writes = await Task.WhenAll(affected.Select(id => WriteCustomerAsync(
            graph.Live.GetValueOrDefault(id),
            new CustomerSlice(
                id,
                plan.NewProfiles.TryGetValue(id, out var created) ? created : folds[id].Select(f => f.CreatedAt).DefaultIfEmpty(now).Min(),
                [.. folds[id]],
                [.. eventsByCustomer[id]],
                plan.Identities.GetValueOrDefault(id, []),
                plan.Conflicts.GetValueOrDefault(id, [])),
            compiled,
            refused,
            ct))).ConfigureAwait(false);

        // 4. Identifiers move from merged-away profiles to their survivors (path compression: whatever pointed at a tombstone
        //    now points at the live root). Conditional replaces; an identifier another writer moved on is left to it.
        await MoveIdentifiersAsync(graph, lookups, tombstones, SurvivorOf, ct).ConfigureAwait(false);
        foreach (var (loser, survivor) in plan.Merges) LogMerged(logger, loser, survivor);
        metrics.Resolution(plan.Merges.Count, plan.Conflicts.Sum(c => c.Value.Length));

        now = clock.GetUtcNow();
        return [.. writes.OfType<CustomerUpdate>().Select(u => new CustomerChanged(u.View.Id, u.View.Version, u.Causes, now))];
    }

    /// <summary>
    /// Before a loser holding a user id (or crm id) its survivor lacks is tombstoned, the survivor takes that identifier, on
    /// the version read. Otherwise another batch could give the survivor a different user id between this batch's read and
    /// its commit, and the committed merge would join two users. With the reservation, that batch's write fails or sees the
    /// identifier and keeps its own apart.
    /// </summary>
    private async Task ReserveExclusivesAsync(ResolutionPlan plan, ProfileGraph graph, DateTimeOffset now, CancellationToken ct)
    {
        foreach (var merges in plan.Merges.GroupBy(m => m.Value))
        {
            if (!graph.Live.TryGetValue(merges.Key, out var survivor)) continue;
            var reserved = merges.Select(m => graph.Live.GetValueOrDefault(m.Key)?.Document).OfType<CustomerView>()
                .SelectMany(l => l.Identities)
                .Where(k => !survivor.Document.Identities.Contains(k) && Identifier.TryParseKey(k) is { IsExclusive: true })
                .ToArray();
            if (reserved.Length == 0) continue;
            var view = survivor.Document with
            {
                Identities = [.. survivor.Document.Identities.Union(reserved).Order(StringComparer.Ordinal)],
                Version = survivor.Document.Version + 1,
                UpdatedAt = now,
            };
            try
            {
                var etag = await customers.WriteAsync(view, survivor.ETag, ct).ConfigureAwait(false);
                graph.Live[merges.Key] = new Versioned<CustomerView>(view, etag);
            }
            catch (ConcurrentUpdateException)
            {
                // The message is logged: customer ids only, never the identifiers themselves.
                throw new StaleResolutionException($"{merges.Key} changed before it could take {reserved.Length} exclusive identifiers of the profiles it absorbs");
            }
        }
    }

    private async Task<CustomerView> CommitMergeAsync(
        CustomerId loser, CustomerId survivor, ProfileGraph graph, Dictionary<string, CustomerId> owners, DateTimeOffset now, CancellationToken ct)
    {
        var read = graph.Live.GetValueOrDefault(loser);
        // An unwritten loser is settled here, as what is claimed for it — but with one user id (one crm id of a system) at
        // most: batches racing to create it may each have claimed another, and a tombstone holding two would bring both to
        // its survivor. The other claim now names a profile whose root holds another value: refuted, it gets its own.
        var content = read?.Document ?? CustomerView.Create(loser, now) with
        {
            Identities = IdentityResolver.OnePerExclusiveType(owners.Where(o => o.Value == loser).Select(o => o.Key)),
        };
        var tombstone = CustomerMerge.Tombstone(content, survivor, now);
        try
        {
            await customers.WriteAsync(tombstone, read?.ETag, ct).ConfigureAwait(false);
            return tombstone;
        }
        catch (ConcurrentUpdateException)
        {
            // Written, merged or tombstoned by someone else since it was read: tombstones are immutable, so resolve again.
            throw new StaleResolutionException($"{loser} changed before it could be merged");
        }
    }

    private async Task MoveIdentifiersAsync(
        ProfileGraph graph,
        Dictionary<string, IdentityOwner> lookups,
        IReadOnlyList<CustomerView> committed,
        Func<CustomerId, CustomerId> survivorOf,
        CancellationToken ct)
    {
        // Every profile that now resolves elsewhere: this batch's losers, the tombstones met, and whatever each had absorbed.
        var gone = committed.Concat(graph.Tombstones.Values.Select(t => t.Document)).ToArray();
        var moves = new Dictionary<string, (IdentityOwner? Known, CustomerId To)>(StringComparer.Ordinal);
        foreach (var tombstone in gone)
        {
            var to = survivorOf(graph.Root(tombstone.Id));
            foreach (var key in tombstone.Identities) moves.TryAdd(key, (lookups.GetValueOrDefault(key), to));
        }
        foreach (var (key, owner) in lookups)
        {
            var to = survivorOf(graph.Root(owner.CustomerId));
            if (owner.CustomerId != to) moves[key] = (owner, to);
        }
        if (moves.Count == 0) return;
        var from = gone.SelectMany(t => t.MergedFrom.Append(t.Id)).ToHashSet();
        await Task.WhenAll(moves.Select(m => identities.MoveAsync(m.Key, m.Value.Known, from, m.Value.To, ct))).ConfigureAwait(false);
    }

    /// <summary>
    /// One customer's single write. An event that cannot be applied (an exception that is not a store's transient failure:
    /// a bug, or a value the view cannot hold) is refused on its own, with its reason, and the customer's other events are
    /// written; a document the store refuses for good (too large, malformed) refuses the customer's events of this batch.
    /// Either way the rest of the batch goes on: one bad event never costs a good one.
    /// </summary>
    private async Task<CustomerUpdate?> WriteCustomerAsync(
        Versioned<CustomerView>? current, CustomerSlice slice, CompiledRules compiled, ConcurrentQueue<Rejection> refused, CancellationToken ct)
    {
        var events = slice.Events.ToList();
        for (var attempt = 1; ; attempt++)
        {
            // A tombstone is never written again: its survivor takes what would have gone to it.
            if (current?.Document.MergedInto is not null) throw new StaleResolutionException($"{slice.CustomerId} was merged meanwhile");
            var now = clock.GetUtcNow();
            CustomerSlice Sliced(IReadOnlyList<AcceptedEvent> these, bool withIdentities = true) =>
                withIdentities ? slice with { Events = these } : slice with { Events = these, Identities = [], Conflicts = [] };
            CustomerUpdate Apply(Versioned<CustomerView>? read, IReadOnlyList<AcceptedEvent> these, bool withIdentities = true) =>
                IngestionBatch.Apply(read?.Document, Sliced(these, withIdentities), now, compiled, options.Value.DedupWindow);
            CustomerUpdate? applied;
            try
            {
                applied = Apply(current, events);
            }
            catch (Exception e) when (!IsTransient(e))
            {
                applied = Isolate(current, events, refused, these => Apply(current, these));
            }
            if (applied is not { } update) return null;
            if (IdentityResolver.HoldsAnExclusiveTwice(update.View.Identities))
            {
                // Since the plan was made, the profile took another user id (or crm id of a system), or a committed merge
                // folded in here brings one: this batch's claim of its own is refused. Finish the merges alone, then
                // resolve again, which re-points the refused claim to a profile of its own.
                var merges = Apply(current, [], withIdentities: false);
                if (merges.Changed && !IdentityResolver.HoldsAnExclusiveTwice(merges.View.Identities))
                {
                    try
                    {
                        var merged = await WithHistoryAsync(current?.Document, Sliced([], withIdentities: false), merges.View, now, ct).ConfigureAwait(false);
                        await customers.WriteAsync(merged, current?.ETag, ct).ConfigureAwait(false);
                    }
                    catch (ConcurrentUpdateException)
                    {
                        // Someone else moved it on; resolving again sees their version.
                    }
                }
                throw new StaleResolutionException($"{slice.CustomerId} holds another exclusive identifier than this batch claimed");
            }
            if (!update.Changed) return null;
            try
            {
                var view = await WithHistoryAsync(current?.Document, Sliced(events), update.View, now, ct).ConfigureAwait(false);
                await customers.WriteAsync(view, current?.ETag, ct).ConfigureAwait(false);
                return update with { View = view };
            }
            catch (ConcurrentUpdateException) when (attempt < MaxAttempts * 2)
            {
                LogConcurrentWrite(logger, slice.CustomerId, attempt);
                current = await customers.ReadAsync(slice.CustomerId, ct).ConfigureAwait(false);
            }
            catch (CosmosException e) when (!IsTransient(e))
            {
                LogRefusedWrite(logger, slice.CustomerId, (int)e.StatusCode, events.Count);
                foreach (var a in events) refused.Enqueue(a.Refused($"the customer's document could not be written ({(int)e.StatusCode} {e.StatusCode})"));
                return null;
            }
        }
    }

    /// <summary>
    /// Appends what a write folds into <paramref name="read"/> to the customer's history, before the view is written: the
    /// view then points at it. A write that loses its race leaves its chunk on no chain; a replayed event, already applied,
    /// is in no slice, so a replay appends nothing.
    /// </summary>
    private async Task<CustomerView> WithHistoryAsync(CustomerView? read, CustomerSlice applied, CustomerView written, DateTimeOffset now, CancellationToken ct)
    {
        var at = await history.AppendAsync(written.Id, HistoryChunk.Of(read, applied, written.Version, now), ct).ConfigureAwait(false);
        return written with { History = at };
    }

    /// <summary>
    /// Applies the events one at a time, refusing each that throws; the update of those that apply. When even none applies
    /// (the failure lies in the customer: its stored view, its losers), every event is refused and nothing is written: a
    /// bug for the logs, never a reason to fail every later batch of that customer.
    /// </summary>
    private CustomerUpdate? Isolate(
        Versioned<CustomerView>? current, List<AcceptedEvent> events, ConcurrentQueue<Rejection> refused,
        Func<IReadOnlyList<AcceptedEvent>, CustomerUpdate> apply)
    {
        var kept = new List<AcceptedEvent>(events.Count);
        foreach (var candidate in events)
        {
            try
            {
                apply([.. kept, candidate]);
                kept.Add(candidate);
            }
            catch (Exception e) when (!IsTransient(e))
            {
                LogPoison(logger, candidate.Event.EventId, current?.Document.Id, e);
                refused.Enqueue(candidate.Refused($"could not be applied to its customer: {e.GetType().Name}: {e.Message}"));
            }
        }
        events.Clear();
        events.AddRange(kept);
        try
        {
            return apply(kept);
        }
        catch (Exception e) when (!IsTransient(e))
        {
            LogPoison(logger, "(all of the batch's)", current?.Document.Id, e);
            foreach (var a in kept) refused.Enqueue(a.Refused($"its customer could not be updated: {e.GetType().Name}: {e.Message}"));
            events.Clear();
            return null;
        }
    }

    /// <summary>Failures that a retry of the invocation can cure; anything else is a property of the input or a bug.</summary>
    private static bool IsTransient(Exception e) => e switch
    {
        StaleResolutionException or ConcurrentUpdateException => true,
        CosmosException c => (int)c.StatusCode is 408 or 410 or 429 or 449 or >= 500,
        HttpRequestException or TimeoutException or OperationCanceledException => true,
        Azure.RequestFailedException r => r.Status is 0 or 408 or 429 or >= 500,
        _ => false,
    };

    /// <summary>A rejection's reason as a metric tag: where its first error is (a bounded set of paths), never its text or values.</summary>
    private static string Reason(Rejection r) => r.Errors.Count == 0 ? "$" : r.Errors[0].Path;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected {Source} event {EventId}: {Reason}")]
    private static partial void LogRejected(ILogger logger, EventSource source, string? eventId, IReadOnlyList<ValidationError> reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dropped {Count} {Source} events of erased people (suppressed identifiers)")]
    private static partial void LogSuppressed(ILogger logger, EventSource source, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingested {Source} batch of {Count}: {Accepted} accepted, {Rejected} rejected, {Changed} customers changed")]
    private static partial void LogBatch(ILogger logger, EventSource source, int count, int accepted, int rejected, int changed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Resolution attempt {Attempt} lost a race ({Why}); resolving again")]
    private static partial void LogRace(ILogger logger, int attempt, string why);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Customer {CustomerId} changed concurrently (attempt {Attempt}); re-reading")]
    private static partial void LogConcurrentWrite(ILogger logger, CustomerId customerId, int attempt);

    [LoggerMessage(Level = LogLevel.Error, Message = "Event {EventId} could not be applied to customer {CustomerId}; it is refused and the rest of the batch goes on")]
    private static partial void LogPoison(ILogger logger, string eventId, string? customerId, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Cosmos DB refused the document of customer {CustomerId} ({Status}); its {Count} events of this batch are refused")]
    private static partial void LogRefusedWrite(ILogger logger, CustomerId customerId, int status, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "Merged customer {Loser} into {Survivor}")]
    private static partial void LogMerged(ILogger logger, CustomerId loser, CustomerId survivor);
}

/// <summary>The store changed under a resolution (an identifier claimed, a profile merged): resolve the batch again.</summary>
public sealed class StaleResolutionException(string message) : Exception(message);
