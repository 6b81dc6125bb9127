using Touchpoints.Core.Rules;
using static Touchpoints.Core.Tests.Rules.Arbitration.Given;

namespace Touchpoints.Core.Tests.Rules.Arbitration;

/// <summary>Quiet hours and cap windows in the customer's time zone, across DST changes.</summary>
public class LocalTimeTests
{
    private static readonly QuietHours Night = new(new TimeOnly(21, 0), new TimeOnly(8, 0), [Channel.Sms, Channel.Push]);

    private static TimeZoneInfo Zone(string id) => TimeZoneInfo.FindSystemTimeZoneById(id);

    private static DateTimeOffset Utc(int year, int month, int day, int hour, int minute = 0) => new(year, month, day, hour, minute, 0, TimeSpan.Zero);

    [Theory]
    // London, the night the clocks go forward (Sun 30 March 2025, 01:00 GMT → 02:00 BST): 22:00 GMT → 08:00 BST = 07:00 UTC.
    [InlineData("Europe/London", "2025-03-29T22:00:00Z", "2025-03-30T07:00:00Z")]
    // London, the night the clocks go back (Sun 26 October 2025, 02:00 BST → 01:00 GMT): 22:30 BST → 08:00 GMT = 08:00 UTC.
    [InlineData("Europe/London", "2025-10-25T21:30:00Z", "2025-10-26T08:00:00Z")]
    // After midnight, inside the window: 05:00 GMT → 08:00 GMT the same day.
    [InlineData("Europe/London", "2025-03-04T05:00:00Z", "2025-03-04T08:00:00Z")]
    // New York, the night DST starts (Sun 9 March 2025): 22:00 EST → 08:00 EDT = 12:00 UTC.
    [InlineData("America/New_York", "2025-03-09T03:00:00Z", "2025-03-09T12:00:00Z")]
    // New York, the night DST ends (Sun 2 November 2025): 23:00 EDT → 08:00 EST = 13:00 UTC.
    [InlineData("America/New_York", "2025-11-02T03:00:00Z", "2025-11-02T13:00:00Z")]
    // Tokyo (no DST): 22:00 JST → 08:00 JST = 23:00 UTC.
    [InlineData("Asia/Tokyo", "2025-03-03T13:00:00Z", "2025-03-03T23:00:00Z")]
    // Exactly at the start is inside; exactly at the end is outside.
    [InlineData("Asia/Tokyo", "2025-03-03T12:00:00Z", "2025-03-03T23:00:00Z")]
    public void Quiet_hours_crossing_midnight_end_at_the_local_end_in_utc(string zone, string at, string until)
    {
        var end = QuietHoursClock.QuietUntil(Night, Channel.Sms, DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture), Zone(zone));

        Assert.Equal(DateTimeOffset.Parse(until, System.Globalization.CultureInfo.InvariantCulture), end);
    }

    [Theory]
    [InlineData("Europe/London", "2025-03-03T08:00:00Z")]
    [InlineData("Europe/London", "2025-03-03T20:59:00Z")]
    [InlineData("Asia/Tokyo", "2025-03-03T00:00:00Z")]
    [InlineData("America/New_York", "2025-07-01T00:59:00Z")]
    public void Outside_the_quiet_window_delivery_is_immediate(string zone, string at)
    {
        var instant = DateTimeOffset.Parse(at, System.Globalization.CultureInfo.InvariantCulture);

        Assert.Null(QuietHoursClock.QuietUntil(Night, Channel.Sms, instant, Zone(zone)));
        Assert.Equal(instant, QuietHoursClock.DeliverAt(Night, Channel.Sms, instant, Zone(zone)));
    }

    [Fact]
    public void Quiet_hours_apply_only_to_their_channels()
    {
        Assert.Null(QuietHoursClock.QuietUntil(Night, Channel.Email, Utc(2025, 3, 3, 23), Zone("Europe/London")));
        Assert.Null(QuietHoursClock.QuietUntil(null, Channel.Sms, Utc(2025, 3, 3, 23), Zone("Europe/London")));
    }

    [Fact]
    public void A_daytime_window_holds_only_between_start_and_end()
    {
        var lunch = new QuietHours(new TimeOnly(12, 0), new TimeOnly(14, 0), [Channel.Phone]);
        var tokyo = Zone("Asia/Tokyo");

        Assert.Equal(Utc(2025, 3, 3, 5), QuietHoursClock.QuietUntil(lunch, Channel.Phone, Utc(2025, 3, 3, 3, 30), tokyo));
        Assert.Null(QuietHoursClock.QuietUntil(lunch, Channel.Phone, Utc(2025, 3, 3, 5), tokyo));
        Assert.Null(QuietHoursClock.QuietUntil(lunch, Channel.Phone, Utc(2025, 3, 3, 13), tokyo));
    }

    [Fact]
    public void A_window_ending_in_the_skipped_hour_ends_as_if_the_clock_had_not_jumped()
    {
        // 22:00–01:30 in London: on 30 March 2025 01:30 does not exist; 01:30 GMT (= 02:30 BST) ends the window.
        var quiet = new QuietHours(new TimeOnly(22, 0), new TimeOnly(1, 30), [Channel.Sms]);

        var end = QuietHoursClock.QuietUntil(quiet, Channel.Sms, Utc(2025, 3, 29, 23), Zone("Europe/London"));

        Assert.Equal(Utc(2025, 3, 30, 1, 30), end);
        Assert.Equal(new DateTimeOffset(2025, 3, 30, 2, 30, 0, TimeSpan.FromHours(1)), end);
    }

    [Fact]
    public void A_window_ending_in_the_repeated_hour_ends_at_the_first_end_after_the_decision()
    {
        // 22:00–01:30 in London on 26 October 2025: 01:30 happens at 00:30 UTC (BST) and again at 01:30 UTC (GMT).
        var quiet = new QuietHours(new TimeOnly(22, 0), new TimeOnly(1, 30), [Channel.Sms]);
        var london = Zone("Europe/London");

        Assert.Equal(Utc(2025, 10, 26, 0, 30), QuietHoursClock.QuietUntil(quiet, Channel.Sms, Utc(2025, 10, 25, 22), london));
        // 01:10 GMT, the second time the clock reads 01:10: still before 01:30 local, which now comes at 01:30 UTC.
        Assert.Equal(Utc(2025, 10, 26, 1, 30), QuietHoursClock.QuietUntil(quiet, Channel.Sms, Utc(2025, 10, 26, 1, 10), london));
    }

    [Fact]
    public void Local_times_resolve_gaps_forward_and_ambiguities_to_both_instants()
    {
        var london = Zone("Europe/London");

        Assert.Equal([Utc(2025, 3, 30, 1, 30)], LocalTime.Instants(new DateTime(2025, 3, 30, 1, 30, 0), london));
        Assert.Equal([Utc(2025, 10, 26, 0, 30), Utc(2025, 10, 26, 1, 30)], LocalTime.Instants(new DateTime(2025, 10, 26, 1, 30, 0), london));
        Assert.Equal([Utc(2025, 7, 1, 11)], LocalTime.Instants(new DateTime(2025, 7, 1, 12, 0, 0), london));
    }

    [Fact]
    public void The_customers_own_time_zone_wins_and_an_unknown_one_falls_back_to_the_default()
    {
        var rules = Doc(Marketing("r", channel: "push"), quiet: """{ "start": "21:00", "end": "08:00" }""");
        var at = Utc(2025, 3, 3, 13);

        var tokyo = Change(rules, Ann().InZone("Asia/Tokyo"), now: at);
        var unknown = Change(rules, Ann().InZone("Mars/Olympus_Mons"), now: at);

        Assert.Equal(Utc(2025, 3, 3, 23), tokyo.Only("r").NotBefore);
        Assert.Equal("Asia/Tokyo", Assert.Single(tokyo.Communications).Recipient.Timezone);
        Assert.Equal(DecisionOutcome.Queued, unknown.Only("r").Outcome);
        Assert.Equal("Europe/London", Assert.Single(unknown.Communications).Recipient.Timezone);
    }

    [Theory]
    [InlineData("2025-03-30", 23)]
    [InlineData("2025-10-26", 25)]
    [InlineData("2025-03-03", 24)]
    public void A_local_day_lasts_from_midnight_to_midnight_through_dst(string day, int hours)
    {
        var date = DateOnly.Parse(day, System.Globalization.CultureInfo.InvariantCulture);
        var noon = LocalTime.FirstInstant(date.ToDateTime(new TimeOnly(12, 0)), Zone("Europe/London"));

        var (start, end) = CapWindows.CalendarBounds(CapWindowUnit.Day, noon, Zone("Europe/London"));

        Assert.Equal(TimeSpan.FromHours(hours), end - start);
        Assert.Equal(TimeSpan.Zero, LocalTime.WallClock(start, Zone("Europe/London")).TimeOfDay);
    }

    [Fact]
    public void A_week_starts_on_local_monday_midnight_even_across_the_change_to_summer_time()
    {
        var london = Zone("Europe/London");
        // Sunday 30 March 2025 23:30 BST is 22:30 UTC: still the week of Monday 24 March.
        Assert.Equal(new DateOnly(2025, 3, 24), CapWindows.CalendarKey(CapWindowUnit.Week, Utc(2025, 3, 30, 22, 30), london));
        // 23:30 UTC is Monday 00:30 BST: a new week.
        Assert.Equal(new DateOnly(2025, 3, 31), CapWindows.CalendarKey(CapWindowUnit.Week, Utc(2025, 3, 30, 23, 30), london));
        var (start, end) = CapWindows.CalendarBounds(CapWindowUnit.Week, Utc(2025, 3, 27, 12), london);
        Assert.Equal((Utc(2025, 3, 24, 0), Utc(2025, 3, 30, 23)), (start, end));
    }

    [Fact]
    public void A_month_is_the_local_calendar_month()
    {
        var tokyo = Zone("Asia/Tokyo");

        Assert.Equal(new DateOnly(2025, 4, 1), CapWindows.CalendarKey(CapWindowUnit.Month, Utc(2025, 3, 31, 15, 30), tokyo));
        Assert.Equal(new DateOnly(2025, 3, 1), CapWindows.CalendarKey(CapWindowUnit.Month, Utc(2025, 3, 31, 14, 30), tokyo));
    }

    [Fact]
    public void A_weekly_email_cap_counts_the_customers_local_week()
    {
        var rules = Doc(Marketing("r"), caps: """[{ "channel": "email", "max": 2, "per": "week" }]""");
        var state = Fresh(Ann()).WithSent(Sent("a", Utc(2025, 3, 24, 10)), Sent("b", Utc(2025, 3, 25, 10)));

        var sunday = Change(rules, Ann(), state, Utc(2025, 3, 30, 22, 30));
        var monday = Change(rules, Ann(), state, Utc(2025, 3, 30, 23, 30));

        Assert.Equal("2 per week on email already", sunday.Only("r").Explanation);
        Assert.Equal(DecisionOutcome.Queued, monday.Only("r").Outcome);
    }

    [Fact]
    public void A_daily_cap_follows_the_customers_midnight_not_utcs()
    {
        var rules = Doc(Marketing("r", channel: "push"), caps: """[{ "channel": "push", "max": 1, "per": "day" }]""");
        // 23:30 JST on 3 March; the next at 00:30 JST on 4 March: two days in Tokyo, one day in London.
        var state = Fresh(Ann()).WithSent(Sent("a", Utc(2025, 3, 3, 14, 30), Channel.Push));

        var tokyo = Change(rules, Ann().InZone("Asia/Tokyo"), state, Utc(2025, 3, 3, 15, 30));
        var london = Change(rules, Ann().InZone("Europe/London"), state, Utc(2025, 3, 3, 15, 30));

        Assert.Equal(DecisionOutcome.Queued, tokyo.Only("r").Outcome);
        Assert.Equal("1 per day on push already", london.Only("r").Explanation);
    }

    [Fact]
    public void A_rolling_cap_counts_any_span_of_its_length_including_what_is_scheduled()
    {
        var window = new CapWindow(CapWindowUnit.Rolling, TimeSpan.FromDays(1));
        var utc = TimeZoneInfo.Utc;
        var at = Utc(2025, 3, 3, 12);

        Assert.Equal(2, CapWindows.CountWith(window, [at.AddHours(-23)], at, utc));
        Assert.Equal(1, CapWindows.CountWith(window, [at.AddHours(-24)], at, utc));
        Assert.Equal(2, CapWindows.CountWith(window, [at.AddHours(20)], at, utc));
        // Two neighbours on either side, 30 hours apart: no single day holds all three.
        Assert.Equal(2, CapWindows.CountWith(window, [at.AddHours(-15), at.AddHours(15)], at, utc));
        Assert.Equal(3, CapWindows.CountWith(window, [at.AddHours(-10), at.AddHours(10)], at, utc));
    }

    [Fact]
    public void A_deferred_delivery_counts_in_the_window_of_its_delivery_time()
    {
        var rules = Doc($$"""{{Marketing("first", channel: "sms", priority: 60)}}, {{Marketing("second", channel: "sms", priority: 50)}}""",
            caps: """[{ "channel": "sms", "max": 1, "per": "day" }]""", quiet: """{ "start": "21:00", "end": "08:00" }""");
        var view = Ann().WithConsent(Touchpoints.Core.Events.ConsentChannel.Sms, Touchpoints.Core.Events.ConsentStatus.Granted);
        // 22:00 on Monday: one sms today already, but delivery moves to Tuesday 08:00, a new day with room for one.
        var state = Fresh(view).WithSent(Sent("earlier", Utc(2025, 3, 3, 10), Channel.Sms));

        var result = Change(rules, view, state, Utc(2025, 3, 3, 22));

        Assert.Equal(DecisionOutcome.Deferred, result.Only("first").Outcome);
        Assert.Equal(Utc(2025, 3, 4, 8), result.Only("first").NotBefore);
        Assert.Equal("1 per day on sms already", result.Only("second").Explanation);
    }

    [Fact]
    public void Words_for_durations()
    {
        Assert.Equal("7 days", TimeWords.Of(TimeSpan.FromDays(7)));
        Assert.Equal("1 hour", TimeWords.Of(TimeSpan.FromHours(1)));
        Assert.Equal("1.5 hours", TimeWords.Of(TimeSpan.FromMinutes(90)));
        Assert.Equal("25 minutes", TimeWords.Of(TimeSpan.FromSeconds(1510)));
        Assert.Equal("2.3 days", TimeWords.Of(TimeSpan.FromHours(55)));
        Assert.Equal("1 day", TimeWords.Of(TimeSpan.FromHours(24)));
    }
}
