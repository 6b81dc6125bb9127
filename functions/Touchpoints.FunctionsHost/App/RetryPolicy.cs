using System.Text.Json.Nodes;

namespace Touchpoints.FunctionsHost.App;

public enum RetryStrategy
{
    FixedDelay,
    ExponentialBackoff,
}

/// <summary>
/// A function.json <c>retry</c> policy. The host replays a failed invocation up to <see cref="MaxRetryCount"/> times
/// (-1: forever) and, for Event Hubs, holds the checkpoint back until the retries end.
/// </summary>
public sealed record RetryPolicy(RetryStrategy Strategy, int MaxRetryCount, TimeSpan DelayInterval, TimeSpan MinimumInterval, TimeSpan MaximumInterval)
{
    /// <summary>The host's randomisation of each exponential step (WebJobs <c>RandomizedExponentialBackoffStrategy</c>).</summary>
    public const double RandomizationFactor = 0.2;

    public bool RetriesForever => MaxRetryCount == -1;

    /// <summary>Whether an invocation that has already been retried <paramref name="retryCount"/> times may be retried again.</summary>
    public bool MayRetry(int retryCount) => RetriesForever || retryCount < MaxRetryCount;

    /// <summary>The delays of one invocation's retries, in order; each call starts a new sequence.</summary>
    /// <param name="scale">Multiplies every delay (a local override to shorten the policy for tests).</param>
    public IEnumerator<TimeSpan> Delays(double scale = 1.0, Random? random = null)
    {
        if (Strategy == RetryStrategy.FixedDelay)
        {
            while (true) yield return Scale(DelayInterval, scale);
        }

        // As the WebJobs SDK: the first retry waits the minimum; each next one adds a randomised 2^(n-1) × minimum,
        // until the maximum is reached, which then holds.
        random ??= Random.Shared;
        var current = TimeSpan.Zero;
        var exponent = 0;
        while (true)
        {
            if (current != MaximumInterval)
            {
                var next = MinimumInterval;
                if (exponent > 0)
                {
                    var factor = 1.0 - RandomizationFactor + (random.NextDouble() * 2 * RandomizationFactor);
                    next += TimeSpan.FromMilliseconds(factor * Math.Pow(2.0, exponent - 1) * MinimumInterval.TotalMilliseconds);
                }

                if (next < MaximumInterval)
                {
                    current = next;
                    exponent++;
                }
                else
                {
                    current = MaximumInterval;
                }
            }

            yield return Scale(current, scale);
        }
    }

    private static TimeSpan Scale(TimeSpan delay, double scale) => TimeSpan.FromTicks((long)(delay.Ticks * scale));

    /// <summary>Reads a function.json <c>retry</c> object; problems are reported, not thrown.</summary>
    public static RetryPolicy? Parse(JsonObject? retry, Action<string> problem)
    {
        if (retry is null) return null;
        var strategy = retry.String("strategy");
        var maxRetryCount = retry.Int("maxRetryCount");
        if (maxRetryCount is null or < -1)
        {
            problem("\"retry.maxRetryCount\" is required: a number of retries, or -1 for forever.");
            return null;
        }

        try
        {
            if (string.Equals(strategy, "fixedDelay", StringComparison.OrdinalIgnoreCase))
            {
                var delay = retry.Duration("delayInterval");
                if (delay is null)
                {
                    problem("\"retry.delayInterval\" is required with the fixedDelay strategy.");
                    return null;
                }

                return new RetryPolicy(RetryStrategy.FixedDelay, maxRetryCount.Value, delay.Value, delay.Value, delay.Value);
            }

            if (string.Equals(strategy, "exponentialBackoff", StringComparison.OrdinalIgnoreCase))
            {
                var minimum = retry.Duration("minimumInterval");
                var maximum = retry.Duration("maximumInterval");
                if (minimum is null || maximum is null)
                {
                    problem("\"retry.minimumInterval\" and \"retry.maximumInterval\" are required with the exponentialBackoff strategy.");
                    return null;
                }

                if (minimum > maximum)
                {
                    problem("\"retry.minimumInterval\" must not be greater than \"retry.maximumInterval\".");
                    return null;
                }

                return new RetryPolicy(RetryStrategy.ExponentialBackoff, maxRetryCount.Value, minimum.Value, minimum.Value, maximum.Value);
            }
        }
        catch (FormatException e)
        {
            problem("retry: " + e.Message + ".");
            return null;
        }

        problem($"\"retry.strategy\" must be \"fixedDelay\" or \"exponentialBackoff\", not \"{strategy}\".");
        return null;
    }
}
