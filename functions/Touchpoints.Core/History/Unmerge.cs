using System.Collections.Immutable;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Ingestion;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Views;

namespace Touchpoints.Core.History;

/// <summary>
/// An unmerge, decided: the profile that keeps its id and the rest of its identifiers, the new profile the detached
/// identifiers make, each with the history it is rebuilt from (a chain of its own, oldest first) and how many events each got.
/// </summary>
public sealed record UnmergeResult(
    CustomerView Kept, IReadOnlyList<HistoryChunk> KeptHistory, int KeptEvents,
    CustomerView Detached, IReadOnlyList<HistoryChunk> DetachedHistory, int DetachedEvents);

/// <summary>
/// Splits a customer in two from its history: identifiers wrongly joined (two people behind one family e-mail, say) are
/// detached into a profile of their own. Every event of the customer's history — its own writes and those of every profile
/// merged into it, in the order they were written — goes to the profile its identifiers now belong to: an event naming any
/// detached identifier to the new profile, every other to the profile kept. Each side is then projected from its events
/// alone, write by write at the writes' own times, through today's projection, scores and segments: the view each would
/// have had had they never been merged. Both record a <see cref="Separation"/>, so no later event links them again.
/// </summary>
public static class Unmerge
{
    /// <summary>
    /// The two views and their histories; null, with the reason, when <paramref name="detach"/> is not a proper subset of the
    /// customer's identifiers or an event of its history no longer parses.
    /// </summary>
    /// <param name="chains">The committed chain of the customer and of every profile merged into it (<see cref="HistoryReplay.Chain"/>).</param>
    /// <param name="accept">Parses an event of history again (<see cref="HistoryReplay.Accept"/>), given the time of its write.</param>
    public static UnmergeResult? Split(
        CustomerView stored,
        IReadOnlyList<IReadOnlyList<HistoryChunk>> chains,
        IReadOnlyCollection<string> detach,
        string by,
        DateTimeOffset now,
        Func<HistoryEvent, DateTimeOffset, AcceptedEvent?> accept,
        CompiledRules? rules,
        TimeSpan dedupWindow,
        out string? refused)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(chains);
        ArgumentNullException.ThrowIfNull(detach);
        ArgumentNullException.ThrowIfNull(accept);
        refused = null;
        var detached = detach.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToImmutableArray();
        if (detached.IsEmpty)
        {
            refused = "name at least one identifier to detach";
            return null;
        }
        if (detached.FirstOrDefault(k => !stored.Identities.Contains(k)) is { } foreign)
        {
            refused = $"{stored.Id} does not hold {foreign}";
            return null;
        }
        var kept = stored.Identities.Except(detached, StringComparer.Ordinal).ToImmutableArray();
        if (kept.IsEmpty)
        {
            refused = $"detaching every identifier of {stored.Id} would leave it with none";
            return null;
        }

        // Every write of every chain, oldest first; the parts of one write stay one write.
        var writes = new List<(DateTimeOffset At, List<AcceptedEvent> Events)>();
        foreach (var chain in chains)
        {
            if (HistoryReplay.Writes(chain, accept, out refused) is not { } parsed) return null;
            writes.AddRange(parsed.Select(w => (w.Write.At, w.Events)));
        }
        var ordered = writes.Select((w, i) => (w.At, w.Events, i)).OrderBy(w => w.At).ThenBy(w => w.i).ToList();

        var detachedSet = detached.ToHashSet(StringComparer.Ordinal);
        bool IsDetached(AcceptedEvent a) => a.Event.Identifiers.Any(i => detachedSet.Contains(i.Key));
        var keptWrites = ordered.Select(w => (w.At, Events: w.Events.Where(a => !IsDetached(a)).ToList())).Where(w => w.Events.Count > 0).ToList();
        var detachedWrites = ordered.Select(w => (w.At, Events: w.Events.Where(IsDetached).ToList())).Where(w => w.Events.Count > 0).ToList();

        var detachedId = IdentityResolver.DetachedCustomerId(detached[0], stored.Id);
        var (keptView, keptHistory) = Project(
            stored.Id, kept, keptWrites, now, rules, dedupWindow, accept,
            view => view with
            {
                Version = stored.Version + 1,
                MergedFrom = stored.MergedFrom,
                Conflicts = stored.Conflicts,
                Separations = [.. stored.Separations, new Separation(detachedId, detached, now, by)],
            });
        var (detachedView, detachedHistory) = Project(
            detachedId, detached, detachedWrites, now, rules, dedupWindow, accept,
            view => view with { Version = 1, Separations = [new Separation(stored.Id, kept, now, by)] });
        return new UnmergeResult(keptView, keptHistory, keptWrites.Sum(w => w.Events.Count), detachedView, detachedHistory, detachedWrites.Sum(w => w.Events.Count));
    }

    /// <summary>
    /// One side: a chain of a chunk per write that gave it events (one empty chunk at <paramref name="now"/> for a side with
    /// none), and the view rebuilding that chain gives — so a later rebuild from history reproduces it exactly.
    /// </summary>
    private static (CustomerView View, IReadOnlyList<HistoryChunk> History) Project(
        CustomerId id,
        ImmutableArray<string> identities,
        List<(DateTimeOffset At, List<AcceptedEvent> Events)> writes,
        DateTimeOffset now,
        CompiledRules? rules,
        TimeSpan dedupWindow,
        Func<HistoryEvent, DateTimeOffset, AcceptedEvent?> accept,
        Func<CustomerView, CustomerView> decided)
    {
        // Created as live ingestion would have created it alone: at the earliest event of its first write.
        var createdAt = writes.Count > 0 ? writes[0].Events.Min(a => a.Event.OccurredAt) : now;
        if (writes.Count == 0) writes = [(now, [])];
        var chain = writes.Select((w, i) => new HistoryChunk
        {
            Version = i + 1,
            Base = i,
            At = w.At,
            CreatedAt = createdAt,
            ReadIdentities = i == 0 ? [] : identities,
            Identities = identities,
            Events = [.. w.Events.Select(a => new HistoryEvent(a.Event.Source, a.Position?.Partition, a.Position?.SequenceNumber, a.ArrivedAt, a.Body!))],
        }).ToList();
        var template = decided(CustomerView.Create(id, createdAt) with { UpdatedAt = now, Identities = identities });
        var view = HistoryReplay.Rebuild(template, chain, _ => null, accept, rules, dedupWindow, out var refused)
            ?? throw new InvalidOperationException($"the history just made for {id} does not replay: {refused}");
        return (view, chain);
    }
}
