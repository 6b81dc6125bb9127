using System.Globalization;
using Touchpoints.Core.Identity;

namespace Touchpoints.Core.Rules;

/// <summary>
/// How wake-ups are bucketed (container <c>wakeups</c>, partition key <c>/bucket</c>): by due minute and shard, e.g.
/// <c>2026-11-22T10:15|3</c>, so the timer reads only the buckets that came due, each with a single-partition query, and its
/// cost follows what is due, never the number of customers. The shard (a hash of the customer id) spreads one busy minute
/// over <see cref="Shards"/> partitions.
/// </summary>
public static class WakeUpBuckets
{
    public const int Shards = 8;

    /// <summary>
    /// A wake-up due within this of the time it is written goes to a later bucket, so that it never lands in a bucket the
    /// timer has already read; the timer also reads its last bucket once more.
    /// </summary>
    public static readonly TimeSpan Margin = TimeSpan.FromSeconds(15);

    private const string MinuteFormat = "yyyy-MM-dd'T'HH:mm";

    public static DateTimeOffset Minute(DateTimeOffset t) => new(t.UtcTicks - t.UtcTicks % TimeSpan.TicksPerMinute, TimeSpan.Zero);

    /// <summary>The minute part of a bucket name (<c>2026-11-22T10:15</c>), also how the timer's cursor names its last minute.</summary>
    public static string MinuteName(DateTimeOffset minute) => Minute(minute).ToString(MinuteFormat, CultureInfo.InvariantCulture);

    public static string Bucket(DateTimeOffset minute, int shard) => MinuteName(minute) + "|" + shard.ToString(CultureInfo.InvariantCulture);

    /// <summary>The buckets of one minute, one per shard.</summary>
    public static IEnumerable<string> BucketsOf(DateTimeOffset minute) => Enumerable.Range(0, Shards).Select(s => Bucket(minute, s));

    public static DateTimeOffset? ParseMinute(string? bucket) =>
        bucket is not null && DateTimeOffset.TryParseExact(bucket.Split('|')[0], MinuteFormat, CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;

    /// <summary>A stable shard per customer (FNV-1a), so one customer's wake-ups of a minute share a partition.</summary>
    public static int ShardOf(CustomerId customerId)
    {
        var hash = 2166136261u;
        foreach (var c in customerId.Value)
        {
            hash ^= c;
            hash *= 16777619u;
        }
        return (int)(hash % Shards);
    }

    /// <summary>The minute whose bucket a wake-up due at <paramref name="dueAt"/>, written at <paramref name="now"/>, goes to.</summary>
    public static DateTimeOffset MinuteFor(DateTimeOffset dueAt, DateTimeOffset now) => Minute(dueAt > now + Margin ? dueAt : now + Margin);
}
