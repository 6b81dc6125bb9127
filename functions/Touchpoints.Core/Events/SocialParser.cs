using System.Collections.Frozen;
using System.Text.Json.Serialization;
using Touchpoints.Core.Identity;

namespace Touchpoints.Core.Events;

/// <summary>A social event as published by a listening tool (schema: <c>Schemas/social-event.schema.json</c>).</summary>
internal sealed class SocialMessage
{
    [System.Text.Json.Serialization.JsonPropertyName(IngestedEvent.ScopeMember)] public string? Scope { get; set; }
    public string? EventId { get; set; }
    public string? Type { get; set; }
    public string? Network { get; set; }
    public string? Handle { get; set; }
    public string? ProfileUrl { get; set; }
    public long? Followers { get; set; }
    public string? Text { get; set; }
    public double? Sentiment { get; set; }
    public double? Rating { get; set; }
    public string? Url { get; set; }
    public DateTimeOffset? OccurredAt { get; set; }
    public string? Email { get; set; }
    public string? Phone { get; set; }
    [JsonConverter(typeof(StringOrNumberConverter))] public string? UserId { get; set; }
}

public static class SocialParser
{
    public const int MaxTextLength = 2000;

    public static readonly FrozenDictionary<string, SocialEventType> Types = new Dictionary<string, SocialEventType>
    {
        ["social.mention"] = SocialEventType.Mention, ["social.share"] = SocialEventType.Share,
        ["social.follow"] = SocialEventType.Follow, ["social.review"] = SocialEventType.Review,
        ["social.comment"] = SocialEventType.Comment, ["social.message"] = SocialEventType.Message,
    }.ToFrozenDictionary();

    public static ParseResult Parse(string body, ArrivalContext arrival)
    {
        var m = EventParser.Deserialize(body, WireJsonContext.Default.SocialMessage, out var malformed);
        if (m is null) return ParseResult.Invalid(null, [malformed!]);

        var errors = new List<ValidationError>();
        if (string.IsNullOrWhiteSpace(m.EventId)) errors.Add(new("$.eventId", "is required"));
        SocialEventType kind = default;
        if (m.Type is null) errors.Add(new("$.type", "is required"));
        else if (!Types.TryGetValue(m.Type, out kind))
            errors.Add(new("$.type", $"'{m.Type}' is not one of {string.Join(", ", Types.Keys)}"));
        if (string.IsNullOrWhiteSpace(m.Network)) errors.Add(new("$.network", "is required"));
        if (string.IsNullOrWhiteSpace(m.Handle)) errors.Add(new("$.handle", "is required"));
        if (m.OccurredAt is null) errors.Add(new("$.occurredAt", "is required"));
        else EventParser.CheckNotFuture(m.OccurredAt.Value, "$.occurredAt", arrival, errors);
        if (m.Followers < 0) errors.Add(new("$.followers", "must not be negative"));
        if (m.Sentiment is < -1 or > 1 || (m.Sentiment is { } s && double.IsNaN(s))) errors.Add(new("$.sentiment", "must be between -1 and 1"));
        if (m.Rating is < 1 or > 5 || (m.Rating is { } r && double.IsNaN(r))) errors.Add(new("$.rating", "must be between 1 and 5"));

        var identifiers = new List<Identifier>(3);
        var handle = Identifiers.Social(m.Network, m.Handle);
        if (handle is null && !string.IsNullOrWhiteSpace(m.Handle) && !string.IsNullOrWhiteSpace(m.Network))
            errors.Add(new("$.handle", "is not a usable handle (blocked placeholder or malformed network)"));
        if (handle is not null) identifiers.Add(handle);
        if (Identifiers.Email(m.Email) is { } email) identifiers.Add(email);
        if (Identifiers.Phone(m.Phone, arrival.PhoneRegion) is { } phone) identifiers.Add(phone);
        if (Identifiers.UserId(m.UserId) is { } user) identifiers.Add(user);

        if (errors.Count > 0) return ParseResult.Invalid(m.EventId, errors);
        return ParseResult.Valid(new SocialEvent
        {
            EventId = m.EventId!.Trim(),
            Scope = m.Scope,
            OccurredAt = m.OccurredAt!.Value,
            Identifiers = identifiers,
            Kind = kind,
            Network = handle!.Scope!,
            Handle = handle.Value,
            ProfileUrl = m.ProfileUrl,
            Followers = m.Followers,
            Text = m.Text is { Length: > MaxTextLength } t ? t[..MaxTextLength] : m.Text,
            Sentiment = m.Sentiment,
            Rating = m.Rating,
            Url = m.Url,
        });
    }
}
