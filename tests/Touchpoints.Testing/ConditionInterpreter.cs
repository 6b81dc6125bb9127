using System.Globalization;
using System.Text.Json;

using Touchpoints.Core.Rules;

namespace Touchpoints.Testing;

/// <summary>
/// The reference interpreter: evaluates a condition from its raw JSON on every call — reads the members, parses the
/// operator, looks the fact up in the catalog, converts the value and compares — with exactly the semantics of
/// <see cref="ConditionCompiler"/>. The oracle of the compiler's property tests and the baseline of its benchmark; never
/// used on the product's path, so it lives with the tests. A condition the compiler would refuse throws <see cref="ArgumentException"/>.
/// </summary>
public static class ConditionInterpreter
{
    public static bool Evaluate(JsonElement condition, EvaluationContext ctx)
    {
        ArgumentNullException.ThrowIfNull(ctx);
        if (condition.ValueKind != JsonValueKind.Object) throw Invalid("a condition is an object");
        if (condition.TryGetProperty("all", out var all))
        {
            foreach (var part in all.EnumerateArray()) if (!Evaluate(part, ctx)) return false;
            return true;
        }
        if (condition.TryGetProperty("any", out var any))
        {
            foreach (var part in any.EnumerateArray()) if (Evaluate(part, ctx)) return true;
            return false;
        }
        if (condition.TryGetProperty("not", out var not)) return !Evaluate(not, ctx);

        var path = condition.GetProperty("fact").GetString() ?? throw Invalid("fact must be a string");
        var fact = Facts.Find(path) ?? throw Invalid($"unknown fact '{path}'");
        var op = condition.GetProperty("op").GetString() ?? throw Invalid("op must be a string");
        JsonElement? value = condition.TryGetProperty("value", out var v) ? v : null;
        var view = ctx.View;

        switch (op)
        {
            case "exists":
                var want = value is null || value.Value.ValueKind == JsonValueKind.True;
                return Present(fact, ctx) == want;
            case "changed":
                return ctx.PreviousFacts is null ? Present(fact, ctx) : fact.Snapshot(view) != ctx.PreviousFacts.GetValueOrDefault(fact.Path);
        }

        switch (fact.Type)
        {
            case FactType.Number:
            {
                var x = fact.Number!(view);
                if (op is "in" or "notIn")
                {
                    var found = false;
                    foreach (var item in Items(value)) if (x is { } n && item.GetDouble() == n) found = true;
                    return op == "in" ? x is not null && found : x is null || !found;
                }
                var c = Required(value, JsonValueKind.Number).GetDouble();
                return op switch
                {
                    "eq" => x == c,
                    "ne" => x != c,
                    "gt" => x > c,
                    "gte" => x >= c,
                    "lt" => x < c,
                    "lte" => x <= c,
                    _ => throw Unfit(op, fact),
                };
            }
            case FactType.Text:
            {
                var s = fact.Text!(view);
                if (op is "in" or "notIn")
                {
                    var found = false;
                    foreach (var item in Items(value)) if (s is not null && string.Equals(s, item.GetString(), StringComparison.OrdinalIgnoreCase)) found = true;
                    return op == "in" ? s is not null && found : s is null || !found;
                }
                var w = Required(value, JsonValueKind.String).GetString()!;
                return op switch
                {
                    "eq" => string.Equals(s, w, StringComparison.OrdinalIgnoreCase),
                    "ne" => !string.Equals(s, w, StringComparison.OrdinalIgnoreCase),
                    "contains" => s is not null && s.Contains(w, StringComparison.OrdinalIgnoreCase),
                    _ => throw Unfit(op, fact),
                };
            }
            case FactType.Time:
            {
                var t = fact.Time!(view);
                var text = Required(value, JsonValueKind.String).GetString();
                if (op is "withinLast" or "olderThan")
                {
                    if (!Durations.TryParse(text, out var span)) throw Invalid($"'{text}' is not a duration");
                    if (t is null) return false;
                    return op == "withinLast" ? ctx.Now - t.Value <= span : ctx.Now - t.Value > span;
                }
                if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var instant))
                    throw Invalid($"'{text}' is not a time");
                return op switch
                {
                    "gt" => t > instant,
                    "gte" => t >= instant,
                    "lt" => t < instant,
                    "lte" => t <= instant,
                    _ => throw Unfit(op, fact),
                };
            }
            case FactType.Flag:
            {
                var f = fact.Flag!(view);
                var b = value is { ValueKind: JsonValueKind.True or JsonValueKind.False } e ? e.GetBoolean() : throw Invalid("needs true or false");
                return op switch
                {
                    "eq" => f == b,
                    "ne" => f != b,
                    _ => throw Unfit(op, fact),
                };
            }
            default:
            {
                var list = fact.List!(view);
                if (op is "in" or "notIn")
                {
                    var found = false;
                    foreach (var item in Items(value)) if (list.Contains(item.GetString()!)) found = true;
                    return op == "in" ? found : !found;
                }
                if (op != "contains") throw Unfit(op, fact);
                return list.Contains(Required(value, JsonValueKind.String).GetString()!);
            }
        }
    }

    private static bool Present(Fact fact, EvaluationContext ctx) => fact.Read(ctx.View) switch
    {
        null => false,
        string s => s.Length > 0,
        IReadOnlyCollection<string> list => list.Count > 0,
        _ => true,
    };

    private static JsonElement.ArrayEnumerator Items(JsonElement? value) =>
        value is { ValueKind: JsonValueKind.Array } array ? array.EnumerateArray() : throw Invalid("needs an array");

    private static JsonElement Required(JsonElement? value, JsonValueKind kind) =>
        value is { } v && v.ValueKind == kind ? v : throw Invalid($"needs a {kind.ToString().ToLowerInvariant()}");

    private static ArgumentException Unfit(string op, Fact fact) => Invalid($"'{op}' does not apply to {fact.Path}");

    private static ArgumentException Invalid(string message) => new("invalid condition: " + message);
}
