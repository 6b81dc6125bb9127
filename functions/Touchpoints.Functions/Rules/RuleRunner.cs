using System.Text.Json;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Views;
using Touchpoints.Functions.Ingestion;

namespace Touchpoints.Functions.Rules;

/// <summary>What evaluating one customer did.</summary>
public sealed record CustomerEvaluation(string CustomerId, bool Evaluated, int Sent, int Recorded, int Replayed)
{
    public static CustomerEvaluation Skipped(string customerId) => new(customerId, false, 0, 0, 0);
}

/// <summary>
/// Evaluates one customer and carries out what the arbiter decided, in the order that makes a replay safe:
/// <list type="number">
/// <item>send each queued message (consumers deduplicate on its id, the ledger id);</item>
/// <item>record each decision in the ledger — a 409 means an earlier attempt recorded it, so its stats are not counted again;</item>
/// <item>increment the stats;</item>
/// <item>write the wake-up for a changed next due time (before the state, so that a crash never leaves a schedule without one;
/// a wake-up that finds nothing due costs a read and does nothing);</item>
/// <item>write the state on the ETag it was read at; a 412 re-reads the state and evaluates again.</item>
/// </list>
/// Within one invocation a re-evaluation neither re-sends a message nor re-counts a stat it already counted.
/// </summary>
public sealed partial class RuleRunner(
    CustomerStore customers,
    RuleStateStore states,
    LedgerStore ledger,
    RuleStatsStore stats,
    WakeUpStore wakeUps,
    CommunicationQueues queues,
    TimeProvider clock,
    ILogger<RuleRunner> logger)
{
    public const int MaxAttempts = 6;

    /// <summary>Evaluation over the view and state read; null: nothing to do (a replay).</summary>
    public delegate EvaluationResult? Evaluate(CustomerView view, RuleState state, DateTimeOffset now);

    public async Task<CustomerEvaluation> RunAsync(string customerId, Evaluate evaluate, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(evaluate);
        var sent = new HashSet<string>(StringComparer.Ordinal);
        var counted = new Dictionary<(string RuleId, DateOnly Day, string Counter), long>();
        var ours = new HashSet<string>(StringComparer.Ordinal);
        var replayed = new HashSet<string>(StringComparer.Ordinal);
        for (var attempt = 1; ; attempt++)
        {
            var view = await customers.ReadAsync(customerId, ct).ConfigureAwait(false);
            // A missing view (deleted) or a tombstone: the survivor of a merge is evaluated on its own change.
            if (view is null || view.Document.MergedInto is not null) return CustomerEvaluation.Skipped(customerId);
            var stored = await states.ReadAsync(customerId, ct).ConfigureAwait(false);
            var state = stored?.Document ?? RuleState.Empty(customerId);
            var now = clock.GetUtcNow();
            if (evaluate(view.Document, state, now) is not { } result) return CustomerEvaluation.Skipped(customerId);

            // 1. Queue messages.
            var messages = Messages(result);
            foreach (var decision in result.Decisions)
            {
                if (decision.Outcome is not (DecisionOutcome.Queued or DecisionOutcome.Deferred) || decision.Queue is not { } queue) continue;
                if (!messages.TryGetValue(decision.Id, out var json) || !sent.Add(decision.Id)) continue;
                await queues.SendAsync(queue, json, decision.NotBefore, decision.ExpiresAt, now, ct).ConfigureAwait(false);
            }

            // 2. Ledger. 3. Stats, except those of rules whose decisions an earlier attempt already recorded.
            var recorded = await Task.WhenAll(result.Decisions.Select(d => ledger.RecordAsync(d, ct))).ConfigureAwait(false);
            var replayedRules = result.Decisions.Where((_, i) => !recorded[i]).Select(d => d.RuleId).ToHashSet(StringComparer.Ordinal);
            for (var i = 0; i < recorded.Length; i++)
            {
                var id = result.Decisions[i].Id;
                if (recorded[i]) ours.Add(id);
                else if (!ours.Contains(id)) replayed.Add(id);
            }
            var increments = new List<StatIncrement>();
            foreach (var increment in result.Stats.Where(s => !replayedRules.Contains(s.RuleId)))
            {
                var key = (increment.RuleId, increment.Day, increment.Counter);
                var already = counted.GetValueOrDefault(key);
                if (increment.By > already) increments.Add(increment with { By = increment.By - already });
                counted[key] = Math.Max(already, increment.By);
            }
            if (increments.Count > 0) await stats.IncrementAsync(increments, ct).ConfigureAwait(false);

            // 4. The wake-up, when the next due time moved.
            var previousWakeUp = state.Armed.IsEmpty ? (DateTimeOffset?)null : state.Armed.Min(a => a.DueAt);
            if (result.NextWakeUp is { } due && due != previousWakeUp)
                await wakeUps.WriteAsync(WakeUpStore.For(customerId, due, clock.GetUtcNow()), ct).ConfigureAwait(false);

            // 5. The state.
            try
            {
                await states.WriteAsync(result.State, stored?.ETag, ct).ConfigureAwait(false);
                if (result.Decisions.Length > 0) LogDecided(logger, customerId, result.Decisions.Length, sent.Count, replayed.Count);
                return new CustomerEvaluation(customerId, true, sent.Count, ours.Count, replayed.Count);
            }
            catch (ConcurrentUpdateException) when (attempt < MaxAttempts)
            {
                LogConcurrent(logger, customerId, attempt);
            }
        }
    }

    /// <summary>The JSON of each message by its decision id.</summary>
    public static Dictionary<string, string> Messages(EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var messages = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var m in result.Communications) messages[m.Id] = JsonSerializer.Serialize(m, RulesJsonContext.Default.CommunicationMessage);
        foreach (var m in result.SalesAlerts) messages[m.Id] = JsonSerializer.Serialize(m, RulesJsonContext.Default.SalesAlertMessage);
        return messages;
    }

    /// <summary>Runs <paramref name="work"/> for each item, at most <paramref name="parallelism"/> at once.</summary>
    public static async Task<IReadOnlyList<TResult>> ForEachAsync<T, TResult>(
        IReadOnlyList<T> items, int parallelism, Func<T, CancellationToken, Task<TResult>> work, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(items);
        var results = new TResult[items.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, items.Count), new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = ct },
            async (i, token) => results[i] = await work(items[i], token).ConfigureAwait(false)).ConfigureAwait(false);
        return results;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Customer {CustomerId}: {Decisions} decisions, {Sent} messages sent, {Replayed} already recorded")]
    private static partial void LogDecided(ILogger logger, string customerId, int decisions, int sent, int replayed);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Rule state of {CustomerId} changed concurrently (attempt {Attempt}); evaluating again")]
    private static partial void LogConcurrent(ILogger logger, string customerId, int attempt);
}
