using System.Text.Json;
using System.Text.RegularExpressions;
using Touchpoints.Core.Events;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Tests.Schemas;
using Touchpoints.Core.Views;

namespace Touchpoints.Core.Tests.Rules;

/// <summary>The rules JSON Schema (what editors complete and check as marketers type) agrees with the reader and the catalog.</summary>
public class RulesSchemaTests
{
    internal static string SchemaPath => Path.Combine(SchemaValidator.SchemasDirectory, "rules.schema.json");

    private static readonly Lazy<JsonDocument> Schema = new(() => JsonDocument.Parse(File.ReadAllText(SchemaPath)));

    private static JsonElement Def(string name) => Schema.Value.RootElement.GetProperty("$defs").GetProperty(name);

    private static string[] Strings(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetString()!)];

    private static IEnumerable<string> Sorted(IEnumerable<string> values) => values.Order(StringComparer.Ordinal);

    private static IEnumerable<string> Names<T>() where T : struct, Enum => Enum.GetValues<T>().Select(v => Facts.Name(v));

    [Fact]
    public void The_schema_is_draft_2020_12()
    {
        Assert.Equal("https://json-schema.org/draft/2020-12/schema", Schema.Value.RootElement.GetProperty("$schema").GetString());
    }

    [Fact]
    public void The_fact_list_of_the_schema_is_the_catalog_and_the_counters_pattern()
    {
        var anyOf = Def("fact").GetProperty("anyOf");

        Assert.Equal(Sorted(Facts.Catalog.Keys), Sorted(Strings(anyOf[0].GetProperty("enum"))));
        var pattern = anyOf[1].GetProperty("pattern").GetString()!;
        Assert.Equal("^" + Regex.Escape(Facts.CounterPrefix) + ".+$", pattern);
        Assert.Matches(pattern, "counters.web.track.Checkout Started");
        Assert.DoesNotMatch(pattern, Facts.CounterPrefix);
    }

    [Fact]
    public void The_facts_of_each_type_and_the_operators_that_fit_them_are_the_catalogs()
    {
        var conditionals = Def("predicate").GetProperty("allOf").EnumerateArray().ToArray();
        foreach (var type in Enum.GetValues<FactType>())
        {
            var name = Facts.Name(type);
            Assert.Equal(Sorted(Facts.Catalog.Values.Where(f => f.Type == type).Select(f => f.Path)), Sorted(Strings(Def($"{name}Facts").GetProperty("enum"))));
            var rule = conditionals.Single(c => c.GetProperty("if").GetProperty("properties").TryGetProperty("fact", out var fact)
                && fact.GetRawText().Contains($"#/$defs/{name}Facts", StringComparison.Ordinal));
            Assert.Equal(ConditionCompiler.Fits(type), Strings(rule.GetProperty("then").GetProperty("properties").GetProperty("op").GetProperty("enum")));
        }
    }

    [Fact]
    public void The_enums_of_the_schema_are_the_readers()
    {
        Assert.Equal(Names<Channel>(), Strings(Def("channel").GetProperty("enum")));
        Assert.Equal(Names<ConsentChannel>(), Strings(Def("consentChannel").GetProperty("enum")));
        Assert.Equal(Names<RuleKind>(), Strings(Def("kind").GetProperty("enum")));
        Assert.Equal(Names<Comparison>(), Strings(Def("op").GetProperty("enum")));
        Assert.Equal(Names<LifecycleStage>(), Strings(Def("lifecycleStage").GetProperty("enum")));
        Assert.Equal(["change", "delay", "inactivity"], Def("trigger").GetProperty("oneOf").EnumerateArray()
            .Select(t => t.GetProperty("properties").GetProperty("on").GetProperty("const").GetString()));
        Assert.Equal(Names<Channel>(), Def("policies").GetProperty("properties").GetProperty("consent").GetProperty("properties").EnumerateObject().Select(p => p.Name));
    }

    [Theory]
    [InlineData("15m")]
    [InlineData("4h")]
    [InlineData("30d")]
    [InlineData("2w")]
    [InlineData("PT4H")]
    [InlineData("P30D")]
    [InlineData("P1DT12H")]
    [InlineData("PT1.5S")]
    [InlineData("pt30m")]
    [InlineData("4 h")]
    [InlineData("0h")]
    [InlineData("-4h")]
    [InlineData("4x")]
    [InlineData("h")]
    [InlineData("P")]
    [InlineData("PT")]
    [InlineData("P1W")]
    [InlineData("4hours")]
    public void The_duration_pattern_accepts_what_the_reader_accepts(string text)
    {
        var pattern = Def("duration").GetProperty("pattern").GetString()!;

        Assert.Equal(Durations.TryParse(text, out _), Regex.IsMatch(text, pattern));
    }
}
