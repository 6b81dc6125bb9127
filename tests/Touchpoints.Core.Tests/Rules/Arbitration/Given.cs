using Touchpoints.Core.Identity;
using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using Touchpoints.Core.Events;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Views;

namespace Touchpoints.Core.Tests.Rules.Arbitration;

/// <summary>Small rules documents and customer views for the arbitration tests.</summary>
internal static class Given
{
    /// <summary>A Monday, 09:00 UTC (09:00 in London, before British Summer Time).</summary>
    public static readonly DateTimeOffset Now = new(2025, 3, 3, 9, 0, 0, TimeSpan.Zero);

    public const string Viewed = "web.track.Product Viewed";
    public const string Added = "web.track.Product Added";
    public const string Ordered = "web.track.Order Completed";

    public const string Consent = """
        { "email": { "requires": "email", "unknown": "allow" }, "sms": { "requires": "sms", "unknown": "deny" },
          "phone": { "requires": "phone", "unknown": "deny" }, "mail": { "requires": "mail", "unknown": "allow" },
          "push": { "requires": null }, "inApp": { "requires": null } }
        """;

    public const string NoCaps = "[]";

    /// <summary>A document with the given rules (a JSON array's items), caps and optional quiet hours; compiles or fails the test.</summary>
    public static CompiledRules Doc(string rules, string caps = NoCaps, string? quiet = null, string timezone = "Europe/London",
        string ownership = """{ "suppressCategories": ["promotion", "nurture"], "alertOwner": true, "alertPriority": 70 }""",
        string segments = "", string? spacing = null)
    {
        var json = $$"""
            {
              "policies": {
                "defaultTimezone": "{{timezone}}",
                "frequencyCaps": {{caps}},
                {{(quiet is null ? "" : $"\"quietHours\": {quiet},")}}
                {{(spacing is null ? "" : $"\"spacing\": {spacing},")}}
                "consent": {{Consent}},
                "salesOwnership": {{ownership}},
                "priorityTiers": { "high": 70, "normal": 30 }
              },
              "scores": {
                "weights": { "intent": 30, "engagement": 20, "fit": 15, "monetary": 25, "influence": 10 },
                "halfLifeDays": 30, "revenueScale": 500, "followersScale": 100000
              },
              "segments": [{{segments}}],
              "rules": [{{rules}}]
            }
            """;
        var (compiled, errors) = RulesCompiler.Compile(json, "v1");
        Assert.True(errors.Count == 0, string.Join("\n", errors));
        return compiled!;
    }

    /// <summary>A marketing rule on a change; <paramref name="extra"/> adds members (start it with a comma).</summary>
    public static string Marketing(string id, string channel = "email", int priority = 50, string cause = Viewed, string extra = "") =>
        $$"""{ "id": "{{id}}", "kind": "marketing", "channel": "{{channel}}", "template": "{{id}}-template", "priority": {{priority}}, "trigger": { "on": "change", "causes": ["{{cause}}"] }{{extra}} }""";

    public static string Alert(string id, int priority = 80, string cause = "crm.ticket.opened", string extra = "") =>
        $$"""{ "id": "{{id}}", "kind": "salesAlert", "template": "{{id}}-template", "priority": {{priority}}, "trigger": { "on": "change", "causes": ["{{cause}}"] }{{extra}} }""";

    public static Stamped<string> S(string value) => new(value, Now.AddDays(-10));

    /// <summary>Ann: email, phone, name, locale, user id; consent unknown everywhere; no time zone of her own.</summary>
    public static CustomerView Ann(string id = "c-ann") => CustomerView.Create(new CustomerId(id), Now.AddDays(-60)) with
    {
        Version = 7,
        Identities = ["email:ann@example.com", "userId:u-1001"],
        Traits = new CustomerTraits { Name = S("Ann Lee"), Email = S("ann@example.com"), Phone = S("+447700900123"), Locale = S("en-GB") },
        Lifecycle = LifecycleStage.Known,
        Touchpoints = TouchpointSections.Empty with { Web = new WebSection { Activity = new Activity(Now.AddDays(-60), Now.AddHours(-1), 12) } },
    };

    public static CustomerView InZone(this CustomerView view, string zone) => view with { Traits = view.Traits with { Timezone = S(zone) } };

    public static CustomerView WithConsent(this CustomerView view, ConsentChannel channel, ConsentStatus status) =>
        view with { Consent = view.Consent.With(channel, new ConsentState(status, "crm", Now.AddDays(-5))) };

    public static CustomerView OwnedBy(this CustomerView view, string? owner, bool openOpportunity) => view with
    {
        Touchpoints = view.Touchpoints with
        {
            Sales = new SalesSection
            {
                Activity = Activity.Of(Now.AddDays(-3)),
                Owner = owner is null ? null : S(owner),
                Opportunity = new Opportunity("opp-7", openOpportunity ? "Proposal" : "Closed Lost", 1000m, "EUR", openOpportunity, Now.AddDays(-3)),
            },
        },
    };

    public static CustomerView WithCart(this CustomerView view, decimal value, DateTimeOffset? at = null) => view with
    {
        Touchpoints = view.Touchpoints with
        {
            // A cart changes through a web event, which is also the customer's latest interaction.
            Web = view.Touchpoints.Web is { } web
                ? web with { Activity = web.Activity.Add(at ?? Now), Cart = new Cart(value, value > 0 ? 1 : 0, "EUR", at ?? Now) }
                : new WebSection { Activity = Activity.Of(at ?? Now), Cart = new Cart(value, value > 0 ? 1 : 0, "EUR", at ?? Now) },
        },
    };

    public static CustomerView LastSeen(this CustomerView view, DateTimeOffset at) => view with
    {
        Touchpoints = TouchpointSections.Empty with { Web = new WebSection { Activity = new Activity(view.CreatedAt, at, 3) } },
    };

    public static RuleState Fresh(CustomerView view) => RuleState.Empty(view.Id);

    public static SentRecord Sent(string ruleId, DateTimeOffset at, Channel channel = Channel.Email, string? category = null) =>
        new($"d-{Guid.NewGuid():N}"[..26], ruleId, RuleKind.Marketing, channel, category, ruleId + "-template", at);

    public static RuleState WithSent(this RuleState state, params SentRecord[] sent) => state with { Sent = state.Sent.AddRange(sent) };

    public static EvaluationResult Change(CompiledRules rules, CustomerView view, RuleState? state = null, DateTimeOffset? now = null, params string[] causes) =>
        Arbiter.OnChange(rules, view, state ?? Fresh(view), causes.Length == 0 ? [Viewed] : causes, now ?? Now);

    public static Decision Only(this EvaluationResult result, string ruleId) => Assert.Single(result.Decisions, d => d.RuleId == ruleId && d.Template != Arbiter.OwnerAlertTemplate);

    public static long Stat(this EvaluationResult result, string ruleId, string counter) =>
        result.Stats.Where(s => s.RuleId == ruleId && s.Counter == counter).Sum(s => s.By);

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>A result as JSON: records holding immutable arrays do not compare by content.</summary>
    public static string Show(EvaluationResult result) => JsonSerializer.Serialize(result, Json);
}
