using Touchpoints.Core.Views;

namespace Touchpoints.Core.Rules;

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
