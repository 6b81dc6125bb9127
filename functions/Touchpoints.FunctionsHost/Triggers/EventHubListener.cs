using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Touchpoints.FunctionsHost.App;
using Touchpoints.FunctionsHost.Runtime;

namespace Touchpoints.FunctionsHost.Triggers;

/// <summary>
/// An Event Hubs trigger: one consumer per partition, reading from the start, delivering batches of up to
/// <c>maxEventBatchSize</c> (waiting up to <c>maxWaitTime</c> for <c>minEventBatchSize</c>), one batch at a time per
/// partition, so order within a partition holds. As in the host, a batch is checkpointed whether or not its invocation
/// failed — after the retry policy, if any, has run out.
/// </summary>
internal sealed partial class EventHubListener
{
    private readonly FunctionDefinition function;
    private readonly EventHubInstance hub;
    private readonly FunctionRunner runner;
    private readonly EventHubsOptions options;
    private readonly string fullyQualifiedNamespace;
    private readonly ILogger logger;
    private readonly TimeProvider clock;
    private readonly long[] checkpoints;

    public EventHubListener(FunctionDefinition function, EventHubInstance hub, FunctionRunner runner, EventHubsOptions options,
        string fullyQualifiedNamespace, ILogger logger, TimeProvider clock)
    {
        this.function = function;
        this.hub = hub;
        this.runner = runner;
        this.options = options;
        this.fullyQualifiedNamespace = fullyQualifiedNamespace;
        this.logger = logger;
        this.clock = clock;
        checkpoints = new long[hub.Partitions.Count];
    }

    public FunctionDefinition Function => function;

    public EventHubInstance Hub => hub;

    /// <summary>The next sequence number this function will read from a partition.</summary>
    public long Checkpoint(int partition) => Volatile.Read(ref checkpoints[partition]);

    public long Pending(int partition) => hub.Partitions[partition].Count - Checkpoint(partition);

    public IEnumerable<Task> Start(CancellationToken cancellationToken) =>
        Enumerable.Range(0, hub.Partitions.Count).Select(i => Task.Run(() => ConsumeAsync(i, cancellationToken), CancellationToken.None));

    /// <summary>The admin API: one event with <paramref name="input"/> as its body, outside the hub.</summary>
    public Task<InvocationOutcome?> InvokeAsync(string input, CancellationToken cancellationToken)
    {
        var e = new HubEvent(hub.Name, "0", 0, 0, null, clock.GetUtcNow(), System.Text.Encoding.UTF8.GetBytes(input));
        return RunAsync([e], "Admin API", cancellationToken);
    }

    private async Task ConsumeAsync(int index, CancellationToken cancellationToken)
    {
        var partition = hub.Partitions[index];
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                var appended = partition.Appended;
                var next = Checkpoint(index);
                var available = partition.Count - next;
                if (available <= 0)
                {
                    await appended.WaitAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (available < options.MinEventBatchSize)
                {
                    var deadline = clock.GetUtcNow() + options.EffectiveMaxWaitTime;
                    while (true)
                    {
                        var signal = partition.Appended;
                        var remaining = deadline - clock.GetUtcNow();
                        if (partition.Count - next >= options.MinEventBatchSize || remaining <= TimeSpan.Zero) break;
                        await Task.WhenAny(signal, Task.Delay(remaining, clock, cancellationToken)).ConfigureAwait(false);
                        cancellationToken.ThrowIfCancellationRequested();
                    }
                }

                var batch = partition.Read(next, function.Trigger.IsMany ? options.MaxEventBatchSize : 1);
                await RunAsync(batch, $"EventHub '{hub.Name}' partition {partition.Id}", cancellationToken).ConfigureAwait(false);
                // Checkpoint whatever the outcome: the host moves on after a failure once the retry policy is spent.
                Volatile.Write(ref checkpoints[index], batch[^1].SequenceNumber + 1);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    private async Task<InvocationOutcome?> RunAsync(IReadOnlyList<HubEvent> batch, string reason, CancellationToken cancellationToken)
    {
        JsonObject data, metadata;
        try
        {
            (data, metadata) = EventHubPayload.Build(function.Trigger, batch, fullyQualifiedNamespace);
        }
        catch (FormatException e)
        {
            LogBindingFailed(logger, function.Name, e.Message);
            return null;
        }

        return await runner.RunAsync(function, data, metadata, reason, cancellationToken).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Functions.{Function}: the batch could not be bound and is skipped: {Error}")]
    private static partial void LogBindingFailed(ILogger logger, string function, string error);
}
