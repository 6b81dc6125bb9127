namespace Touchpoints.Core.Rules;

/// <summary>
/// Frequency-cap windows. Calendar windows (day, week from Monday, month) are the customer's local ones, their boundaries at
/// local midnight (DST-correct: a local day may last 23 or 25 hours); a rolling window is any span of its length.
/// </summary>
public static class CapWindows
{
    /// <summary>The first local day of the calendar window that contains <paramref name="at"/>: what identifies the window.</summary>
    public static DateOnly CalendarKey(CapWindowUnit unit, DateTimeOffset at, TimeZoneInfo zone)
    {
        var day = DateOnly.FromDateTime(LocalTime.WallClock(at, zone));
        return unit switch
        {
            CapWindowUnit.Day => day,
            CapWindowUnit.Week => day.AddDays(-(((int)day.DayOfWeek + 6) % 7)),
            CapWindowUnit.Month => new DateOnly(day.Year, day.Month, 1),
            _ => throw new ArgumentOutOfRangeException(nameof(unit), unit, "a rolling window has no calendar key"),
        };
    }

    /// <summary>The calendar window containing <paramref name="at"/>, from one local midnight to the next boundary.</summary>
    public static (DateTimeOffset Start, DateTimeOffset End) CalendarBounds(CapWindowUnit unit, DateTimeOffset at, TimeZoneInfo zone)
    {
        var start = CalendarKey(unit, at, zone);
        var end = unit switch
        {
            CapWindowUnit.Day => start.AddDays(1),
            CapWindowUnit.Week => start.AddDays(7),
            _ => start.AddMonths(1),
        };
        return (LocalTime.FirstInstant(start.ToDateTime(TimeOnly.MinValue), zone), LocalTime.FirstInstant(end.ToDateTime(TimeOnly.MinValue), zone));
    }

    /// <summary>
    /// How many of <paramref name="times"/>, counting one more at <paramref name="at"/>, fall in the fullest window that
    /// contains <paramref name="at"/>: for a calendar window, the one window; for a rolling window of length L, the most in
    /// any half-open span [s, s + L) containing <paramref name="at"/> (which starts at <paramref name="at"/> or at one of the times).
    /// </summary>
    public static int CountWith(CapWindow window, IEnumerable<DateTimeOffset> times, DateTimeOffset at, TimeZoneInfo zone)
    {
        if (window.Unit != CapWindowUnit.Rolling)
        {
            var key = CalendarKey(window.Unit, at, zone);
            return 1 + times.Count(t => CalendarKey(window.Unit, t, zone) == key);
        }
        var span = window.Rolling;
        var near = times.Where(t => t > at - span && t < at + span).ToArray();
        var most = 0;
        foreach (var start in near.Where(t => t <= at).Append(at))
        {
            var count = 1 + near.Count(t => t >= start && t < start + span);
            if (count > most) most = count;
        }
        return most;
    }

    /// <summary>How far back records must be kept for this window to be counted correctly.</summary>
    public static TimeSpan Reach(CapWindow window) => window.Unit switch
    {
        CapWindowUnit.Day => TimeSpan.FromDays(2),
        CapWindowUnit.Week => TimeSpan.FromDays(8),
        CapWindowUnit.Month => TimeSpan.FromDays(32),
        _ => window.Rolling,
    };

    /// <summary>The window in words: "day", "week", "month", or "7 days" for a rolling one.</summary>
    public static string Describe(CapWindow window) => window.Unit == CapWindowUnit.Rolling ? TimeWords.Of(window.Rolling) : window.Unit switch
    {
        CapWindowUnit.Day => "day",
        CapWindowUnit.Week => "week",
        _ => "month",
    };
}

/// <summary>Durations in words for explanations: "7 days", "4 hours", "1.5 hours", "25 minutes" (rounded to a tenth of the largest unit).</summary>
public static class TimeWords
{
    public static string Of(TimeSpan span)
    {
        static string Unit(double n, string unit) => $"{n.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture)} {unit}{(n == 1 ? "" : "s")}";
        if (span >= TimeSpan.FromDays(1)) return Unit(Math.Round(span.TotalDays, 1), "day");
        if (span >= TimeSpan.FromHours(1)) return Unit(Math.Round(span.TotalHours, 1), "hour");
        if (span >= TimeSpan.FromMinutes(1)) return Unit(Math.Round(span.TotalMinutes), "minute");
        return Unit(Math.Round(span.TotalSeconds), "second");
    }
}
