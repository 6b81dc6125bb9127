using Touchpoints.Core.Rules;
using Touchpoints.Functions.Rules;

namespace Touchpoints.Functions.Tests.Rules;

public sealed class RulesUnitTests
{
    private static readonly DateTimeOffset Now = new(2030, 1, 7, 22, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_rule_state_written_before_exact_change_tracking_reads_with_its_watermark_and_empty_lists()
    {
        const string json = """{"id":"state","customerId":"c-old","state":{"customerId":"c-old","lastVersion":7}}""";

        var state = System.Text.Json.JsonSerializer.Deserialize(json, StorageJsonContext.Default.RuleStateDocument)!.State;

        Assert.False(state.Evaluated.IsDefault || state.Sent.IsDefault || state.Armed.IsDefault || state.Pending.IsDefault || state.Decided.IsDefault);
        Assert.NotNull(state.Facts);
        Assert.True(state.HasEvaluated(7));
        Assert.False(state.HasEvaluated(8));
    }

    [Fact]
    public void A_message_due_now_is_visible_at_once_and_lives_until_its_expiry()
    {
        var (visibility, ttl) = CommunicationQueues.Timing(Now, Now.AddHours(6), Now);

        Assert.Equal(TimeSpan.Zero, visibility);
        Assert.Equal(TimeSpan.FromHours(6), ttl);
    }

    [Fact]
    public void Quiet_hours_become_a_visibility_delay_and_the_time_to_live_still_ends_at_the_expiry()
    {
        var (visibility, ttl) = CommunicationQueues.Timing(Now.AddHours(10), Now.AddHours(10).AddDays(1), Now);

        Assert.Equal(TimeSpan.FromHours(10), visibility);
        Assert.Equal(TimeSpan.FromHours(34), ttl);
    }

    [Fact]
    public void Visibility_is_capped_at_seven_days_and_a_message_without_expiry_gets_the_default_life_after_it()
    {
        var (visibility, ttl) = CommunicationQueues.Timing(Now.AddDays(10), null, Now);

        Assert.Equal(TimeSpan.FromDays(7), visibility);
        Assert.Equal(TimeSpan.FromDays(14), ttl);
    }

    [Fact]
    public void Sub_second_delays_round_up_to_whole_seconds()
    {
        var (visibility, ttl) = CommunicationQueues.Timing(Now.AddMilliseconds(1500), Now.AddMilliseconds(2500), Now);

        Assert.Equal(TimeSpan.FromSeconds(2), visibility);
        Assert.Equal(TimeSpan.FromSeconds(3), ttl);
    }

    [Fact]
    public void A_batch_is_grouped_per_customer_with_the_union_of_causes_and_the_highest_version()
    {
        string Change(string id, long version, params string[] causes) =>
            $$"""{"customerId":"{{id}}","version":{{version}},"causes":[{{string.Join(",", causes.Select(c => $"\"{c}\""))}}],"changedAt":"2030-01-07T10:00:00Z"}""";

        var (changes, ignored) = ChangeEvaluator.Group(
        [
            Change("c-1", 3, "web.page"),
            Change("c-2", 1, "crm.ticket.opened"),
            Change("c-1", 5, "web.track.Order Completed", "web.page"),
            Change("c-1", 4, "identity.merged"),
            "{not json",
            Change("", 2, "web.page"),
            """{"version":2,"causes":["web.page"]}""",
            """{"customerId":null,"version":2}""",
            """{"customerId":"   ","version":2}""",
        ]);

        Assert.Equal(5, ignored.Count);
        var c1 = Assert.Single(changes, c => c.CustomerId == "c-1");
        Assert.Equal(5, c1.Version);
        Assert.Equal(["identity.merged", "web.page", "web.track.Order Completed"], c1.Causes);
        Assert.Equal(1, Assert.Single(changes, c => c.CustomerId == "c-2").Version);
    }

    [Fact]
    public void Stats_uplift_compares_conversion_rates_and_flags_small_samples()
    {
        var totals = StatsDay.Of("all", new Dictionary<string, long>
        {
            ["evaluated"] = 2400, ["queued"] = 1800, ["deferred"] = 200, ["heldOut"] = 200, ["suppressed.cooldown"] = 150,
            ["suppressed.consent"] = 50, ["converted.treated"] = 300, ["converted.holdout"] = 20,
        });

        var uplift = StatsUplift.Of(totals);

        Assert.Equal(200, totals.Suppressed);
        Assert.Equal(150, totals.SuppressedBy["cooldown"]);
        Assert.Equal(2000, uplift.Treated);
        Assert.Equal(0.15, uplift.TreatedRate!.Value, 9);
        Assert.Equal(0.10, uplift.HoldoutRate!.Value, 9);
        Assert.Equal(0.05, uplift.Absolute!.Value, 9);
        Assert.Equal(0.5, uplift.Relative!.Value, 9);
        Assert.False(uplift.LowSample);
        Assert.Null(uplift.Caveat);

        var small = StatsUplift.Of(StatsDay.Of("d", new Dictionary<string, long> { ["queued"] = 40, ["heldOut"] = 5, ["converted.treated"] = 4 }));
        Assert.True(small.LowSample);
        Assert.Equal(0, small.HoldoutRate);
        Assert.Null(small.Relative);
        Assert.Contains("low sample", small.Caveat, StringComparison.Ordinal);
    }
}
