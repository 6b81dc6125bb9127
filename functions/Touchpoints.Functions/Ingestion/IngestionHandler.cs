using System.Collections.Immutable;
using Touchpoints.Core.Events;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Ingestion;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Views;
using Touchpoints.Functions.Rules;

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
    RejectionStore rejections,
    RulesProvider rules,
    TimeProvider clock,
    ILogger<IngestionHandler> logger)
{
    /// <summary>Re-resolutions within one invocation after losing a race; past this the invocation fails and is retried.</summary>
    public const int MaxAttempts = 5;

    public async Task<BatchOutcome> IngestAsync(EventSource source, IReadOnlyList<IncomingEvent> batch, CancellationToken ct)
    {
        var (accepted, rejected) = IngestionBatch.Parse(source, batch, clock.GetUtcNow());
        foreach (var r in rejected) LogRejected(logger, source, r.EventId, r.Errors);
        if (rejected.Count > 0) await rejections.SaveAsync(rejected, ct).ConfigureAwait(false);
        if (accepted.Count == 0) return new BatchOutcome([], 0, rejected.Count);

        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var changes = await ApplyAsync(accepted, ct).ConfigureAwait(false);
                LogBatch(logger, source, batch.Count, accepted.Count, rejected.Count, changes.Count);
                return new BatchOutcome(changes, accepted.Count, rejected.Count);
            }
            catch (StaleResolutionException e) when (attempt < MaxAttempts)
            {
                LogRace(logger, attempt, e.Message);
            }
        }
    }

    private async Task<IReadOnlyList<CustomerChanged>> ApplyAsync(IReadOnlyList<AcceptedEvent> accepted, CancellationToken ct)
    {
        // 1. Identities: one lookup per distinct identifier, then every profile they name, tombstones followed to survivors.
        var keys = accepted.SelectMany(a => a.Event.Identifiers).Select(i => i.Key).Distinct(StringComparer.Ordinal).ToArray();
        var owners = await identities.LookupAsync(keys, ct).ConfigureAwait(false);
        var docs = await ReadProfilesAsync(owners, ct).ConfigureAwait(false);

        var (plan, fresh) = IngestionBatch.Resolve(accepted, owners, docs.ToDictionary(d => d.Key, d => d.Value.Document));
        if (fresh.Count == 0) return [];

        if (!await identities.ClaimAsync(plan.Claims, ct).ConfigureAwait(false))
            throw new StaleResolutionException("another writer claimed an identifier of this batch first");

        // 2. Customers: fold losers and events, write once each, conditional on the ETag read above.
        var eventsByCustomer = fresh.Select((a, i) => (a, target: plan.Targets[i])).ToLookup(x => x.target, x => x.a);
        var losersBySurvivor = plan.Merges.Where(m => docs.ContainsKey(m.Key)).ToLookup(m => m.Value, m => docs[m.Key].Document);
        var affected = plan.Identities.Keys.Union(plan.Targets).Distinct(StringComparer.Ordinal).ToArray();
        // Scores and segments derive from the active rules, read once per batch (cached).
        var compiled = await rules.GetAsync(ct).ConfigureAwait(false);
        var writes = await Task.WhenAll(affected.Select(id => WriteCustomerAsync(
            id,
            docs.GetValueOrDefault(id),
            plan.NewProfiles.TryGetValue(id, out var created) ? created : fresh[0].Event.OccurredAt,
            [.. losersBySurvivor[id]],
            [.. eventsByCustomer[id]],
            plan.Identities.GetValueOrDefault(id, []),
            plan.Conflicts.GetValueOrDefault(id, []),
            compiled,
            ct))).ConfigureAwait(false);

        // 3. Merged-away profiles: their identifiers now resolve to the survivor, and they become tombstones.
        foreach (var (loser, survivor) in plan.Merges)
        {
            var doc = docs.GetValueOrDefault(loser);
            var loserKeys = owners.Where(o => o.Value == loser).Select(o => o.Key).Union(doc?.Document.Identities ?? []);
            await identities.RepointAsync(loserKeys, survivor, ct).ConfigureAwait(false);
            if (doc is not null) await TombstoneAsync(doc, survivor, ct).ConfigureAwait(false);
            LogMerged(logger, loser, survivor);
        }

        var now = clock.GetUtcNow();
        return [.. writes.OfType<CustomerUpdate>().Select(u => new CustomerChanged(u.View.Id, u.View.Version, u.Causes, now))];
    }

    private async Task<Dictionary<string, Versioned<CustomerView>>> ReadProfilesAsync(Dictionary<string, string> owners, CancellationToken ct)
    {
        var docs = new Dictionary<string, Versioned<CustomerView>>(StringComparer.Ordinal);
        var pending = owners.Values.Distinct(StringComparer.Ordinal).ToList();
        var redirects = new Dictionary<string, string>(StringComparer.Ordinal);
        // Following a tombstone costs a read more; it only happens while a merge's re-pointing is incomplete.
        for (var hop = 0; pending.Count > 0 && hop < CustomerStore.MaxMergeHops; hop++)
        {
            var read = await Task.WhenAll(pending.Select(id => customers.ReadAsync(id, ct))).ConfigureAwait(false);
            var next = new List<string>();
            for (var i = 0; i < pending.Count; i++)
            {
                if (read[i] is not { } doc) continue;
                if (doc.Document.MergedInto is { } survivor)
                {
                    redirects[pending[i]] = survivor;
                    if (!docs.ContainsKey(survivor)) next.Add(survivor);
                }
                else docs[pending[i]] = doc;
            }
            pending = next;
        }
        foreach (var (key, id) in owners.ToArray())
        {
            var target = id;
            for (var hop = 0; hop < CustomerStore.MaxMergeHops && redirects.TryGetValue(target, out var survivor); hop++) target = survivor;
            owners[key] = target;
        }
        return docs;
    }

    private async Task<CustomerUpdate?> WriteCustomerAsync(
        string id,
        Versioned<CustomerView>? current,
        DateTimeOffset createdAt,
        IReadOnlyList<CustomerView> losers,
        IReadOnlyList<AcceptedEvent> events,
        ImmutableArray<string> identityKeys,
        ImmutableArray<IdentityConflict> conflicts,
        CompiledRules compiled,
        CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (current?.Document.MergedInto is not null) throw new StaleResolutionException($"{id} was merged meanwhile");
            var update = IngestionBatch.Apply(current?.Document, id, createdAt, losers, events, identityKeys, conflicts, clock.GetUtcNow(), compiled);
            if (!update.Changed) return null;
            try
            {
                await customers.WriteAsync(update.View, current?.ETag, ct).ConfigureAwait(false);
                return update;
            }
            catch (ConcurrentUpdateException) when (attempt < MaxAttempts * 2)
            {
                LogConcurrentWrite(logger, id, attempt);
                current = await customers.ReadAsync(id, ct).ConfigureAwait(false);
            }
        }
    }

    private async Task TombstoneAsync(Versioned<CustomerView> loser, string survivor, CancellationToken ct)
    {
        var current = loser;
        for (var attempt = 1; ; attempt++)
        {
            if (current.Document.MergedInto == survivor) return;
            // The tombstone keeps its data: readers follow MergedInto, and nothing a concurrent writer added is lost.
            var tombstone = current.Document with
            {
                MergedInto = survivor,
                Version = current.Document.Version + 1,
                UpdatedAt = clock.GetUtcNow(),
            };
            try
            {
                await customers.WriteAsync(tombstone, current.ETag, ct).ConfigureAwait(false);
                return;
            }
            catch (ConcurrentUpdateException) when (attempt < MaxAttempts)
            {
                current = await customers.ReadAsync(loser.Document.Id, ct).ConfigureAwait(false)
                    ?? throw new StaleResolutionException($"{loser.Document.Id} disappeared");
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Rejected {Source} event {EventId}: {Reason}")]
    private static partial void LogRejected(ILogger logger, EventSource source, string? eventId, IReadOnlyList<ValidationError> reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Ingested {Source} batch of {Count}: {Accepted} accepted, {Rejected} rejected, {Changed} customers changed")]
    private static partial void LogBatch(ILogger logger, EventSource source, int count, int accepted, int rejected, int changed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Resolution attempt {Attempt} lost a race ({Why}); resolving again")]
    private static partial void LogRace(ILogger logger, int attempt, string why);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Customer {CustomerId} changed concurrently (attempt {Attempt}); re-reading")]
    private static partial void LogConcurrentWrite(ILogger logger, string customerId, int attempt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Merged customer {Loser} into {Survivor}")]
    private static partial void LogMerged(ILogger logger, string loser, string survivor);
}

/// <summary>The store changed under a resolution (an identifier claimed, a profile merged): resolve the batch again.</summary>
public sealed class StaleResolutionException(string message) : Exception(message);
