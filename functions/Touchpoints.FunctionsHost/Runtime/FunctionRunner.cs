using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Touchpoints.FunctionsHost.App;

namespace Touchpoints.FunctionsHost.Runtime;

/// <summary>
/// One trigger firing: the invocation, its retries under the function's <c>retry</c> policy (Event Hubs and timer triggers,
/// as in the host), and the output writes of the attempt that succeeds. A failed output write fails the attempt.
/// </summary>
internal sealed partial class FunctionRunner(
    FunctionInvoker invoker, OutputWriter outputs, InvocationTracker tracker, double retryDelayScale, ILoggerFactory logs, TimeProvider clock)
{
    private readonly ILogger logger = logs.CreateLogger("Host.Retry");

    /// <param name="data">The <c>Data</c> object (cloned for every attempt).</param>
    /// <param name="metadata">The trigger's binding data; <c>sys</c> and, under a retry policy, <c>RetryContext</c> are added.</param>
    public async Task<InvocationOutcome> RunAsync(FunctionDefinition function, JsonObject data, JsonObject metadata, string reason, CancellationToken cancellationToken)
    {
        using var scope = tracker.Enter();
        var policy = function.Trigger.Type is BindingTypes.EventHubTrigger or BindingTypes.TimerTrigger ? function.Retry : null;
        using var delays = policy?.Delays(retryDelayScale);
        var retryCount = 0;
        string? lastError = null;
        while (true)
        {
            var attemptMetadata = (JsonObject)metadata.DeepClone();
            attemptMetadata["sys"] = HostEncoding.Sys(function.Name, clock.GetUtcNow());
            if (policy is not null)
            {
                attemptMetadata["RetryContext"] = new JsonObject
                {
                    ["RetryCount"] = retryCount,
                    ["MaxRetryCount"] = policy.MaxRetryCount,
                    ["Exception"] = lastError is null ? null : new JsonObject { ["Message"] = lastError },
                };
            }

            var outcome = await invoker.InvokeAsync(function, (JsonObject)data.DeepClone(), attemptMetadata,
                retryCount == 0 ? reason : $"{reason} (retry {retryCount})", cancellationToken).ConfigureAwait(false);
            if (outcome.Succeeded)
            {
                try
                {
                    await outputs.WriteAsync(function, outcome, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception e) when (e is Azure.RequestFailedException or HttpRequestException or InvalidOperationException)
                {
                    outcome = InvocationOutcome.Failed(outcome.InvocationId, $"Writing the outputs failed: {e.Message}");
                    LogOutputFailed(logger, function.Name, e.Message);
                }
            }

            tracker.Record(outcome.Succeeded);
            if (outcome.Succeeded) return outcome;

            lastError = outcome.Error;
            if (policy is null || !policy.MayRetry(retryCount))
            {
                if (policy is not null) LogExhausted(logger, function.Name, retryCount);
                return outcome;
            }

            delays!.MoveNext();
            retryCount++;
            LogRetrying(logger, function.Name, retryCount, policy.RetriesForever ? "∞" : policy.MaxRetryCount.ToString(System.Globalization.CultureInfo.InvariantCulture),
                (long)delays.Current.TotalMilliseconds);
            await Task.Delay(delays.Current, clock, cancellationToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Functions.{Function}: retry {RetryCount} of {MaxRetryCount} in {DelayMs}ms")]
    private static partial void LogRetrying(ILogger logger, string function, int retryCount, string maxRetryCount, long delayMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Functions.{Function}: failed after {RetryCount} retries; giving up on this invocation")]
    private static partial void LogExhausted(ILogger logger, string function, int retryCount);

    [LoggerMessage(Level = LogLevel.Error, Message = "Functions.{Function}: writing the outputs failed: {Error}")]
    private static partial void LogOutputFailed(ILogger logger, string function, string error);
}
