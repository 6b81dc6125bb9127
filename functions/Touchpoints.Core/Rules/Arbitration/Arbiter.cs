using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Touchpoints.Core.Events;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Resources;
using Touchpoints.Core.Views;

namespace Touchpoints.Core.Rules;

/// <summary>
/// Decides, for one customer and one evaluation, which rules fire and what goes out: pure and deterministic (the same rules,
/// view, state, causes and <c>now</c> give the same result), with time only from <c>now</c>.
/// <para>
/// Every rule whose trigger matched and whose audience and conditions hold is a candidate. Candidates are dropped, each with
/// a <see cref="Decision"/> saying why, when in cooldown, without consent for the channel, without an address for it, owned
/// by sales (the owner is alerted instead), or held out; the rest are taken by priority (ties by document order) while the
/// frequency caps allow, after quiet hours and expiry are applied. Sales alerts are not capped, held out or quiet-houred.
/// </para>
/// <para>
/// Decision ids derive from rule, customer and occurrence (<c>v{version}</c> for a change, the armed occurrence for a
/// schedule, <c>preview</c> for a preview); a decision whose id the state remembers is skipped, so a replay decides nothing
/// twice. Stats count per rule and <b>UTC</b> day (<see cref="StatIncrement.Day"/>), so that the rule's counters for a day
/// are comparable across customers in different time zones.
/// </para>
/// </summary>
public static class Arbiter
{
    /// <summary>How many recent decision ids the state remembers (replays older than that are caught by the ledger's ids).</summary>
    public const int DecidedLimit = 200;
    /// <summary>How many sent records the state keeps at most (newest first), within <see cref="Retention"/>.</summary>
    public const int SentLimit = 100;
    public const int RecentActivityLimit = 5;
    public static readonly TimeSpan RecentMarketingWindow = TimeSpan.FromDays(30);
    public static readonly TimeSpan DefaultAlertDue = TimeSpan.FromDays(1);

    /// <summary>The template of the alert raised for a sales owner in place of a suppressed marketing communication.</summary>
    public const string OwnerAlertTemplate = "marketing-suppressed";
    public const string PreviewOccurrence = "preview";

    /// <summary>One <c>customer-changes</c> message: the view version it announced and what caused it.</summary>
    public sealed record ChangeMessage(long Version, IReadOnlyCollection<string> Causes);

    /// <summary>
    /// The customer-changes messages of one customer (in any order, replays included): evaluates the causes of those not
    /// evaluated before against the current view, and records their versions; null when all were (a replay, nothing to do).
    /// </summary>
    public static EvaluationResult? OnChanges(CompiledRules rules, CustomerView view, RuleState state, IReadOnlyCollection<ChangeMessage> messages, DateTimeOffset now,
        TimeSpan settle = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var fresh = messages.Where(m => !state.HasEvaluated(m.Version)).ToArray();
        if (fresh.Length == 0) return null;
        var causes = fresh.SelectMany(m => m.Causes).ToHashSet(StringComparer.Ordinal);
        var result = OnChange(rules, view, state, causes, now, settle);
        var bookkeeping = result.State with { LastVersion = state.LastVersion, EvaluatedThrough = state.EvaluatedThrough, Evaluated = state.Evaluated };
        return result with { State = bookkeeping.WithEvaluated(fresh.Select(m => m.Version)) };
    }

    /// <summary>
    /// A change of the customer's view: evaluates change rules whose causes intersect <paramref name="causes"/> (a rule
    /// without causes on any change), arms delay rules on their cause and disarms them on an <c>unless</c> cause (which wins
    /// when both came in one change), re-arms inactivity rules at the last interaction + their duration, and counts
    /// conversions of pending goals.
    /// <para>
    /// While the profile settles (its state is younger than <paramref name="settle"/>, see <see cref="RuleState.Since"/>), a change
    /// rule whose conditions hold is not decided but armed until the end of the window, with its reasons: if the profile is
    /// merged away meanwhile, the survivor absorbs it and decides it then, against the merged customer (its consent, its caps);
    /// a rule triggered again meanwhile is decided once.
    /// </para>
    /// </summary>
    public static EvaluationResult OnChange(CompiledRules rules, CustomerView view, RuleState state, IReadOnlyCollection<string> causes, DateTimeOffset now,
        TimeSpan settle = default)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(causes);
        var run = new Evaluation(rules, view, state, now, Mode.Change)
        {
            SettleUntil = settle > TimeSpan.Zero && state.Since is { } since && since + settle > now ? since + settle : null,
        };
        var occurrence = $"v{view.Version.ToString(CultureInfo.InvariantCulture)}";
        var causeSet = causes.ToHashSet(StringComparer.Ordinal);
        run.Convert(causeSet);
        // A paused rule decides nothing and arms nothing; what it had armed is dropped when due (OnSchedule).
        foreach (var rule in rules.Rules.Where(r => !r.Definition.Paused))
        {
            switch (rule.Definition.Trigger)
            {
                case ChangeTrigger change when change.Causes.IsEmpty || change.Causes.Any(causeSet.Contains):
                    var matched = change.Causes.Where(causeSet.Contains).ToArray();
                    run.Consider(rule, occurrence, matched.Length == 0 ? "on any change" : $"on {string.Join(", ", matched)}");
                    break;
                case DelayTrigger delay when delay.Unless.Any(causeSet.Contains):
                    run.Disarm(rule);
                    break;
                case DelayTrigger delay when causeSet.Contains(delay.Cause):
                    // The delay counts from when the customer acted (the view's latest interaction), not from when the change
                    // was processed: a backlog or a replay must not postpone "4 hours after the cart".
                    var acted = Facts.LastInteraction(view) is { } at && at < now ? at : now;
                    run.Arm(rule, acted + delay.After, $"delay:{occurrence}");
                    break;
                case InactivityTrigger when run.OutsideAudience(rule):
                    // Not armed for a customer outside the audience (an anonymous visitor, for a rule about customers): the
                    // audience is read from the view, which changes only with a write, and every write brings a change
                    // evaluation that arms it then. Saves a wake-up per visitor who never becomes one.
                    run.Disarm(rule);
                    break;
                case InactivityTrigger idle when Facts.LastInteraction(view) is { } last:
                    // Once per absence: not again after it went out since the last interaction.
                    if (!state.Sent.Any(s => s.RuleId == rule.Definition.Id && s.At >= last))
                        run.Arm(rule, last + idle.After, $"idle:{last.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)}");
                    break;
            }
        }
        // Every write of the view brings a change evaluation: the moment ageing next moves the customer between segments is
        // found from the view just written.
        run.ArmAgeing(Ageing.NextChange(view, rules, now));
        return run.Finish(Math.Max(state.LastVersion, view.Version));
    }

    /// <summary>
    /// The timer: evaluates armed schedules due at <paramref name="now"/>, each once per occurrence, if its audience and
    /// conditions still hold (else it is dropped: stat <c>notHolding</c>, a decision suppressed for <c>audience</c>). An
    /// inactivity schedule whose customer came back is re-armed at the new last interaction instead.
    /// </summary>
    public static EvaluationResult OnSchedule(CompiledRules rules, CustomerView view, RuleState state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(state);
        var run = new Evaluation(rules, view, state, now, Mode.Schedule);
        var byId = rules.Rules.ToDictionary(r => r.Definition.Id, StringComparer.Ordinal);
        var rescore = false;
        if (state.Armed.FirstOrDefault(a => a.RuleId == Ageing.ScheduleId && a.DueAt <= now) is { } ageing)
        {
            // The scores aged across a segment boundary: the view is to be scored again and rewritten (an effect of the runner),
            // whose change evaluation arms the next moment. Looked at again after a while in case that write never happens.
            var next = Ageing.NextChange(view, rules, now);
            rescore = next <= now;
            run.ArmAgeing(rescore ? now + Ageing.Retry : next);
        }
        var due = state.Armed.Where(a => a.DueAt <= now && a.RuleId != Ageing.ScheduleId)
            .OrderBy(a => a.DueAt).ThenBy(a => byId.TryGetValue(a.RuleId, out var r) ? r.Order : int.MaxValue).ThenBy(a => a.RuleId, StringComparer.Ordinal);
        foreach (var armed in due)
        {
            run.Unarm(armed);
            if (!byId.TryGetValue(armed.RuleId, out var rule) || rule.Definition.Paused) continue; // the rule left the document, or is paused
            switch (rule.Definition.Trigger)
            {
                case InactivityTrigger idle:
                    var last = Facts.LastInteraction(view);
                    if (last is { } back && back + idle.After > now)
                    {
                        run.Arm(rule, back + idle.After, $"idle:{back.UtcDateTime.ToString("O", CultureInfo.InvariantCulture)}");
                        continue;
                    }
                    run.Consider(rule, armed.Occurrence, $"no interaction for {TimeWords.Of(idle.After)}");
                    break;
                case ChangeTrigger when armed.Settling:
                    run.Settled(rule, armed);
                    break;
                case DelayTrigger delay:
                    run.Consider(rule, armed.Occurrence,
                        $"{TimeWords.Of(delay.After)} after {delay.Cause}{(delay.Unless.IsEmpty ? "" : $" without {string.Join(" or ", delay.Unless)}")}");
                    break;
                default:
                    continue; // a change rule is never armed; the document changed under it
            }
        }
        return run.Finish(state.LastVersion) with { Rescore = rescore };
    }

    /// <summary>
    /// A dry run for the admin: every rule as if its trigger fired now (occurrence <c>preview</c>), arbitrated as usual.
    /// Rules whose audience or conditions do not hold are shown suppressed for <c>audience</c>, with why. Nothing here is
    /// meant to be remembered: no stats are returned, and the state returned is only what it would become.
    /// </summary>
    public static EvaluationResult Preview(CompiledRules rules, CustomerView view, RuleState state, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(state);
        var run = new Evaluation(rules, view, state, now, Mode.Preview);
        foreach (var rule in rules.Rules.Where(r => !r.Definition.Paused)) run.Consider(rule, PreviewOccurrence, "preview: as if its trigger fired now");
        return run.Finish(state.LastVersion);
    }

    /// <summary><c>d-</c> and 24 hex digits of SHA-256 over rule, customer and occurrence.</summary>
    public static string DecisionId(string ruleId, CustomerId customerId, string occurrence)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{ruleId}\n{customerId}\n{occurrence}"));
        return "d-" + Convert.ToHexStringLower(hash, 0, 12);
    }

    /// <summary>The id of the alert raised for the sales owner in place of a marketing decision.</summary>
    public static string OwnerAlertId(string ruleId, CustomerId customerId, string occurrence) => DecisionId(ruleId + "#owner", customerId, occurrence);

    /// <summary>
    /// The customer's stable place in [0, 100) for a rule: the first 8 bytes of SHA-256 over customer and rule id. Below the
    /// rule's <see cref="RuleDefinition.Holdout"/> percentage the customer is held out of that rule, every time.
    /// </summary>
    public static double HoldoutBucket(CustomerId customerId, string ruleId)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{customerId}\n{ruleId}"));
        return BitConverter.ToUInt64(hash, 0) / 18446744073709551616.0 * 100;
    }

    /// <summary>The queue of a marketing communication by its priority.</summary>
    public static string QueueFor(PriorityTiers tiers, int priority) =>
        priority >= tiers.High ? Queues.CommunicationsHigh : priority >= tiers.Normal ? Queues.CommunicationsNormal : Queues.CommunicationsLow;

    /// <summary>
    /// The address a channel needs: email → <c>traits.email</c>; sms and phone → <c>traits.phone</c>; push and in-app → the
    /// customer's user id (an identity <c>userId:…</c>, which the apps' push registrations are keyed by); mail → the name
    /// (letters go to the postal address the CRM keeps; without a name there is nobody to address them to), returned as the
    /// address. Null: the channel cannot reach the customer.
    /// </summary>
    public static string? AddressFor(Channel channel, CustomerView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        static string? Value(Stamped<string>? s) => string.IsNullOrWhiteSpace(s?.Value) ? null : s.Value;
        return channel switch
        {
            Channel.Email => Value(view.Traits.Email),
            Channel.Sms or Channel.Phone => Value(view.Traits.Phone),
            Channel.Push or Channel.InApp => view.Identities.FirstOrDefault(k => k.StartsWith(UserIdPrefix, StringComparison.Ordinal) && k.Length > UserIdPrefix.Length)?[UserIdPrefix.Length..],
            _ => Value(view.Traits.Name),
        };
    }

    /// <summary>Why the policies do not let <paramref name="channel"/> reach the customer as the view stands (consent); null if they do.</summary>
    public static string? ConsentMiss(Policies policies, Channel channel, CustomerView view)
    {
        ArgumentNullException.ThrowIfNull(policies);
        ArgumentNullException.ThrowIfNull(view);
        if (!policies.Consent.TryGetValue(channel, out var policy)) return $"{Facts.Name(channel)} has no consent policy";
        if (policy.RequiresConsentOf is not { } needed) return null;
        return view.Consent.StatusOf(needed) switch
        {
            ConsentStatus.Granted => null,
            ConsentStatus.Denied => $"{Facts.Name(needed)} consent is denied",
            _ => policy.UnknownAllows ? null : $"{Facts.Name(needed)} consent is unknown, which does not allow {Facts.Name(channel)}",
        };
    }

    /// <summary>Why the customer is outside the rule's audience (segments, lifecycle) as the view stands; null if inside.</summary>
    public static string? AudienceMiss(RuleDefinition rule, CustomerView view)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(view);
        var audience = rule.Audience;
        if (!audience.Segments.IsEmpty && !audience.Segments.Any(view.Segments.Contains))
            return $"not in {(audience.Segments.Length == 1 ? "segment" : "any of the segments")} {string.Join(", ", audience.Segments)}";
        if (!audience.Lifecycle.IsEmpty && !audience.Lifecycle.Contains(view.Lifecycle))
            return $"lifecycle stage is {Facts.Name(view.Lifecycle)}, not {string.Join(" or ", audience.Lifecycle.Select(Facts.Name))}";
        return null;
    }

    private const string UserIdPrefix = "userId:";

    /// <summary>The facts any rule tests with <c>changed</c>: their values are remembered for the next change.</summary>
    public static IEnumerable<string> ChangedFacts(CompiledRules rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        static IEnumerable<string> Walk(Condition? c) => c switch
        {
            AllOf all => all.Conditions.SelectMany(Walk),
            AnyOf any => any.Conditions.SelectMany(Walk),
            Negation not => Walk(not.Condition),
            Predicate { Op: Comparison.Changed } p => [p.Fact],
            _ => [],
        };
        return rules.Rules.SelectMany(r => Walk(r.Definition.Conditions)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal);
    }

    private enum Mode { Change, Schedule, Preview }

    private sealed record Candidate(CompiledRule Rule, string Id, string Occurrence, ImmutableArray<string> Reasons)
    {
        public RuleDefinition Definition => Rule.Definition;
    }

    /// <summary>A sales alert decided in this evaluation, whose message is built once marketing is decided.</summary>
    private sealed record PendingAlert(Decision Decision, string? NextStep, DateTimeOffset Due);

    /// <summary>One evaluation's working state.</summary>
    private sealed class Evaluation
    {
        private readonly CompiledRules rules;
        private readonly CustomerView view;
        private readonly RuleState state;
        private readonly DateTimeOffset now;
        private readonly Mode mode;
        private readonly EvaluationContext context;
        private readonly TimeZoneInfo zone;
        private readonly DateOnly day;

        private readonly List<Candidate> candidates = [];
        private readonly List<Decision> decisions = [];
        private readonly List<CommunicationMessage> communications = [];
        private readonly List<PendingAlert> alerts = [];
        private readonly List<SentRecord> sent = [];
        private readonly List<PendingGoal> pending;
        private readonly List<ArmedSchedule> armed;
        private readonly List<string> decided = [];
        private readonly HashSet<string> known;
        private readonly List<(string RuleId, string Counter)> stats = [];

        public Evaluation(CompiledRules rules, CustomerView view, RuleState state, DateTimeOffset now, Mode mode)
        {
            this.rules = rules;
            this.view = view;
            this.state = state;
            this.now = now;
            this.mode = mode;
            // Never evaluated before: every fact present counts as changed.
            var previous = state.LastVersion == 0 && state.Facts.IsEmpty ? null : state.Facts;
            context = new EvaluationContext(view, now, previous);
            zone = LocalTime.ZoneOf(view, rules.Policies);
            day = DateOnly.FromDateTime(now.UtcDateTime);
            pending = [.. state.Pending.Where(p => p.Until >= now)];
            armed = [.. state.Armed];
            known = mode == Mode.Preview ? new HashSet<string>(StringComparer.Ordinal) : [.. state.Decided];
        }

        private Policies Policies => rules.Policies;

        private void Count(string ruleId, string counter)
        {
            if (mode != Mode.Preview) stats.Add((ruleId, counter));
        }

        public void Convert(HashSet<string> causes)
        {
            for (var i = 0; i < pending.Count; i++)
            {
                var goal = pending[i];
                if (!causes.Contains(goal.Goal)) continue;
                Count(goal.RuleId, StatCounter.Converted(goal.Treated));
                pending.RemoveAt(i--);
            }
        }

        public void Arm(CompiledRule rule, DateTimeOffset dueAt, string occurrence)
        {
            var id = rule.Definition.Id;
            if (known.Contains(DecisionId(id, view.Id, occurrence))) return; // this occurrence already fired
            var existing = armed.FindIndex(a => a.RuleId == id);
            if (existing >= 0 && armed[existing].Occurrence == occurrence) return;
            if (existing >= 0) armed.RemoveAt(existing);
            armed.Add(new ArmedSchedule(id, dueAt, occurrence));
        }

        /// <summary>The end of the settle window of a profile still settling (change evaluations only).</summary>
        public DateTimeOffset? SettleUntil { get; init; }

        public void Disarm(CompiledRule rule) => armed.RemoveAll(a => a.RuleId == rule.Definition.Id);

        /// <summary>Whether the customer is outside the rule's audience (segments, lifecycle) as the view stands.</summary>
        public bool OutsideAudience(CompiledRule rule) => AudienceMiss(rule.Definition) is not null;

        public void Unarm(ArmedSchedule schedule) => armed.Remove(schedule);

        /// <summary>Arms (or, with null, disarms) the wake-up at which ageing changes the customer's segments.</summary>
        public void ArmAgeing(DateTimeOffset? at)
        {
            armed.RemoveAll(a => a.RuleId == Ageing.ScheduleId);
            if (at is { } due) armed.Add(new ArmedSchedule(Ageing.ScheduleId, due, "ageing"));
        }

        public void Consider(CompiledRule rule, string occurrence, string trigger)
        {
            var definition = rule.Definition;
            var id = DecisionId(definition.Id, view.Id, occurrence);
            if (known.Contains(id)) return; // a replay: decided already
            Count(definition.Id, StatCounter.Evaluated);
            var miss = AudienceMiss(definition) ?? (rule.Conditions.Test(context) ? null : "its conditions do not hold");
            if (miss is not null)
            {
                if (mode == Mode.Change) return; // not a candidate: nothing to record
                if (mode == Mode.Schedule) Count(definition.Id, StatCounter.NotHolding);
                Record(Base(definition, id, occurrence, [trigger]) with
                {
                    Outcome = DecisionOutcome.Suppressed,
                    SuppressedBecause = SuppressionReason.Audience,
                    Explanation = mode == Mode.Schedule ? $"no longer holds when due: {miss}" : miss,
                });
                return;
            }
            if (SettleUntil is { } until)
            {
                // Decided when the profile has settled, with the reasons that hold now (a later change no longer sees them as changed).
                var settling = ArmedSchedule.SettlePrefix + occurrence;
                if (known.Contains(DecisionId(definition.Id, view.Id, settling))) return;
                armed.RemoveAll(a => a.RuleId == definition.Id);
                armed.Add(new ArmedSchedule(definition.Id, until, settling) { Reasons = [trigger, .. rule.Conditions.Reasons(context)] });
                return;
            }
            candidates.Add(new Candidate(rule, id, occurrence, [trigger, .. rule.Conditions.Reasons(context)]));
        }

        /// <summary>A change rule armed while the profile settled: its conditions held then; consent, caps and ownership are checked now.</summary>
        public void Settled(CompiledRule rule, ArmedSchedule armedRule)
        {
            var id = DecisionId(rule.Definition.Id, view.Id, armedRule.Occurrence);
            if (known.Contains(id)) return;
            candidates.Add(new Candidate(rule, id, armedRule.Occurrence, armedRule.Reasons.IsEmpty ? ["after the profile settled"] : armedRule.Reasons));
        }

        private string? AudienceMiss(RuleDefinition rule) => Arbiter.AudienceMiss(rule, view);

        private Decision Base(RuleDefinition rule, string id, string occurrence, ImmutableArray<string> reasons) => new()
        {
            Id = id,
            CustomerId = view.Id,
            RuleId = rule.Id,
            RuleVersion = rules.Version,
            Kind = rule.Kind,
            Channel = rule.Channel,
            Template = rule.Template,
            Priority = rule.Priority,
            Occurrence = occurrence,
            Outcome = DecisionOutcome.Queued,
            Reasons = reasons,
            CreatedAt = now,
            NotBefore = now,
        };

        private void Record(Decision decision)
        {
            decisions.Add(decision);
            decided.Add(decision.Id);
        }

        private void Suppress(Candidate c, SuppressionReason reason, string explanation)
        {
            Record(Base(c.Definition, c.Id, c.Occurrence, c.Reasons) with
            {
                Outcome = DecisionOutcome.Suppressed, SuppressedBecause = reason, Explanation = explanation,
            });
            Count(c.Definition.Id, StatCounter.Suppressed(reason));
        }

        /// <summary>Arbitrates the candidates: checks in order, then priority and caps.</summary>
        private void Arbitrate()
        {
            var ordered = candidates.OrderByDescending(c => c.Definition.Priority).ThenBy(c => c.Rule.Order);
            foreach (var c in ordered)
            {
                var rule = c.Definition;
                if (rule.Cooldown > TimeSpan.Zero
                    && state.Sent.Concat(sent).Where(s => s.RuleId == rule.Id && s.At > now - rule.Cooldown).Select(s => (DateTimeOffset?)s.At).Max() is { } last)
                {
                    Suppress(c, SuppressionReason.Cooldown,
                        last > now
                            ? $"already going out at {last.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)}, within the cooldown of {TimeWords.Of(rule.Cooldown)}"
                            : $"last sent {TimeWords.Of(now - last)} ago, within the cooldown of {TimeWords.Of(rule.Cooldown)}");
                    continue;
                }
                if (rule.Kind == RuleKind.SalesAlert)
                {
                    RaiseAlert(Base(rule, c.Id, c.Occurrence, c.Reasons), rule.Id, rule.Category, rule.NextStep, rule.DueIn, rule.Expiry);
                    continue;
                }
                if (rule.Channel is not { } channel)
                {
                    Suppress(c, SuppressionReason.NoAddress, "a marketing rule without a channel");
                    continue;
                }
                if (ConsentMiss(channel) is { } noConsent)
                {
                    Suppress(c, SuppressionReason.Consent, noConsent);
                    continue;
                }
                if (AddressFor(channel, view) is null)
                {
                    Suppress(c, SuppressionReason.NoAddress, channel switch
                    {
                        Channel.Email => "no email address",
                        Channel.Sms or Channel.Phone => "no phone number",
                        Channel.Mail => "no name to address a letter to",
                        _ => $"no user id to reach the app ({Facts.Name(channel)})",
                    });
                    continue;
                }
                if (OwnedBySales(rule) is { } owner)
                {
                    SalesOwned(c, channel, owner);
                    continue;
                }
                if (rule.Holdout > 0 && HoldoutBucket(view.Id, rule.Id) < rule.Holdout)
                {
                    HoldOut(c, channel);
                    continue;
                }
                var notBefore = QuietHoursClock.DeliverAt(Policies.QuietHours, channel, now, zone);
                if (rule.Expiry is { } expiry && notBefore > now + expiry)
                {
                    Suppress(c, SuppressionReason.Expired,
                        $"quiet hours hold it until {Local(notBefore)}, past its expiry of {TimeWords.Of(expiry)}");
                    continue;
                }
                string? spaced = null;
                if (Policies.Spacing is { } spacing && !spacing.Exempts(rule.Category) && FreeSlot(spacing, channel, notBefore) is var (slot, because) && slot > notBefore)
                {
                    // The next free slot, in quiet hours again if it falls in them.
                    var at = QuietHoursClock.DeliverAt(Policies.QuietHours, channel, slot, zone);
                    if (rule.Expiry is { } lasts && at > now + lasts)
                    {
                        Suppress(c, SuppressionReason.Spacing, $"{because}; the next free slot, {Local(at)}, is past its expiry of {TimeWords.Of(lasts)}");
                        continue;
                    }
                    (notBefore, spaced) = (at, $"spaced: {because}; delivered at {Local(at)}");
                }
                if (CapMiss(channel, notBefore) is { } capped)
                {
                    Suppress(c, SuppressionReason.FrequencyCap, capped);
                    continue;
                }
                Take(c, channel, notBefore, spaced);
            }
        }

        /// <summary>
        /// The earliest time from <paramref name="from"/> that is at least the spacing away from every marketing message sent
        /// or going out (any channel: the global gap; the same channel: its own gap if longer), and why it is not
        /// <paramref name="from"/> itself. Each step moves past one message for good, so it ends.
        /// </summary>
        private (DateTimeOffset Slot, string? Because) FreeSlot(Spacing spacing, Channel channel, DateTimeOffset from)
        {
            var others = state.Sent.Concat(sent)
                .Where(s => s.Kind == RuleKind.Marketing && !s.HeldOut && s.Channel is not null && !spacing.Exempts(s.Category))
                .ToArray();
            TimeSpan Gap(SentRecord s) => s.Channel == channel && spacing.Channels.TryGetValue(channel, out var own) && own > spacing.AnyChannel ? own : spacing.AnyChannel;
            var slot = from;
            string? because = null;
            for (var moved = true; moved;)
            {
                moved = false;
                foreach (var s in others)
                {
                    var gap = Gap(s);
                    if (gap <= TimeSpan.Zero || (slot - s.At).Duration() >= gap) continue;
                    slot = s.At + gap;
                    because = $"'{s.Template}' ({s.RuleId}) goes out {(s.At > now ? "at " + Local(s.At) : TimeWords.Of(now - s.At) + " ago")}, within {TimeWords.Of(gap)} of marketing on {(gap == spacing.AnyChannel ? "any channel" : Facts.Name(channel))}";
                    moved = true;
                }
            }
            return (slot, because);
        }

        private string? ConsentMiss(Channel channel) => Arbiter.ConsentMiss(Policies, channel, view);

        private string? OwnedBySales(RuleDefinition rule)
        {
            if (Policies.SalesOwnership is not { } ownership || rule.Category is not { } category) return null;
            if (!ownership.SuppressCategories.Contains(category, StringComparer.OrdinalIgnoreCase)) return null;
            var sales = view.Touchpoints.Sales;
            return sales?.Owner?.Value is { Length: > 0 } owner && sales.Opportunity is { Open: true } ? owner : null;
        }

        private void SalesOwned(Candidate c, Channel channel, string owner)
        {
            var rule = c.Definition;
            var opportunity = view.Touchpoints.Sales!.Opportunity!;
            Suppress(c, SuppressionReason.SalesOwned,
                $"{owner} owns this customer with an open opportunity ({opportunity.Stage}); {rule.Category} marketing waits");
            var ownership = Policies.SalesOwnership!;
            if (!ownership.AlertOwner) return;
            var wanted = $"marketing wanted to send '{rule.Template}' ({rule.Category}) on {Facts.Name(channel)} (rule {rule.Id})";
            var alert = Base(rule, OwnerAlertId(rule.Id, view.Id, c.Occurrence), c.Occurrence, [wanted, .. c.Reasons]) with
            {
                Kind = RuleKind.SalesAlert, Channel = null, Template = OwnerAlertTemplate, Priority = ownership.AlertPriority,
            };
            RaiseAlert(alert, rule.Id, rule.Category,
                $"Marketing held back '{rule.Template}' because you own this customer: follow up personally if it fits.", null, rule.Expiry);
            Count(rule.Id, StatCounter.OwnerAlerted);
        }

        private void RaiseAlert(Decision decision, string ruleId, string? category, string? nextStep, TimeSpan? dueIn, TimeSpan? expiry)
        {
            var alert = decision with { Queue = Queues.SalesAlerts, ExpiresAt = now + expiry };
            Record(alert);
            if (decision.Kind == RuleKind.SalesAlert && decision.Template != OwnerAlertTemplate) Count(ruleId, StatCounter.Queued);
            sent.Add(new SentRecord(alert.Id, ruleId, RuleKind.SalesAlert, null, category, alert.Template, now));
            alerts.Add(new PendingAlert(alert, nextStep, now + (dueIn ?? DefaultAlertDue)));
        }

        private void HoldOut(Candidate c, Channel channel)
        {
            var rule = c.Definition;
            var until = rule.Goal is null ? (DateTimeOffset?)null : now + rule.AttributionWindow;
            Record(Base(rule, c.Id, c.Occurrence, c.Reasons) with
            {
                Outcome = DecisionOutcome.HeldOut,
                Explanation = $"in the {rule.Holdout.ToString("0.##", CultureInfo.InvariantCulture)}% hold-out of this rule",
                Goal = rule.Goal,
                AttributionUntil = until,
            });
            Count(rule.Id, StatCounter.HeldOut);
            sent.Add(new SentRecord(c.Id, rule.Id, RuleKind.Marketing, channel, rule.Category, rule.Template, now, HeldOut: true));
            if (rule.Goal is { } goal) Await(new PendingGoal(c.Id, rule.Id, goal, false, until!.Value));
        }

        /// <summary>One pending goal per rule and group: a newer treatment (or hold-out) of the rule replaces the older.</summary>
        private void Await(PendingGoal goal)
        {
            pending.RemoveAll(p => p.RuleId == goal.RuleId && p.Treated == goal.Treated);
            pending.Add(goal);
        }

        private string? CapMiss(Channel channel, DateTimeOffset at)
        {
            foreach (var cap in Policies.FrequencyCaps)
            {
                if (cap.Channel is { } only && only != channel) continue;
                var times = state.Sent.Concat(sent)
                    .Where(s => s.Kind == RuleKind.Marketing && !s.HeldOut && (cap.Channel is null || s.Channel == cap.Channel))
                    .Select(s => s.At);
                if (CapWindows.CountWith(cap.Window, times, at, zone) <= cap.Max) continue;
                var where = cap.Channel is { } c ? $"on {Facts.Name(c)}" : "on any channel";
                return $"{cap.Max} per {CapWindows.Describe(cap.Window)} {where} already";
            }
            return null;
        }

        private void Take(Candidate c, Channel channel, DateTimeOffset notBefore, string? spaced = null)
        {
            var rule = c.Definition;
            var deferred = notBefore > now;
            var queue = QueueFor(Policies.PriorityTiers, rule.Priority);
            var until = rule.Goal is null ? (DateTimeOffset?)null : notBefore + rule.AttributionWindow;
            var decision = Base(rule, c.Id, c.Occurrence, c.Reasons) with
            {
                Outcome = deferred ? DecisionOutcome.Deferred : DecisionOutcome.Queued,
                Explanation = spaced ?? (deferred ? $"quiet hours: delivered at {Local(notBefore)}" : null),
                NotBefore = notBefore,
                ExpiresAt = notBefore + rule.Expiry,
                Goal = rule.Goal,
                AttributionUntil = until,
                Queue = queue,
            };
            Record(decision);
            Count(rule.Id, deferred ? StatCounter.Deferred : StatCounter.Queued);
            sent.Add(new SentRecord(c.Id, rule.Id, RuleKind.Marketing, channel, rule.Category, rule.Template, notBefore));
            if (rule.Goal is { } goal) Await(new PendingGoal(c.Id, rule.Id, goal, true, until!.Value));
            communications.Add(new CommunicationMessage(
                decision.Id, view.Id, rule.Id, rules.Version, RuleKind.Marketing, channel, rule.Template, rule.Priority, decision.Reasons,
                new Recipient(Trait(view.Traits.Name), AddressFor(channel, view), Trait(view.Traits.Locale), zone.Id),
                notBefore, decision.ExpiresAt, now));
        }

        /// <summary>
        /// The alert still open for this customer (the first raised within the digest window, by an earlier evaluation) that
        /// this evaluation's alert updates, with the rules alerted since; null when none is.
        /// </summary>
        private AlertUpdate? OpenAlert()
        {
            if (Policies.SalesOwnership is not { DigestWindow: var window } || window <= TimeSpan.Zero) return null;
            var recent = state.Sent.Where(s => s.Kind == RuleKind.SalesAlert && s.At > now - window && s.At <= now).OrderBy(s => s.At).ToList();
            return recent.Count == 0 ? null : new AlertUpdate(recent[0].DecisionId, recent[0].At, [.. recent.Select(s => s.RuleId).Distinct(StringComparer.Ordinal)]);
        }

        private string Local(DateTimeOffset at) =>
            $"{LocalTime.WallClock(at, zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} {zone.Id}";

        private static string? Trait(Stamped<string>? trait) => string.IsNullOrWhiteSpace(trait?.Value) ? null : trait.Value;

        public EvaluationResult Finish(long lastVersion)
        {
            Arbitrate();
            var marketing = state.Sent.Concat(sent)
                .Where(s => s.Kind == RuleKind.Marketing && !s.HeldOut && s.Channel is not null && s.At > now - RecentMarketingWindow)
                .OrderByDescending(s => s.At).ThenBy(s => s.RuleId, StringComparer.Ordinal)
                .Select(s => new MarketingSent(s.RuleId, s.Channel!.Value, s.Template, s.At))
                .ToImmutableArray();
            var customer = new Recipient(Trait(view.Traits.Name), Trait(view.Traits.Email) ?? Trait(view.Traits.Phone), Trait(view.Traits.Locale), zone.Id);
            // One alert per owner: every alert of this evaluation concerns one customer and so one owner (or the unassigned
            // queue); the most urgent leads, the others are folded in with their reasons, so the owner is not paged once per rule.
            var ordered = alerts.OrderByDescending(a => a.Decision.Priority).ThenBy(a => a.Due).ToList();
            var salesAlerts = ordered.Take(1).Select(a => new SalesAlertMessage(
                a.Decision.Id, view.Id, a.Decision.RuleId, rules.Version, a.Decision.Template, a.Decision.Priority,
                ordered.Count == 1 ? a.Decision.Reasons : [.. ordered.SelectMany(o => o.Decision.Reasons.Select(r => $"{o.Decision.RuleId}: {r}"))],
                customer, Trait(view.Touchpoints.Sales?.Owner), [.. view.Journal.Take(RecentActivityLimit)], marketing, a.NextStep,
                ordered.Min(o => o.Due), now, a.Decision.ExpiresAt,
                ordered.Count == 1 ? null : [.. ordered.Skip(1).Select(o => new DigestedAlert(o.Decision.Id, o.Decision.RuleId, o.Decision.Template, o.NextStep, o.Due))],
                OpenAlert()))
                .ToImmutableArray();
            if (ordered.Count > 1)
            {
                var lead = ordered[0].Decision.Id;
                var folded = ordered.Skip(1).Select(o => o.Decision.Id).ToHashSet(StringComparer.Ordinal);
                for (var i = 0; i < decisions.Count; i++)
                    if (folded.Contains(decisions[i].Id)) decisions[i] = decisions[i] with { DigestedInto = lead };
            }

            var newState = state with
            {
                LastVersion = lastVersion,
                Sent = Trim(state.Sent.AddRange(sent)),
                Armed = [.. armed.OrderBy(a => a.DueAt).ThenBy(a => a.RuleId, StringComparer.Ordinal)],
                Pending = [.. pending],
                Facts = mode == Mode.Change ? Snapshot() : state.Facts,
                Decided = Last(state.Decided.AddRange(decided), DecidedLimit),
            };
            var order = rules.Rules.ToDictionary(r => r.Definition.Id, r => r.Order, StringComparer.Ordinal);
            var increments = stats.GroupBy(s => s)
                .OrderBy(g => order.GetValueOrDefault(g.Key.RuleId, int.MaxValue)).ThenBy(g => g.Key.RuleId, StringComparer.Ordinal)
                .ThenBy(g => g.Key.Counter, StringComparer.Ordinal)
                .Select(g => new StatIncrement(g.Key.RuleId, day, g.Key.Counter, g.Count()))
                .ToImmutableArray();
            return new EvaluationResult(
                [.. decisions], [.. communications], salesAlerts, increments, newState,
                newState.Armed.IsEmpty ? null : newState.Armed.Min(a => a.DueAt));
        }

        /// <summary>Sent records within reach of every cap window and cooldown (and the 30 days alerts report), newest 100.</summary>
        private ImmutableArray<SentRecord> Trim(ImmutableArray<SentRecord> all)
        {
            var reach = rules.Policies.FrequencyCaps.Select(c => CapWindows.Reach(c.Window))
                .Concat(rules.Rules.Select(r => r.Definition.Cooldown))
                .Append(RecentMarketingWindow)
                .Max();
            var kept = all.Where(s => s.At > now - reach).OrderBy(s => s.At).ThenBy(s => s.DecisionId, StringComparer.Ordinal).ToArray();
            return [.. kept.Skip(Math.Max(0, kept.Length - SentLimit))];
        }

        private static ImmutableArray<string> Last(ImmutableArray<string> ids, int limit) =>
            ids.Length <= limit ? ids : ids.RemoveRange(0, ids.Length - limit);

        private ImmutableSortedDictionary<string, string?> Snapshot()
        {
            var builder = ImmutableSortedDictionary.CreateBuilder<string, string?>(StringComparer.Ordinal);
            foreach (var path in ChangedFacts(rules))
                if (Facts.Find(path) is { } fact) builder[path] = fact.Snapshot(view);
            return builder.ToImmutable();
        }
    }
}
