using System.Text.Json;
using Touchpoints.Core.Events;

namespace Touchpoints.Core.Tests.Schemas;

/// <summary>
/// The published JSON Schemas (<c>functions/Touchpoints.Core/Schemas</c>) and the parsers agree: what the schema accepts the
/// parser accepts, and what it refuses the parser refuses, on every example we publish.
/// Example files are named <c>social-*.json</c> or <c>crm-*.json</c>; the prefix picks the schema and the parser.
/// </summary>
public class SchemaContractTests
{
    private static readonly string[] ConsentChannels = ["email", "sms", "phone", "mail"];
    private static readonly string[] ConsentStatuses = ["granted", "denied", "unknown"];
    private static readonly string[] ExampleKinds = ["valid", "invalid"];

    private static string ExamplesDirectory => Path.Combine(SchemaValidator.SchemasDirectory, "examples");

    public static TheoryData<string> ValidExamples => Examples("valid");

    public static TheoryData<string> InvalidExamples => Examples("invalid");

    [Theory]
    [MemberData(nameof(ValidExamples))]
    public async Task Valid_example_passes_the_schema_and_the_parser(string example)
    {
        var path = Path.Combine(ExamplesDirectory, "valid", example);

        var schema = await ValidateExampleAsync(path);
        var parsed = Parse(path);

        Assert.True(schema.Valid, $"{example} fails the schema: {schema}");
        Assert.True(parsed.IsValid, $"{example} is rejected by the parser: {parsed.Reason}");
        var type = ReadType(File.ReadAllText(path));
        Assert.Equal($"{IngestedEvent.SourceName(Source(example))}-{type.Replace("social.", "", StringComparison.Ordinal).Replace('.', '-').Replace('_', '-')}.json", example);
        Assert.Equal(Source(example) == EventSource.Crm ? "crm." + type : type, parsed.Event!.Type);
    }

    [Theory]
    [MemberData(nameof(InvalidExamples))]
    public async Task Invalid_example_fails_the_schema_and_is_rejected_by_the_parser_for_one_reason(string example)
    {
        var path = Path.Combine(ExamplesDirectory, "invalid", example);

        var schema = await ValidateExampleAsync(path);
        var parsed = Parse(path);

        Assert.False(schema.Valid, $"{example} passes the schema");
        Assert.NotEmpty(schema.Errors);
        Assert.False(parsed.IsValid, $"{example} is accepted by the parser");
        // Each invalid example breaks exactly one rule, so that a schema and a parser that disagree on that rule cannot hide behind another.
        Assert.True(parsed.Errors.Count == 1, $"{example} breaks more than one rule: {parsed.Reason}");
    }

    [Fact]
    public void There_is_a_valid_example_for_every_type_and_a_dozen_invalid_ones()
    {
        var valid = ExampleNames("valid");
        var expected = SchemaTypes("social").Select(t => "social-" + t["social.".Length..])
            .Concat(SchemaTypes("crm").Select(t => "crm-" + t.Replace('.', '-').Replace('_', '-')))
            .Select(name => name + ".json");

        Assert.Equal(expected.Order(StringComparer.Ordinal), valid.Order(StringComparer.Ordinal));
        Assert.True(ExampleNames("invalid").Length >= 12, "a dozen invalid examples at least");
    }

    [Fact]
    public void Crm_schema_type_enum_is_exactly_the_parser_types()
    {
        Assert.Equal(CrmParser.Types.Keys.Order(StringComparer.Ordinal), SchemaTypes("crm").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Social_schema_type_enum_is_exactly_the_parser_types()
    {
        // SocialParser keeps its type table private; its types are the SocialEventType values, named as SocialEvent.Type names them.
        var parserTypes = Enum.GetValues<SocialEventType>()
            .Select(kind => new SocialEvent { EventId = "e", OccurredAt = DateTimeOffset.UnixEpoch, Identifiers = [], Kind = kind, Network = "x", Handle = "ann" }.Type);
        var schemaTypes = SchemaTypes("social");

        Assert.Equal(parserTypes.Order(StringComparer.Ordinal), schemaTypes.Order(StringComparer.Ordinal));
        foreach (var type in schemaTypes)
        {
            var body = $$"""{ "eventId": "e-1", "type": "{{type}}", "network": "x", "handle": "@ann_lee", "occurredAt": "2025-03-01T14:00:00Z" }""";
            var result = SocialParser.Parse(body, Arrival());
            Assert.True(result.IsValid, $"{type}: {result.Reason}");
            Assert.Equal(type, result.Event!.Type);
        }
    }

    [Fact]
    public void Crm_schema_consent_enums_are_the_parser_values()
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(SchemaPath("crm")));
        var consent = schema.RootElement.GetProperty("allOf").EnumerateArray()
            .Single(rule => rule.GetProperty("if").GetProperty("properties").GetProperty("type").TryGetProperty("const", out var t) && t.GetString() == "consent.changed")
            .GetProperty("then").GetProperty("properties");

        Assert.Equal(ConsentChannels, Strings(consent.GetProperty("channel").GetProperty("enum")));
        Assert.Equal(ConsentStatuses, Strings(consent.GetProperty("status").GetProperty("enum")));
        Assert.Equal(Enum.GetNames<ConsentChannel>().Select(n => n.ToLowerInvariant()).Order(), ConsentChannels.Order());
        Assert.Equal(Enum.GetNames<ConsentStatus>().Select(n => n.ToLowerInvariant()).Order(), ConsentStatuses.Order());
        foreach (var channel in ConsentChannels)
        {
            foreach (var status in ConsentStatuses)
            {
                var body = $$"""
                    { "eventId": "c-1", "type": "consent.changed", "occurredAt": "2025-03-01T14:00:00Z",
                      "customer": { "email": "ann.lee@example.org" }, "channel": "{{channel}}", "status": "{{status}}" }
                    """;
                var result = CrmParser.Parse(body, Arrival());
                Assert.True(result.IsValid, $"{channel}/{status}: {result.Reason}");
            }
        }
    }

    [Theory]
    [InlineData("social")]
    [InlineData("crm")]
    public async Task Examples_embedded_in_the_schema_pass_the_schema_and_the_parser(string source)
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(SchemaPath(source)));
        var examples = schema.RootElement.GetProperty("examples").EnumerateArray().Select(e => e.GetRawText()).ToArray();
        Assert.NotEmpty(examples);

        var results = await ValidateBodiesAsync(source, examples);

        foreach (var (json, result) in examples.Zip(results))
        {
            Assert.True(result.Valid, $"{json} fails the schema: {result}");
            var parsed = EventParser.Parse(Source(source + "-"), json, Arrival());
            Assert.True(parsed.IsValid, $"{json} is rejected by the parser: {parsed.Reason}");
        }
    }

    /// <summary>
    /// The known gaps, pinned so that they stay known: rules a JSON Schema cannot state (the clock, case-insensitive placeholders,
    /// 1.0 versus 1), which only the parser enforces. If the schema learns one, move its case to examples/invalid.
    /// </summary>
    [Theory]
    [InlineData("social", """{ "eventId": "e-1", "type": "social.mention", "network": "x", "handle": "@ann_lee", "occurredAt": "2999-03-01T14:00:00Z" }""")]
    [InlineData("social", """{ "eventId": "e-1", "type": "social.mention", "network": "x", "handle": "Unknown", "occurredAt": "2025-03-01T14:00:00Z" }""")]
    [InlineData("social", """{ "eventId": "e-1", "type": "social.mention", "network": "x", "handle": "ann", "followers": 12.0, "occurredAt": "2025-03-01T14:00:00Z" }""")]
    [InlineData("crm", """{ "eventId": "c-1", "type": "contact.updated", "occurredAt": "2025-03-01T14:00:00Z", "customer": { "system": "hubspot", "crmId": "N/A" } }""")]
    public async Task Rules_a_schema_cannot_state_are_enforced_by_the_parser_alone(string source, string body)
    {
        var schema = (await ValidateBodiesAsync(source, [body]))[0];
        var parsed = EventParser.Parse(Source(source + "-"), body, Arrival());

        Assert.True(schema.Valid, $"the schema now refuses it ({schema}): move this case to examples/invalid");
        Assert.False(parsed.IsValid);
    }

    /// <summary>
    /// Deliberate strictness: forms the parser tolerates from sloppy producers but the schema does not advertise, so that a
    /// producer who follows the schema sends one unambiguous form.
    /// </summary>
    [Theory]
    [InlineData("social", """{ "eventId": "e-1", "type": "social.mention", "network": "x", "handle": "ann", "occurredAt": "2025-03-01T14:00:00" }""")]
    [InlineData("social", """{ "eventId": "e-1", "type": "social.mention", "network": "x", "handle": "ann", "sentiment": "0.5", "occurredAt": "2025-03-01T14:00:00Z" }""")]
    [InlineData("social", """{ "eventId": "e-1", "type": "social.mention", "network": " X ", "handle": "ann", "occurredAt": "2025-03-01T14:00:00Z" }""")]
    [InlineData("social", """{ "EventId": "e-1", "type": "social.mention", "network": "x", "handle": "ann", "occurredAt": "2025-03-01T14:00:00Z" }""")]
    [InlineData("crm", """{ "eventId": "c-1", "type": "order.placed", "amount": "99.50", "occurredAt": "2025-03-01T14:00:00Z", "customer": { "email": "ann@example.org" } }""")]
    public async Task Sloppy_forms_the_parser_tolerates_are_refused_by_the_schema(string source, string body)
    {
        var schema = (await ValidateBodiesAsync(source, [body]))[0];
        var parsed = EventParser.Parse(Source(source + "-"), body, Arrival());

        Assert.False(schema.Valid);
        Assert.True(parsed.IsValid, parsed.Reason);
    }

    private static async Task<SchemaResult[]> ValidateBodiesAsync(string source, IReadOnlyList<string> bodies)
    {
        var directory = Directory.CreateTempSubdirectory("touchpoints-schema-");
        try
        {
            var files = bodies.Select((json, i) =>
            {
                var file = Path.Combine(directory.FullName, $"{source}-{i}.json");
                File.WriteAllText(file, json);
                return file;
            }).ToArray();
            var results = await SchemaValidator.ValidateAsync(SchemaPath(source), files);
            return files.Select(f => results[f]).ToArray();
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static ArrivalContext Arrival()
    {
        var now = DateTimeOffset.UtcNow;
        return new ArrivalContext(EnqueuedAt: now, Now: now);
    }

    private static ParseResult Parse(string path) => EventParser.Parse(Source(Path.GetFileName(path)), File.ReadAllText(path), Arrival());

    private static EventSource Source(string example) =>
        example.StartsWith("social-", StringComparison.Ordinal) ? EventSource.Social
        : example.StartsWith("crm-", StringComparison.Ordinal) ? EventSource.Crm
        : throw new InvalidOperationException($"Example '{example}' must be named social-*.json or crm-*.json.");

    private static string SchemaPath(string source) => Path.Combine(SchemaValidator.SchemasDirectory, $"{source}-event.schema.json");

    private static string SchemaPath(EventSource source) => SchemaPath(source == EventSource.Social ? "social" : "crm");

    /// <summary>Validates one example; every example of its source goes through the same (cached) node run.</summary>
    private static async Task<SchemaResult> ValidateExampleAsync(string path)
    {
        var source = Source(Path.GetFileName(path));
        var prefix = source == EventSource.Social ? "social-" : "crm-";
        var all = ExampleKinds
            .SelectMany(kind => Directory.GetFiles(Path.Combine(ExamplesDirectory, kind), prefix + "*.json"))
            .Order(StringComparer.Ordinal)
            .ToArray();
        var results = await SchemaValidator.ValidateAsync(SchemaPath(source), all);
        return results[path];
    }

    private static TheoryData<string> Examples(string kind) => new(ExampleNames(kind));

    private static string[] ExampleNames(string kind) =>
        Directory.GetFiles(Path.Combine(ExamplesDirectory, kind), "*.json").Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    private static string[] SchemaTypes(string source)
    {
        using var schema = JsonDocument.Parse(File.ReadAllText(SchemaPath(source)));
        return Strings(schema.RootElement.GetProperty("properties").GetProperty("type").GetProperty("enum"));
    }

    private static string[] Strings(JsonElement array) => array.EnumerateArray().Select(e => e.GetString()!).ToArray();

    private static string ReadType(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("type").GetString()!;
    }
}
