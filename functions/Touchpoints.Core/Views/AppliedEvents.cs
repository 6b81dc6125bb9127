using System.Buffers.Binary;
using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Touchpoints.Core.Views;

/// <summary>
/// Exact deduplication: the events applied to this customer within the dedup window, as 64-bit hashes of their dedup keys
/// (which are scoped by source), bucketed by the UTC day each event arrived. Whatever the number of events, a replayed or
/// resent event is recognised as long as its day is kept — unlike a list of the last N ids or a watermark per partition,
/// neither of which is exact (a watermark even skips a not-yet-applied event when bookkeeping of two profiles is folded).
/// <para>
/// Cost: 8 bytes an event (about 11 characters of base64 in the document). Days older than the window are pruned at
/// every write; past <see cref="Limit"/> events the oldest days go first, so the window of an extreme customer shrinks
/// rather than the document growing without bound.
/// </para>
/// </summary>
public sealed record AppliedEvents
{
    /// <summary>The most events kept: about 44 KB of base64, a sixth of the document budget.</summary>
    public const int Limit = 4096;

    /// <summary>The default dedup window; Event Hubs retention must not exceed it for replays to be recognised.</summary>
    public static readonly TimeSpan DefaultWindow = TimeSpan.FromDays(7);

    /// <summary>UTC day (<c>yyyy-MM-dd</c>) → the hashes of the events that arrived that day.</summary>
    public ImmutableSortedDictionary<string, EventHashSet> Days { get => days; init => days = value ?? ImmutableSortedDictionary<string, EventHashSet>.Empty; }
    private readonly ImmutableSortedDictionary<string, EventHashSet> days = ImmutableSortedDictionary<string, EventHashSet>.Empty;

    /// <summary>
    /// Read from documents written before exact dedup (their last 64 event keys), never written: they are recognised, and
    /// moved into the day of the next write by <see cref="Adopt"/>, so a replay of events applied before the upgrade is not
    /// counted twice. (Their per-partition watermarks cannot be carried over: only a consumer group reset to older events
    /// than a customer's last 64 would replay what they covered.)
    /// </summary>
    [JsonPropertyName("recentEventIds")]
    public IReadOnlyList<string>? LegacyRecentEventIds
    {
        get => null;
        init => legacy = value is null ? legacy : value.Aggregate(legacy, (set, key) => set.Add(EventHashSet.Hash(key)));
    }

    // Set only while the value is being made (its init accessor, or Union on its own copy): the record stays immutable.
    private EventHashSet legacy = EventHashSet.Empty;

    public static readonly AppliedEvents Empty = new();

    public int Count => Days.Values.Sum(d => d.Count) + legacy.Count;

    public bool Contains(string dedupKey)
    {
        var hash = EventHashSet.Hash(dedupKey);
        if (legacy.Contains(hash)) return true;
        foreach (var day in Days.Values)
            if (day.Contains(hash)) return true;
        return false;
    }

    /// <summary>Moves what a pre-upgrade document listed into the day of <paramref name="now"/>, where it is kept for a window.</summary>
    public AppliedEvents Adopt(DateTimeOffset now)
    {
        if (legacy.Count == 0) return this;
        var day = DayOf(now);
        return new AppliedEvents { Days = Days.SetItem(day, Days.GetValueOrDefault(day, EventHashSet.Empty).Union(legacy)) };
    }

    public AppliedEvents Record(string dedupKey, DateTimeOffset arrivedAt)
    {
        var day = DayOf(arrivedAt);
        var set = Days.GetValueOrDefault(day, EventHashSet.Empty);
        var added = set.Add(EventHashSet.Hash(dedupKey));
        return ReferenceEquals(added, set) ? this : this with { Days = Days.SetItem(day, added) };
    }

    /// <summary>Folds a merged profile's bookkeeping in: its events must not be applied again to the survivor.</summary>
    public AppliedEvents Union(AppliedEvents other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var days = Days;
        foreach (var (day, set) in other.Days)
            days = days.SetItem(day, days.TryGetValue(day, out var mine) ? mine.Union(set) : set);
        var union = this with { Days = days };
        union.legacy = legacy.Union(other.legacy);
        return union;
    }

    /// <summary>Drops the days that ended before <paramref name="oldest"/>, then the oldest days while over <see cref="Limit"/>.</summary>
    public AppliedEvents Prune(DateTimeOffset oldest)
    {
        var first = DayOf(oldest);
        var days = Days;
        foreach (var day in Days.Keys)
            if (string.CompareOrdinal(day, first) < 0) days = days.Remove(day);
        var count = days.Values.Sum(d => d.Count);
        foreach (var (day, set) in days)
        {
            if (count <= Limit) break;
            days = days.Remove(day);
            count -= set.Count;
        }
        return days.Count == Days.Count ? this : this with { Days = days };
    }

    private static string DayOf(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

/// <summary>A sorted set of 64-bit event hashes, stored as one base64 string (big-endian, 8 bytes each).</summary>
[JsonConverter(typeof(EventHashSetConverter))]
public sealed class EventHashSet
{
    private readonly ulong[] hashes;

    private EventHashSet(ulong[] sorted) => hashes = sorted;

    public static readonly EventHashSet Empty = new([]);

    public int Count => hashes.Length;

    /// <summary>The first 8 bytes of SHA-256: collisions among a customer's few thousand events are out of reach (~1e-12).</summary>
    public static ulong Hash(string dedupKey)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(dedupKey), digest);
        return BinaryPrimitives.ReadUInt64BigEndian(digest);
    }

    public bool Contains(ulong hash) => Array.BinarySearch(hashes, hash) >= 0;

    public EventHashSet Add(ulong hash)
    {
        var at = Array.BinarySearch(hashes, hash);
        if (at >= 0) return this;
        at = ~at;
        var next = new ulong[hashes.Length + 1];
        Array.Copy(hashes, next, at);
        next[at] = hash;
        Array.Copy(hashes, at, next, at + 1, hashes.Length - at);
        return new EventHashSet(next);
    }

    public EventHashSet Union(EventHashSet other)
    {
        if (other.hashes.Length == 0 || ReferenceEquals(other, this)) return this;
        if (hashes.Length == 0) return other;
        var merged = new ulong[hashes.Length + other.hashes.Length];
        int i = 0, j = 0, n = 0;
        while (i < hashes.Length || j < other.hashes.Length)
        {
            ulong next;
            if (j == other.hashes.Length || (i < hashes.Length && hashes[i] < other.hashes[j])) next = hashes[i++];
            else if (i == hashes.Length || other.hashes[j] < hashes[i]) next = other.hashes[j++];
            else { next = hashes[i++]; j++; }
            merged[n++] = next;
        }
        return n == hashes.Length ? this : new EventHashSet(merged[..n]);
    }

    public string ToBase64()
    {
        var bytes = new byte[hashes.Length * 8];
        for (var i = 0; i < hashes.Length; i++) BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(i * 8), hashes[i]);
        return Convert.ToBase64String(bytes);
    }

    /// <summary>Reads what <see cref="ToBase64"/> wrote; a value that is not a whole number of sorted hashes is refused.</summary>
    public static EventHashSet FromBase64(string text)
    {
        var bytes = Convert.FromBase64String(text);
        if (bytes.Length % 8 != 0) throw new FormatException("An event hash set is a whole number of 8-byte hashes.");
        var hashes = new ulong[bytes.Length / 8];
        for (var i = 0; i < hashes.Length; i++) hashes[i] = BinaryPrimitives.ReadUInt64BigEndian(bytes.AsSpan(i * 8));
        for (var i = 1; i < hashes.Length; i++)
            if (hashes[i - 1] >= hashes[i]) throw new FormatException("An event hash set is sorted and has no duplicates.");
        return new EventHashSet(hashes);
    }
}

public sealed class EventHashSetConverter : JsonConverter<EventHashSet>
{
    public override EventHashSet Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        EventHashSet.FromBase64(reader.GetString() ?? throw new JsonException("An event hash set is a base64 string."));

    public override void Write(Utf8JsonWriter writer, EventHashSet value, JsonSerializerOptions options) => writer.WriteStringValue(value.ToBase64());
}
