using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Touchpoints.FunctionsHost;
using Touchpoints.FunctionsHost.App;
using Touchpoints.FunctionsHost.Runtime;
using Touchpoints.FunctionsHost.Triggers;

namespace Touchpoints.LocalHost.Tests;

public sealed class EncodingTests
{
    private static BindingDefinition Trigger(string extra = "") => new(BindingTypes.EventHubTrigger, "in", "events",
        JsonNode.Parse($$"""{ "type": "eventHubTrigger", "name": "events", "eventHubName": "web-events", "consumerGroup": "cg" {{extra}} }""")!.AsObject());

    private static readonly DateTimeOffset Enqueued = new(2025, 1, 2, 3, 4, 5, 123, TimeSpan.Zero);

    private static HubEvent Event(long sequence, string body, string? key = null) =>
        new("web-events", "2", sequence, sequence * 10, key, Enqueued, Encoding.UTF8.GetBytes(body));

    private static JsonNode Unwrap(JsonNode? value) => JsonNode.Parse(value!.GetValue<string>())!;

    [Fact]
    public void A_batch_of_string_events_is_a_string_holding_a_json_array_with_double_encoded_metadata_arrays()
    {
        var (data, metadata) = EventHubPayload.Build(Trigger(""", "cardinality": "many", "dataType": "string" """),
            [Event(7, """{"type":"track"}"""), Event(8, "not json", "user-1")], "ns.servicebus.windows.net");

        Assert.Equal(JsonValueKind.String, data["events"]!.GetValueKind());
        Assert.Equal("""["{\"type\":\"track\"}","not json"]""", data["events"]!.GetValue<string>());
        Assert.Equal("[7,8]", metadata["SequenceNumberArray"]!.GetValue<string>());
        Assert.Equal("""["70","80"]""", metadata["OffsetArray"]!.GetValue<string>());
        Assert.Equal("""[null,"user-1"]""", metadata["PartitionKeyArray"]!.GetValue<string>());
        Assert.Equal("""["2025-01-02T03:04:05.123Z","2025-01-02T03:04:05.123Z"]""", metadata["EnqueuedTimeUtcArray"]!.GetValue<string>());
        Assert.Equal(2, Unwrap(metadata["PropertiesArray"]).AsArray().Count);
        Assert.Equal(8, Unwrap(metadata["SystemPropertiesArray"])[1]!["x-opt-sequence-number"]!.GetValue<long>());
        var context = metadata["PartitionContext"]!.AsObject();
        Assert.Equal("ns.servicebus.windows.net", context["FullyQualifiedNamespace"]!.GetValue<string>());
        Assert.Equal("web-events", context["EventHubName"]!.GetValue<string>());
        Assert.Equal("cg", context["ConsumerGroup"]!.GetValue<string>());
        Assert.Equal("2", context["PartitionId"]!.GetValue<string>());
    }

    [Fact]
    public void A_single_string_event_is_double_encoded_with_scalar_metadata()
    {
        var (data, metadata) = EventHubPayload.Build(Trigger(""", "dataType": "string" """), [Event(3, "hello", "k")], "ns");

        Assert.Equal("\"hello\"", data["events"]!.GetValue<string>());
        Assert.Equal("3", metadata["SequenceNumber"]!.GetValue<string>());
        Assert.Equal("\"k\"", metadata["PartitionKey"]!.GetValue<string>());
        Assert.Equal("\"2025-01-02T03:04:05.123Z\"", metadata["EnqueuedTimeUtc"]!.GetValue<string>());
    }

    [Fact]
    public void Without_a_data_type_the_bodies_are_parsed_as_json_and_a_non_json_body_fails_the_binding()
    {
        var (data, _) = EventHubPayload.Build(Trigger(""", "cardinality": "many" """), [Event(0, """{"a":1}""")], "ns");
        Assert.Equal("""[{"a":1}]""", data["events"]!.GetValue<string>());

        Assert.Throws<FormatException>(() => EventHubPayload.Build(Trigger(""", "cardinality": "many" """), [Event(0, "plain")], "ns"));
    }

    [Fact]
    public void Binary_events_are_base64()
    {
        var (data, _) = EventHubPayload.Build(Trigger(""", "cardinality": "many", "dataType": "binary" """), [Event(0, "hi")], "ns");

        Assert.Equal("""["aGk="]""", data["events"]!.GetValue<string>());
    }

    [Fact]
    public void The_host_encodes_scalars_a_second_time_and_dates_as_newtonsoft_does()
    {
        Assert.Equal("\"HelloWorld\"", HostEncoding.Twice("HelloWorld").GetValue<string>());
        Assert.Equal("4", HostEncoding.Twice(4).GetValue<string>());
        Assert.Equal("\"2025-01-02T03:04:05Z\"", HostEncoding.Twice(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero)).GetValue<string>());
        Assert.Equal("2025-01-02T03:04:05+02:00", HostEncoding.Date(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.FromHours(2))));
        var sys = HostEncoding.Sys("F", Enqueued);
        Assert.Equal("F", sys["MethodName"]!.GetValue<string>());
        Assert.True(Guid.TryParse(sys["RandGuid"]!.GetValue<string>(), out _));
    }

    [Fact]
    public void An_output_array_is_one_message_per_element_objects_as_json_strings_as_they_are()
    {
        var messages = OutputWriter.Messages(JsonNode.Parse("""[{"customerId":"c1","v":1},"plain",3,null]""")!, binary: false);

        Assert.Equal(["""{"customerId":"c1","v":1}""", "plain", "3"], messages.Select(m => Encoding.UTF8.GetString(m.Body)));
        Assert.Equal("c1", messages[0].PartitionKey);
        Assert.Null(messages[1].PartitionKey);
    }

    [Fact]
    public void A_string_output_that_happens_to_be_base64_becomes_its_bytes_as_in_the_host()
    {
        var hex = "0123456789abcdef0123456789abcdef";

        var decoded = Assert.Single(OutputWriter.Messages(JsonValue.Create(hex), binary: false));
        var kept = Assert.Single(OutputWriter.Messages(JsonValue.Create("not base64!"), binary: false));
        var binary = Assert.Single(OutputWriter.Messages(JsonValue.Create(hex), binary: true));

        Assert.Equal(Convert.FromBase64String(hex), decoded.Body);
        Assert.Equal("not base64!", Encoding.UTF8.GetString(kept.Body));
        Assert.Equal(hex, Encoding.UTF8.GetString(binary.Body));
    }

    [Theory]
    [InlineData("""[{"a":1},"b"]""", """{"a":1}|b""")]
    [InlineData("""{"a":1}""", """{"a":1}""")]
    [InlineData("\"text\"", "text")]
    [InlineData("not json", "not json")]
    public void A_published_body_is_a_json_array_of_events_or_one_event(string body, string expected) =>
        Assert.Equal(expected, string.Join('|', LocalFunctionsHost.EventsOf(body)));
}
