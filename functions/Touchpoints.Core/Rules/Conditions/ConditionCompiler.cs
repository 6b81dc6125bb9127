using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Touchpoints.Core.Events;

namespace Touchpoints.Core.Rules;

/// <summary>A condition compiled to delegates: a test, and for explanations, each leaf with words for what it checked.</summary>
public sealed record CompiledCondition(Func<EvaluationContext, bool> Test, ImmutableArray<CompiledLeaf> Leaves)
{
    public static readonly CompiledCondition Always = new(_ => true, []);

    /// <summary>The leaves that held, in words: the reasons a decision carries. Only called for matches.</summary>
    public ImmutableArray<string> Reasons(EvaluationContext context) => [.. Leaves.Where(l => l.Test(context)).Select(l => l.Describe(context))];
}

public sealed record CompiledLeaf(Func<EvaluationContext, bool> Test, Func<EvaluationContext, string> Describe);

/// <summary>
/// Compiles <c>{fact, op, value}</c> trees once per document into closures specialised by fact type and operator, so that
/// evaluating a rule never looks at JSON or the catalog again. Every problem is reported, each with its path.
/// </summary>
public static class ConditionCompiler
{
    public static CompiledCondition Compile(Condition condition, List<RuleError> errors)
    {
        var leaves = ImmutableArray.CreateBuilder<CompiledLeaf>();
        var test = Build(condition, errors, leaves);
        return new CompiledCondition(test, leaves.ToImmutable());
    }

    private static Func<EvaluationContext, bool> Build(Condition condition, List<RuleError> errors, ImmutableArray<CompiledLeaf>.Builder leaves)
    {
        switch (condition)
        {
            case AllOf all:
                var allParts = all.Conditions.Select(c => Build(c, errors, leaves)).ToArray();
                return ctx =>
                {
                    foreach (var part in allParts) if (!part(ctx)) return false;
                    return true;
                };
            case AnyOf any:
                var anyParts = any.Conditions.Select(c => Build(c, errors, leaves)).ToArray();
                return ctx =>
                {
                    foreach (var part in anyParts) if (part(ctx)) return true;
                    return false;
                };
            case Negation not:
                // Leaves under a negation held when the negation did not: they are not reasons.
                var inner = Build(not.Condition, errors, ImmutableArray.CreateBuilder<CompiledLeaf>());
                return ctx => !inner(ctx);
            case Predicate p:
                var leaf = Leaf(p, errors);
                if (leaf is null) return _ => false;
                leaves.Add(leaf);
                return leaf.Test;
            default:
                throw new ArgumentOutOfRangeException(nameof(condition), condition.GetType().Name, null);
        }
    }

    private static CompiledLeaf? Leaf(Predicate p, List<RuleError> errors)
    {
        var fact = Facts.Find(p.Fact);
        if (fact is null)
        {
            errors.Add(new RuleError($"{p.Path}.fact", $"unknown fact '{p.Fact}'{Suggest(p.Fact)}"));
            return null;
        }
        var op = Facts.Name(p.Op);
        var valuePath = $"{p.Path}.value";
        Func<EvaluationContext, bool>? test = null;
        string? expected = null;

        if (p.Op == Comparison.Exists)
        {
            var want = p.Value is null || p.Value.Value.ValueKind == JsonValueKind.True;
            if (p.Value is { ValueKind: not (JsonValueKind.True or JsonValueKind.False) }) expected = "true or false";
            var present = Present(fact);
            test = want ? present : ctx => !present(ctx);
        }
        else if (p.Op == Comparison.Changed)
        {
            var present = Present(fact);
            var path = fact.Path;
            test = ctx => ctx.PreviousFacts is null ? present(ctx) : fact.Snapshot(ctx.View) != ctx.PreviousFacts.GetValueOrDefault(path);
        }
        else if (!Fits(fact.Type).Contains(op, StringComparer.Ordinal))
        {
            // Before the value: an operator that does not fit the fact is the error, whatever the value.
            errors.Add(new RuleError($"{p.Path}.op", $"'{op}' does not apply to {p.Fact}, a {Facts.Name(fact.Type)}: use {string.Join(", ", Fits(fact.Type))}"));
            return null;
        }
        else
        {
            switch (fact.Type)
            {
                case FactType.Number:
                    var read = fact.Number!;
                    if (p.Op is Comparison.In or Comparison.NotIn)
                    {
                        var set = Array(p.Value)?.Select(e => e.ValueKind == JsonValueKind.Number ? e.GetDouble() : double.NaN).ToArray();
                        if (set is null || set.Any(double.IsNaN)) { expected = "an array of numbers"; break; }
                        test = p.Op == Comparison.In ? ctx => read(ctx.View) is { } x && set.Contains(x) : ctx => read(ctx.View) is not { } x || !set.Contains(x);
                        break;
                    }
                    if (p.Value is not { ValueKind: JsonValueKind.Number } number) { expected = "a number"; break; }
                    var c = number.GetDouble();
                    test = p.Op switch
                    {
                        Comparison.Eq => ctx => read(ctx.View) == c,
                        Comparison.Ne => ctx => read(ctx.View) != c,
                        Comparison.Gt => ctx => read(ctx.View) > c,
                        Comparison.Gte => ctx => read(ctx.View) >= c,
                        Comparison.Lt => ctx => read(ctx.View) < c,
                        Comparison.Lte => ctx => read(ctx.View) <= c,
                        _ => null,
                    };
                    break;
                case FactType.Text:
                    var text = fact.Text!;
                    if (p.Op is Comparison.In or Comparison.NotIn)
                    {
                        var values = Array(p.Value)?.Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : null).ToArray();
                        if (values is null || values.Any(v => v is null)) { expected = "an array of strings"; break; }
                        var set = values.ToHashSet(StringComparer.OrdinalIgnoreCase);
                        test = p.Op == Comparison.In ? ctx => text(ctx.View) is { } s && set.Contains(s) : ctx => text(ctx.View) is not { } s || !set.Contains(s);
                        break;
                    }
                    if (p.Value is not { ValueKind: JsonValueKind.String } str) { expected = "a string"; break; }
                    var w = str.GetString()!;
                    test = p.Op switch
                    {
                        Comparison.Eq => ctx => string.Equals(text(ctx.View), w, StringComparison.OrdinalIgnoreCase),
                        Comparison.Ne => ctx => !string.Equals(text(ctx.View), w, StringComparison.OrdinalIgnoreCase),
                        Comparison.Contains => ctx => text(ctx.View)?.Contains(w, StringComparison.OrdinalIgnoreCase) ?? false,
                        _ => null,
                    };
                    break;
                case FactType.Time:
                    var time = fact.Time!;
                    if (p.Op is Comparison.WithinLast or Comparison.OlderThan)
                    {
                        if (p.Value is not { ValueKind: JsonValueKind.String } d || !Durations.TryParse(d.GetString(), out var span))
                        {
                            errors.Add(new RuleError(valuePath, $"'{p.Value}' is not a duration: use ISO 8601 (PT4H, P30D) or 15m, 4h, 30d"));
                            return null;
                        }
                        test = p.Op == Comparison.WithinLast
                            ? ctx => time(ctx.View) is { } t && ctx.Now - t <= span
                            : ctx => time(ctx.View) is { } t && ctx.Now - t > span;
                        break;
                    }
                    if (p.Value is not { ValueKind: JsonValueKind.String } at
                        || !DateTimeOffset.TryParse(at.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant))
                    {
                        expected = "an ISO 8601 time";
                        break;
                    }
                    test = p.Op switch
                    {
                        Comparison.Gt => ctx => time(ctx.View) > instant,
                        Comparison.Gte => ctx => time(ctx.View) >= instant,
                        Comparison.Lt => ctx => time(ctx.View) < instant,
                        Comparison.Lte => ctx => time(ctx.View) <= instant,
                        _ => null,
                    };
                    break;
                case FactType.Flag:
                    var flag = fact.Flag!;
                    if (p.Value is not { ValueKind: JsonValueKind.True or JsonValueKind.False } b) { expected = "true or false"; break; }
                    var wantFlag = b.ValueKind == JsonValueKind.True;
                    test = p.Op switch
                    {
                        Comparison.Eq => ctx => flag(ctx.View) == wantFlag,
                        Comparison.Ne => ctx => flag(ctx.View) != wantFlag,
                        _ => null,
                    };
                    break;
                case FactType.List:
                    var list = fact.List!;
                    if (p.Op is Comparison.In or Comparison.NotIn)
                    {
                        var values = Array(p.Value)?.Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : null).ToArray();
                        if (values is null || values.Any(v => v is null)) { expected = "an array of strings"; break; }
                        test = p.Op == Comparison.In ? ctx => values.Any(v => list(ctx.View).Contains(v!)) : ctx => !values.Any(v => list(ctx.View).Contains(v!));
                        break;
                    }
                    if (p.Op != Comparison.Contains) break;
                    if (p.Value is not { ValueKind: JsonValueKind.String } item) { expected = "a string"; break; }
                    var member = item.GetString()!;
                    test = ctx => list(ctx.View).Contains(member);
                    break;
            }
            if (test is null && expected is null)
            {
                errors.Add(new RuleError($"{p.Path}.op", $"'{op}' does not apply to {p.Fact}, a {Facts.Name(fact.Type)}: use {string.Join(", ", Fits(fact.Type))}"));
                return null;
            }
        }
        if (expected is not null)
        {
            errors.Add(new RuleError(valuePath, $"'{op}' on {p.Fact} needs {expected}"));
            return null;
        }
        var words = $"{fact.Description} {Words(p.Op)}{(p.Value is { } v && p.Op is not (Comparison.Exists or Comparison.Changed) ? " " + v.GetRawText().Trim('"') : "")}";
        return new CompiledLeaf(test!, ctx => $"{words} (is {Show(fact.Read(ctx.View))})");
    }

    /// <summary>The operators each fact type accepts (for error messages and the JSON Schema).</summary>
    public static IEnumerable<string> Fits(FactType type) => (type switch
    {
        FactType.Number => [Comparison.Eq, Comparison.Ne, Comparison.Gt, Comparison.Gte, Comparison.Lt, Comparison.Lte, Comparison.In, Comparison.NotIn],
        FactType.Text => [Comparison.Eq, Comparison.Ne, Comparison.In, Comparison.NotIn, Comparison.Contains],
        FactType.Time => [Comparison.WithinLast, Comparison.OlderThan, Comparison.Gt, Comparison.Gte, Comparison.Lt, Comparison.Lte],
        FactType.Flag => [Comparison.Eq, Comparison.Ne],
        _ => new[] { Comparison.Contains, Comparison.In, Comparison.NotIn },
    }).Append(Comparison.Exists).Append(Comparison.Changed).Select(Facts.Name);

    private static Func<EvaluationContext, bool> Present(Fact fact) => fact.Type switch
    {
        FactType.Number => ctx => fact.Number!(ctx.View) is not null,
        FactType.Text => ctx => !string.IsNullOrEmpty(fact.Text!(ctx.View)),
        FactType.Time => ctx => fact.Time!(ctx.View) is not null,
        FactType.Flag => ctx => fact.Flag!(ctx.View) is not null,
        _ => ctx => fact.List!(ctx.View).Count > 0,
    };

    private static JsonElement[]? Array(JsonElement? value) =>
        value is { ValueKind: JsonValueKind.Array } a ? [.. a.EnumerateArray()] : null;

    private static string Words(Comparison op) => op switch
    {
        Comparison.Eq => "is",
        Comparison.Ne => "is not",
        Comparison.Gt => ">",
        Comparison.Gte => "≥",
        Comparison.Lt => "<",
        Comparison.Lte => "≤",
        Comparison.In => "is one of",
        Comparison.NotIn => "is none of",
        Comparison.Contains => "contains",
        Comparison.Exists => "is known",
        Comparison.WithinLast => "within the last",
        Comparison.OlderThan => "longer ago than",
        _ => "changed",
    };

    private static string Show(object? value) => value switch
    {
        null => "unknown",
        double d => d.ToString("0.##", CultureInfo.InvariantCulture),
        DateTimeOffset t => t.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture),
        IEnumerable<string> list => $"[{string.Join(", ", list)}]",
        _ => value.ToString() ?? "",
    };

    private static string Suggest(string path)
    {
        var best = Facts.Catalog.Keys.OrderBy(k => Distance(k, path)).First();
        return Distance(best, path) <= Math.Max(2, path.Length / 4) ? $" (did you mean '{best}'?)" : "";
    }

    private static int Distance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (var i = 1; i <= a.Length; i++)
        {
            var diagonal = row[0];
            row[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }
}

/// <summary>One problem with a rules document: where (JSON path, and line/column when read from text) and what.</summary>
public sealed record RuleError(string Path, string Message)
{
    public int? Line { get; init; }
    public int? Column { get; init; }

    public override string ToString() => Line is null ? $"{Path}: {Message}" : $"{Path} (line {Line}, column {Column}): {Message}";
}

/// <summary>Durations as ISO 8601 (<c>PT4H</c>, <c>P30D</c>) or as marketers write them (<c>15m</c>, <c>4h</c>, <c>30d</c>, <c>2w</c>).</summary>
public static class Durations
{
    public static bool TryParse(string? text, out TimeSpan span)
    {
        span = default;
        if (string.IsNullOrWhiteSpace(text)) return false;
        text = text.Trim();
        if (text[0] is 'P' or 'p')
        {
            try
            {
                span = System.Xml.XmlConvert.ToTimeSpan(text.ToUpperInvariant());
                return span > TimeSpan.Zero;
            }
            catch (FormatException)
            {
                return false;
            }
            catch (OverflowException)
            {
                return false;
            }
        }
        var unit = text[^1];
        if (!int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0) return false;
        span = unit switch
        {
            'm' => TimeSpan.FromMinutes(n),
            'h' => TimeSpan.FromHours(n),
            'd' => TimeSpan.FromDays(n),
            'w' => TimeSpan.FromDays(7 * n),
            _ => TimeSpan.Zero,
        };
        return span > TimeSpan.Zero;
    }
}
