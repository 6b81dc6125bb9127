namespace Touchpoints.Core.Events;

public enum SocialEventType { Mention, Share, Follow, Review, Comment, Message }

/// <summary>An event from a social-listening tool (schema: <c>Schemas/social-event.schema.json</c>).</summary>
public sealed record SocialEvent : IngestedEvent
{
    public required SocialEventType Kind { get; init; }
    public required string Network { get; init; }
    public required string Handle { get; init; }
    public string? ProfileUrl { get; init; }
    public long? Followers { get; init; }
    public string? Text { get; init; }
    /// <summary>−1 (negative) to 1 (positive), as scored by the listening tool.</summary>
    public double? Sentiment { get; init; }
    /// <summary>Review rating, 1 to 5.</summary>
    public double? Rating { get; init; }
    public string? Url { get; init; }

    public override EventSource Source => EventSource.Social;

    public override string Type => $"social.{Kind.ToString().ToLowerInvariant()}";
}
