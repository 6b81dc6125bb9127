using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Tests.Support;
using Touchpoints.Testing;
using static Touchpoints.Core.Tests.Support.Build;

namespace Touchpoints.Core.Tests.Rules;

/// <summary>The compiled conditions agree with the reference interpreter, which reads the raw JSON on every evaluation.</summary>
public class ConditionInterpreterProperties
{
    private static readonly Config Config = Gens.Config.WithMaxTest(400);

    private static CompiledCondition CompileOrFail(JsonNode condition)
    {
        var (rules, errors) = RulesCompiler.Compile(RuleGens.DocumentWithSegment(condition), "probe");
        Assert.True(rules is not null, $"{condition.ToJsonString()} does not compile: {string.Join("; ", errors)}");
        return rules.Segments[0].When;
    }

    [Fact]
    public void Compiled_and_interpreted_conditions_agree_on_random_views_and_clocks() =>
        Check.One(Config, Prop.ForAll(
            Arb.From(RuleGens.Condition(3)),
            Arb.From(Gen.ArrayOf(RuleGens.Situation, 4)),
            (condition, situations) =>
            {
                var compiled = CompileOrFail(condition);
                var element = RuleGens.Element(condition);
                foreach (var situation in situations)
                {
                    var ctx = situation.Context;
                    var expected = ConditionInterpreter.Evaluate(element, ctx);
                    var actual = compiled.Test(ctx);
                    if (expected != actual)
                        return false.Label($"{condition.ToJsonString()}\ninterpreted {expected}, compiled {actual}\n{situation}");
                }
                return true.Label("agree");
            }));

    [Fact]
    public void Every_fact_with_every_fitting_operator_agrees_on_random_views() =>
        Check.One(Config.WithMaxTest(100), Prop.ForAll(
            Arb.From(Gen.ArrayOf(RuleGens.Situation, 3)),
            situations =>
            {
                foreach (var fact in RuleGens.AllFacts)
                {
                    var condition = RuleGens.Predicate(fact).Sample(1, 1).Single();
                    var compiled = CompileOrFail(condition);
                    var element = RuleGens.Element(condition);
                    foreach (var situation in situations)
                        if (ConditionInterpreter.Evaluate(element, situation.Context) != compiled.Test(situation.Context))
                            return false.Label($"{condition.ToJsonString()} disagrees on\n{situation}");
                }
                return true.Label("agree");
            }));

    [Fact]
    public void Generated_conditions_use_every_fact_and_every_operator_that_fits_it()
    {
        var seen = new HashSet<(string, string)>();
        foreach (var fact in RuleGens.AllFacts)
            foreach (var sample in RuleGens.Predicate(fact).Sample(200))
                seen.Add((sample["fact"]!.GetValue<string>(), sample["op"]!.GetValue<string>()));

        var expected = RuleGens.AllFacts.SelectMany(f => ConditionCompiler.Fits(f.Type).Select(op => (f.Path, op))).ToHashSet();
        Assert.Empty(expected.Except(seen));
    }

    [Fact]
    public void The_interpreter_reads_nested_conditions_from_json()
    {
        var view = RuleGens.View.Sample(1, 1).Single() with { Segments = ["advocate"] };
        var condition = JsonDocument.Parse("""
            { "all": [
                { "fact": "segments", "op": "contains", "value": "advocate" },
                { "not": { "fact": "segments", "op": "in", "value": ["costly"] } },
                { "any": [ { "fact": "createdAt", "op": "olderThan", "value": "1d" }, { "fact": "lifecycle", "op": "eq", "value": "nobody" } ] }
            ] }
            """).RootElement;

        Assert.True(ConditionInterpreter.Evaluate(condition, new EvaluationContext(view, T0.AddDays(1))));
        Assert.False(ConditionInterpreter.Evaluate(condition, new EvaluationContext(view with { Segments = ["advocate", "costly"] }, T0.AddDays(1))));
    }

    [Fact]
    public void The_interpreter_refuses_what_the_compiler_refuses()
    {
        var view = NewView();
        var ctx = new EvaluationContext(view, T0);
        Assert.Throws<ArgumentException>(() => ConditionInterpreter.Evaluate(JsonDocument.Parse("""{ "fact": "traits.nmae", "op": "eq", "value": "x" }""").RootElement, ctx));
        Assert.Throws<ArgumentException>(() => ConditionInterpreter.Evaluate(JsonDocument.Parse("""{ "fact": "traits.name", "op": "gt", "value": "x" }""").RootElement, ctx));
        Assert.Throws<ArgumentException>(() => ConditionInterpreter.Evaluate(JsonDocument.Parse("""{ "fact": "createdAt", "op": "withinLast", "value": "soon" }""").RootElement, ctx));
    }
}
