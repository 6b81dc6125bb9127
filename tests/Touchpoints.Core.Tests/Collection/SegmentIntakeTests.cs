using System.Text.Json.Nodes;
using Touchpoints.Core.Collection;
using Touchpoints.Core.Events;

namespace Touchpoints.Core.Tests.Collection;

public class SegmentIntakeTests
{
    private static readonly DateTimeOffset Now = new(2025, 3, 3, 10, 0, 0, 123, TimeSpan.Zero);

    private static SegmentOutcome Accept(string body, WebCall? call = null)
    {
        var envelope = SegmentIntake.Read(body, call);
        Assert.Null(envelope.Failure);
        return SegmentIntake.Accept(envelope, "website", call, Now);
    }

    [Fact]
    public void A_batch_is_split_stamped_and_merged_with_its_batch_level_context()
    {
        const string body = """
            {"writeKey":"wk","sentAt":"2025-03-03T09:59:59Z","context":{"library":{"name":"analytics-node","version":"2.1"},"locale":"en-GB"},"integrations":{"All":true},
             "batch":[
               {"type":"track","event":"Signed Up","userId":"u1","messageId":"m1","context":{"locale":"de-AT"},"timestamp":"2025-03-03T09:59:58Z"},
               {"type":"identify","anonymousId":"a1","messageId":"m2","traits":{"email":"ann@example.com"},"sentAt":"2025-03-03T09:59:50Z","receivedAt":"1999-01-01T00:00:00Z"}
             ]}
            """;
        var envelope = SegmentIntake.Read(body, null);
        Assert.Equal("wk", envelope.WriteKey);
        var outcome = SegmentIntake.Accept(envelope, "website", null, Now);

        Assert.Empty(outcome.Rejected);
        Assert.Equal(2, outcome.Events.Count);
        var (track, identify) = (outcome.Events[0], outcome.Events[1]);
        Assert.All(outcome.Events, e => Assert.Equal("2025-03-03T10:00:00.123Z", (string?)e["receivedAt"]));
        Assert.Equal("de-AT", (string?)track["context"]!["locale"]);
        Assert.Equal("analytics-node", (string?)track["context"]!["library"]!["name"]);
        Assert.True((bool)track["integrations"]!["All"]!);
        Assert.Equal("2025-03-03T09:59:59Z", (string?)track["sentAt"]);
        Assert.Equal("2025-03-03T09:59:50Z", (string?)identify["sentAt"]);
        Assert.Equal("en-GB", (string?)identify["context"]!["locale"]);
    }

    [Fact]
    public void A_single_call_takes_its_type_from_the_route_and_drops_the_write_key()
    {
        var outcome = Accept("""{"writeKey":"wk","event":"Clicked","anonymousId":"a1","messageId":"m1"}""", WebCall.Track);
        var e = Assert.Single(outcome.Events);
        Assert.Equal("track", (string?)e["type"]);
        Assert.Null(e["writeKey"]);
    }

    [Fact]
    public void A_single_call_of_another_type_is_rejected()
    {
        var outcome = Accept("""{"type":"identify","anonymousId":"a1","messageId":"m1"}""", WebCall.Track);
        var r = Assert.Single(outcome.Rejected);
        Assert.Equal("$.type", Assert.Single(r.Errors).Path);
    }

    [Fact]
    public void A_missing_message_id_is_made_up_from_the_event_so_a_retry_gets_the_same_id()
    {
        const string body = """{"batch":[{"type":"page","anonymousId":"a1","name":"Home","timestamp":"2025-03-03T09:00:00Z"}]}""";
        var first = Assert.Single(Accept(body).Events);
        var again = Assert.Single(Accept(body).Events);
        var id = (string?)first["messageId"];
        Assert.StartsWith(SegmentIntake.GeneratedIdPrefix, id, StringComparison.Ordinal);
        Assert.Equal(id, (string?)again["messageId"]);
        Assert.NotEqual(id, (string?)Assert.Single(Accept(body.Replace("Home", "About", StringComparison.Ordinal)).Events)["messageId"]);
    }

    [Fact]
    public void Invalid_items_are_reported_with_their_index_message_id_and_paths_and_the_rest_goes_on()
    {
        var outcome = Accept("""
            {"batch":[
              {"type":"track","userId":"u1","messageId":"ok"},
              {"type":"track","event":"Fine","userId":"u1","messageId":"good"},
              {"type":"group","anonymousId":"a1","messageId":"nogroup"},
              "not an object"
            ]}
            """);
        Assert.Equal("good", (string?)Assert.Single(outcome.Events)["messageId"]);
        Assert.Equal([0, 2, 3], outcome.Rejected.Select(r => r.Index));
        Assert.Equal("ok", outcome.Rejected[0].MessageId);
        Assert.Equal("$.batch[0].event", Assert.Single(outcome.Rejected[0].Errors).Path);
        Assert.Equal("$.batch[2].groupId", Assert.Single(outcome.Rejected[1].Errors).Path);
        Assert.Equal("$.batch[3]", Assert.Single(outcome.Rejected[2].Errors).Path);
    }

    [Fact]
    public void Limits_are_32_KB_per_event_and_500_KB_per_batch()
    {
        var big = new string('x', 33 * 1024);
        var single = SegmentIntake.Read($$$"""{"event":"E","userId":"u","properties":{"p":"{{{big}}}"}}""", WebCall.Track);
        Assert.Equal(IntakeFailureKind.TooLarge, single.Failure?.Kind);

        var oneTooBig = Accept($$$"""{"batch":[{"type":"track","event":"E","userId":"u","messageId":"m1","properties":{"p":"{{{big}}}"}},{"type":"track","event":"E","userId":"u","messageId":"m2"}]}""");
        Assert.Single(oneTooBig.Events);
        Assert.True(Assert.Single(oneTooBig.Rejected).TooLarge);

        var onlyTooBig = Accept($$$"""{"batch":[{"type":"track","event":"E","userId":"u","properties":{"p":"{{{big}}}"}}]}""");
        Assert.True(onlyTooBig.OnlyTooLarge);

        var items = string.Join(",", Enumerable.Range(0, 20).Select(i => $$$"""{"type":"track","event":"E","userId":"u","properties":{"p":"{{{new string('y', 30 * 1024)}}}"}}"""));
        Assert.Equal(IntakeFailureKind.TooLarge, SegmentIntake.Read($$$"""{"batch":[{{{items}}}]}""", null).Failure?.Kind);
    }

    [Theory]
    [InlineData("{\"batch\": [")]
    [InlineData("[1,2]")]
    [InlineData("{\"batch\": {}}")]
    [InlineData("")]
    [InlineData("{\"batch\": [{\"type\":\"track\",\"event\":\"a\",\"event\":\"b\",\"userId\":\"u\"}]}")]
    [InlineData("{\"batch\": [], \"batch\": []}")]
    public void Malformed_bodies_are_refused_as_a_whole(string body)
    {
        Assert.Equal(IntakeFailureKind.Malformed, SegmentIntake.Read(body, null).Failure?.Kind);
    }

    [Fact]
    public void A_web_event_is_keyed_by_its_browser_else_by_its_user()
    {
        Assert.Equal("anonymousId:a1", SegmentIntake.PartitionKey(new JsonObject { ["userId"] = "u1", ["anonymousId"] = "a1" }));
        Assert.Equal("anonymousId:a1", SegmentIntake.PartitionKey(new JsonObject { ["anonymousId"] = "a1" }));
        Assert.Equal("userId:u1", SegmentIntake.PartitionKey(new JsonObject { ["userId"] = "u1", ["anonymousId"] = "" }));
        Assert.Null(SegmentIntake.PartitionKey(new JsonObject { ["event"] = "x" }));
    }

    [Fact]
    public void A_crm_event_is_keyed_by_its_contact_as_its_system_knows_it_else_by_user_email_or_phone()
    {
        static JsonObject Of(JsonObject customer) => new() { ["type"] = "ticket.opened", ["customer"] = customer };
        Assert.Equal("crm.hubspot:901", CanonicalCrm.PartitionKey(Of(new JsonObject { ["system"] = "HubSpot", ["crmId"] = "901", ["email"] = "a@x.org" })));
        Assert.Equal("userId:u1", CanonicalCrm.PartitionKey(Of(new JsonObject { ["userId"] = "u1", ["email"] = "a@x.org" })));
        Assert.Equal("email:a@x.org", CanonicalCrm.PartitionKey(Of(new JsonObject { ["email"] = "A@X.org" })));
        Assert.Equal("phone:+442079460000", CanonicalCrm.PartitionKey(Of(new JsonObject { ["phone"] = "+442079460000" })));
        Assert.Null(CanonicalCrm.PartitionKey(new JsonObject { ["type"] = "ticket.opened" }));
    }
}
