using System.Collections.Immutable;
using Touchpoints.Core.Views;

namespace Touchpoints.Core.Rules;

/// <summary>
/// Scores that age. Intent, engagement, monetary value and influence decay with time since the customer last acted
/// (<see cref="Scoring"/>), so a customer who stays quiet drifts out of a segment such as <c>high-value</c> without any event
/// to notice it. Ageing finds, from the view alone, when that next happens, so the rules can arm a wake-up for that moment
/// (the scheduler's cost follows what is due, never the number of customers); when it is due, the view is scored again
/// and rewritten with the causes <see cref="Cause"/> and <c>segment.left:{id}</c> / <c>segment.entered:{id}</c>, which rules
/// trigger on like any change.
/// <para>
/// Segment conditions are arbitrary, so the moment is searched rather than solved: the segments are computed at probe times
/// (<see cref="Probes"/>: hours at first, then days, then weeks, up to <see cref="Horizon"/>), and the first interval
/// whose end differs is halved down to <see cref="Resolution"/>. A change that begins and ends between two probes is
/// missed (none can, with scores that only fall); beyond the horizon every signal has fallen to under 2%.
/// </para>
/// </summary>
public static class Ageing
{
    /// <summary>The cause of a view written because its scores aged (with the segment causes it brought).</summary>
    public const string Cause = "scores.aged";

    /// <summary>The id of the armed schedule that wakes a customer up when ageing changes its segments; no rule id holds '#'.</summary>
    public const string ScheduleId = "#ageing";

    public static readonly TimeSpan Horizon = TimeSpan.FromDays(182);

    public static readonly TimeSpan Resolution = TimeSpan.FromMinutes(15);

    /// <summary>
    /// When a rescore that was due could not be confirmed written (the writer died, or found nothing to write), the customer
    /// is looked at again after this, rather than never.
    /// </summary>
    public static readonly TimeSpan Retry = TimeSpan.FromHours(1);

    /// <summary>Offsets from now at which the segments are computed: 49 probes over 26 weeks.</summary>
    public static readonly ImmutableArray<TimeSpan> Probes =
    [
        .. new[] { 1, 2, 4, 8, 16 }.Select(h => TimeSpan.FromHours(h)),
        .. Enumerable.Range(1, 14).Select(d => TimeSpan.FromDays(d)),
        .. Enumerable.Range(8, 8).Select(d => TimeSpan.FromDays(2 * d)),
        .. Enumerable.Range(5, 22).Select(w => TimeSpan.FromDays(7 * w)),
    ];

    /// <summary>The segments the view would be in at <paramref name="at"/> if nothing else happened until then.</summary>
    public static ImmutableArray<string> SegmentsAt(CustomerView view, CompiledRules rules, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(rules);
        return Segmentation.Of(view with { Scores = Scoring.Compute(view, rules.Document.Scores, at, withReasons: false) }, rules, at);
    }

    /// <summary>
    /// When the view's segments (as stored) will next differ from what its scores and facts give if the customer stays
    /// quiet: <paramref name="now"/> when they differ already (the view was written long ago, or under other rules), null
    /// when not within <see cref="Horizon"/> (or the document has no segments, or the view is a tombstone).
    /// </summary>
    public static DateTimeOffset? NextChange(CustomerView view, CompiledRules rules, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(rules);
        if (rules.Segments.IsEmpty || view.IsTombstone) return null;
        var stored = view.Segments.IsDefault ? [] : view.Segments;
        bool Same(DateTimeOffset at) => SegmentsAt(view, rules, at).SequenceEqual(stored, StringComparer.Ordinal);
        if (!Same(now)) return now;
        var before = now;
        foreach (var probe in Probes)
        {
            var at = now + probe;
            if (!Same(at))
            {
                // Same at 'before', different at 'at': halve down to the resolution.
                while (at - before > Resolution)
                {
                    var middle = before + (at - before) / 2;
                    if (Same(middle)) before = middle;
                    else at = middle;
                }
                return at;
            }
            before = at;
        }
        return null;
    }
}
