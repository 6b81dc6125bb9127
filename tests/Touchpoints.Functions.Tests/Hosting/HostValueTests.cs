using System.Text.Json;
using System.Text.Json.Nodes;
using Touchpoints.Functions.Hosting;

namespace Touchpoints.Functions.Tests.Hosting;

/// <summary>The Event Hubs batch as the host encodes it, read back exactly, in both of its forms and when it is not a batch.</summary>
public sealed class HostValueTests
{
    private static JsonElement Element(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static JsonElement DoubleEncoded(params string[] bodies) =>
        Element(JsonSerializer.Serialize(new JsonArray([.. bodies.Select(b => JsonValue.Create(b))]).ToJsonString()));

    [Fact]
    public void A_double_encoded_batch_reads_back_every_body_exactly_escapes_and_all()
    {
        string[] bodies =
        [
            """{"type":"page","name":"Caf\u00e9 \"Müller\" – 😀","properties":{"path":"/a\\b"}}""",
            "line\u2028separator and \\u0000 text",
            "",
            new string('x', 70_000),
        ];

        Assert.Equal(bodies, HostValue.Bodies(DoubleEncoded(bodies)));
    }

    [Fact]
    public void A_plain_array_and_items_that_arrived_as_json_read_as_their_text()
    {
        Assert.Equal(["a", """{"n":1}"""], HostValue.Bodies(Element("""["a",{"n":1}]""")));
        Assert.Equal(["a", """{"n":1}""", "[2]"], HostValue.Bodies(Element(JsonSerializer.Serialize("""  ["a",{"n":1},[2]]"""))));
    }

    [Fact]
    public void A_string_that_holds_no_array_is_one_body_as_it_is()
    {
        Assert.Equal(["just text"], HostValue.Bodies(Element("\"just text\"")));
        Assert.Equal(["[\"unterminated"], HostValue.Bodies(Element(JsonSerializer.Serialize("[\"unterminated"))));
        Assert.Equal([], HostValue.Bodies(null));
    }
}
