using System.Collections.Immutable;
using System.Text.Json;

namespace Touchpoints.Core.Rules;

/// <summary>The channels a communication can go out on.</summary>
public enum Channel { Email, Sms, Push, Phone, Mail, InApp }

public enum RuleKind { Marketing, SalesAlert }

/// <summary>
/// The marketer-owned rules document: global policies, score weights, segment definitions and rules. Validated and bound
/// by <see cref="RulesDocumentReader"/>; compiled once into delegates by <see cref="RulesCompiler"/>.
/// </summary>
public sealed record RulesDocument
{
    public required Policies Policies { get; init; }
    public required ScoreModel Scores { get; init; }
    public required ImmutableArray<SegmentDefinition> Segments { get; init; }
    public required ImmutableArray<RuleDefinition> Rules { get; init; }
}

public sealed record Policies
{
    /// <summary>The time zone of customers whose own is unknown (quiet hours and cap windows are local).</summary>
    public required string DefaultTimezone { get; init; }
    public required ImmutableArray<FrequencyCap> FrequencyCaps { get; init; }
    public QuietHours? QuietHours { get; init; }
    /// <summary>Every marketing channel's consent mapping; a channel without one cannot be used.</summary>
    public required ImmutableDictionary<Channel, ConsentPolicy> Consent { get; init; }
    public SalesOwnership? SalesOwnership { get; init; }
    public required PriorityTiers PriorityTiers { get; init; }
    /// <summary>How far apart marketing messages to one customer must be, across rules; null: only caps and cooldowns.</summary>
    public Spacing? Spacing { get; init; }
}

/// <summary>
/// A customer's marketing budget across rules: at least <see cref="AnyChannel"/> between two marketing messages on any
/// channel, and per channel at least its own gap. Competing decisions go by priority; the others wait for the next free
/// slot, or are dropped when it comes after their expiry. Rules of the <see cref="Exempt"/> categories (order
/// confirmations) neither wait nor take a slot.
/// </summary>
public sealed record Spacing(TimeSpan AnyChannel, ImmutableDictionary<Channel, TimeSpan> Channels, ImmutableArray<string> Exempt)
{
    public bool Exempts(string? category) => category is not null && Exempt.Contains(category, StringComparer.OrdinalIgnoreCase);
}

/// <summary>At most <see cref="Max"/> communications per window; <see cref="Channel"/> null caps all channels together.</summary>
public sealed record FrequencyCap(Channel? Channel, int Max, CapWindow Window);

/// <summary>A calendar window in the customer's time zone (day, week from Monday, month), or a rolling duration.</summary>
public sealed record CapWindow(CapWindowUnit Unit, TimeSpan Rolling = default)
{
    public override string ToString() => Unit == CapWindowUnit.Rolling ? $"rolling {Rolling}" : Unit.ToString().ToLowerInvariant();
}

public enum CapWindowUnit { Day, Week, Month, Rolling }

/// <summary>Local times between which nothing is delivered; what falls inside waits for <see cref="End"/>.</summary>
public sealed record QuietHours(TimeOnly Start, TimeOnly End, ImmutableArray<Channel> Channels);

/// <summary>Which consent a channel needs, and whether <c>unknown</c> counts as consent for it.</summary>
public sealed record ConsentPolicy(Events.ConsentChannel? RequiresConsentOf, bool UnknownAllows);

/// <summary>
/// While a customer has a sales owner and an open opportunity, marketing rules of the listed categories are suppressed and
/// the owner is alerted instead.
/// </summary>
/// <param name="DigestWindow">
/// A sales alert raised within this long after another one for the same customer (and so the same owner) goes out as an
/// update of that one (<c>updates</c>), so a receiver updates its open task instead of opening another.
/// </param>
public sealed record SalesOwnership(ImmutableArray<string> SuppressCategories, bool AlertOwner, int AlertPriority, TimeSpan DigestWindow = default);

/// <summary>Priority at or above <see cref="High"/> goes to the high queue, at or above <see cref="Normal"/> to normal, else low.</summary>
public sealed record PriorityTiers(int High, int Normal);

public sealed record ScoreModel
{
    public required ScoreWeights Weights { get; init; }
    /// <summary>Signals lose half their weight per this many days without activity.</summary>
    public required double HalfLifeDays { get; init; }
    /// <summary>Job titles (words) that make a good fit.</summary>
    public required ImmutableArray<string> FitTitles { get; init; }
    /// <summary>Revenue at which the monetary signal is about 63% saturated.</summary>
    public required decimal RevenueScale { get; init; }
    /// <summary>Followers at which the influence signal is full.</summary>
    public required long FollowersScale { get; init; }
}

public sealed record ScoreWeights(double Intent, double Engagement, double Fit, double Monetary, double Influence);

public sealed record SegmentDefinition(string Id, string? Description, Condition When);

public sealed record RuleDefinition
{
    public required string Id { get; init; }
    public string? Description { get; init; }
    public required RuleKind Kind { get; init; }
    /// <summary>What the rule sends: the sales-ownership policy suppresses by category (e.g. promotion, nurture).</summary>
    public string? Category { get; init; }
    public Channel? Channel { get; init; }
    public required string Template { get; init; }
    public required int Priority { get; init; }
    public Audience Audience { get; init; } = Audience.Everyone;
    public required Trigger Trigger { get; init; }
    public Condition? Conditions { get; init; }
    public TimeSpan Cooldown { get; init; }
    public TimeSpan? Expiry { get; init; }
    /// <summary>Percent of eligible customers who are deliberately not contacted, to measure uplift.</summary>
    public double Holdout { get; init; }
    public string? Goal { get; init; }
    public TimeSpan AttributionWindow { get; init; } = TimeSpan.FromDays(7);
    /// <summary>A sales alert: when it is due after it is raised, and the next step it suggests.</summary>
    public TimeSpan? DueIn { get; init; }
    public string? NextStep { get; init; }
    /// <summary>
    /// Paused by a marketer (a version of its own, with the reason as its comment): the rule decides nothing and its due
    /// schedules are dropped, until a later version resumes it.
    /// </summary>
    public bool Paused { get; init; }
}

public sealed record Audience(ImmutableArray<string> Segments, ImmutableArray<Views.LifecycleStage> Lifecycle)
{
    public static readonly Audience Everyone = new([], []);
}

public abstract record Trigger;

/// <summary>Evaluated when the view changes for one of the causes (event types like <c>crm.ticket.opened</c>, or
/// <c>segment.entered:influential</c>); no causes means any change.</summary>
public sealed record ChangeTrigger(ImmutableArray<string> Causes) : Trigger;

/// <summary>Armed by a cause, evaluated once <see cref="After"/> has passed, unless a cancelling cause came first
/// (e.g. 4 hours after a cart with no order).</summary>
public sealed record DelayTrigger(string Cause, TimeSpan After, ImmutableArray<string> Unless) : Trigger;

/// <summary>Fires when the customer has not interacted anywhere for <see cref="After"/>.</summary>
public sealed record InactivityTrigger(TimeSpan After) : Trigger;

/// <summary>A declarative condition: <c>all</c>/<c>any</c>/<c>not</c> over <c>{fact, op, value}</c>. Never code.</summary>
public abstract record Condition
{
    /// <summary>Where the condition stands in the document, for error messages.</summary>
    public required string Path { get; init; }
}

public sealed record AllOf(ImmutableArray<Condition> Conditions) : Condition;

public sealed record AnyOf(ImmutableArray<Condition> Conditions) : Condition;

public sealed record Negation(Condition Condition) : Condition;

public sealed record Predicate(string Fact, Comparison Op, JsonElement? Value) : Condition;

public enum Comparison { Eq, Ne, Gt, Gte, Lt, Lte, In, NotIn, Contains, Exists, WithinLast, OlderThan, Changed }
