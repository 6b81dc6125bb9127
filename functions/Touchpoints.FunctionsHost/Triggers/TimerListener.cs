using System.Text.Json.Nodes;
using Touchpoints.FunctionsHost.App;
using Touchpoints.FunctionsHost.Runtime;

namespace Touchpoints.FunctionsHost.Triggers;

/// <summary>
/// A timer trigger: fires at each occurrence of its NCRONTAB schedule (and once at start with <c>runOnStartup</c>),
/// never overlapping itself. <c>Data.{name}</c> is the host's TimerInfo; without a schedule monitor (locally there is
/// none) <c>ScheduleStatus</c> is null.
/// </summary>
internal sealed class TimerListener(FunctionDefinition function, FunctionRunner runner, TimeProvider clock)
{
    public FunctionDefinition Function => function;

    public DateTimeOffset? NextOccurrence { get; private set; }

    public static JsonObject TimerInfo(bool isPastDue = false) => new()
    {
        ["Schedule"] = new JsonObject { ["AdjustForDST"] = true },
        ["ScheduleStatus"] = null,
        ["IsPastDue"] = isPastDue,
    };

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            if (string.Equals(function.Trigger["runOnStartup"], "true", StringComparison.OrdinalIgnoreCase))
                await FireAsync("Timer fired at startup", cancellationToken).ConfigureAwait(false);

            while (!cancellationToken.IsCancellationRequested)
            {
                var now = clock.GetUtcNow();
                var next = function.Schedule!.NextAfter(now);
                NextOccurrence = next;
                var wait = next - now;
                if (wait > TimeSpan.Zero) await Task.Delay(wait, clock, cancellationToken).ConfigureAwait(false);
                await FireAsync($"Timer fired at {HostEncoding.Date(clock.GetUtcNow())}", cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    public Task<InvocationOutcome> FireAsync(string reason, CancellationToken cancellationToken) =>
        runner.RunAsync(function, new JsonObject { [function.Trigger.Name] = TimerInfo() }, [], reason, cancellationToken);
}
