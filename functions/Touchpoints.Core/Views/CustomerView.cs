using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Touchpoints.Core.Events;
using Touchpoints.Core.Identity;

namespace Touchpoints.Core.Views;

public enum LifecycleStage { Anonymous, Known, Lead, MarketingQualified, SalesQualified, Customer, Churned }

/// <summary>
/// The one current view of a customer that every touch point reads: a document in the <c>customers</c> container
/// (partition key <c>/id</c>). Immutable: the projection returns a new view for each event.
/// </summary>
public sealed record CustomerView
{
    // Collections and sections normalise a missing value to empty in their init accessors: the source-generated reader
    // sets every init-only property, and gives those a document lacks (written by an earlier version) their default.

    public const int JournalLimit = 50;
    public const int AnonymousIdLimit = 100;
    /// <summary>At most this many identifiers of each other kind (e-mails, phones, crm ids, handles) attach to a profile.</summary>
    public const int IdentifiersPerKindLimit = 20;
    public const int ConflictLimit = 10;

    public required CustomerId Id { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    /// <summary>Incremented by every write; consumers of <c>customer-changes</c> compare it.</summary>
    public long Version { get; init; }
    /// <summary>Set on a tombstone: the profile this one was merged into.</summary>
    public CustomerId? MergedInto { get; init; }
    public ImmutableArray<CustomerId> MergedFrom { get => mergedFrom; init => mergedFrom = value.IsDefault ? [] : value; }
    private readonly ImmutableArray<CustomerId> mergedFrom = [];

    /// <summary>Identifier keys (<c>{type}:{value}</c>) that resolve to this customer.</summary>
    public ImmutableArray<string> Identities { get => identities; init => identities = value.IsDefault ? [] : value; }
    private readonly ImmutableArray<string> identities = [];
    public CustomerTraits Traits { get => traits; init => traits = value ?? CustomerTraits.Empty; }
    private readonly CustomerTraits traits = CustomerTraits.Empty;
    public ConsentBook Consent { get => consent; init => consent = value ?? ConsentBook.Empty; }
    private readonly ConsentBook consent = ConsentBook.Empty;
    public LifecycleStage Lifecycle { get; init; }

    public TouchpointSections Touchpoints { get => touchpoints; init => touchpoints = value ?? TouchpointSections.Empty; }
    private readonly TouchpointSections touchpoints = TouchpointSections.Empty;
    /// <summary>The latest interactions across all touch points, newest first.</summary>
    public ImmutableArray<JournalEntry> Journal { get => journal; init => journal = value.IsDefault ? [] : value; }
    private readonly ImmutableArray<JournalEntry> journal = [];
    /// <summary>Events seen per type (e.g. <c>web.track.Product Viewed</c>): the raw material of scoring.</summary>
    public ImmutableSortedDictionary<string, long> Counters { get => counters; init => counters = value ?? ImmutableSortedDictionary<string, long>.Empty; }
    private readonly ImmutableSortedDictionary<string, long> counters = ImmutableSortedDictionary<string, long>.Empty;
    public ImmutableArray<IdentityConflict> Conflicts { get => conflicts; init => conflicts = value.IsDefault ? [] : value; }
    private readonly ImmutableArray<IdentityConflict> conflicts = [];
    /// <summary>Unmerges this profile took part in: identifiers of another profile that may never join this one again.</summary>
    public ImmutableArray<Separation> Separations { get => separations; init => separations = value.IsDefault ? [] : value; }
    private readonly ImmutableArray<Separation> separations = [];
    /// <summary>Scores computed from the whole view by the active rules document, with the reasons behind them.</summary>
    public CustomerScores? Scores { get; init; }
    /// <summary>The rules document's segments this customer is in.</summary>
    public ImmutableArray<string> Segments { get => segments; init => segments = value.IsDefault ? [] : value; }
    private readonly ImmutableArray<string> segments = [];

    /// <summary>The last chunk of this profile's history (<see cref="History.HistoryChunk"/>): where replaying it starts.</summary>
    public History.HistoryPointer? History { get; init; }

    public AppliedEvents Applied { get => applied; init => applied = value ?? AppliedEvents.Empty; }
    private readonly AppliedEvents applied = AppliedEvents.Empty;

    public bool IsTombstone => MergedInto is not null;

    public static CustomerView Create(CustomerId id, DateTimeOffset createdAt) => new() { Id = id, CreatedAt = createdAt, UpdatedAt = createdAt };
}

/// <summary>
/// Value (0–100: how much this customer is worth attention now), engagement (0–100) and profitability (revenue − refunds −
/// cost to serve), with the largest contributions to the value score in words.
/// </summary>
public sealed record CustomerScores(int Value, int Engagement, decimal Profitability, ImmutableArray<ScoreReason> Reasons);

public sealed record ScoreReason(string Signal, double Points, string Why);

/// <summary>A trait value with the time of the event that set it, so a late event never overwrites a newer value.</summary>
public sealed record Stamped<T>(T Value, DateTimeOffset At);

public sealed record CustomerTraits
{
    public Stamped<string>? Name { get; init; }
    public Stamped<string>? FirstName { get; init; }
    public Stamped<string>? LastName { get; init; }
    public Stamped<string>? Email { get; init; }
    public Stamped<string>? Phone { get; init; }
    public Stamped<string>? Company { get; init; }
    public Stamped<string>? Title { get; init; }
    public Stamped<string>? Locale { get; init; }
    public Stamped<string>? Timezone { get; init; }

    public static readonly CustomerTraits Empty = new();
}

public sealed record ConsentState(ConsentStatus Status, string Source, DateTimeOffset At);

public sealed record ConsentBook
{
    public ConsentState? Email { get; init; }
    public ConsentState? Sms { get; init; }
    public ConsentState? Phone { get; init; }
    public ConsentState? Mail { get; init; }

    public static readonly ConsentBook Empty = new();

    public ConsentStatus StatusOf(ConsentChannel channel) => (this[channel]?.Status) ?? ConsentStatus.Unknown;

    public ConsentState? this[ConsentChannel channel] => channel switch
    {
        ConsentChannel.Email => Email,
        ConsentChannel.Sms => Sms,
        ConsentChannel.Phone => Phone,
        ConsentChannel.Mail => Mail,
        _ => null,
    };

    /// <summary>Records a consent change unless a later one is already known.</summary>
    public ConsentBook With(ConsentChannel channel, ConsentState state)
    {
        var current = this[channel];
        if (current is not null && current.At > state.At) return this;
        return channel switch
        {
            ConsentChannel.Email => this with { Email = state },
            ConsentChannel.Sms => this with { Sms = state },
            ConsentChannel.Phone => this with { Phone = state },
            ConsentChannel.Mail => this with { Mail = state },
            _ => this,
        };
    }
}

public sealed record JournalEntry(DateTimeOffset At, Touchpoint Touchpoint, string Summary, string EventId);

public sealed record IdentityConflict(DateTimeOffset At, string Identifier,
    [property: JsonConverter(typeof(OptionalCustomerIdJsonConverter))] CustomerId? OtherCustomerId, string Reason);

/// <summary>
/// A recorded unmerge, on both profiles it separated: <paramref name="Identifiers"/> are <paramref name="Other"/>'s and may
/// never join this profile again, whatever later events link them; <paramref name="By"/> asked for it, at <paramref name="At"/>.
/// </summary>
public sealed record Separation(CustomerId Other, ImmutableArray<string> Identifiers, DateTimeOffset At, string By);

/// <summary>Where an event sits in its Event Hubs partition: the basis of replay detection.</summary>
public sealed record EventPosition(string Partition, long SequenceNumber);
