using System.Collections.Immutable;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Views;

namespace Touchpoints.Core.Rules;

public enum DecisionOutcome { Queued, Deferred, Suppressed, HeldOut }

/// <summary>Why a candidate was not sent.</summary>
public enum SuppressionReason { Cooldown, Consent, NoAddress, SalesOwned, FrequencyCap, Expired, Audience, Spacing }

/// <summary>
/// One decision about one rule for one customer on one occurrence, as recorded in the ledger (<c>communications</c>,
/// partition key <c>/customerId</c>). <see cref="Id"/> derives from rule, customer and occurrence, so a replay decides
/// the same id and never queues twice.
/// </summary>
public sealed record Decision
{
    public required string Id { get; init; }
    public required CustomerId CustomerId { get; init; }
    public required string RuleId { get; init; }
    public required string RuleVersion { get; init; }
    public required RuleKind Kind { get; init; }
    public Channel? Channel { get; init; }
    public required string Template { get; init; }
    public required int Priority { get; init; }
    /// <summary>What made this decision unique: the view version for a change, the due time for a schedule.</summary>
    public required string Occurrence { get; init; }
    public required DecisionOutcome Outcome { get; init; }
    public SuppressionReason? SuppressedBecause { get; init; }
    /// <summary>The suppression in words (e.g. "2 per week on email already sent").</summary>
    public string? Explanation { get; init; }
    /// <summary>The conditions that held, in words.</summary>
    public ImmutableArray<string> Reasons { get; init; } = [];
    public required DateTimeOffset CreatedAt { get; init; }
    /// <summary>Quiet hours end here: the message stays invisible on its queue until then.</summary>
    public required DateTimeOffset NotBefore { get; init; }
    public DateTimeOffset? ExpiresAt { get; init; }
    public string? Goal { get; init; }
    public DateTimeOffset? AttributionUntil { get; init; }
    /// <summary>The queue for a queued or deferred decision: communications-high/normal/low or sales-alerts.</summary>
    public string? Queue { get; init; }
    /// <summary>
    /// A sales alert raised with others for the same customer and owner in one evaluation goes out in one alert (a digest):
    /// the id of that alert's decision. Its own reasons are in that message.
    /// </summary>
    public string? DigestedInto { get; init; }
    /// <summary>What became of its message at delivery (the latest outcome), set by the delivery functions.</summary>
    public DeliveryRecord? Delivery { get; init; }
}

public enum DeliveryStatus { Delivered, Dropped, Held, Failed }

/// <summary>
/// A queued decision's delivery: delivered to a destination, dropped by the send-time guard with its reason, held (quiet
/// hours began meanwhile) until a time, or failed for good after the retries (the message is then on the poison queue).
/// </summary>
public sealed record DeliveryRecord(
    DeliveryStatus Status, DateTimeOffset At, DropReason? Reason = null, string? Explanation = null, string? Destination = null, int Attempt = 1,
    DateTimeOffset? Until = null);

/// <summary>What a channel needs of the customer to deliver a communication.</summary>
public sealed record Recipient(string? Name, string? Address, string? Locale, string? Timezone);

/// <summary>A message on a communications queue (schema: <c>Schemas/communication-message.schema.json</c>).</summary>
public sealed record CommunicationMessage(
    string Id, CustomerId CustomerId, string RuleId, string RuleVersion, RuleKind Kind, Channel Channel, string Template, int Priority,
    ImmutableArray<string> Reasons, Recipient Recipient, DateTimeOffset NotBefore, DateTimeOffset? ExpiresAt, DateTimeOffset CreatedAt);

/// <summary>A message on <c>sales-alerts</c> (schema: <c>Schemas/sales-alert-message.schema.json</c>).</summary>
public sealed record SalesAlertMessage(
    string Id, CustomerId CustomerId, string RuleId, string RuleVersion, string Template, int Priority, ImmutableArray<string> Reasons,
    Recipient Customer, string? Owner, ImmutableArray<JournalEntry> RecentActivity, ImmutableArray<MarketingSent> RecentMarketing,
    string? NextStep, DateTimeOffset Due, DateTimeOffset CreatedAt, DateTimeOffset? ExpiresAt, IReadOnlyList<DigestedAlert>? Digest = null,
    AlertUpdate? Updates = null);

/// <summary>
/// This alert updates one still open for the same customer and owner (raised within the digest window): its id, and the
/// rules alerted since it opened, so a receiver updates that task instead of opening another.
/// </summary>
public sealed record AlertUpdate(string Id, DateTimeOffset OpenedAt, IReadOnlyList<string> EarlierRules);

/// <summary>Another rule's alert folded into this one (one alert per owner): its decision, rule, template and next step.</summary>
public sealed record DigestedAlert(string Id, string RuleId, string Template, string? NextStep, DateTimeOffset Due);

/// <summary>What marketing sent the customer recently, so a salesperson does not repeat it.</summary>
public sealed record MarketingSent(string RuleId, Channel Channel, string Template, DateTimeOffset At);

/// <summary>
/// Per customer, what the rules functions remember between evaluations (a document in <c>communications</c>, id
/// <c>state</c>): what was sent (caps, cooldowns), armed schedules, treatments awaiting their goal, and fact values for
/// <c>changed</c>.
/// </summary>
public sealed record RuleState
{
    public const string DocumentId = "state";

    public required CustomerId CustomerId { get; init; }
    /// <summary>The highest <c>customer-changes</c> version evaluated (0: never evaluated).</summary>
    public long LastVersion { get; init; }
    /// <summary>Every version at or below this was evaluated (or is too old to tell).</summary>
    public long EvaluatedThrough { get; init; }
    /// <summary>
    /// Versions above <see cref="EvaluatedThrough"/> that were evaluated. An exact set, not a watermark: Azure spreads a
    /// custom handler's outputs over partitions, so one customer's changes can arrive in any order, and an older change
    /// evaluated after a newer one must still bring its causes.
    /// </summary>
    public ImmutableArray<long> Evaluated { get => evaluated; init => evaluated = value.IsDefault ? [] : value; }
    private readonly ImmutableArray<long> evaluated = [];
    public ImmutableArray<SentRecord> Sent { get => sent; init => sent = value.IsDefault ? [] : value; }
    private readonly ImmutableArray<SentRecord> sent = [];
    public ImmutableArray<ArmedSchedule> Armed { get => armed; init => armed = value.IsDefault ? [] : value; }
    private readonly ImmutableArray<ArmedSchedule> armed = [];
    public ImmutableArray<PendingGoal> Pending { get => pending; init => pending = value.IsDefault ? [] : value; }
    private readonly ImmutableArray<PendingGoal> pending = [];
    public ImmutableSortedDictionary<string, string?> Facts { get => facts; init => facts = value ?? ImmutableSortedDictionary<string, string?>.Empty; }
    private readonly ImmutableSortedDictionary<string, string?> facts = ImmutableSortedDictionary<string, string?>.Empty;
    /// <summary>Ids of the latest decisions, so that replays decide nothing twice even past the ledger.</summary>
    public ImmutableArray<string> Decided { get => decided; init => decided = value.IsDefault ? [] : value; }
    private readonly ImmutableArray<string> decided = [];
    /// <summary>
    /// When the state was first written (processing time, not event time): decisions of a profile younger than the settle
    /// window wait (<see cref="Arbiter.OnChange"/>), so a profile merged away seconds later never gets messages of its own.
    /// Null on states written before this was recorded: they count as settled.
    /// </summary>
    public DateTimeOffset? Since { get; init; }
    /// <summary>
    /// Set once the customer was merged into another and this state handed over (<see cref="Absorb"/>): nobody evaluates it
    /// again; its content stays so that the survivor can still absorb it after a crash.
    /// </summary>
    public CustomerId? MergedInto { get; init; }
    /// <summary>Merged-away profiles whose states this one absorbed, so that the survivor reads each once.</summary>
    public ImmutableArray<CustomerId> Absorbed { get => absorbed; init => absorbed = value.IsDefault ? [] : value; }
    private readonly ImmutableArray<CustomerId> absorbed = [];
    /// <summary>
    /// Evaluations whose decisions were claimed by writing them here, with the state, before anything left: whoever wrote
    /// them sends and records them; an entry older than <see cref="PendingEvaluation.Lease"/> that the ledger does not hold
    /// was abandoned (a crash) and is carried out by the next evaluation.
    /// </summary>
    public ImmutableArray<PendingEvaluation> Outbox { get => outbox; init => outbox = value.IsDefault ? [] : value; }
    private readonly ImmutableArray<PendingEvaluation> outbox = [];

    public const int EvaluatedLimit = 64;

    public static RuleState Empty(CustomerId customerId) => new() { CustomerId = customerId };

    /// <summary>Whether the causes of change <paramref name="version"/> were evaluated already (a replay).</summary>
    public bool HasEvaluated(long version) => version <= Floor || Evaluated.Contains(version);

    /// <summary>Records evaluated versions; the set stays within <see cref="EvaluatedLimit"/>, the oldest raising the floor.</summary>
    public RuleState WithEvaluated(IEnumerable<long> versions)
    {
        var floor = Floor;
        var set = new SortedSet<long>(Evaluated.Where(v => v > floor));
        foreach (var v in versions) if (v > floor) set.Add(v);
        while (set.Count > EvaluatedLimit || set.Contains(floor + 1))
        {
            floor = set.Contains(floor + 1) ? floor + 1 : set.Min;
            set.RemoveWhere(v => v <= floor);
        }
        return this with { EvaluatedThrough = floor, Evaluated = [.. set], LastVersion = Math.Max(LastVersion, set.Count > 0 ? set.Max : floor) };
    }

    /// <summary>When the timer must look at this customer for its schedules: the earliest armed one (null: none).</summary>
    public DateTimeOffset? WakeUpAt => Armed.IsEmpty ? null : Armed.Min(a => a.DueAt);

    /// <summary>
    /// The due time of the earliest wake-up written for this customer that the timer has not reached yet (null: none known,
    /// as in states written before this was recorded). A schedule that moves later — an inactivity rule re-armed by every
    /// interaction — needs no new wake-up: the timer meets the earlier one, finds nothing due, and writes the next then.
    /// </summary>
    public DateTimeOffset? WakeUpWritten { get; init; }

    /// <summary>
    /// The wake-up to write, if any, for a customer the timer must look at by <paramref name="due"/>: none when a wake-up
    /// at or before it is already written and still ahead of <paramref name="now"/> (reaching it, the timer writes the next),
    /// nor when the one written is for exactly that time (not reached yet: the timer's evaluation would have consumed every
    /// schedule due by then and recorded the next wake-up).
    /// </summary>
    public DateTimeOffset? WakeUpToWrite(DateTimeOffset? due, DateTimeOffset now) =>
        due is { } at && (WakeUpWritten is not { } written || written > at || (written <= now && written != at)) ? at : null;

    /// <summary>Whether a merge has anything of this state to hand over to the survivor.</summary>
    public bool HasHistory => !Armed.IsEmpty || !Pending.IsEmpty || !Sent.IsEmpty || !Decided.IsEmpty;

    /// <summary>
    /// This (the survivor's) state with what the merged-away <paramref name="loserId"/>'s state remembered: sent records
    /// (caps and cooldowns count the whole customer), armed schedules (one per rule, the earliest), goals awaiting a
    /// conversion (one per rule and group, the longest), decided ids. Idempotent and order-independent, so absorbing twice,
    /// or by two writers, changes nothing. Versions and facts stay the survivor's: they describe its own view.
    /// </summary>
    public RuleState Absorb(CustomerId loserId, RuleState loser)
    {
        ArgumentNullException.ThrowIfNull(loser);
        var sent = Sent.Concat(loser.Sent).GroupBy(s => s.DecisionId, StringComparer.Ordinal).Select(g => g.MinBy(s => s.At)!)
            .OrderBy(s => s.At).ThenBy(s => s.DecisionId, StringComparer.Ordinal).ToArray();
        var armed = Armed.Concat(loser.Armed).GroupBy(a => a.RuleId, StringComparer.Ordinal)
            .Select(g => g.OrderBy(a => a.DueAt).ThenBy(a => a.Occurrence, StringComparer.Ordinal).First())
            .OrderBy(a => a.DueAt).ThenBy(a => a.RuleId, StringComparer.Ordinal);
        var pending = Pending.Concat(loser.Pending).GroupBy(p => (p.RuleId, p.Treated))
            .Select(g => g.OrderByDescending(p => p.Until).ThenBy(p => p.DecisionId, StringComparer.Ordinal).First())
            .OrderBy(p => p.RuleId, StringComparer.Ordinal).ThenBy(p => p.Treated);
        var decided = Decided.Concat(loser.Decided.Where(d => !Decided.Contains(d))).ToArray();
        return this with
        {
            Sent = [.. sent.Skip(Math.Max(0, sent.Length - Arbiter.SentLimit))],
            Armed = [.. armed],
            Pending = [.. pending],
            Decided = [.. decided.Skip(Math.Max(0, decided.Length - Arbiter.DecidedLimit))],
            Since = Since is { } a && loser.Since is { } b ? (a < b ? a : b) : null,
            Absorbed = [.. Absorbed.Union(loser.Absorbed.Append(loserId)).Order()],
        };
    }

    /// <summary>A state written before versions were tracked exactly knows only its watermark.</summary>
    private long Floor => EvaluatedThrough == 0 && Evaluated.IsEmpty ? LastVersion : EvaluatedThrough;
}

/// <summary>
/// A communication counted against caps and cooldowns, at the time it is delivered. A hold-out (<see cref="HeldOut"/>) is
/// remembered too, at the time it was decided, so that the rule's cooldown spaces hold-outs like treatments; it counts
/// against no cap and is not reported as sent.
/// </summary>
public sealed record SentRecord(string DecisionId, string RuleId, RuleKind Kind, Channel? Channel, string? Category, string Template, DateTimeOffset At, bool HeldOut = false);

/// <summary>
/// A schedule rule waiting for its time; the wake-up is also written to <c>wakeups</c> so the timer finds it. A change
/// rule decided while the profile was settling is armed too (occurrence <c>settle:…</c>), with the reasons that held then.
/// </summary>
public sealed record ArmedSchedule(string RuleId, DateTimeOffset DueAt, string Occurrence)
{
    public const string SettlePrefix = "settle:";

    public ImmutableArray<string> Reasons { get => reasons; init => reasons = value.IsDefault ? [] : value; }
    private readonly ImmutableArray<string> reasons = [];

    public bool Settling => Occurrence.StartsWith(SettlePrefix, StringComparison.Ordinal);
}

/// <summary>
/// What one evaluation decided, written into the state with it (a claim: a concurrent evaluation that loses the write
/// decides again and sends nothing) and carried out after: messages sent, then decisions recorded in the ledger, so that a
/// decision in the ledger was sent. Stats are counted once per decision recorded now.
/// </summary>
public sealed record PendingEvaluation(
    DateTimeOffset At,
    ImmutableArray<Decision> Decisions,
    ImmutableArray<CommunicationMessage> Communications,
    ImmutableArray<SalesAlertMessage> SalesAlerts,
    ImmutableArray<StatIncrement> Stats)
{
    /// <summary>How long its writer is trusted to carry it out; after that, the next evaluation does.</summary>
    public static readonly TimeSpan Lease = TimeSpan.FromMinutes(1);

    public static PendingEvaluation Of(EvaluationResult result, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(result);
        return new PendingEvaluation(at, result.Decisions, result.Communications, result.SalesAlerts, result.Stats);
    }

    public bool Abandoned(DateTimeOffset now) => At + Lease <= now;
}

/// <summary>A treatment (or a hold-out) waiting for its goal event within the attribution window.</summary>
public sealed record PendingGoal(string DecisionId, string RuleId, string Goal, bool Treated, DateTimeOffset Until);

/// <summary>Increment of a per-rule, per-day counter in <c>rulestats</c>.</summary>
public sealed record StatIncrement(string RuleId, DateOnly Day, string Counter, long By = 1);

/// <summary>What one evaluation of one customer decided.</summary>
public sealed record EvaluationResult(
    ImmutableArray<Decision> Decisions,
    ImmutableArray<CommunicationMessage> Communications,
    ImmutableArray<SalesAlertMessage> SalesAlerts,
    ImmutableArray<StatIncrement> Stats,
    RuleState State,
    /// <summary>Wake-ups to (re)write: the earliest armed due time, or null when nothing is armed.</summary>
    DateTimeOffset? NextWakeUp)
{
    /// <summary>The customer's scores aged across a segment boundary: its view is to be scored again and rewritten (<see cref="Ageing"/>).</summary>
    public bool Rescore { get; init; }
}
