using System.Text.Json.Nodes;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Tests.Schemas;

namespace Touchpoints.Core.Tests.Rules.Validation;

/// <summary>
/// A corpus of broken rules documents, each with the error it must produce and where: the default document with one thing
/// broken (inline), and files for the cases whose line and column matter.
/// </summary>
public class RulesValidationCorpusTests
{
    private static string Folder => Path.Combine(SchemaValidator.RepoRoot, "tests", "Touchpoints.Core.Tests", "Rules", "Validation");

    private static string FileText(string name) => File.ReadAllText(Path.Combine(Folder, name));

    private static JsonObject Default() => JsonNode.Parse(DefaultRules.Json)!.AsObject();

    private static JsonObject RuleNode(JsonObject document, string id) =>
        document["rules"]!.AsArray().Select(r => r!.AsObject()).Single(r => (string?)r["id"] == id);

    private static int RuleIndex(string id) => DefaultRules.Compiled.Document.Rules.Select(r => r.Id).ToList().IndexOf(id);

    private static IReadOnlyList<RuleError> Errors(string json)
    {
        var (rules, errors) = RulesCompiler.Compile(json, "test");
        Assert.True(rules is null == errors.Count > 0, "a document compiles exactly when it has no errors");
        return errors;
    }

    /// <summary>One thing broken in the default document: how, and the path and words of the error it must produce.</summary>
    public sealed record BrokenDocument(string Name, Action<JsonObject> Break, string Path, string Message)
    {
        public override string ToString() => Name;
    }

    private static readonly BrokenDocument[] Cases =
    [
        new("unknown member at the top", d => d["colour"] = "green", "$.colour", "unknown member 'colour': allowed are $schema, policies, scores, segments, rules"),
        new("unknown member in a rule", d => RuleNode(d, "welcome")["delay"] = "1h", $"$.rules[{RuleIndex("welcome")}].delay", "unknown member 'delay'"),
        new("unknown member in a policy", d => d["policies"]!["quietHours"]!["timezone"] = "UTC", "$.policies.quietHours.timezone", "unknown member 'timezone': allowed are start, end, channels"),
        new("unknown member in a predicate", d => d["segments"]![2]!["when"]!["vaule"] = 1, "$.segments[2].when.vaule", "unknown member 'vaule': allowed are fact, op, value"),
        new("a member of another trigger", d => RuleNode(d, "abandoned-cart")["trigger"]!["causes"] = new JsonArray("web.page"),
            "$.rules[0].trigger.causes", "unknown member 'causes': allowed are on, cause, after, unless"),
        new("unknown fact with a suggestion", d => d["segments"]![2]!["when"]!["fact"] = "scores.profitabilty",
            "$.segments[2].when.fact", "unknown fact 'scores.profitabilty' (did you mean 'scores.profitability'?)"),
        new("unknown fact far from any", d => d["segments"]![4]!["when"]!["fact"] = "shoe.size", "$.segments[4].when.fact", "unknown fact 'shoe.size'"),
        new("an operator that does not fit a text", d => d["segments"]![4]!["when"] = Predicate("traits.name", "gt", "M"),
            "$.segments[4].when.op", "'gt' does not apply to traits.name, a text: use eq, ne, in, notIn, contains, exists, changed"),
        new("an operator that does not fit a number", d => d["segments"]![4]!["when"] = Predicate("scores.value", "withinLast", "1d"),
            "$.segments[4].when.op", "'withinLast' does not apply to scores.value, a number"),
        new("an operator that does not fit a counter", d => d["segments"]![4]!["when"] = Predicate("counters.web.page", "contains", "x"),
            "$.segments[4].when.op", "'contains' does not apply to counters.web.page, a number"),
        new("a value that does not fit the operator", d => d["segments"]![4]!["when"] = Predicate("scores.value", "gte", "60"),
            "$.segments[4].when.value", "'gte' on scores.value needs a number"),
        new("an unknown operator", d => d["segments"]![4]!["when"] = Predicate("scores.value", "atLeast", 60),
            "$.segments[4].when.op", "'atLeast' is not one of eq, ne, gt"),
        new("a missing value", d => d["segments"]![4]!["when"]!.AsObject().Remove("value"), "$.segments[4].when.value", "is required"),
        new("an empty all", d => d["segments"]![3]!["when"]!["all"] = new JsonArray(), "$.segments[3].when.all", "must be a non-empty array of conditions"),
        new("a bad duration in a condition", d => d["segments"]![4]!["when"] = Predicate("lastInteractionAt", "withinLast", "soon"),
            "$.segments[4].when.value", "'soon' is not a duration"),
        new("a bad cooldown", d => RuleNode(d, "welcome")["cooldown"] = "3 days", $"$.rules[{RuleIndex("welcome")}].cooldown", "'3 days' is not a duration"),
        new("a negative delay", d => RuleNode(d, "abandoned-cart")["trigger"]!["after"] = "-4h", "$.rules[0].trigger.after", "'-4h' is not a duration"),
        new("a zero inactivity", d => RuleNode(d, "win-back")["trigger"]!["after"] = "PT0S", $"$.rules[{RuleIndex("win-back")}].trigger.after", "'PT0S' is not a duration"),
        new("a bad cap window", d => d["policies"]!["frequencyCaps"]![0]!["per"] = "fortnight", "$.policies.frequencyCaps[0].per", "'fortnight' is not a window"),
        new("a duplicate rule id", d => RuleNode(d, "welcome")["id"] = "abandoned-cart", $"$.rules[{RuleIndex("welcome")}].id", "duplicate rule id 'abandoned-cart'"),
        new("a duplicate segment id", d => d["segments"]![1]!["id"] = "influential", "$.segments[1].id", "duplicate segment id 'influential'"),
        new("an id with spaces", d => d["segments"]![1]!["id"] = "big fans", "$.segments[1].id", "'big fans' is not an id"),
        new("a priority above 100", d => RuleNode(d, "welcome")["priority"] = 101, $"$.rules[{RuleIndex("welcome")}].priority", "101 is out of range: use 0 to 100"),
        new("a negative priority", d => RuleNode(d, "welcome")["priority"] = -1, $"$.rules[{RuleIndex("welcome")}].priority", "-1 is out of range: use 0 to 100"),
        new("a fractional priority", d => RuleNode(d, "welcome")["priority"] = 50.5, $"$.rules[{RuleIndex("welcome")}].priority", "must be a whole number"),
        new("a holdout above 100 percent", d => RuleNode(d, "win-back")["holdout"] = 150, $"$.rules[{RuleIndex("win-back")}].holdout", "must be a percentage between 0 and 100"),
        new("a held-out sales alert", d => RuleNode(d, "hot-lead")["holdout"] = 10, $"$.rules[{RuleIndex("hot-lead")}].holdout", "sales alerts are not held out"),
        new("a channel without a consent mapping", d => d["policies"]!["consent"]!.AsObject().Remove("sms"),
            $"$.rules[{RuleIndex("sms-weekend-sale")}].channel", "channel 'sms' has no consent mapping in $.policies.consent"),
        new("an unknown channel", d => RuleNode(d, "welcome")["channel"] = "fax", $"$.rules[{RuleIndex("welcome")}].channel", "'fax' is not one of email, sms, push, phone, mail, inApp"),
        new("a consent mapping for an unknown channel", d => d["policies"]!["consent"]!["fax"] = new JsonObject { ["requires"] = "mail" },
            "$.policies.consent.fax", "'fax' is not a channel"),
        new("a marketing rule without a channel", d => RuleNode(d, "welcome").Remove("channel"), $"$.rules[{RuleIndex("welcome")}].channel", "is required"),
        new("a sales alert with a channel", d => RuleNode(d, "hot-lead")["channel"] = "phone", $"$.rules[{RuleIndex("hot-lead")}].channel", "a sales alert goes to the owner's queue"),
        new("an unknown segment in an audience", d => RuleNode(d, "vip-offer")["audience"]!["segments"]![0] = "vip",
            $"$.rules[{RuleIndex("vip-offer")}].audience.segments[0]", "unknown segment 'vip'"),
        new("an unknown segment in a cause", d => RuleNode(d, "influencer-outreach")["trigger"]!["causes"]![0] = "segment.entered:influencer",
            $"$.rules[{RuleIndex("influencer-outreach")}].trigger.causes[0]", "unknown segment 'influencer'"),
        new("an unknown segment in a goal", d => RuleNode(d, "welcome")["goal"] = "segment.entered:customer",
            $"$.rules[{RuleIndex("welcome")}].goal", "unknown segment 'customer'"),
        new("something that is not a cause", d => RuleNode(d, "abandoned-cart")["trigger"]!["unless"]![0] = "Order Completed",
            "$.rules[0].trigger.unless[0]", "'Order Completed' is not a cause"),
        new("an unknown trigger", d => RuleNode(d, "win-back")["trigger"] = new JsonObject { ["on"] = "schedule" },
            $"$.rules[{RuleIndex("win-back")}].trigger.on", "'schedule' is not a trigger: use change, delay or inactivity"),
        new("an unknown lifecycle stage", d => RuleNode(d, "win-back")["audience"]!["lifecycle"]![0] = "vip",
            $"$.rules[{RuleIndex("win-back")}].audience.lifecycle[0]", "'vip' is not one of anonymous, known, lead"),
        new("an unknown time zone", d => d["policies"]!["defaultTimezone"] = "Europe/Londn", "$.policies.defaultTimezone", "'Europe/Londn' is not a time zone"),
        new("quiet hours that are not times", d => d["policies"]!["quietHours"]!["start"] = "9pm", "$.policies.quietHours.start", "'9pm' is not a local time: use HH:mm"),
        new("tiers upside down", d => d["policies"]!["priorityTiers"]!["normal"] = 80, "$.policies.priorityTiers.high", "must be above normal"),
        new("a negative weight", d => d["scores"]!["weights"]!["fit"] = -1, "$.scores.weights.fit", "must not be negative"),
        new("a missing policy section", d => d.Remove("policies"), "$.policies", "is required"),
        new("rules that are not an array", d => d["rules"] = new JsonObject(), "$.rules", "must be an array"),
    ];

    public static TheoryData<BrokenDocument> Corpus => [.. Cases];

    private static JsonObject Predicate(string fact, string op, JsonNode? value) => new() { ["fact"] = fact, ["op"] = op, ["value"] = value };

    [Theory]
    [MemberData(nameof(Corpus))]
    public void A_broken_document_is_refused_with_the_error_at_its_path(BrokenDocument c)
    {
        var document = Default();
        c.Break(document);
        var json = document.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });

        var errors = Errors(json);

        Assert.True(errors.Any(e => e.Path == c.Path && e.Message.StartsWith(c.Message, StringComparison.Ordinal)),
            $"expected {c.Path}: {c.Message}…, got:\n{string.Join("\n", errors)}");
        Assert.All(errors, e => Assert.NotNull(e.Line));
    }

    [Fact]
    public void The_corpus_has_no_case_that_the_default_document_already_breaks() => Assert.Empty(Errors(DefaultRules.Json));

    [Fact]
    public void Malformed_json_is_reported_with_its_line_and_column()
    {
        var error = Assert.Single(Errors(FileText("malformed.json")));

        Assert.StartsWith("malformed JSON: ", error.Message, StringComparison.Ordinal);
        Assert.Equal(4, error.Line);
        Assert.Equal(5, error.Column);
    }

    [Fact]
    public void A_duplicate_key_is_reported_with_its_line_not_resolved_by_taking_one_value()
    {
        var error = Assert.Single(Errors("{\n  \"rules\": [],\n  \"rules\": []\n}"));

        Assert.StartsWith("malformed JSON: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("rules", error.Path + error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ \"rules\": [], \"note\": \"\ud800\" }")]
    [InlineData("{ \"rules\": [], \"note\": \"\\ud800\" }")]
    public void A_lone_surrogate_is_reported_not_a_crash(string json) =>
        Assert.NotEmpty(Errors(json));

    [Fact]
    public void An_unknown_fact_in_a_file_is_reported_with_a_suggestion_a_path_a_line_and_a_column()
    {
        var error = Assert.Single(Errors(FileText("unknown-fact.json")));

        Assert.Equal("$.rules[0].conditions.all[1].fact", error.Path);
        Assert.Equal("unknown fact 'touchpoints.web.pricingVeiws' (did you mean 'touchpoints.web.pricingViews'?)", error.Message);
        Assert.Equal(23, error.Line);
        Assert.Equal(13, error.Column);
        Assert.Equal("$.rules[0].conditions.all[1].fact (line 23, column 13): unknown fact 'touchpoints.web.pricingVeiws' (did you mean 'touchpoints.web.pricingViews'?)", error.ToString());
    }

    [Fact]
    public void Every_error_of_a_many_times_broken_document_is_reported_at_once()
    {
        var errors = Errors(FileText("many-broken.json"));

        (string Path, string Message, int Line)[] expected =
        [
            ("$.policies.frequencyCaps[0].per", "'fortnight' is not a window", 4),
            ("$.policies.colour", "unknown member 'colour'", 7),
            ("$.segments[0].when.fact", "unknown fact 'scores.valeu' (did you mean 'scores.value'?)", 16),
            ("$.segments[1].id", "duplicate segment id 'vip'", 17),
            ("$.segments[1].when.op", "'gt' does not apply to traits.name", 17),
            ("$.rules[0].channel", "channel 'sms' has no consent mapping", 23),
            ("$.rules[0].priority", "101 is out of range", 25),
            ("$.rules[0].trigger.after", "'4 hours' is not a duration", 26),
            ("$.rules[0].conditions.op", "'withinLast' does not apply to touchpoints.web.cart.value", 27),
            ("$.rules[1].audience.segments[0]", "unknown segment 'gold'", 35),
            ("$.rules[1].trigger.causes[0]", "unknown segment 'platinum'", 36),
            ("$.rules[1].cooldown", "'-3d' is not a duration", 37),
        ];
        var missing = expected.Where(x => !errors.Any(e => e.Path == x.Path && e.Message.StartsWith(x.Message, StringComparison.Ordinal) && e.Line == x.Line)).ToArray();
        Assert.True(missing.Length == 0, $"missing {string.Join(", ", missing.Select(m => m.Path))}; got:\n{string.Join("\n", errors)}");
        Assert.Equal(expected.Length, errors.Count);
    }

    [Fact]
    public async Task The_json_schema_refuses_the_broken_files_too()
    {
        string[] files = [Path.Combine(Folder, "unknown-fact.json"), Path.Combine(Folder, "many-broken.json")];
        var results = await SchemaValidator.ValidateAsync(RulesSchemaTests.SchemaPath, files);

        Assert.All(files, f => Assert.False(results[f].Valid, f));
        Assert.Contains(results[files[0]].Errors, e => e.StartsWith("/rules/0/conditions/all/1/fact", StringComparison.Ordinal));
        Assert.Contains(results[files[1]].Errors, e => e.StartsWith("/rules/0/priority", StringComparison.Ordinal));
        Assert.Contains(results[files[1]].Errors, e => e.StartsWith("/policies", StringComparison.Ordinal) && e.Contains("additionalProperties", StringComparison.Ordinal));
    }
}
