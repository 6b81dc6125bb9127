using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Tests.Support;
using Touchpoints.Core.Views;

namespace Touchpoints.Core.Tests.Rules;

/// <summary>A view to evaluate against: the clock, and the fact values of the previous evaluation (for <c>changed</c>).</summary>
internal sealed record Situation(CustomerView View, DateTimeOffset Now, IReadOnlyDictionary<string, string?>? Previous)
{
    public EvaluationContext Context => new(View, Now, Previous);

    public override string ToString() =>
        $"now={Now:O} previous={(Previous is null ? "none" : Previous.Count.ToString(CultureInfo.InvariantCulture))}\n{Build.Json(View)}";
}

/// <summary>
/// Generators for rules: customer views as the projection makes them (from <see cref="Gens.AnySteps"/>) with traits,
/// scores and segments on top, and conditions over the fact catalog with operators and values that fit each fact.
/// </summary>
internal static class RuleGens
{
    /// <summary>Counter facts the generated views may or may not have.</summary>
    public static readonly string[] Counters =
        ["counters.web.track.Product Viewed", "counters.web.page", "counters.social.review", "counters.crm.ticket.opened", "counters.web.track.Checkout Started"];

    private static readonly string[] Segments = ["influential", "advocate", "high-value", "costly"];

    private static readonly Dictionary<string, string[]> TextPools = new(StringComparer.Ordinal)
    {
        ["lifecycle"] = ["anonymous", "known", "lead", "customer", "salesQualified", "Customer"],
        ["consent.email"] = ["granted", "denied", "unknown", "Granted"],
        ["consent.sms"] = ["granted", "denied", "unknown"],
        ["consent.phone"] = ["granted", "unknown"],
        ["consent.mail"] = ["denied", "unknown"],
        ["touchpoints.sales.owner"] = ["maria", "li", "Maria", "ar"],
        ["touchpoints.sales.leadStatus"] = ["New", "MQL", "SQL", "sql", "Q"],
        ["touchpoints.sales.opportunity.stage"] = ["Discovery", "Proposal", "Closed Won", "Won"],
        ["touchpoints.support.lastTicketSubject"] = ["Parcel never arrived", "Wrong size", "size", "parcel"],
        ["touchpoints.web.lastSearch"] = ["shoes", "socks", "sho"],
        ["traits.name"] = ["Ann Lee", "Ann Lee-Smith", "lee", "ann"],
        ["traits.company"] = ["Acme", "Initech", "acme", "tech"],
        ["traits.title"] = ["Head of Buying", "buying", "Guide"],
        ["traits.email"] = ["ann@example.com", "example.com", "bob@example.com"],
        ["traits.locale"] = ["en-GB", "GB", "de-DE"],
        ["traits.timezone"] = ["Europe/London", "Europe"],
    };

    private static readonly string[] DefaultTexts = ["newsletter", "google", "spring", "retarget", "x", ""];

    private static readonly string[] ListPool = ["influential", "advocate", "costly", "anonymousId:anon-7f3a", "email:ann@example.com", "userId:u-1001"];

    private static readonly double[] Numbers = [0, 1, 2, 3, 5, 10, 25.5, 100, 0.3, -0.2, 4500, 60, 4];

    private static readonly string[] Durations = ["1h", "30m", "1d", "3d", "10d", "2w", "PT12H", "P30D"];

    private static Gen<string> TimeValue =>
        from hours in Gen.Choose(-48, 24 * 12)
        select Build.T0.AddHours(hours).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    public static IEnumerable<Fact> AllFacts => Facts.Catalog.Values.Concat(Counters.Select(c => Facts.Find(c)!));

    /// <summary>A predicate over one fact, with an operator that fits its type and a value that fits the operator.</summary>
    public static Gen<JsonObject> Predicate(Fact fact)
    {
        var ops = ConditionCompiler.Fits(fact.Type).ToArray();
        return from op in Gen.Elements(ops)
               from value in Value(fact, op)
               select Node(fact.Path, op, value);
    }

    private static JsonObject Node(string fact, string op, JsonNode? value)
    {
        var node = new JsonObject { ["fact"] = fact, ["op"] = op };
        if (value is not null) node["value"] = value;
        return node;
    }

    private static Gen<JsonNode?> Value(Fact fact, string op)
    {
        if (op == "changed") return Gen.Constant<JsonNode?>(null);
        if (op == "exists") return Gen.Elements<JsonNode?>(null, JsonValue.Create(true), JsonValue.Create(false));
        var texts = TextPools.GetValueOrDefault(fact.Path, DefaultTexts);
        return (fact.Type, op) switch
        {
            (FactType.Number, "in" or "notIn") => Gen.NonEmptyListOf(Gen.Elements(Numbers)).Select(ns => (JsonNode?)new JsonArray([.. ns.Take(3).Select(n => JsonValue.Create(n))])),
            (FactType.Number, _) => Gen.Elements(Numbers).Select(n => (JsonNode?)JsonValue.Create(n)),
            (FactType.Text, "in" or "notIn") => Gen.NonEmptyListOf(Gen.Elements(texts)).Select(ts => (JsonNode?)new JsonArray([.. ts.Take(3).Select(t => JsonValue.Create(t))])),
            (FactType.Text, _) => Gen.Elements(texts).Select(t => (JsonNode?)JsonValue.Create(t)),
            (FactType.Time, "withinLast" or "olderThan") => Gen.Elements(Durations).Select(d => (JsonNode?)JsonValue.Create(d)),
            (FactType.Time, _) => TimeValue.Select(t => (JsonNode?)JsonValue.Create(t)),
            (FactType.Flag, _) => Gen.Elements(true, false).Select(b => (JsonNode?)JsonValue.Create(b)),
            (_, "in" or "notIn") => Gen.NonEmptyListOf(Gen.Elements(ListPool)).Select(ts => (JsonNode?)new JsonArray([.. ts.Take(3).Select(t => JsonValue.Create(t))])),
            _ => Gen.Elements(ListPool).Select(t => (JsonNode?)JsonValue.Create(t)),
        };
    }

    private static readonly Fact[] FactArray = [.. AllFacts.OrderBy(f => f.Path, StringComparer.Ordinal)];

    private static Gen<JsonObject> AnyPredicate => Gen.Elements(FactArray).SelectMany(Predicate);

    /// <summary>A condition tree up to <paramref name="depth"/> levels of all/any/not.</summary>
    public static Gen<JsonObject> Condition(int depth) =>
        depth <= 0
            ? AnyPredicate
            : Gen.Frequency(
                (4, AnyPredicate),
                (2, Gen.Choose(1, 3).SelectMany(n => Gen.ArrayOf(Condition(depth - 1), n)).Select(cs => new JsonObject { ["all"] = new JsonArray([.. cs]) })),
                (2, Gen.Choose(1, 3).SelectMany(n => Gen.ArrayOf(Condition(depth - 1), n)).Select(cs => new JsonObject { ["any"] = new JsonArray([.. cs]) })),
                (1, Condition(depth - 1).Select(c => new JsonObject { ["not"] = c })));

    private static readonly ScoreModel Model = DefaultRules.Compiled.Document.Scores;

    /// <summary>A view folded from generated events, with traits, scores, segments and (sometimes) a title on top.</summary>
    public static Gen<CustomerView> View =>
        from steps in Gens.AnySteps.Generator
        from title in Gen.Elements<string?>(null, "Head of Buying", "Mountain Guide", "Student")
        from locale in Gen.Elements<string?>(null, "en-GB", "de-DE")
        from email in Gen.Elements<string?>(null, "ann@example.com")
        from segments in Gen.SubListOf(Segments)
        from scoreNow in Gen.Choose(0, 30)
        select Derived(steps, title, locale, email, segments, Build.T0.AddDays(scoreNow));

    private static CustomerView Derived(Step[] steps, string? title, string? locale, string? email, IEnumerable<string> segments, DateTimeOffset now)
    {
        var view = CustomerProjection.Derive(Build.ApplyAll(steps.Select(s => s.Event)));
        var traits = view.Traits with
        {
            Title = title is null ? view.Traits.Title : new Stamped<string>(title, Build.T0),
            Locale = locale is null ? view.Traits.Locale : new Stamped<string>(locale, Build.T0),
            Email = email is null ? view.Traits.Email : new Stamped<string>(email, Build.T0),
        };
        view = view with { Traits = traits, Identities = ["anonymousId:anon-7f3a", .. email is null ? Array.Empty<string>() : ["email:" + email]] };
        return view with { Scores = Scoring.Compute(view, Model, now), Segments = [.. segments.Order(StringComparer.Ordinal)] };
    }

    /// <summary>A view, a clock from a day before the first event to a month after, and maybe a previous evaluation.</summary>
    public static Gen<Situation> Situation =>
        from view in View
        from hours in Gen.Choose(-24, 24 * 30)
        from previous in Gen.Frequency((1, Gen.Constant<CustomerView?>(null)), (2, View.Select(v => (CustomerView?)v)))
        from same in Gen.Elements(false, false, true)
        select new Situation(view, Build.T0.AddHours(hours), previous is null ? null : Snapshot(same ? view : previous));

    public static IReadOnlyDictionary<string, string?> Snapshot(CustomerView view) =>
        AllFacts.ToImmutableSortedDictionary(f => f.Path, f => f.Snapshot(view), StringComparer.Ordinal);

    /// <summary>A rules document holding <paramref name="condition"/> as its only segment's condition.</summary>
    public static string DocumentWithSegment(JsonNode condition)
    {
        var document = JsonNode.Parse(DefaultRules.Json)!.AsObject();
        document["segments"] = new JsonArray(new JsonObject { ["id"] = "probe", ["when"] = condition.DeepClone() });
        document["rules"] = new JsonArray();
        return document.ToJsonString();
    }

    public static JsonElement Element(JsonNode node) => JsonSerializer.Deserialize<JsonElement>(node.ToJsonString());
}
