using System.Net.Http;
using System.Text.Json;
using Azure;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Options;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Ingestion;
using Touchpoints.Core.Rules;
using Touchpoints.Functions.Storage;

namespace Touchpoints.Functions.Rules;

/// <summary>What one <c>customer-changes</c> batch did.</summary>
public sealed record ChangeBatchOutcome(int Messages, int Ignored, int Customers, int Evaluated, int Sent, int Replayed);

/// <summary>
/// <c>EvaluateCustomerChanges</c>: the batch grouped by customer (union of causes, highest version), then per customer one read
/// of the view and of its rule state, <see cref="Arbiter.OnChange"/>, and the writes of <see cref="RuleRunner"/>.
/// <para>
/// Replays and order: the state records exactly which <c>customer-changes</c> versions were evaluated
/// (<see cref="Arbiter.OnChanges"/>), so a batch seen before is skipped without a decision, and a message that arrives after a
/// newer one (another partition) still brings its causes. Decision ids derive from the view version, so evaluating one view
/// twice decides nothing twice.
/// </para>
/// </summary>
public sealed partial class ChangeEvaluator(RulesProvider provider, RuleRunner runner, IOptions<RulesOptions> options, ILogger<ChangeEvaluator> logger)
{
    public const int Parallelism = 16;

    public sealed record CustomerChanges(CustomerId CustomerId, IReadOnlyList<Arbiter.ChangeMessage> Messages)
    {
        public long Version => Messages.Max(m => m.Version);

        public IReadOnlyCollection<string> Causes => [.. Messages.SelectMany(m => m.Causes).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)];
    }

    public async Task<ChangeBatchOutcome> EvaluateAsync(IReadOnlyList<string> bodies, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(bodies);
        var (changes, ignored) = Group(bodies);
        foreach (var body in ignored) LogIgnored(logger, body.Length > 200 ? body[..200] : body);
        if (changes.Count == 0) return new ChangeBatchOutcome(bodies.Count, ignored.Count, 0, 0, 0, 0);

        var rules = await provider.GetAsync(ct).ConfigureAwait(false);
        var settle = options.Value.SettleWindow;
        var tally = new StatsTally();
        IReadOnlyList<CustomerEvaluation> results;
        try
        {
            results = await RuleRunner.ForEachAsync(changes, Parallelism, (change, token) => runner.RunAsync(change.CustomerId,
                (view, state, now) => Arbiter.OnChanges(rules, view, state, change.Messages, now, settle), tally, token, change.Version), ct).ConfigureAwait(false);
        }
        finally
        {
            await runner.FlushAsync(tally, ct).ConfigureAwait(false);
        }
        var outcome = new ChangeBatchOutcome(bodies.Count, ignored.Count, changes.Count, results.Count(r => r.Evaluated), results.Sum(r => r.Sent),
            results.Sum(r => r.Replayed));
        LogBatch(logger, outcome.Messages, outcome.Customers, outcome.Evaluated, outcome.Sent, rules.Version);
        return outcome;
    }

    /// <summary>Per customer: its messages (version and causes); bodies that are not a change are ignored.</summary>
    public static (IReadOnlyList<CustomerChanges> Changes, IReadOnlyList<string> Ignored) Group(IReadOnlyList<string> bodies)
    {
        ArgumentNullException.ThrowIfNull(bodies);
        var ignored = new List<string>();
        var byCustomer = new Dictionary<CustomerId, List<Arbiter.ChangeMessage>>();
        foreach (var body in bodies)
        {
            CustomerChanged? change;
            try
            {
                change = JsonSerializer.Deserialize(body, StorageJsonContext.Default.CustomerChanged);
            }
            catch (JsonException)
            {
                change = null;
            }
            if (change is null || change.CustomerId.IsDefault || string.IsNullOrWhiteSpace(change.CustomerId.Value) || change.Version <= 0)
            {
                ignored.Add(body);
                continue;
            }
            if (!byCustomer.TryGetValue(change.CustomerId, out var messages)) byCustomer[change.CustomerId] = messages = [];
            messages.Add(new Arbiter.ChangeMessage(change.Version, change.Causes ?? []));
        }
        return ([.. byCustomer.Select(c => new CustomerChanges(c.Key, c.Value))], ignored);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ignored a customer-changes message that is not a change: {Body}")]
    private static partial void LogIgnored(ILogger logger, string body);

    [LoggerMessage(Level = LogLevel.Information, Message = "customer-changes: {Messages} messages, {Customers} customers, {Evaluated} evaluated, {Sent} messages queued (rules {RulesVersion})")]
    private static partial void LogBatch(ILogger logger, int messages, int customers, int evaluated, int sent, string rulesVersion);
}

/// <summary>What one run of the timer did.</summary>
public sealed record ScheduleOutcome(string? From, string? To, int Buckets, int WakeUps, int Customers, int Sent, int Dropped);

/// <summary>
/// <c>RunScheduledRules</c> (every minute): reads the wake-up buckets from the last one it finished (read once more, to catch a
/// wake-up written late into it) up to the last complete minute, each bucket's shards with single-partition queries; evaluates
/// those customers with <see cref="Arbiter.OnSchedule"/>; deletes the wake-ups it processed; moves the cursor. Its cost follows
/// what is due, never the number of customers. After an outage it catches up <see cref="MaxBucketsPerRun"/> minutes per run.
/// </summary>
public sealed partial class ScheduledRules(
    RulesProvider provider, RuleRunner runner, WakeUpStore wakeUps, SchedulerCursorStore cursors, TimeProvider clock, ILogger<ScheduledRules> logger)
{
    public const int MaxBucketsPerRun = 60;
    public const int Parallelism = 16;

    /// <summary>How far back the very first run looks.</summary>
    public static readonly TimeSpan FirstLookBack = TimeSpan.FromMinutes(MaxBucketsPerRun);

    /// <summary>The timer's run: the complete minutes from the cursor on, which it moves past them.</summary>
    public Task<ScheduleOutcome> RunAsync(CancellationToken ct) => RunAsync(openMinutes: false, ct);

    /// <summary>
    /// An operator's "now": what is due at this moment is decided at once, although its wake-up may sit in a minute that
    /// is not complete yet (a schedule due now is filed under now plus <see cref="WakeUpBuckets.Margin"/>). Reads the
    /// complete minutes as the timer does, then the open ones through that margin, where it takes only the wake-ups due by
    /// now and leaves the rest. The cursor moves over complete minutes only, so the timer still reads the open ones and
    /// finds whatever was written there since; what this run took is gone from them, and deciding again is idempotent.
    /// </summary>
    public Task<ScheduleOutcome> RunDueNowAsync(CancellationToken ct) => RunAsync(openMinutes: true, ct);

    private async Task<ScheduleOutcome> RunAsync(bool openMinutes, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var lastComplete = WakeUpBuckets.Minute(now) - TimeSpan.FromMinutes(1);
        var through = openMinutes ? WakeUpBuckets.Minute(now + WakeUpBuckets.Margin) : lastComplete;
        var cursor = await cursors.ReadAsync(ct).ConfigureAwait(false);
        var start = WakeUpBuckets.ParseMinute(cursor?.Document.LastBucket) ?? lastComplete - FirstLookBack + TimeSpan.FromMinutes(1);
        if (start > through) return new ScheduleOutcome(null, null, 0, 0, 0, 0, 0);
        var end = Min(through, start + TimeSpan.FromMinutes(MaxBucketsPerRun - 1));

        var rules = await provider.GetAsync(ct).ConfigureAwait(false);
        var etag = cursor?.ETag;
        int buckets = 0, found = 0, customers = 0, sent = 0, dropped = 0;
        for (var minute = start; minute <= end; minute += TimeSpan.FromMinutes(1))
        {
            buckets++;
            var read = await Task.WhenAll(WakeUpBuckets.BucketsOf(minute).Select(b => wakeUps.ReadBucketAsync(b, ct)))
                .ConfigureAwait(false);
            // In an open minute, a wake-up due later than now is the timer's: evaluated now it would find nothing due,
            // and its deletion would lose the schedule.
            var open = minute > lastComplete;
            var due = read.SelectMany(r => r).Where(w => !open || w.DueAt <= now).Where(w => !w.CustomerId.IsDefault).GroupBy(w => w.CustomerId).ToArray();
            if (due.Length == 0) continue;
            found += due.Sum(d => d.Count());
            var tally = new StatsTally();
            IReadOnlyList<CustomerEvaluation?> results;
            try
            {
                results = await RuleRunner.ForEachAsync(due, Parallelism, async (wakeUp, token) =>
                {
                    var result = await EvaluateAsync(rules, wakeUp.Key, tally, token).ConfigureAwait(false);
                    foreach (var w in wakeUp) await wakeUps.DeleteAsync(w, token).ConfigureAwait(false);
                    return result;
                }, ct).ConfigureAwait(false);
            }
            finally
            {
                await runner.FlushAsync(tally, ct).ConfigureAwait(false);
            }
            customers += results.Count(r => r is { Evaluated: true });
            sent += results.Sum(r => r?.Sent ?? 0);
            dropped += results.Count(r => r is null);
            if (!open) etag = await cursors.WriteAsync(minute, etag, ct).ConfigureAwait(false);
        }
        if (start <= lastComplete) etag = await cursors.WriteAsync(Min(end, lastComplete), etag, ct).ConfigureAwait(false);
        var outcome = new ScheduleOutcome(WakeUpBuckets.Bucket(start, 0), WakeUpBuckets.Bucket(end, 0), buckets, found, customers, sent, dropped);
        if (found > 0) LogRun(logger, buckets, found, customers, sent);
        return outcome;
    }

    /// <summary>
    /// One customer. A transient failure fails the run (the cursor stays, the next run retries); anything else (a document
    /// that cannot be read, a bug) is logged and the wake-up dropped, so one bad customer never stops the scheduler.
    /// </summary>
    private async Task<CustomerEvaluation?> EvaluateAsync(CompiledRules rules, CustomerId customerId, StatsTally tally, CancellationToken ct)
    {
        try
        {
            return await runner.RunAsync(customerId, (view, state, now) => Arbiter.OnSchedule(rules, view, state, now), tally, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not (CosmosException or RequestFailedException or HttpRequestException or OperationCanceledException or ConcurrentUpdateException))
        {
            LogDropped(logger, customerId, e);
            return null;
        }
    }

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    [LoggerMessage(Level = LogLevel.Information, Message = "Scheduled rules: {Buckets} buckets, {WakeUps} wake-ups, {Customers} customers evaluated, {Sent} messages queued")]
    private static partial void LogRun(ILogger logger, int buckets, int wakeUps, int customers, int sent);

    [LoggerMessage(Level = LogLevel.Error, Message = "Dropped the wake-up of customer {CustomerId}: its evaluation failed for a reason a retry would not fix")]
    private static partial void LogDropped(ILogger logger, CustomerId customerId, Exception exception);
}
