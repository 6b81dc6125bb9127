namespace Touchpoints.Core.Rules;

/// <summary>
/// The names of the per-rule, per-day counters the arbiter increments (<see cref="StatIncrement.Counter"/>) and the
/// statistics read back: one source, so that what is counted and what is reported cannot drift apart.
/// </summary>
public static class StatCounter
{
    public const string Evaluated = "evaluated";
    public const string Queued = "queued";
    public const string Deferred = "deferred";
    public const string HeldOut = "heldOut";
    /// <summary>A schedule whose audience or conditions no longer held when it came due.</summary>
    public const string NotHolding = "notHolding";
    /// <summary>A sales owner alerted in place of a marketing message held back for him.</summary>
    public const string OwnerAlerted = "ownerAlerted";
    public const string ConvertedTreated = "converted.treated";
    public const string ConvertedHoldout = "converted.holdout";
    public const string SuppressedPrefix = "suppressed.";
    /// <summary>At delivery: sent to a destination; failed for good (on the poison queue); dropped by the send-time guard, per reason.</summary>
    public const string Delivered = "delivered";
    public const string DeliveryFailed = "deliveryFailed";
    public const string DroppedPrefix = "dropped.";

    public static string Suppressed(SuppressionReason reason) => SuppressedPrefix + Facts.Name(reason);

    public static string Dropped(DropReason reason) => DroppedPrefix + Facts.Name(reason);

    public static string Converted(bool treated) => treated ? ConvertedTreated : ConvertedHoldout;
}

/// <summary>One period's counters of one rule, read back by name (<see cref="StatCounter"/>).</summary>
public sealed record StatsDay(string Day, long Evaluated, long Queued, long Deferred, long Suppressed, IReadOnlyDictionary<string, long> SuppressedBy,
    long HeldOut, long Converted, long ConvertedTreated, long ConvertedHoldout, IReadOnlyDictionary<string, long> Counters,
    long Delivered = 0, long Dropped = 0, IReadOnlyDictionary<string, long>? DroppedBy = null, long DeliveryFailed = 0)
{
    public static StatsDay Of(string day, IReadOnlyDictionary<string, long> counters)
    {
        ArgumentNullException.ThrowIfNull(counters);
        long Get(string name) => counters.TryGetValue(name, out var v) ? v : 0;
        var suppressed = counters.Where(c => c.Key.StartsWith(StatCounter.SuppressedPrefix, StringComparison.Ordinal))
            .OrderBy(c => c.Key, StringComparer.Ordinal).ToDictionary(c => c.Key[StatCounter.SuppressedPrefix.Length..], c => c.Value);
        var dropped = counters.Where(c => c.Key.StartsWith(StatCounter.DroppedPrefix, StringComparison.Ordinal))
            .OrderBy(c => c.Key, StringComparer.Ordinal).ToDictionary(c => c.Key[StatCounter.DroppedPrefix.Length..], c => c.Value);
        return new StatsDay(day, Get(StatCounter.Evaluated), Get(StatCounter.Queued), Get(StatCounter.Deferred), suppressed.Values.Sum(), suppressed,
            Get(StatCounter.HeldOut), Get(StatCounter.ConvertedTreated) + Get(StatCounter.ConvertedHoldout), Get(StatCounter.ConvertedTreated),
            Get(StatCounter.ConvertedHoldout), counters.OrderBy(c => c.Key, StringComparer.Ordinal).ToDictionary(c => c.Key, c => c.Value),
            Get(StatCounter.Delivered), dropped.Values.Sum(), dropped, Get(StatCounter.DeliveryFailed));
    }
}

/// <summary>
/// Conversion rate of the treated (queued or deferred) against the held out, and the difference: absolute (percentage
/// points, as a fraction) and relative (to the hold-out's rate), with a caveat when the sample is too small to mean much.
/// </summary>
public sealed record StatsUplift(
    long Treated, long TreatedConverted, double? TreatedRate, long Holdout, long HoldoutConverted, double? HoldoutRate,
    double? Absolute, double? Relative, bool LowSample, string? Caveat)
{
    /// <summary>Fewer treated or held-out customers than this (or fewer conversions), and the uplift is reported as unreliable.</summary>
    public const int MinGroup = 100;
    public const int MinConversions = 10;

    public static StatsUplift Of(StatsDay totals)
    {
        ArgumentNullException.ThrowIfNull(totals);
        var treated = totals.Queued + totals.Deferred;
        var holdout = totals.HeldOut;
        double? Rate(long converted, long of) => of == 0 ? null : Math.Min(1.0, (double)converted / of);
        var treatedRate = Rate(totals.ConvertedTreated, treated);
        var holdoutRate = Rate(totals.ConvertedHoldout, holdout);
        double? absolute = treatedRate is { } t && holdoutRate is { } h ? t - h : null;
        double? relative = absolute is { } a && holdoutRate is > 0 ? a / holdoutRate.Value : null;
        var low = treated < MinGroup || holdout < MinGroup || totals.ConvertedTreated + totals.ConvertedHoldout < MinConversions;
        var caveat = low
            ? $"low sample: {treated} treated and {holdout} held out with {totals.Converted} conversions; below {MinGroup} per group (or {MinConversions} conversions) the uplift is noise, not a result"
            : null;
        if (holdout == 0) caveat = "no hold-out in this period: the rule has no holdout percentage, or none was held out, so there is nothing to compare with";
        return new StatsUplift(treated, totals.ConvertedTreated, treatedRate, holdout, totals.ConvertedHoldout, holdoutRate, absolute, relative, low, caveat);
    }
}
