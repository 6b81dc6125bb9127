using System.Globalization;
using NCrontab;

namespace Touchpoints.FunctionsHost.App;

/// <summary>
/// A timer trigger's <c>schedule</c>: a six-field NCRONTAB expression (<c>{second} {minute} {hour} {day} {month} {day-of-week}</c>),
/// evaluated in the host's time zone as the Functions host does, or a constant interval (<c>hh:mm:ss</c>, which the host
/// accepts outside the Consumption plans).
/// </summary>
public sealed class TimerSchedule
{
    private readonly CrontabSchedule? cron;
    private readonly TimeSpan? interval;
    private readonly TimeZoneInfo timeZone;

    private TimerSchedule(string expression, CrontabSchedule? cron, TimeSpan? interval, TimeZoneInfo timeZone)
    {
        Expression = expression;
        this.cron = cron;
        this.interval = interval;
        this.timeZone = timeZone;
    }

    public string Expression { get; }

    /// <exception cref="FormatException">Not a six-field NCRONTAB expression nor a positive interval.</exception>
    public static TimerSchedule Parse(string expression, TimeZoneInfo? timeZone = null)
    {
        timeZone ??= TimeZoneInfo.Local;
        var text = expression.Trim();
        var fields = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (fields.Length == 6)
        {
            var cron = CrontabSchedule.TryParse(text, new CrontabSchedule.ParseOptions { IncludingSeconds = true });
            if (cron is not null) return new TimerSchedule(text, cron, null, timeZone);
        }
        else if (fields.Length == 1 && TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var every) && every > TimeSpan.Zero)
        {
            return new TimerSchedule(text, null, every, timeZone);
        }

        throw new FormatException(
            $"\"{expression}\" is not a six-field NCRONTAB expression ({{second}} {{minute}} {{hour}} {{day}} {{month}} {{day-of-week}}, e.g. \"0 */5 * * * *\") nor an interval (\"00:05:00\")");
    }

    /// <summary>The first occurrence strictly after <paramref name="after"/>.</summary>
    public DateTimeOffset NextAfter(DateTimeOffset after)
    {
        if (interval is { } every) return after + every;
        var local = TimeZoneInfo.ConvertTime(after, timeZone);
        var next = cron!.GetNextOccurrence(local.DateTime);
        return new DateTimeOffset(next, timeZone.GetUtcOffset(next));
    }
}
