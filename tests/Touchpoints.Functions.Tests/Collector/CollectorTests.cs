using System.Text.Json.Nodes;
using static Touchpoints.Testing.HttpPayloads;

namespace Touchpoints.Functions.Tests.Collector;

[Collection(HandlerCollection.Name)]
public sealed class CollectorTests(HandlerFixture fixture)
{
    private const string Api = "https://touchpoints.azurewebsites.net/api/v1/";
    private readonly string run = Guid.NewGuid().ToString("N")[..8];

    private static Dictionary<string, string> Json(string? auth = null, string? origin = null, string contentType = "application/json")
    {
        var headers = new Dictionary<string, string> { ["Content-Type"] = contentType, ["User-Agent"] = "analytics-node-next/latest" };
        if (auth is not null) headers["Authorization"] = auth;
        if (origin is not null) headers["Origin"] = origin;
        return headers;
    }

    private string Track(string id, string extra = "") =>
        $$"""{"type":"track","event":"Product Viewed","messageId":"{{id}}-{{run}}","anonymousId":"anon-{{run}}","properties":{"product_id":"p1"},"timestamp":"2025-03-03T09:59:58.000Z"{{extra}}}""";

    [Fact]
    public async Task Events_go_out_scoped_by_the_write_keys_source_whatever_the_sender_claimed()
    {
        var body = $$$"""{"batch":[{{{Track("s1", ",\"_source\":\"app\"")}}}]}""";

        var result = await fixture.InvokeAsync("CollectBatch", Request(Api + "batch", body, Json(Basic(HandlerFixture.WebsiteKey))));

        Assert.Equal(200, result.HttpStatus);
        Assert.Equal("website", Assert.Single(result.Events!)!["_source"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_batch_is_accepted_with_200_success_and_its_events_go_out_stamped_with_receivedAt()
    {
        var before = DateTimeOffset.UtcNow;
        var body = $$$"""{"batch":[{{{Track("t1")}}},{"type":"identify","userId":"user-{{{run}}}","anonymousId":"anon-{{{run}}}","messageId":"i1-{{{run}}}","traits":{"email":"ann.{{{run}}}@example.com"}}],"sentAt":"2025-03-03T10:00:00.000Z","context":{"library":{"name":"analytics-node","version":"2.1.2"}} }""";

        var result = await fixture.InvokeAsync("CollectBatch", Request(Api + "batch", body, Json(Basic(HandlerFixture.WebsiteKey))));

        Assert.Equal(200, result.Status);
        Assert.Equal(200, result.HttpStatus);
        Assert.True(result.HttpBody["success"]!.GetValue<bool>());
        Assert.StartsWith("application/json", result.Header("Content-Type"), StringComparison.Ordinal);
        var events = result.Events!;
        Assert.Equal(2, events.Count);
        // Objects, never strings: the host would base64-decode a string that happens to look like base64.
        Assert.All(events, e => Assert.IsType<JsonObject>(e));
        Assert.Equal(["t1-" + run, "i1-" + run], events.Select(e => e!["messageId"]!.GetValue<string>()));
        foreach (var e in events)
        {
            var receivedAt = DateTimeOffset.Parse(e!["receivedAt"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.InRange(receivedAt, before.AddMilliseconds(-1), DateTimeOffset.UtcNow);
            Assert.Equal("2025-03-03T10:00:00.000Z", e["sentAt"]!.GetValue<string>());
            Assert.Equal("analytics-node", e["context"]!["library"]!["name"]!.GetValue<string>());
        }
        Assert.Equal("identify", events[1]!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Analytics_js_one_letter_paths_with_the_write_key_in_a_text_plain_body_are_accepted_from_an_allowed_origin()
    {
        var body = $$"""{"event":"Signed Up","messageId":"s1-{{run}}","anonymousId":"anon-{{run}}","writeKey":"{{HandlerFixture.WebsiteKey}}","sentAt":"2025-03-03T10:00:00.000Z"}""";

        var result = await fixture.InvokeAsync("CollectShortPath", Request(Api + "t", body,
            Json(origin: HandlerFixture.AllowedOrigin, contentType: "text/plain"), new Dictionary<string, string> { ["call"] = "t" }));

        Assert.Equal(200, result.HttpStatus);
        Assert.Equal(HandlerFixture.AllowedOrigin, result.Header("Access-Control-Allow-Origin"));
        var e = Assert.Single(result.Events!)!;
        Assert.Equal("track", e["type"]!.GetValue<string>());
        Assert.Null(e["writeKey"]);
    }

    [Theory]
    [InlineData("CollectTrack", "track")]
    [InlineData("CollectIdentify", "identify")]
    [InlineData("CollectPage", "page")]
    [InlineData("CollectScreen", "screen")]
    [InlineData("CollectGroup", "group")]
    [InlineData("CollectAlias", "alias")]
    public async Task Every_single_call_endpoint_takes_its_type_from_the_route(string function, string type)
    {
        var body = $$"""{"messageId":"{{type}}-{{run}}","userId":"user-{{run}}","event":"Clicked","groupId":"g1","previousId":"old-{{run}}","name":"Home"}""";

        var result = await fixture.InvokeAsync(function, Request(Api + type, body, Json(Basic(HandlerFixture.WebsiteKey))));

        Assert.Equal(200, result.HttpStatus);
        Assert.Equal(type, Assert.Single(result.Events!)!["type"]!.GetValue<string>());
    }

    [Fact]
    public async Task Both_write_keys_of_a_source_being_rotated_are_accepted_and_a_query_write_key_too()
    {
        foreach (var key in new[] { HandlerFixture.AppOldKey, HandlerFixture.AppNewKey })
        {
            var result = await fixture.InvokeAsync("CollectTrack", Request(Api + "track", Track("k-" + key), Json(Basic(key))));
            Assert.Equal(200, result.HttpStatus);
        }
        foreach (var asObject in new[] { false, true })
        {
            var viaQuery = await fixture.InvokeAsync("CollectTrack",
                Request(Api + "track?writeKey=" + HandlerFixture.WebsiteKey, Track("q-" + asObject), Json(), queryAsObject: asObject));
            Assert.Equal(200, viaQuery.HttpStatus);
        }
    }

    [Fact]
    public async Task A_missing_write_key_is_401()
    {
        var result = await fixture.InvokeAsync("CollectBatch", Request(Api + "batch", $$"""{"batch":[{{Track("nokey")}}]}""", Json()));
        result.AssertRefused(401);
    }

    [Fact]
    public async Task An_unknown_write_key_is_401_in_the_header_or_in_the_body()
    {
        var header = await fixture.InvokeAsync("CollectBatch", Request(Api + "batch", $$"""{"batch":[{{Track("bad1")}}]}""", Json(Basic("wk-nobody"))));
        header.AssertRefused(401);
        var body = await fixture.InvokeAsync("CollectBatch", Request(Api + "batch", $$"""{"writeKey":"wk-nobody","batch":[{{Track("bad2")}}]}""", Json()));
        body.AssertRefused(401);
    }

    [Fact]
    public async Task An_event_over_32_KB_is_413()
    {
        var big = new string('x', 33 * 1024);
        var result = await fixture.InvokeAsync("CollectTrack",
            Request(Api + "track", Track("big", $$$""","properties":{"blob":"{{{big}}}"}"""), Json(Basic(HandlerFixture.WebsiteKey))));
        result.AssertRefused(413);
    }

    [Fact]
    public async Task A_batch_over_500_KB_is_413()
    {
        var item = Track("x", $$$""","context":{"blob":"{{{new string('y', 30 * 1024)}}}"}""");
        var body = "{\"batch\":[" + string.Join(",", Enumerable.Repeat(item, 18)) + "]}";
        var result = await fixture.InvokeAsync("CollectBatch", Request(Api + "batch", body, Json(Basic(HandlerFixture.WebsiteKey))));
        result.AssertRefused(413);
    }

    [Fact]
    public async Task Malformed_JSON_is_400()
    {
        var result = await fixture.InvokeAsync("CollectBatch", Request(Api + "batch", "{\"batch\":[{\"type\":", Json(Basic(HandlerFixture.WebsiteKey))));
        result.AssertRefused(400);
        Assert.False(result.HttpBody["success"]!.GetValue<bool>());
    }

    [Fact]
    public async Task A_batch_without_one_valid_event_is_400_naming_each_bad_item()
    {
        var body = $$"""{"batch":[{"type":"track","messageId":"no-event-{{run}}","userId":"u1"},{"type":"shout","messageId":"bad-type-{{run}}","userId":"u1"},{"type":"page","messageId":"nobody-{{run}}"}]}""";

        var result = await fixture.InvokeAsync("CollectBatch", Request(Api + "batch", body, Json(Basic(HandlerFixture.WebsiteKey))));

        result.AssertRefused(400);
        var rejected = result.HttpBody["rejected"]!.AsArray();
        Assert.Equal([0, 1, 2], rejected.Select(r => r!["index"]!.GetValue<int>()));
        Assert.Equal(["no-event-" + run, "bad-type-" + run, "nobody-" + run], rejected.Select(r => r!["messageId"]!.GetValue<string>()));
        Assert.Equal("$.batch[0].event", rejected[0]!["errors"]![0]!["path"]!.GetValue<string>());
        Assert.Equal("$.batch[1].type", rejected[1]!["errors"]![0]!["path"]!.GetValue<string>());
        Assert.Equal("$.batch[2]", rejected[2]!["errors"]![0]!["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_partly_valid_batch_is_200_with_the_valid_events_out_and_the_rejected_listed()
    {
        var body = $$"""{"batch":[{{Track("ok")}},{"type":"alias","messageId":"noprev-{{run}}","userId":"u1"}]}""";

        var result = await fixture.InvokeAsync("CollectBatch", Request(Api + "batch", body, Json(Basic(HandlerFixture.WebsiteKey))));

        Assert.Equal(200, result.HttpStatus);
        Assert.True(result.HttpBody["success"]!.GetValue<bool>());
        Assert.Equal("ok-" + run, Assert.Single(result.Events!)!["messageId"]!.GetValue<string>());
        Assert.Equal("$.batch[1].previousId", result.HttpBody["rejected"]![0]!["errors"]![0]!["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_CORS_preflight_from_an_allowed_origin_is_answered_and_one_from_elsewhere_refused()
    {
        var headers = new Dictionary<string, string>
        {
            ["Origin"] = HandlerFixture.AllowedOrigin,
            ["Access-Control-Request-Method"] = "POST",
            ["Access-Control-Request-Headers"] = "authorization,content-type",
        };
        var result = await fixture.InvokeAsync("CollectBatch", Request(Api + "batch", null, headers, method: "OPTIONS"));

        Assert.Equal(200, result.Status);
        Assert.Equal(204, result.HttpStatus);
        Assert.Equal(HandlerFixture.AllowedOrigin, result.Header("Access-Control-Allow-Origin"));
        Assert.Contains("POST", result.Header("Access-Control-Allow-Methods"), StringComparison.Ordinal);
        Assert.Equal("authorization,content-type", result.Header("Access-Control-Allow-Headers"));
        Assert.Null(result.Events);

        headers["Origin"] = "https://evil.example.net";
        var refused = await fixture.InvokeAsync("CollectBatch", Request(Api + "batch", null, headers, method: "OPTIONS"));
        refused.AssertRefused(403);
        Assert.Null(refused.Header("Access-Control-Allow-Origin"));

        var post = await fixture.InvokeAsync("CollectTrack", Request(Api + "track", Track("evil"),
            Json(Basic(HandlerFixture.WebsiteKey), origin: "https://evil.example.net")));
        post.AssertRefused(403);
    }
}
