using Touchpoints.Core.Events;
using Touchpoints.Core.Identity;

namespace Touchpoints.Core.Tests.Events;

public class SegmentParserTests
{
    private static readonly DateTimeOffset Now = new(2025, 3, 3, 10, 5, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Enqueued = new(2025, 3, 3, 10, 0, 10, TimeSpan.Zero);
    private static readonly ArrivalContext Arrival = new(Enqueued, Now);

    private static WebEvent Valid(string body)
    {
        var result = EventParser.Parse(EventSource.Web, body, Arrival);
        Assert.True(result.IsValid, result.Reason);
        Assert.Empty(result.Errors);
        return Assert.IsType<WebEvent>(result.Event);
    }

    private static ParseResult Invalid(string body)
    {
        var result = EventParser.Parse(EventSource.Web, body, Arrival);
        Assert.False(result.IsValid);
        Assert.Null(result.Event);
        Assert.NotEmpty(result.Errors);
        return result;
    }

    [Fact]
    public void Track_order_completed_is_recognised_with_commerce_page_and_campaign()
    {
        var e = Valid("""
            {
              "type": "track",
              "messageId": "ajs-next-1741000000000-8b1f",
              "anonymousId": "507f191e810c19729de860ea",
              "userId": "u-1001",
              "event": "Order Completed",
              "properties": {
                "order_id": "50314b8e9bcf000000000000",
                "total": 27.50,
                "revenue": 25.00,
                "currency": "EUR",
                "products": [ { "product_id": "507f1f77bcf86cd799439011", "price": 19 }, { "product_id": "505bd76785ebb509fc183733", "price": 3 } ]
              },
              "context": {
                "ip": "203.0.113.7",
                "userAgent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3)",
                "page": { "path": "/checkout/thank-you", "url": "https://shop.example.com/checkout/thank-you", "title": "Thank you" },
                "campaign": { "source": "newsletter", "medium": "email", "name": "spring-sale" }
              },
              "timestamp": "2025-03-03T09:58:00Z",
              "receivedAt": "2025-03-03T09:58:01Z"
            }
            """);

        Assert.Equal(WebCall.Track, e.Call);
        Assert.Equal("Order Completed", e.Name);
        Assert.Equal("web.track.Order Completed", e.Type);
        Assert.Equal(SpecEvent.OrderCompleted, e.Spec);
        Assert.Equal("ajs-next-1741000000000-8b1f", e.EventId);
        Assert.NotNull(e.Commerce);
        Assert.Equal("50314b8e9bcf000000000000", e.Commerce.OrderId);
        Assert.Equal(27.50m, e.Commerce.Total);
        Assert.Equal(25.00m, e.Commerce.Revenue);
        Assert.Equal(2, e.Commerce.ItemCount);
        Assert.Equal("/checkout/thank-you", e.Page?.Path);
        Assert.Equal(new Campaign("newsletter", "email", "spring-sale", null, null), e.Campaign);
        Assert.Equal("203.0.113.7", e.Ip);
        Assert.Contains(new Identifier(IdentifierKind.UserId, "u-1001"), e.Identifiers);
        Assert.Contains(new Identifier(IdentifierKind.AnonymousId, "507f191e810c19729de860ea"), e.Identifiers);
    }

    [Fact]
    public void Identify_reads_traits_including_a_company_object_and_derives_identifiers()
    {
        var e = Valid("""
            {
              "type": "identify",
              "messageId": "ajs-identify-42",
              "anonymousId": "507f191e810c19729de860ea",
              "userId": "u-1001",
              "traits": {
                "email": "  Ann.Lee@Example.COM ",
                "firstName": "Ann",
                "lastName": "Lee",
                "phone": "+44 20 7946 0958",
                "title": "CTO",
                "company": { "name": "Acme Ltd", "id": "co-77", "industry": "Retail", "employee_count": 120 }
              },
              "context": { "locale": "en-GB", "timezone": "Europe/London" },
              "timestamp": "2025-03-03T09:00:00Z"
            }
            """);

        Assert.Equal(WebCall.Identify, e.Call);
        Assert.Equal("web.identify", e.Type);
        Assert.Equal("Ann Lee", e.Traits.Name);
        Assert.Equal("Acme Ltd", e.Traits.Company);
        Assert.Equal("CTO", e.Traits.Title);
        Assert.Equal("en-GB", e.Traits.Locale);
        Assert.Equal("Europe/London", e.Traits.Timezone);
        Assert.Contains(new Identifier(IdentifierKind.Email, "ann.lee@example.com"), e.Identifiers);
        Assert.Contains(new Identifier(IdentifierKind.Phone, "+442079460958"), e.Identifiers);
    }

    [Fact]
    public void Identify_accepts_company_as_a_plain_string()
    {
        var e = Valid("""
            { "type": "identify", "messageId": "m-1", "userId": "u-1", "traits": { "company": "Initech" }, "timestamp": "2025-03-03T09:00:00Z" }
            """);
        Assert.Equal("Initech", e.Traits.Company);
    }

    [Fact]
    public void Page_takes_path_and_title_from_properties_and_name()
    {
        var e = Valid("""
            {
              "type": "page",
              "messageId": "m-page-1",
              "anonymousId": "anon-1",
              "name": "Pricing",
              "properties": { "path": "/pricing", "url": "https://shop.example.com/pricing?plan=pro", "referrer": "https://www.google.com/", "search": "?plan=pro" },
              "timestamp": "2025-03-03T09:10:00Z"
            }
            """);
        Assert.Equal(WebCall.Page, e.Call);
        Assert.Equal("web.page", e.Type);
        Assert.Equal(new PageContext("/pricing", "https://shop.example.com/pricing?plan=pro", "Pricing", "https://www.google.com/", "?plan=pro"), e.Page);
        Assert.Null(e.Commerce);
    }

    [Fact]
    public void Screen_is_a_page_view_of_an_app()
    {
        var e = Valid("""
            { "type": "screen", "messageId": "m-screen-1", "userId": "u-1", "name": "Basket", "timestamp": "2025-03-03T09:10:00Z" }
            """);
        Assert.Equal(WebCall.Screen, e.Call);
        Assert.Equal("Basket", e.Page?.Title);
    }

    [Fact]
    public void Group_requires_and_keeps_group_id()
    {
        var e = Valid("""
            { "type": "group", "messageId": "m-group-1", "userId": "u-1", "groupId": 9911, "traits": { "name": "Acme Ltd" }, "timestamp": "2025-03-03T09:10:00Z" }
            """);
        Assert.Equal(WebCall.Group, e.Call);
        Assert.Equal("9911", e.GroupId);

        var missing = Invalid("""{ "type": "group", "messageId": "m-group-2", "userId": "u-1" }""");
        Assert.Contains(missing.Errors, x => x.Path == "$.groupId");
    }

    [Fact]
    public void Alias_links_the_previous_id_as_an_anonymous_id()
    {
        var e = Valid("""
            { "type": "alias", "messageId": "m-alias-1", "userId": "u-1001", "previousId": "visitor-3b9c", "timestamp": "2025-03-03T09:10:00Z" }
            """);
        Assert.Equal(WebCall.Alias, e.Call);
        Assert.Contains(new Identifier(IdentifierKind.AnonymousId, "visitor-3b9c"), e.Identifiers);
        Assert.Contains(new Identifier(IdentifierKind.UserId, "u-1001"), e.Identifiers);

        var missing = Invalid("""{ "type": "alias", "messageId": "m-alias-2", "userId": "u-1" }""");
        Assert.Contains(missing.Errors, x => x.Path == "$.previousId");
    }

    [Fact]
    public void Clock_skew_is_corrected_from_sent_at_and_received_at()
    {
        // The device clock runs 3 hours fast: it stamped the event at 12:59:00 and sent it at 12:59:30 (device time);
        // the server received it at 10:00:00, so the event happened 30 seconds before that.
        var e = Valid("""
            {
              "type": "track", "messageId": "m-skew", "anonymousId": "anon-1", "event": "Signed Up",
              "originalTimestamp": "2025-03-03T12:59:00Z",
              "sentAt": "2025-03-03T12:59:30Z",
              "receivedAt": "2025-03-03T10:00:00Z"
            }
            """);
        Assert.Equal(new DateTimeOffset(2025, 3, 3, 9, 59, 30, TimeSpan.Zero), e.OccurredAt);
        Assert.Equal(SpecEvent.SignedUp, e.Spec);
    }

    [Fact]
    public void Without_sent_at_the_device_timestamp_is_used_uncorrected()
    {
        var e = Valid("""
            { "type": "track", "messageId": "m-noskew", "anonymousId": "anon-1", "event": "Signed Up",
              "originalTimestamp": "2025-03-03T09:30:00Z", "receivedAt": "2025-03-03T10:00:00Z" }
            """);
        Assert.Equal(new DateTimeOffset(2025, 3, 3, 9, 30, 0, TimeSpan.Zero), e.OccurredAt);
    }

    [Fact]
    public void Without_any_timestamp_the_time_of_arrival_is_used()
    {
        var received = Valid("""{ "type": "track", "messageId": "m-1", "anonymousId": "anon-1", "event": "Clicked", "receivedAt": "2025-03-03T09:45:00Z" }""");
        Assert.Equal(new DateTimeOffset(2025, 3, 3, 9, 45, 0, TimeSpan.Zero), received.OccurredAt);

        var enqueued = Valid("""{ "type": "track", "messageId": "m-2", "anonymousId": "anon-1", "event": "Clicked" }""");
        Assert.Equal(Enqueued, enqueued.OccurredAt);
    }

    [Fact]
    public void Numeric_user_and_message_ids_are_read_as_strings()
    {
        var e = Valid("""{ "type": "track", "messageId": 123456, "userId": 42, "event": "Clicked", "timestamp": "2025-03-03T09:00:00Z" }""");
        Assert.Equal("123456", e.EventId);
        Assert.Equal("42", e.UserId);
        Assert.Equal([new Identifier(IdentifierKind.UserId, "42")], e.Identifiers);
    }

    [Theory]
    [InlineData("Product Viewed", SpecEvent.ProductViewed)]
    [InlineData("product_viewed", SpecEvent.ProductViewed)]
    [InlineData("PRODUCT VIEWED", SpecEvent.ProductViewed)]
    [InlineData("Product Added", SpecEvent.ProductAdded)]
    [InlineData("Product Removed", SpecEvent.ProductRemoved)]
    [InlineData("Cart Viewed", SpecEvent.CartViewed)]
    [InlineData("Checkout Started", SpecEvent.CheckoutStarted)]
    [InlineData("order_completed", SpecEvent.OrderCompleted)]
    [InlineData("Order Refunded", SpecEvent.OrderRefunded)]
    [InlineData("Products Searched", SpecEvent.ProductsSearched)]
    [InlineData("Email Opened", SpecEvent.EmailOpened)]
    [InlineData("Email Link Clicked", SpecEvent.EmailLinkClicked)]
    [InlineData("Unsubscribed", SpecEvent.Unsubscribed)]
    [InlineData("Signed Up", SpecEvent.SignedUp)]
    [InlineData("Video Played", SpecEvent.None)]
    [InlineData("Product Viewed Twice", SpecEvent.None)]
    public void Spec_events_are_recognised_whatever_their_spelling(string name, SpecEvent expected)
    {
        var e = Valid($$"""
            { "type": "track", "messageId": "m-spec", "anonymousId": "anon-1", "event": "{{name}}",
              "properties": { "product_id": "sku-1", "name": "Trail shoe", "price": "89.90", "quantity": 2, "query": "shoes" },
              "timestamp": "2025-03-03T09:00:00Z" }
            """);
        Assert.Equal(expected, e.Spec);
        if (expected == SpecEvent.None) Assert.Null(e.Commerce);
        else
        {
            Assert.Equal("sku-1", e.Commerce?.ProductId);
            Assert.Equal(89.90m, e.Commerce?.Price);
            Assert.Equal(2, e.Commerce?.Quantity);
        }
    }

    [Fact]
    public void Missing_message_id_identifiers_and_event_name_are_all_reported_at_once()
    {
        var result = Invalid("""{ "type": "track", "properties": { "plan": "pro" }, "timestamp": "2025-03-03T09:00:00Z" }""");
        Assert.Equal(["$", "$.event", "$.messageId"], result.Errors.Select(e => e.Path).Order(StringComparer.Ordinal));
        Assert.Null(result.EventId);
    }

    [Fact]
    public void Missing_type_is_reported_with_its_path_and_the_event_id_is_kept()
    {
        var result = Invalid("""{ "messageId": "m-9", "userId": "u-1" }""");
        var error = Assert.Single(result.Errors);
        Assert.Equal("$.type", error.Path);
        Assert.Equal("m-9", result.EventId);
    }

    [Fact]
    public void An_unknown_call_type_is_the_only_error_of_an_otherwise_valid_message()
    {
        var result = Invalid("""{ "type": "purchase", "messageId": "m-10", "userId": "u-1", "timestamp": "2025-03-03T09:00:00Z" }""");
        var error = Assert.Single(result.Errors);
        Assert.Equal("$.type", error.Path);
        Assert.Contains("purchase", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Track_without_event_name_is_rejected()
    {
        var result = Invalid("""{ "type": "track", "messageId": "m-11", "userId": "u-1", "event": "  " }""");
        Assert.Equal("$.event", Assert.Single(result.Errors).Path);
    }

    [Theory]
    [InlineData("""{ "type": "track", "messageId": "m-1", "userId": "u-1", "event": "Clicked" """)]
    [InlineData("""{ "type": "track", "messageId": "m-1", "userId": [1, 2], "event": "Clicked" }""")]
    [InlineData("""not json at all""")]
    [InlineData("""[1, 2, 3]""")]
    public void Malformed_json_is_one_error_not_an_exception(string body)
    {
        var result = Invalid(body);
        var error = Assert.Single(result.Errors);
        Assert.StartsWith("$", error.Path, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("null")]
    public void Empty_or_null_body_is_rejected(string body)
    {
        var result = Invalid(body);
        Assert.Equal("$", Assert.Single(result.Errors).Path);
    }

    [Fact]
    public void Malformed_json_error_points_at_the_offending_member()
    {
        var result = Invalid("""{ "type": "track", "messageId": "m-1", "userId": { "id": 1 }, "event": "Clicked" }""");
        Assert.Equal("$.userId", Assert.Single(result.Errors).Path);
    }

    [Fact]
    public void Blocked_placeholder_identifiers_only_are_rejected()
    {
        var result = Invalid("""{ "type": "track", "messageId": "m-12", "userId": "null", "anonymousId": "undefined", "event": "Clicked" }""");
        var error = Assert.Single(result.Errors);
        Assert.Equal("$", error.Path);
        Assert.Contains("no usable identifier", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Blocked_user_id_is_dropped_but_a_real_anonymous_id_keeps_the_event()
    {
        var e = Valid("""{ "type": "track", "messageId": "m-13", "userId": "0", "anonymousId": "anon-5", "event": "Clicked" }""");
        Assert.Equal([new Identifier(IdentifierKind.AnonymousId, "anon-5")], e.Identifiers);
    }

    [Fact]
    public void Events_from_the_far_future_are_rejected()
    {
        var result = Invalid("""{ "type": "track", "messageId": "m-14", "userId": "u-1", "event": "Clicked", "timestamp": "2025-03-06T10:00:00Z" }""");
        Assert.Equal("$.timestamp", Assert.Single(result.Errors).Path);
    }

    [Fact]
    public void Events_slightly_ahead_of_the_clock_are_tolerated_and_clamped_to_the_time_received()
    {
        // A device clock ahead and no sentAt to correct it: as Segment does, the event happened when it was received, so
        // "last seen" never moves into the future.
        var e = Valid("""{ "type": "track", "messageId": "m-15", "userId": "u-1", "event": "Clicked", "timestamp": "2025-03-03T12:00:00Z" }""");
        Assert.Equal(Enqueued, e.OccurredAt);
    }

    [Fact]
    public void Comments_and_trailing_commas_from_lenient_producers_are_accepted()
    {
        var e = Valid("""
            {
              // sent by a hand-written integration
              "type": "page", "messageId": "m-16", "anonymousId": "anon-1", "name": "Home",
            }
            """);
        Assert.Equal(WebCall.Page, e.Call);
    }

    [Theory]
    [InlineData("""{"type":"track","event":"Order Completed","messageId":"m","userId":"u","properties":{"total":1000000000001}}""", "$.properties.total")]
    [InlineData("""{"type":"track","event":"Order Completed","messageId":"m","userId":"u","properties":{"revenue":1e40}}""", "$.properties.revenue")]
    [InlineData("""{"type":"track","event":"Product Added","messageId":"m","userId":"u","properties":{"price":"-1000000000001"}}""", "$.properties.price")]
    [InlineData("""{"type":"track","event":"Product Added","messageId":"m","userId":"u","properties":{"quantity":2000000}}""", "$.properties.quantity")]
    [InlineData("""{"type":"page","messageId":"m","userId":"u","timestamp":"0001-01-01T00:00:00Z","sentAt":"9999-12-31T00:00:00Z"}""", "$.sentAt")]
    public void Amounts_quantities_and_times_that_cannot_be_represented_are_refused_at_the_door(string body, string path) =>
        Assert.Contains(Invalid(body).Errors, e => e.Path == path);

    [Fact]
    public void An_amount_at_the_limit_is_accepted()
    {
        var e = Valid("""{"type":"track","event":"Order Completed","messageId":"m","userId":"u","properties":{"total":1000000000000}}""");
        Assert.Equal(EventParser.MaxAmount, e.Commerce!.Total);
    }

    [Fact]
    public void An_event_with_a_duplicate_key_is_refused_not_guessed() =>
        Assert.Contains("malformed", Invalid("""{"type":"track","event":"a","messageId":"m","userId":"u1","userId":"u2"}""").Reason, StringComparison.OrdinalIgnoreCase);
}
