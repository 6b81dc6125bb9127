using System.Collections.Immutable;
using Touchpoints.Core.Events;

namespace Touchpoints.Core.Views;

/// <summary>One section per touch point; a section is null until the customer first interacts there.</summary>
public sealed record TouchpointSections
{
    public WebSection? Web { get; init; }
    public InteractionSection? Email { get; init; }
    public SocialSection? Social { get; init; }
    public InteractionSection? Phone { get; init; }
    public InteractionSection? Mail { get; init; }
    public InteractionSection? InPerson { get; init; }
    public SalesSection? Sales { get; init; }
    public SupportSection? Support { get; init; }
    public BillingSection? Billing { get; init; }

    public static readonly TouchpointSections Empty = new();

    public IEnumerable<(Touchpoint Touchpoint, Activity Activity)> Active()
    {
        if (Web is not null) yield return (Touchpoint.Web, Web.Activity);
        if (Email is not null) yield return (Touchpoint.Email, Email.Activity);
        if (Social is not null) yield return (Touchpoint.Social, Social.Activity);
        if (Phone is not null) yield return (Touchpoint.Phone, Phone.Activity);
        if (Mail is not null) yield return (Touchpoint.Mail, Mail.Activity);
        if (InPerson is not null) yield return (Touchpoint.InPerson, InPerson.Activity);
        if (Sales is not null) yield return (Touchpoint.Sales, Sales.Activity);
        if (Support is not null) yield return (Touchpoint.Support, Support.Activity);
        if (Billing is not null) yield return (Touchpoint.Billing, Billing.Activity);
    }
}

/// <summary>What every section has: when the customer first and last interacted there, and how often.</summary>
public sealed record Activity(DateTimeOffset FirstAt, DateTimeOffset LastAt, long Count)
{
    public static Activity Of(DateTimeOffset at) => new(at, at, 1);

    public Activity Add(DateTimeOffset at) => new(Min(FirstAt, at), Max(LastAt, at), Count + 1);

    /// <summary>Widens the time span to <paramref name="at"/> without counting an interaction.</summary>
    public Activity Span(DateTimeOffset at) => new(Min(FirstAt, at), Max(LastAt, at), Count);

    public Activity Union(Activity other) => new(Min(FirstAt, other.FirstAt), Max(LastAt, other.LastAt), Count + other.Count);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a <= b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a >= b ? a : b;
}

/// <summary>The last thing that happened at a touch point, in a line.</summary>
public sealed record LastInteraction(DateTimeOffset At, string What);

/// <summary>Email, phone, mail and face to face: the last interaction and what it was about.</summary>
public sealed record InteractionSection(Activity Activity, LastInteraction Last);

public sealed record PageVisit(DateTimeOffset At, string? Path, string? Title);

public sealed record Cart(decimal Value, int Items, string? Currency, DateTimeOffset UpdatedAt);

public sealed record WebSection
{
    public const int LastPagesLimit = 5;
    /// <summary>A gap this long between two web events starts a new session (Google Analytics' and Segment's default).</summary>
    public static readonly TimeSpan SessionTimeout = TimeSpan.FromMinutes(30);

    public required Activity Activity { get; init; }
    public long Sessions { get; init; }
    public long PageViews { get; init; }
    public long ProductViews { get; init; }
    public long PricingViews { get; init; }
    public ImmutableArray<PageVisit> LastPages { get; init; } = [];
    public Stamped<string>? LastSearch { get; init; }
    public Cart? Cart { get; init; }
    public Stamped<Campaign>? FirstUtm { get; init; }
    public Stamped<Campaign>? LastUtm { get; init; }
}

/// <summary>
/// A handle of the customer. <see cref="Followers"/> is the count of the latest event that reported one
/// (<see cref="FollowersAt"/>), so that an event without a count, or a late one, never replaces a newer count.
/// </summary>
public sealed record SocialHandle(string Network, string Handle, string? ProfileUrl, long Followers, DateTimeOffset SeenAt, DateTimeOffset? FollowersAt = null)
{
    internal SocialHandle Combine(SocialHandle other)
    {
        var (newer, older) = other.SeenAt > SeenAt ? (other, this) : (this, other);
        var counted = older.FollowersAt is { } o && (newer.FollowersAt is not { } n || o > n) ? older : newer;
        return newer with { ProfileUrl = newer.ProfileUrl ?? older.ProfileUrl, Followers = counted.Followers, FollowersAt = counted.FollowersAt };
    }
}

public sealed record SocialSection
{
    public required Activity Activity { get; init; }
    public ImmutableArray<SocialHandle> Handles { get; init; } = [];
    public long Mentions { get; init; }
    public long Shares { get; init; }
    public long Follows { get; init; }
    public long Reviews { get; init; }
    public long PositiveReviews { get; init; }
    public long Comments { get; init; }
    public long Messages { get; init; }
    /// <summary>Sum and count rather than a running average, so events apply in any order and merge exactly.</summary>
    public double SentimentSum { get; init; }
    public long SentimentCount { get; init; }
    public double RatingSum { get; init; }

    public double? AverageSentiment => SentimentCount == 0 ? null : Math.Round(SentimentSum / SentimentCount, 3);
    public double? AverageRating => Reviews == 0 || RatingSum == 0 ? null : Math.Round(RatingSum / Reviews, 2);
    /// <summary>Reach: the largest audience among the customer's handles.</summary>
    public long Followers => Handles.IsEmpty ? 0 : Handles.Max(h => h.Followers);
}

public sealed record Opportunity(string? Id, string Stage, decimal? Value, string? Currency, bool Open, DateTimeOffset UpdatedAt);

public sealed record SalesSection
{
    public required Activity Activity { get; init; }
    public Stamped<string>? Owner { get; init; }
    public Stamped<string>? LeadStatus { get; init; }
    public Opportunity? Opportunity { get; init; }
    public long OpportunitiesWon { get; init; }
    public DateTimeOffset? LastContactAt { get; init; }
}

public sealed record Ticket(string Id, string? Subject, DateTimeOffset OpenedAt);

public sealed record SupportSection
{
    public const int OpenTicketsLimit = 20;

    public required Activity Activity { get; init; }
    public ImmutableArray<Ticket> OpenTickets { get; init; } = [];
    /// <summary>Tickets closed before (or without) their opening event: a late <c>ticket.opened</c> must not reopen them.</summary>
    public ImmutableArray<string> ClosedTicketIds { get; init; } = [];
    public long TicketsOpened { get; init; }
    public long TicketsClosed { get; init; }
    public Stamped<string>? LastTicketSubject { get; init; }
}

public sealed record Order(string? Id, decimal Amount, string? Currency, DateTimeOffset At);

public sealed record BillingSection
{
    public const int RecentOrderIdsLimit = 20;

    public required Activity Activity { get; init; }
    public long Orders { get; init; }
    public decimal Revenue { get; init; }
    public long RefundCount { get; init; }
    public decimal Refunds { get; init; }
    public decimal CostToServe { get; init; }
    public long InvoicesPaid { get; init; }
    public Order? LastOrder { get; init; }
    /// <summary>An order reported by both the website and the billing system counts once.</summary>
    public ImmutableArray<string> RecentOrderIds { get; init; } = [];
    public string? Currency { get; init; }
}
