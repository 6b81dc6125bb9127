using System.Collections.Immutable;
using System.Text.Json;
using Touchpoints.Core;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Views;
using Touchpoints.Functions.Hosting;
using Touchpoints.Functions.Storage;

namespace Touchpoints.Functions.Rules;

/// <summary>What evaluating one customer did.</summary>
public sealed record CustomerEvaluation(CustomerId CustomerId, bool Evaluated, int Sent, int Recorded, int Replayed)
{
    public static CustomerEvaluation Skipped(CustomerId customerId) => new(customerId, false, 0, 0, 0);
}

/// <summary>
/// Evaluates one customer and carries out what the arbiter decided. Evaluations of one customer run concurrently (its
/// <c>customer-changes</c> messages land on any partition, and the timer runs beside them), so the decisions are first
/// <b>claimed</b>: written into the rule state, in its <see cref="RuleState.Outbox"/>, on the ETag the state was read at.
/// An evaluation that loses that write has done nothing yet: it reads again and decides again, seeing the winner's
/// decisions (caps, cooldowns, decided ids). Only the winner then:
/// <list type="number">
/// <item>sends each queued message (consumers deduplicate on its id, the ledger id);</item>
/// <item>records each decision in the ledger — the mark that it went out; a 409 means an earlier attempt recorded it, so
/// its stats are not counted again;</item>
/// <item>increments the stats.</item>
/// </list>
/// A writer that dies in between leaves its entry in the outbox; the next evaluation of the customer after the entry's lease
/// (<see cref="PendingEvaluation.Lease"/>; a wake-up is due then) carries out what the ledger does not hold.
/// <para>
/// Merges: the rule state of a merged-away profile is handed to its survivor (<see cref="RuleState.Absorb"/>) — by the
/// survivor's evaluation, which reads the states of <see cref="CustomerView.MergedFrom"/> it has not absorbed, and by any
/// evaluation or wake-up that meets the tombstone — after closing the loser's state (<see cref="RuleState.MergedInto"/>),
/// so that no late writer adds to it unseen. Schedules, goals and caps follow the customer.
/// </para>
/// </summary>
public sealed partial class RuleRunner(
    CustomerStore customers,
    RuleStateStore states,
    LedgerStore ledger,
    RuleStatsStore stats,
    WakeUpStore wakeUps,
    CommunicationQueues queues,
    IRescoring rescoring,
    TouchpointsMetrics metrics,
    TimeProvider clock,
    ILogger<RuleRunner> logger)
{
    public const int MaxAttempts = 6;

    /// <summary>Evaluation over the view and state read; null: nothing to do (a replay).</summary>
    public delegate EvaluationResult? Evaluate(CustomerView view, RuleState state, DateTimeOffset now);

    public Task<CustomerEvaluation> RunAsync(CustomerId customerId, Evaluate evaluate, CancellationToken ct) => RunAsync(customerId, evaluate, null, ct);

    /// <summary>
    /// Evaluates one customer; its stat increments go to <paramref name="tally"/> when given (a batch writes them together,
    /// <see cref="FlushAsync"/>), else straight to the store. A change evaluation names the view version it was told of
    /// (<paramref name="atLeastVersion"/>): a view this instance holds at that version or later (ingestion just wrote it) is
    /// not read again.
    /// </summary>
    public async Task<CustomerEvaluation> RunAsync(CustomerId customerId, Evaluate evaluate, StatsTally? tally, CancellationToken ct, long atLeastVersion = 0)
    {
        ArgumentNullException.ThrowIfNull(evaluate);
        for (var attempt = 1; ; attempt++)
        {
            var view = atLeastVersion > 0 && attempt == 1
                ? await customers.ReadCachedAsync(customerId, ct, atLeastVersion).ConfigureAwait(false)
                : await customers.ReadAsync(customerId, ct).ConfigureAwait(false);
            if (view is null) return CustomerEvaluation.Skipped(customerId);
            // A profile at its first version that absorbed nothing has no rule state yet (every evaluation comes after a view
            // write): its state is created, conditionally, without a read that would find nothing. If a replay of the same
            // change created it meanwhile, the create is refused and the next attempt reads it.
            var isNew = attempt == 1 && view.Document is { Version: 1, MergedInto: null, MergedFrom.IsEmpty: true };
            var stored = isNew ? null : await states.ReadAsync(customerId, ct).ConfigureAwait(false);
            var now = clock.GetUtcNow();
            try
            {
                // A tombstone: its state goes to the survivor, which is evaluated on its own change.
                if (view.Document.MergedInto is { } survivor)
                {
                    await HandOverAsync(customerId, survivor, stored, now, tally, ct).ConfigureAwait(false);
                    return CustomerEvaluation.Skipped(customerId);
                }
                var state = stored?.Document ?? RuleState.Empty(customerId) with { Since = now };
                var (absorbed, anyAbsorbed) = await AbsorbAsync(view.Document, state, ct).ConfigureAwait(false);
                var (done, abandoned, inFlight) = await ClassifyAsync(absorbed.Outbox, now, ct).ConfigureAwait(false);
                var result = evaluate(view.Document, absorbed with { Outbox = [] }, now);
                if (result is null && !anyAbsorbed && abandoned.IsEmpty)
                {
                    await EnsureWakeUpAsync(customerId, stored?.Document, absorbed, inFlight, now, ct).ConfigureAwait(false);
                    return CustomerEvaluation.Skipped(customerId);
                }

                var claim = result is { Decisions.IsEmpty: false } ? PendingEvaluation.Of(result, now) : null;
                var next = (result?.State ?? absorbed) with { Outbox = claim is null ? inFlight : inFlight.Add(claim) };
                next = await EnsureWakeUpAsync(customerId, stored?.Document, next, inFlight, now, ct).ConfigureAwait(false);
                await states.WriteAsync(next, stored?.ETag, ct).ConfigureAwait(false);

                // Claimed: carry out what was abandoned, then this evaluation's own decisions.
                var outcome = new Outcome();
                foreach (var pending in abandoned) await CarryOutAsync(pending, null, outcome, tally, ct).ConfigureAwait(false);
                if (result is not null) await CarryOutAsync(claim, result.Stats, outcome, tally, ct).ConfigureAwait(false);
                // Ageing moved the customer between segments: the view is written again, and its change evaluated as any.
                if (result is { Rescore: true }) await rescoring.RescoreAsync(customerId, ct).ConfigureAwait(false);
                if (abandoned.Length > 0) LogAbandoned(logger, customerId, abandoned.Length, done.Length);
                if (outcome.Decisions > 0) LogDecided(logger, customerId, outcome.Decisions, outcome.Sent, outcome.Replayed);
                return new CustomerEvaluation(customerId, result is not null, outcome.Sent, outcome.Recorded, outcome.Replayed);
            }
            catch (ConcurrentUpdateException) when (attempt < MaxAttempts)
            {
                LogConcurrent(logger, customerId, attempt);
            }
        }
    }

    private sealed class Outcome
    {
        public int Decisions;
        public int Sent;
        public int Recorded;
        public int Replayed;
    }

    /// <summary>
    /// Sends the messages of <paramref name="pending"/>, records its decisions, and counts its stats except those of rules whose
    /// decisions were recorded before (a replay); <paramref name="counting"/> instead of the pending evaluation's own when given (an
    /// evaluation that decided nothing still counts what it evaluated). An abandoned entry sends only what the ledger lacks.
    /// </summary>
    private async Task CarryOutAsync(PendingEvaluation? pending, ImmutableArray<StatIncrement>? counting, Outcome outcome, StatsTally? tally, CancellationToken ct)
    {
        var decisions = pending?.Decisions ?? [];
        HashSet<string>? recordedBefore = null;
        if (counting is null)
        {
            var found = await Task.WhenAll(decisions.Select(d => ledger.ReadAsync(d.CustomerId, d.Id, ct))).ConfigureAwait(false);
            recordedBefore = [.. found.OfType<Decision>().Select(d => d.Id)];
        }
        var messages = pending is null ? [] : Messages(pending.Communications, pending.SalesAlerts);
        var now = clock.GetUtcNow();
        foreach (var decision in decisions)
        {
            if (decision.Outcome is not (DecisionOutcome.Queued or DecisionOutcome.Deferred) || decision.Queue is not { } queue) continue;
            if (recordedBefore?.Contains(decision.Id) == true || !messages.TryGetValue(decision.Id, out var json)) continue;
            await queues.SendAsync(queue, json, decision.NotBefore, decision.ExpiresAt, now, ct).ConfigureAwait(false);
            outcome.Sent++;
        }
        var recorded = await Task.WhenAll(decisions.Select(d => ledger.RecordAsync(d, ct))).ConfigureAwait(false);
        var replayedRules = decisions.Where((_, i) => !recorded[i]).Select(d => d.RuleId).ToHashSet(StringComparer.Ordinal);
        outcome.Decisions += decisions.Length;
        outcome.Recorded += recorded.Count(r => r);
        // Counted once, when recorded: a replay or a retry of the same decision adds nothing (as the rule stats).
        foreach (var decision in decisions.Where((_, i) => recorded[i]))
            metrics.Decision(decision.RuleId, Names.CamelCase(decision.Outcome), decision.SuppressedBecause is { } why ? Names.CamelCase(why) : null);
        outcome.Replayed += recorded.Count(r => !r);
        var increments = (counting ?? pending?.Stats ?? []).Where(s => !replayedRules.Contains(s.RuleId)).ToList();
        if (increments.Count == 0) return;
        if (tally is not null) tally.Add(increments);
        else await stats.IncrementAsync(increments, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// The outbox read: entries the ledger holds entirely (carried out, dropped at the next write), entries past their lease
    /// that it does not (abandoned: to carry out), and the rest (their writer is at work: kept).
    /// </summary>
    private async Task<(ImmutableArray<PendingEvaluation> Done, ImmutableArray<PendingEvaluation> Abandoned, ImmutableArray<PendingEvaluation> InFlight)> ClassifyAsync(
        ImmutableArray<PendingEvaluation> outbox, DateTimeOffset now, CancellationToken ct)
    {
        if (outbox.IsEmpty) return ([], [], []);
        var done = ImmutableArray.CreateBuilder<PendingEvaluation>();
        var abandoned = ImmutableArray.CreateBuilder<PendingEvaluation>();
        var inFlight = ImmutableArray.CreateBuilder<PendingEvaluation>();
        foreach (var pending in outbox)
        {
            var found = await Task.WhenAll(pending.Decisions.Select(d => ledger.ReadAsync(d.CustomerId, d.Id, ct))).ConfigureAwait(false);
            if (found.All(d => d is not null)) done.Add(pending);
            else if (pending.Abandoned(now)) abandoned.Add(pending);
            else inFlight.Add(pending);
        }
        return (done.ToImmutable(), abandoned.ToImmutable(), inFlight.ToImmutable());
    }

    /// <summary>
    /// Absorbs the states of the profiles merged into <paramref name="view"/> that <paramref name="state"/> has not absorbed,
    /// closing each first. A loser without a state needs nothing; one written later (a straggler) is handed over by whoever
    /// next meets its tombstone (<see cref="HandOverAsync"/>).
    /// </summary>
    private async Task<(RuleState State, bool Absorbed)> AbsorbAsync(CustomerView view, RuleState state, CancellationToken ct)
    {
        var any = false;
        foreach (var loserId in view.MergedFrom.Where(l => !state.Absorbed.Contains(l)))
        {
            var loser = await states.ReadAsync(loserId, ct).ConfigureAwait(false);
            if (loser is { Document.HasHistory: true }) await CloseAsync(loser, view.Id, ct).ConfigureAwait(false);
            state = loser is null ? state with { Absorbed = state.Absorbed.Add(loserId) } : state.Absorb(loserId, loser.Document);
            any = true;
        }
        return (state, any);
    }

    /// <summary>Marks a merged-away profile's state as handed over (once; its content stays for the survivor to absorb).</summary>
    private async Task<string?> CloseAsync(Versioned<RuleState> loser, CustomerId survivor, CancellationToken ct) =>
        loser.Document.MergedInto is not null
            ? loser.ETag
            : await states.WriteAsync(loser.Document with { MergedInto = survivor }, loser.ETag, ct).ConfigureAwait(false);

    /// <summary>
    /// A merged-away profile met by an evaluation or a wake-up: its state, if it holds anything, is closed and absorbed by the
    /// live survivor; an abandoned outbox entry of it is carried out.
    /// </summary>
    private async Task HandOverAsync(CustomerId customerId, CustomerId survivorId, Versioned<RuleState>? stored, DateTimeOffset now, StatsTally? tally,
        CancellationToken ct)
    {
        if (stored is null) return;
        var (_, abandoned, inFlight) = await ClassifyAsync(stored.Document.Outbox, now, ct).ConfigureAwait(false);
        if (!abandoned.IsEmpty)
        {
            stored = stored with
            {
                ETag = await states.WriteAsync(stored.Document with { Outbox = inFlight }, stored.ETag, ct).ConfigureAwait(false),
                Document = stored.Document with { Outbox = inFlight },
            };
            var outcome = new Outcome();
            foreach (var pending in abandoned) await CarryOutAsync(pending, null, outcome, tally, ct).ConfigureAwait(false);
        }
        await EnsureLeaseWakeUpAsync(customerId, stored.Document, inFlight, now, ct).ConfigureAwait(false);
        if (stored.Document.MergedInto is not null || !stored.Document.HasHistory) return;

        await CloseAsync(stored, survivorId, ct).ConfigureAwait(false);
        var live = await customers.ReadCurrentAsync(survivorId, ct).ConfigureAwait(false);
        if (live is null) return;
        for (var attempt = 1; ; attempt++)
        {
            var target = await states.ReadAsync(live.Id, ct).ConfigureAwait(false);
            if (target?.Document.MergedInto is not null) return; // the survivor was merged away meanwhile: its own hand-over carries this
            var current = target?.Document ?? RuleState.Empty(live.Id) with { Since = now };
            var next = current.Absorb(customerId, stored.Document);
            try
            {
                next = await EnsureWakeUpAsync(live.Id, target?.Document, next, [], now, ct).ConfigureAwait(false);
                await states.WriteAsync(next, target?.ETag, ct).ConfigureAwait(false);
                LogHandedOver(logger, customerId, live.Id, stored.Document.Armed.Length);
                return;
            }
            catch (ConcurrentUpdateException) when (attempt < MaxAttempts)
            {
                LogConcurrent(logger, live.Id, attempt);
            }
        }
    }

    /// <summary>
    /// Writes a wake-up when the timer must look at the customer sooner than any wake-up written and not reached yet (before
    /// the state, so none is ever missing): at its earliest armed schedule, or at the end of the lease of an entry another
    /// writer left in the outbox (to carry it out if that writer died). A writer's own claim needs none: if it dies, the
    /// host's retry or the timer's next run meets it. Returns <paramref name="after"/> knowing the wake-up written
    /// (<see cref="RuleState.WakeUpWritten"/>): a schedule that only moves later costs no write.
    /// </summary>
    private async Task<RuleState> EnsureWakeUpAsync(CustomerId customerId, RuleState? before, RuleState after, ImmutableArray<PendingEvaluation> others,
        DateTimeOffset now, CancellationToken ct)
    {
        var due = DueOf(after, others);
        var write = before is null ? due : before.WakeUpToWrite(due, now);
        if (write is not { } at) return after with { WakeUpWritten = before?.WakeUpWritten };
        await wakeUps.WriteAsync(WakeUpStore.For(customerId, at, now), ct).ConfigureAwait(false);
        return after with { WakeUpWritten = at };
    }

    /// <summary>
    /// A merged-away profile's state needs a wake-up only for the lease of an outbox entry left by another writer: its
    /// schedules are the survivor's once handed over, and its own wake-ups, met, lead to this hand-over again.
    /// </summary>
    private async Task EnsureLeaseWakeUpAsync(CustomerId customerId, RuleState state, ImmutableArray<PendingEvaluation> others, DateTimeOffset now,
        CancellationToken ct)
    {
        if (DueOf(state, others) is { } at && at != state.WakeUpAt)
            await wakeUps.WriteAsync(WakeUpStore.For(customerId, at, now), ct).ConfigureAwait(false);
    }

    /// <summary>When the timer must look at the customer: its earliest armed schedule or the end of another writer's lease.</summary>
    private static DateTimeOffset? DueOf(RuleState state, ImmutableArray<PendingEvaluation> others) =>
        others.Select(o => (DateTimeOffset?)(o.At + PendingEvaluation.Lease)).Append(state.WakeUpAt).Min();

    /// <summary>Writes a batch's stat increments: one patch per rule and day for the whole batch instead of one per customer.</summary>
    public Task FlushAsync(StatsTally tally, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(tally);
        var increments = tally.Drain();
        return increments.Count == 0 ? Task.CompletedTask : stats.IncrementAsync(increments, ct);
    }

    /// <summary>The JSON of each message by its decision id.</summary>
    public static Dictionary<string, string> Messages(EvaluationResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return Messages(result.Communications, result.SalesAlerts);
    }

    private static Dictionary<string, string> Messages(ImmutableArray<CommunicationMessage> communications, ImmutableArray<SalesAlertMessage> alerts)
    {
        var messages = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var m in communications) messages[m.Id] = JsonSerializer.Serialize(m, DecisionsJsonContext.Default.CommunicationMessage);
        foreach (var m in alerts) messages[m.Id] = JsonSerializer.Serialize(m, DecisionsJsonContext.Default.SalesAlertMessage);
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
    private static partial void LogDecided(ILogger logger, CustomerId customerId, int decisions, int sent, int replayed);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Rule state of {CustomerId} changed concurrently (attempt {Attempt}); evaluating again")]
    private static partial void LogConcurrent(ILogger logger, CustomerId customerId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Customer {CustomerId}: carried out {Abandoned} evaluations whose writer stopped before finishing them ({Done} found finished)")]
    private static partial void LogAbandoned(ILogger logger, CustomerId customerId, int abandoned, int done);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rule state of merged-away {LoserId} handed to {SurvivorId} ({Armed} armed schedules)")]
    private static partial void LogHandedOver(ILogger logger, CustomerId loserId, CustomerId survivorId, int armed);
}

/// <summary>
/// The stat increments of one batch's evaluations, summed in memory and written once per rule and day when the batch is
/// done (<see cref="RuleRunner.FlushAsync"/>) — also when it fails, so that what the evaluations that finished recorded is
/// counted. Stats are counted when a decision is first recorded, so an increment lost to a killed process is never
/// recounted: the figures are exact but for a crash between a batch's ledger writes and its flush.
/// </summary>
public sealed class StatsTally
{
    private readonly System.Collections.Concurrent.ConcurrentQueue<StatIncrement> increments = new();

    public void Add(IEnumerable<StatIncrement> more)
    {
        ArgumentNullException.ThrowIfNull(more);
        foreach (var increment in more) increments.Enqueue(increment);
    }

    /// <summary>Everything added since the last drain, summed per rule, day and counter.</summary>
    public IReadOnlyList<StatIncrement> Drain()
    {
        var taken = new List<StatIncrement>();
        while (increments.TryDequeue(out var increment)) taken.Add(increment);
        return [.. taken.GroupBy(i => (i.RuleId, i.Day, i.Counter)).Select(g => g.First() with { By = g.Sum(i => i.By) })];
    }
}
