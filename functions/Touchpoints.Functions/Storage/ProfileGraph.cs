using Touchpoints.Core.Identity;
using Touchpoints.Core.Views;

namespace Touchpoints.Functions.Storage;

/// <summary>
/// The profiles a batch's identifiers name, as read: live documents, and tombstones followed to the profile they were merged
/// into. An id with neither is a profile claimed but not written yet (its writer is in flight, or crashed before writing).
/// </summary>
public sealed class ProfileGraph
{
    /// <summary>Chains only grow while merges are being completed; past this the store holds a loop or a bug, not data.</summary>
    public const int MaxHops = 32;

    public Dictionary<CustomerId, Versioned<CustomerView>> Live { get; } = [];

    public Dictionary<CustomerId, Versioned<CustomerView>> Tombstones { get; } = [];

    /// <summary>The live (or unwritten) profile a profile id resolves to.</summary>
    public CustomerId Root(CustomerId id)
    {
        for (var hop = 0; hop <= MaxHops; hop++)
        {
            if (!Tombstones.TryGetValue(id, out var tombstone)) return id;
            id = tombstone.Document.MergedInto!.Value;
        }
        throw new InvalidOperationException($"Merge chain from {id} is longer than {MaxHops} hops: a loop of tombstones.");
    }

    /// <summary>
    /// Identifiers whose claims (<paramref name="owners"/>, roots) name a profile an unmerge took them from, with the live
    /// profile they belong to now (that of the separation's other side).
    /// </summary>
    public Dictionary<string, CustomerId>? Moved(IReadOnlyDictionary<string, CustomerId> owners)
    {
        Dictionary<string, CustomerId>? moved = null;
        foreach (var (key, root) in owners)
        {
            if (!Live.TryGetValue(root, out var doc) || doc.Document.Separations.IsEmpty || doc.Document.Identities.Contains(key)) continue;
            if (doc.Document.Separations.FirstOrDefault(s => s.Identifiers.Contains(key)) is { } separation && Root(separation.Other) is var to && to != root)
                (moved ??= new(StringComparer.Ordinal))[key] = to;
        }
        return moved;
    }

    /// <summary>
    /// The tombstones the chain from <paramref name="id"/> loops through (opposite merges written before merges committed
    /// on the loser's version), or null when it reaches a live or unwritten profile.
    /// </summary>
    public IReadOnlyList<Versioned<CustomerView>>? LoopFrom(CustomerId id)
    {
        var path = new List<CustomerId>();
        while (Tombstones.TryGetValue(id, out var tombstone))
        {
            var seen = path.IndexOf(id);
            if (seen >= 0) return [.. path.Skip(seen).Select(p => Tombstones[p])];
            path.Add(id);
            id = tombstone.Document.MergedInto!.Value;
        }
        return null;
    }

    /// <summary>
    /// Reads every profile named, then the survivors of the tombstones among them, a hop at a time (in parallel); with
    /// <paramref name="cached"/>, from what this instance last read or wrote where it can (<see cref="CustomerStore.ReadCachedAsync"/>).
    /// </summary>
    public static async Task<ProfileGraph> ReadAsync(CustomerStore store, IEnumerable<CustomerId> ids, CancellationToken ct, bool cached = false)
    {
        var graph = new ProfileGraph();
        var seen = new HashSet<CustomerId>();
        var pending = ids.Where(seen.Add).ToList();
        for (var hop = 0; pending.Count > 0 && hop <= MaxHops; hop++)
        {
            var read = await Task.WhenAll(pending.Select(id => cached ? store.ReadCachedAsync(id, ct) : store.ReadAsync(id, ct))).ConfigureAwait(false);
            var next = new List<CustomerId>();
            for (var i = 0; i < pending.Count; i++)
            {
                if (read[i] is not { } doc) continue;
                if (doc.Document.MergedInto is { } survivor)
                {
                    graph.Tombstones[pending[i]] = doc;
                    if (seen.Add(survivor)) next.Add(survivor);
                }
                else
                {
                    graph.Live[pending[i]] = doc;
                    // Where an unmerge sent identifiers that may still point here: a batch naming them resolves them there.
                    foreach (var separation in doc.Document.Separations)
                        if (seen.Add(separation.Other)) next.Add(separation.Other);
                }
            }
            pending = next;
        }
        return graph;
    }
}
