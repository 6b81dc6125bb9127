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

/// <summary>Quiet hours: when a delivery falls inside the local quiet window, it waits for the window's end.</summary>
public static class QuietHoursClock
{
    /// <summary>
    /// The instant the quiet window around <paramref name="at"/> ends, or null when <paramref name="at"/> is not inside one for
    /// <paramref name="channel"/>. Windows may cross midnight (21:00–08:00); start is inside, end is not.
    /// </summary>
    public static DateTimeOffset? QuietUntil(QuietHours? quiet, Channel channel, DateTimeOffset at, TimeZoneInfo zone)
    {
        if (quiet is null || !quiet.Channels.Contains(channel)) return null;
        var local = LocalTime.WallClock(at, zone);
        var time = TimeOnly.FromDateTime(local);
        var date = DateOnly.FromDateTime(local);
        DateOnly endDate;
        if (quiet.Start < quiet.End)
        {
            if (time < quiet.Start || time >= quiet.End) return null;
            endDate = date;
        }
        else if (time >= quiet.Start) endDate = date.AddDays(1);
        else if (time < quiet.End) endDate = date;
        else return null;
        // In the hour the clocks go back, the end's wall-clock time may happen twice: the first after 'at' ends the window.
        foreach (var end in LocalTime.Instants(endDate.ToDateTime(quiet.End), zone))
            if (end > at) return end;
        return null;
    }

    /// <summary>When a communication on <paramref name="channel"/> decided at <paramref name="at"/> may be delivered.</summary>
    public static DateTimeOffset DeliverAt(QuietHours? quiet, Channel channel, DateTimeOffset at, TimeZoneInfo zone) =>
        QuietUntil(quiet, channel, at, zone) ?? at;
}
