using System.Text.Json;
using System.Text.Json.Serialization;
using Touchpoints.Core.Events;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Ingestion;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Views;

namespace Touchpoints.Core.History;

/// <summary>
/// A segment of history is a sequence of JSON objects, one chunk each, as appended (an append is atomic, so a segment never
/// holds part of a chunk).
/// </summary>
public static class HistoryFormat
{
    public static byte[] Write(HistoryChunk chunk)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(chunk, HistoryJsonContext.Default.HistoryChunk);
        // One chunk per line: the segment reads as NDJSON too (no body holds a raw line break: bodies are JSON strings).
        var line = new byte[json.Length + 1];
        json.CopyTo(line, 0);
        line[^1] = (byte)'\n';
        return line;
    }

    /// <summary>Every chunk of a segment with where it starts.</summary>
    public static IReadOnlyList<(HistoryPointer At, HistoryChunk Chunk)> Read(int segment, ReadOnlySpan<byte> bytes)
    {
        var chunks = new List<(HistoryPointer, HistoryChunk)>();
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowMultipleValues = true });
        while (reader.Read())
        {
            var start = reader.TokenStartIndex;
            var chunk = JsonSerializer.Deserialize(ref reader, HistoryJsonContext.Default.HistoryChunk)
                ?? throw new JsonException($"a null chunk at {start} of history segment {segment}");
            chunks.Add((new HistoryPointer(segment, start), chunk));
        }
        return chunks;
    }
}

/// <summary>Why a profile's view cannot be rebuilt from its history.</summary>
public sealed record RebuildRefusal(CustomerId CustomerId, string Reason);

/// <summary>
/// Rebuilds views from history: the chain of a profile's committed chunks, oldest first, each applied as live ingestion
/// applied it (<see cref="IngestionBatch.Apply"/>, at the write's own time, its merged-away profiles rebuilt the same way and
/// folded in), through today's parsers, projection, scores and segments. With the rules live ingestion used, the result
/// is the view it wrote (a property test holds this for random traffic in any order); with new rules or a fixed projection,
/// the view they would have written.
/// </summary>
public static class HistoryReplay
{
    /// <summary>
    /// The committed chunks of a profile, oldest first, from <paramref name="head"/> (its view's pointer) back along each
    /// chunk's predecessor. Chunks not on the chain (a writer's that lost its race or died before its view was written)
    /// are ignored. Null when the chain is broken: a pointer to no chunk, or a first chunk that applied to a view older than
    /// history (a profile written before history was kept).
    /// </summary>
    public static IReadOnlyList<HistoryChunk>? Chain(IReadOnlyDictionary<HistoryPointer, HistoryChunk> chunks, HistoryPointer? head, out string? broken)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        broken = null;
        var chain = new List<HistoryChunk>();
        var seen = new HashSet<HistoryPointer>();
        for (var at = head; at is not null;)
        {
            if (!seen.Add(at) || !chunks.TryGetValue(at, out var chunk))
            {
                broken = $"history has no chunk at segment {at.Segment}, offset {at.Offset}";
                return null;
            }
            chain.Add(chunk);
            at = chunk.After;
        }
        chain.Reverse();
        if (chain.Count > 0 && chain[0] is { Base: > 0, Part: 1 } first)
        {
            broken = $"history begins at version {first.Version}: the profile was written before history was kept";
            return null;
        }
        return chain;
    }

    /// <summary>
    /// The view <paramref name="stored"/> rebuilt from its <paramref name="chain"/>: what the projection derives is replayed;
    /// what identity resolution decided (id, identifiers, conflicts, merges, creation, version) is the stored view's.
    /// <paramref name="loser"/> gives a merged-away profile's rebuilt view (null: it cannot be rebuilt, and neither can this);
    /// <paramref name="accept"/> parses an event of history again (<see cref="Accept"/>), given the time of its write.
    /// </summary>
    public static CustomerView? Rebuild(
        CustomerView stored,
        IReadOnlyList<HistoryChunk> chain,
        Func<CustomerId, CustomerView?> loser,
        Func<HistoryEvent, DateTimeOffset, AcceptedEvent?> accept,
        CompiledRules? rules,
        TimeSpan dedupWindow,
        out string? refused)
    {
        ArgumentNullException.ThrowIfNull(stored);
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(loser);
        ArgumentNullException.ThrowIfNull(accept);
        CustomerView? view = null;
        if (Writes(chain, accept, out refused) is not { } writes) return null;
        foreach (var (write, events) in writes)
        {
            var losers = new List<CustomerView>(write.Losers.Length);
            foreach (var id in write.Losers)
            {
                if (loser(id) is not { } folded)
                {
                    refused = $"merged-away profile {id} (version {write.Version}) cannot be rebuilt";
                    return null;
                }
                losers.Add(folded);
            }
            if (view is not null) view = view with { Identities = write.ReadIdentities };
            var slice = new CustomerSlice(stored.Id, write.CreatedAt, losers, events, write.Identities, write.Conflicts) { Rescore = write.Rescored == true };
            view = IngestionBatch.Apply(view, slice, write.At, rules, dedupWindow).View;
        }
        if (view is null) return stored;
        return view with
        {
            Id = stored.Id,
            CreatedAt = stored.CreatedAt,
            UpdatedAt = stored.UpdatedAt,
            Version = stored.Version,
            MergedInto = stored.MergedInto,
            MergedFrom = stored.MergedFrom,
            Identities = stored.Identities,
            Conflicts = stored.Conflicts,
            Separations = stored.Separations,
            History = stored.History,
        };
    }

    /// <summary>
    /// The writes of a chain, oldest first: the parts of one write joined as the one write they were (its first chunk, all
    /// their events parsed again at the write's time). Null, with the reason, when an event no longer parses.
    /// </summary>
    public static IReadOnlyList<(HistoryChunk Write, List<AcceptedEvent> Events)>? Writes(
        IReadOnlyList<HistoryChunk> chain, Func<HistoryEvent, DateTimeOffset, AcceptedEvent?> accept, out string? refused)
    {
        ArgumentNullException.ThrowIfNull(chain);
        ArgumentNullException.ThrowIfNull(accept);
        refused = null;
        var writes = new List<(HistoryChunk, List<AcceptedEvent>)>();
        for (var i = 0; i < chain.Count; i++)
        {
            var write = chain[i];
            var events = new List<AcceptedEvent>();
            for (var part = i; ; part++)
            {
                foreach (var e in chain[part].Events)
                {
                    if (accept(e, write.At) is not { } accepted)
                    {
                        refused = $"an event of version {write.Version} ({e.Source}, {e.Partition}/{e.Sequence}) no longer parses";
                        return null;
                    }
                    events.Add(accepted);
                }
                if (chain[part].Part >= chain[part].Parts || part + 1 >= chain.Count || chain[part + 1].Version != write.Version)
                {
                    i = part;
                    break;
                }
            }
            writes.Add((write, events));
        }
        return writes;
    }

    /// <summary>An event of history parsed again, as ingestion parsed it (the same arrival, the write's time as now).</summary>
    public static AcceptedEvent? Accept(HistoryEvent e, DateTimeOffset writtenAt, ArrivalRules arrival)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(arrival);
        var enqueued = e.ArrivedAt ?? writtenAt;
        var parsed = EventParser.Parse(e.Source, e.Body, new ArrivalContext(enqueued, writtenAt, arrival.PhoneRegion));
        return parsed.Event is { } ev
            ? new AcceptedEvent(ev, e.Partition is null ? null : new EventPosition(e.Partition, e.Sequence ?? 0), e.ArrivedAt, e.Body)
            : null;
    }
}

/// <summary>What parsing an event again needs besides the event: the settings ingestion parsed it with.</summary>
public sealed record ArrivalRules(string? PhoneRegion);

[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(CamelCaseEnumConverter<EventSource>)])]
[JsonSerializable(typeof(HistoryChunk))]
public sealed partial class HistoryJsonContext : JsonSerializerContext;
