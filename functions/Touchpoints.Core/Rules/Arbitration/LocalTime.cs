using Touchpoints.Core.Views;

namespace Touchpoints.Core.Rules;

/// <summary>
/// Local wall-clock time of a customer: the time zone (the customer's own, else the document's default), and the instants at
/// which a wall-clock time happens, DST-correct through <see cref="TimeZoneInfo"/>.
/// </summary>
public static class LocalTime
{
    /// <summary>The customer's time zone (<c>traits.timezone</c> when it names a known zone), else <see cref="Policies.DefaultTimezone"/>, else UTC.</summary>
    public static TimeZoneInfo ZoneOf(CustomerView view, Policies policies)
    {
        if (view.Traits.Timezone?.Value is { Length: > 0 } id && TimeZoneInfo.TryFindSystemTimeZoneById(id, out var own)) return own;
        return TimeZoneInfo.TryFindSystemTimeZoneById(policies.DefaultTimezone, out var fallback) ? fallback : TimeZoneInfo.Utc;
    }

    /// <summary>The id of the zone <see cref="ZoneOf"/> picks, as messages carry it.</summary>
    public static string ZoneIdOf(CustomerView view, Policies policies) => ZoneOf(view, policies).Id;

    /// <summary>The wall-clock time in <paramref name="zone"/> at <paramref name="at"/>.</summary>
    public static DateTime WallClock(DateTimeOffset at, TimeZoneInfo zone) =>
        DateTime.SpecifyKind(TimeZoneInfo.ConvertTime(at, zone).DateTime, DateTimeKind.Unspecified);

    /// <summary>
    /// The instants at which the wall clock of <paramref name="zone"/> reads <paramref name="local"/>, earliest first: one
    /// usually, two in the hour the clocks go back. A time the clocks skip (the hour they go forward) is shifted forward by the
    /// gap, e.g. 01:30 in London on the last Sunday of March is 02:30 BST.
    /// </summary>
    public static IReadOnlyList<DateTimeOffset> Instants(DateTime local, TimeZoneInfo zone)
    {
        local = DateTime.SpecifyKind(local, DateTimeKind.Unspecified);
        if (zone.IsAmbiguousTime(local))
            return [.. zone.GetAmbiguousTimeOffsets(local).Distinct().OrderByDescending(o => o).Select(o => new DateTimeOffset(local, o))];
        if (zone.IsInvalidTime(local))
        {
            // The offset in force just before the gap (a day earlier, far from any other transition) puts the time past it.
            var before = zone.GetUtcOffset(new DateTimeOffset(local, TimeSpan.Zero).AddDays(-1));
            return [new DateTimeOffset(local, before)];
        }
        return [new DateTimeOffset(local, zone.GetUtcOffset(local))];
    }

    /// <summary>The first instant at which the wall clock reads <paramref name="local"/>.</summary>
    public static DateTimeOffset FirstInstant(DateTime local, TimeZoneInfo zone) => Instants(local, zone)[0];
}
