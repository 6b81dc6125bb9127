namespace Touchpoints.Core.Events;

/// <summary>The six calls of the Segment Spec.</summary>
public enum WebCall { Track, Identify, Page, Screen, Group, Alias }

/// <summary>The Segment e-commerce and email events the projection understands; anything else is a plain track.</summary>
public enum SpecEvent
{
    None,
    ProductViewed,
    ProductAdded,
    ProductRemoved,
    CartViewed,
    CheckoutStarted,
    OrderCompleted,
    OrderRefunded,
    ProductsSearched,
    EmailOpened,
    EmailLinkClicked,
    Unsubscribed,
    SignedUp,
}

public sealed record PageContext(string? Path, string? Url, string? Title, string? Referrer, string? Search);

public sealed record Campaign(string? Source, string? Medium, string? Name, string? Term, string? Content);

/// <summary>The identify traits the view keeps (Segment reserved traits).</summary>
public sealed record Traits
{
    public string? Name { get; init; }
    public string? FirstName { get; init; }
    public string? LastName { get; init; }
    public string? Email { get; init; }
    public string? Phone { get; init; }
    public string? Company { get; init; }
    public string? Title { get; init; }
    public string? Locale { get; init; }
    public string? Timezone { get; init; }

    public static readonly Traits Empty = new();

    public bool IsEmpty => this == Empty;
}

/// <summary>What an e-commerce event says about products, carts and orders.</summary>
public sealed record Commerce
{
    public string? ProductId { get; init; }
    public string? ProductName { get; init; }
    public decimal? Price { get; init; }
    public int? Quantity { get; init; }
    public string? CartId { get; init; }
    public string? OrderId { get; init; }
    /// <summary>Order or cart total (Segment <c>total</c>, else <c>revenue</c>, else <c>value</c>).</summary>
    public decimal? Total { get; init; }
    public decimal? Revenue { get; init; }
    public string? Currency { get; init; }
    public int? ItemCount { get; init; }
    public string? Query { get; init; }
}

public sealed record WebEvent : IngestedEvent
{
    public required WebCall Call { get; init; }
    public string? AnonymousId { get; init; }
    public string? UserId { get; init; }
    public string? PreviousId { get; init; }
    public string? GroupId { get; init; }
    /// <summary>The track event name, or the page/screen name.</summary>
    public string? Name { get; init; }
    public SpecEvent Spec { get; init; }
    public Traits Traits { get; init; } = Traits.Empty;
    public PageContext? Page { get; init; }
    public Campaign? Campaign { get; init; }
    public Commerce? Commerce { get; init; }
    public string? UserAgent { get; init; }
    public string? Ip { get; init; }
    public DateTimeOffset? ReceivedAt { get; init; }

    public override EventSource Source => EventSource.Web;

    public override string Type => Call switch
    {
        WebCall.Track => $"web.track.{Name}",
        _ => $"web.{Call.ToString().ToLowerInvariant()}",
    };
}
