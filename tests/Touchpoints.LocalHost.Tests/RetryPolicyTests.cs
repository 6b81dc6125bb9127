using System.Text.Json.Nodes;
using Touchpoints.FunctionsHost.App;

namespace Touchpoints.LocalHost.Tests;

public sealed class RetryPolicyTests
{
    private static RetryPolicy Parse(string json)
    {
        var problems = new List<string>();
        var policy = RetryPolicy.Parse(JsonNode.Parse(json)!.AsObject(), problems.Add);
        Assert.Empty(problems);
        return policy!;
    }

    private static List<TimeSpan> Take(IEnumerator<TimeSpan> delays, int count)
    {
        var result = new List<TimeSpan>();
        for (var i = 0; i < count && delays.MoveNext(); i++) result.Add(delays.Current);
        return result;
    }

    [Fact]
    public void Fixed_delay_waits_the_same_interval_before_every_retry()
    {
        var policy = Parse("""{ "strategy": "fixedDelay", "maxRetryCount": 3, "delayInterval": "00:00:04" }""");

        Assert.Equal(Enumerable.Repeat(TimeSpan.FromSeconds(4), 3), Take(policy.Delays(), 3));
        Assert.True(policy.MayRetry(2));
        Assert.False(policy.MayRetry(3));
    }

    [Fact]
    public void Exponential_backoff_starts_at_the_minimum_and_grows_like_the_host_up_to_the_maximum()
    {
        var policy = Parse("""{ "strategy": "exponentialBackoff", "maxRetryCount": 8, "minimumInterval": "00:00:02", "maximumInterval": "00:05:00" }""");

        var delays = Take(policy.Delays(random: new Random(7)), 10);

        // The WebJobs strategy: min, then min + r·2^(n-1)·min with r in [0.8, 1.2], capped at the maximum.
        Assert.Equal(TimeSpan.FromSeconds(2), delays[0]);
        for (var n = 1; n < delays.Count; n++)
        {
            var low = 2 + (0.8 * Math.Pow(2, n - 1) * 2);
            var high = 2 + (1.2 * Math.Pow(2, n - 1) * 2);
            var seconds = delays[n].TotalSeconds;
            Assert.True(seconds == 300 || (seconds >= low && seconds <= high), $"retry {n + 1}: {seconds}s not in [{low}, {high}] nor the maximum");
        }

        Assert.Equal(TimeSpan.FromMinutes(5), delays[^1]);
        Assert.True(delays.Zip(delays.Skip(1)).All(p => p.First <= p.Second));
    }

    [Fact]
    public void A_scale_shortens_every_delay()
    {
        var policy = Parse("""{ "strategy": "exponentialBackoff", "maxRetryCount": 8, "minimumInterval": "00:00:02", "maximumInterval": "00:05:00" }""");

        var delays = Take(policy.Delays(scale: 0.01, random: new Random(1)), 8);

        Assert.Equal(TimeSpan.FromMilliseconds(20), delays[0]);
        Assert.All(delays, d => Assert.True(d <= TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public void Minus_one_retries_forever()
    {
        var policy = Parse("""{ "strategy": "fixedDelay", "maxRetryCount": -1, "delayInterval": "00:00:01" }""");

        Assert.True(policy.RetriesForever);
        Assert.True(policy.MayRetry(1_000_000));
    }
}
