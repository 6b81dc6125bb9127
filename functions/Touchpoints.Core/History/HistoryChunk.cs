using System.Collections.Immutable;
using Touchpoints.Core.Events;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Ingestion;
using Touchpoints.Core.Views;

namespace Touchpoints.Core.History;

/// <summary>
/// Where a chunk of a customer's history starts: the segment (one append blob of <c>history/{customerId}/</c>) and the byte
/// offset in it. The view keeps the pointer of its last chunk (<see cref="CustomerView.History"/>); each chunk the pointer
/// of the one before it, so the committed history is a chain that chunks appended by a writer that then lost its race (or
/// died) are not on.
/// </summary>
public sealed record HistoryPointer(int Segment, long Offset);

/// <summary>An accepted event as it was accepted: its source, where it sat in its partition, when it reached the hub, its body.</summary>
/// <param name="Body">
/// The body exactly as the hub delivered it: a string, since what producers send may be JSON only to a lenient reader
/// (comments, trailing commas) and must be replayed as it came.
/// </param>
public sealed record HistoryEvent(EventSource Source, string? Partition, long? Sequence, DateTimeOffset? ArrivedAt, string Body);

/// <summary>
/// One write of a customer's view, as history: what was folded into the view it read (the merged-away profiles, the
/// events in batch order, the identifiers and conflicts of the batch), the identifiers that view held, and when. Replaying
/// the chain of a profile's chunks through <see cref="IngestionBatch.Apply"/> gives the view live ingestion wrote
/// (<see cref="HistoryReplay"/>). A write too large for one append is split into <see cref="Parts"/> chunks of one
/// version, replayed as one.
/// </summary>
public sealed record HistoryChunk
{
    /// <summary>The version this write gave the view.</summary>
    public required long Version { get; init; }
    /// <summary>The version of the view the write applied to: 0 for a profile it created.</summary>
    public required long Base { get; init; }
    /// <summary>The previous chunk of the chain (of the view read); null when this is the first.</summary>
    public HistoryPointer? After { get; init; }
    /// <summary>The time of the write (the dedup window, derived values and segments depend on it).</summary>
    public required DateTimeOffset At { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public ImmutableArray<CustomerId> Losers { get => losers; init => losers = value.IsDefault ? [] : value; }
    private readonly ImmutableArray<CustomerId> losers = [];
    /// <summary>The identifiers of the view read (a write without history, such as a reservation, may have added some).</summary>
    public ImmutableArray<string> ReadIdentities { get => readIdentities; init => readIdentities = value.IsDefault ? [] : value; }
    private readonly ImmutableArray<string> readIdentities = [];
    public ImmutableArray<string> Identities { get => identities; init => identities = value.IsDefault ? [] : value; }
    private readonly ImmutableArray<string> identities = [];
    public ImmutableArray<IdentityConflict> Conflicts { get => conflicts; init => conflicts = value.IsDefault ? [] : value; }
    private readonly ImmutableArray<IdentityConflict> conflicts = [];
    public ImmutableArray<HistoryEvent> Events { get => events; init => events = value.IsDefault ? [] : value; }
    private readonly ImmutableArray<HistoryEvent> events = [];
    /// <summary>True for a write that only scored the view again as its scores aged (<see cref="CustomerSlice.Rescore"/>).</summary>
    public bool? Rescored { get; init; }
    /// <summary>This chunk's place among the chunks of one write (1-based), and how many there are.</summary>
    public int Part { get; init; } = 1;
    public int Parts { get; init; } = 1;

    /// <summary>
    /// The history of one write: <paramref name="slice"/> applied to <paramref name="read"/> (null for a new profile), giving
    /// version <paramref name="version"/> at <paramref name="now"/>. Events whose bodies were not kept (none in ingestion)
    /// cannot be replayed and are refused here rather than lost silently.
    /// </summary>
    public static HistoryChunk Of(CustomerView? read, CustomerSlice slice, long version, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(slice);
        return new HistoryChunk
        {
            Version = version,
            Base = read?.Version ?? 0,
            After = read?.History,
            At = now,
            CreatedAt = slice.CreatedAt,
            Losers = [.. slice.Losers.Select(l => l.Id)],
            ReadIdentities = read?.Identities ?? [],
            Identities = slice.Identities,
            Conflicts = slice.Conflicts,
            Rescored = slice.Rescore ? true : null,
            Events = [.. slice.Events.Select(a => new HistoryEvent(a.Event.Source, a.Position?.Partition, a.Position?.SequenceNumber, a.ArrivedAt,
                a.Body ?? throw new ArgumentException($"event {a.Event.EventId} has no body to keep", nameof(slice))))],
        };
    }

    /// <summary>Splits a write into chunks of at most <paramref name="maxEventBytes"/> of bodies each (at least one event each).</summary>
    public IReadOnlyList<HistoryChunk> Split(int maxEventBytes)
    {
        var groups = new List<ImmutableArray<HistoryEvent>>();
        var current = ImmutableArray.CreateBuilder<HistoryEvent>();
        long size = 0;
        foreach (var e in Events)
        {
            if (current.Count > 0 && size + e.Body.Length > maxEventBytes)
            {
                groups.Add(current.ToImmutable());
                current.Clear();
                size = 0;
            }
            current.Add(e);
            size += e.Body.Length;
        }
        if (current.Count > 0 || groups.Count == 0) groups.Add(current.ToImmutable());
        if (groups.Count == 1) return [this];
        // The first part carries what the write folded in besides events; the rest only events.
        return [.. groups.Select((g, i) => i == 0
            ? this with { Events = g, Part = 1, Parts = groups.Count }
            : this with { Events = g, Part = i + 1, Parts = groups.Count, Losers = [], Identities = [], Conflicts = [] })];
    }
}
