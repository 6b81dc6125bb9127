using Touchpoints.FunctionsHost.App;

namespace Touchpoints.LocalHost.Tests;

public sealed class TimerScheduleTests
{
    private static readonly DateTimeOffset At = new(2025, 3, 10, 8, 59, 58, TimeSpan.Zero);

    [Theory]
    [InlineData("*/5 * * * * *", "2025-03-10T09:00:00Z")]
    [InlineData("0 */5 * * * *", "2025-03-10T09:00:00Z")]
    [InlineData("0 30 9 * * *", "2025-03-10T09:30:00Z")]
    [InlineData("0 0 0 * * Sun", "2025-03-16T00:00:00Z")]
    [InlineData("0 0 12 1 * *", "2025-04-01T12:00:00Z")]
    [InlineData("00:00:10", "2025-03-10T09:00:08Z")]
    public void The_next_occurrence_follows_the_six_field_schedule(string expression, string expected)
    {
        var schedule = TimerSchedule.Parse(expression, TimeZoneInfo.Utc);

        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), schedule.NextAfter(At));
    }

    [Fact]
    public void Occurrences_are_computed_in_the_host_time_zone()
    {
        var zone = TimeZoneInfo.CreateCustomTimeZone("plus2", TimeSpan.FromHours(2), "plus2", "plus2");

        var next = TimerSchedule.Parse("0 0 9 * * *", zone).NextAfter(At);

        Assert.Equal(new DateTimeOffset(2025, 3, 11, 7, 0, 0, TimeSpan.Zero), next.ToUniversalTime());
    }

    [Theory]
    [InlineData("0 * * * *")]
    [InlineData("* * * * * * *")]
    [InlineData("61 * * * * *")]
    [InlineData("every minute")]
    [InlineData("")]
    public void Anything_but_six_fields_or_an_interval_is_refused(string expression) =>
        Assert.Throws<FormatException>(() => TimerSchedule.Parse(expression));
}
