using Touchpoints.Core.Events;
using Touchpoints.Core.Identity;

namespace Touchpoints.Core.Tests.Events;

public class SocialParserTests
{
    private static readonly ArrivalContext Arrival = new(new(2025, 3, 3, 10, 0, 0, TimeSpan.Zero), new(2025, 3, 3, 10, 0, 0, TimeSpan.Zero));

    private static ParseResult Parse(string body) => EventParser.Parse(EventSource.Social, body, Arrival);

    [Fact]
    public void A_review_parses_with_normalised_network_and_handle()
    {
        var result = Parse("""
            {
              "eventId": "brandwatch-88412",
              "type": "social.review",
              "network": "Trustpilot",
              "handle": "@AnnLee",
              "profileUrl": "https://www.trustpilot.com/users/annlee",
              "followers": 1200,
              "text": "Fast delivery, the shoes fit perfectly.",
              "sentiment": 0.8,
              "rating": 5,
              "url": "https://www.trustpilot.com/reviews/88412",
              "occurredAt": "2025-03-02T18:30:00+01:00",
              "email": "Ann@Example.com",
              "userId": 1001
            }
            """);
        Assert.True(result.IsValid, result.Reason);
        var e = Assert.IsType<SocialEvent>(result.Event);
        Assert.Equal("brandwatch-88412", e.EventId);
        Assert.Equal(SocialEventType.Review, e.Kind);
        Assert.Equal("social.review", e.Type);
        Assert.Equal("trustpilot", e.Network);
        Assert.Equal("annlee", e.Handle);
        Assert.Equal(1200, e.Followers);
        Assert.Equal(0.8, e.Sentiment);
        Assert.Equal(5, e.Rating);
        Assert.Equal(new DateTimeOffset(2025, 3, 2, 17, 30, 0, TimeSpan.Zero), e.OccurredAt);
        Assert.Contains(new Identifier(IdentifierKind.SocialHandle, "annlee", "trustpilot"), e.Identifiers);
        Assert.Contains(new Identifier(IdentifierKind.Email, "ann@example.com"), e.Identifiers);
        Assert.Contains(new Identifier(IdentifierKind.UserId, "1001"), e.Identifiers);
    }

    [Theory]
    [InlineData(1.5)]
    [InlineData(-1.01)]
    public void Sentiment_outside_minus_one_to_one_is_rejected(double sentiment)
    {
        var result = Parse($$"""
            { "eventId": "s-1", "type": "social.mention", "network": "x", "handle": "annlee", "sentiment": {{sentiment.ToString(System.Globalization.CultureInfo.InvariantCulture)}}, "occurredAt": "2025-03-02T10:00:00Z" }
            """);
        Assert.False(result.IsValid);
        Assert.Equal("$.sentiment", Assert.Single(result.Errors).Path);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(6)]
    public void Rating_outside_one_to_five_is_rejected(int rating)
    {
        var result = Parse($$"""
            { "eventId": "s-2", "type": "social.review", "network": "google", "handle": "annlee", "rating": {{rating}}, "occurredAt": "2025-03-02T10:00:00Z" }
            """);
        Assert.False(result.IsValid);
        Assert.Equal("$.rating", Assert.Single(result.Errors).Path);
    }

    [Fact]
    public void Unknown_type_is_rejected_with_the_allowed_types()
    {
        var result = Parse("""{ "eventId": "s-3", "type": "social.like", "network": "x", "handle": "annlee", "occurredAt": "2025-03-02T10:00:00Z" }""");
        Assert.False(result.IsValid);
        var error = Assert.Single(result.Errors);
        Assert.Equal("$.type", error.Path);
        Assert.Contains("social.mention", error.Message, StringComparison.Ordinal);
        Assert.Equal("s-3", result.EventId);
    }

    [Fact]
    public void Every_missing_required_member_is_reported()
    {
        var result = Parse("""{ "followers": -3 }""");
        Assert.False(result.IsValid);
        Assert.Equal(
            ["$.eventId", "$.followers", "$.handle", "$.network", "$.occurredAt", "$.type"],
            result.Errors.Select(e => e.Path).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_placeholder_handle_is_not_an_identifier()
    {
        var result = Parse("""{ "eventId": "s-4", "type": "social.mention", "network": "x", "handle": "@unknown", "occurredAt": "2025-03-02T10:00:00Z" }""");
        Assert.False(result.IsValid);
        Assert.Equal("$.handle", Assert.Single(result.Errors).Path);
    }

    [Fact]
    public void Future_social_events_are_rejected()
    {
        var result = Parse("""{ "eventId": "s-5", "type": "social.mention", "network": "x", "handle": "annlee", "occurredAt": "2025-03-10T10:00:00Z" }""");
        Assert.Equal("$.occurredAt", Assert.Single(result.Errors).Path);
    }

    [Fact]
    public void Long_texts_are_clipped()
    {
        var text = new string('a', SocialParser.MaxTextLength + 500);
        var result = Parse($$"""{ "eventId": "s-6", "type": "social.comment", "network": "x", "handle": "annlee", "text": "{{text}}", "occurredAt": "2025-03-02T10:00:00Z" }""");
        Assert.Equal(SocialParser.MaxTextLength, Assert.IsType<SocialEvent>(result.Event).Text?.Length);
    }
}
