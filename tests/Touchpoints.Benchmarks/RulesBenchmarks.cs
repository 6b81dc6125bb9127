using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Touchpoints.Core.Rules;
using Touchpoints.Testing;

namespace Touchpoints.Benchmarks;

/// <summary>
/// Evaluating <see cref="RuleCount"/> rules' conditions against <see cref="ViewCount"/> customer views: the reference
/// interpreter (reads the JSON condition, parses the operator, looks the fact up and converts the value on every
/// evaluation) against the compiled delegates. One invocation evaluates every rule against every view; BenchmarkDotNet
/// divides by <see cref="Evaluations"/>, so the table shows time and allocation per evaluation (evaluations/s = 1 / mean).
/// </summary>
[MemoryDiagnoser]
// Short enough for a few minutes' run; Min and Median beside the Mean because shared build machines are noisy.
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 15)]
[MinColumn, MedianColumn]
public class RulesBenchmarks
{
    public const int RuleCount = 100;
    public const int ViewCount = 10_000;
    public const int Evaluations = RuleCount * ViewCount;

    private EvaluationContext[] contexts = [];
    private CompiledCondition[] compiled = [];
    private JsonElement[] conditions = [];
    private JsonDocument? document;

    [GlobalSetup]
    public void Setup()
    {
        var views = RulesWorkload.Views(ViewCount);
        contexts = [.. views.Select(v => new EvaluationContext(v, RulesWorkload.Now))];
        var json = RulesWorkload.Document(RuleCount);
        var (rules, errors) = RulesCompiler.Compile(json, "benchmark");
        if (rules is null) throw new InvalidOperationException("the generated rules do not compile: " + string.Join("; ", errors));
        compiled = [.. rules.Rules.Select(r => r.Conditions)];
        document = JsonDocument.Parse(json);
        conditions = [.. document.RootElement.GetProperty("rules").EnumerateArray().Select(r => r.GetProperty("conditions"))];

        // Both paths must decide alike, and the workload must not be trivially all-true or all-false.
        var matches = InterpretJson();
        if (matches != Compiled()) throw new InvalidOperationException("the interpreter and the compiled conditions disagree");
        if (matches < Evaluations / 50 || matches > Evaluations - Evaluations / 50)
            throw new InvalidOperationException($"{matches} of {Evaluations} evaluations match: the workload is degenerate");
    }

    [GlobalCleanup]
    public void Cleanup() => document?.Dispose();

    [Benchmark(Baseline = true, OperationsPerInvoke = Evaluations)]
    public int InterpretJson()
    {
        var matches = 0;
        foreach (var ctx in contexts)
            foreach (var condition in conditions)
                if (ConditionInterpreter.Evaluate(condition, ctx)) matches++;
        return matches;
    }

    [Benchmark(OperationsPerInvoke = Evaluations)]
    public int Compiled()
    {
        var matches = 0;
        foreach (var ctx in contexts)
            foreach (var condition in compiled)
                if (condition.Test(ctx)) matches++;
        return matches;
    }
}
