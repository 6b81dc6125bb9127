using System.Text.Json;
using Touchpoints.Core.Events;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Tests.Schemas;
using Touchpoints.Core.Views;
using static Touchpoints.Core.Tests.Support.Build;

namespace Touchpoints.Core.Tests.Rules;

/// <summary>The default rules document: valid for the reader, the compiler and the JSON Schema, and useful.</summary>
public class DefaultRulesTests
{
    internal static string DocumentPath => Path.Combine(SchemaValidator.RepoRoot, "functions", "Touchpoints.Core", "Rules", "Document", "default-rules.json");

    private static RulesDocument Document => DefaultRules.Compiled.Document;

    private static RuleDefinition Rule(string id) => Document.Rules.Single(r => r.Id == id);

    [Fact]
    public void The_default_document_compiles_without_errors_once_as_version_default()
    {
        var (rules, errors) = RulesCompiler.Compile(DefaultRules.Json, DefaultRules.Version);

        Assert.Empty(errors);
        Assert.NotNull(rules);
        Assert.Same(DefaultRules.Compiled, DefaultRules.Compiled);
        Assert.Equal("default", DefaultRules.Compiled.Version);
        Assert.Equal(rules.Rules.Length, DefaultRules.Compiled.Rules.Length);
    }

    [Fact]
    public void The_embedded_document_is_the_file_in_the_repository() =>
        Assert.Equal(File.ReadAllText(DocumentPath).ReplaceLineEndings(), DefaultRules.Json.ReplaceLineEndings());

    [Fact]
    public async Task The_default_document_passes_the_json_schema()
    {
        var schema = Path.Combine(SchemaValidator.SchemasDirectory, "rules.schema.json");
        var results = await SchemaValidator.ValidateAsync(schema, [DocumentPath]);

        Assert.True(results[DocumentPath].Valid, results[DocumentPath].ToString());
        using var json = JsonDocument.Parse(DefaultRules.Json);
        Assert.Equal("../Schemas/rules.schema.json", json.RootElement.GetProperty("$schema").GetString());
    }

    [Fact]
    public void Policies_are_those_of_a_uk_shop_with_a_sales_team()
    {
        var p = Document.Policies;

        Assert.Equal("Europe/London", p.DefaultTimezone);
        Assert.Contains(new FrequencyCap(Channel.Email, 3, new CapWindow(CapWindowUnit.Week)), p.FrequencyCaps);
        Assert.Contains(new FrequencyCap(Channel.Sms, 1, new CapWindow(CapWindowUnit.Week)), p.FrequencyCaps);
        Assert.Contains(new FrequencyCap(null, 5, new CapWindow(CapWindowUnit.Week)), p.FrequencyCaps);
        Assert.Equal(new TimeOnly(21, 0), p.QuietHours!.Start);
        Assert.Equal(new TimeOnly(8, 0), p.QuietHours.End);
        Assert.Equal<Channel>([Channel.Sms, Channel.Phone, Channel.Push], p.QuietHours.Channels);
        Assert.Equal(Enum.GetValues<Channel>().Order(), p.Consent.Keys.Order());
        Assert.Equal(new ConsentPolicy(ConsentChannel.Sms, UnknownAllows: false), p.Consent[Channel.Sms]);
        Assert.Equal(new ConsentPolicy(ConsentChannel.Phone, UnknownAllows: false), p.Consent[Channel.Phone]);
        Assert.Null(p.Consent[Channel.Push].RequiresConsentOf);
        Assert.Equal<string>(["promotion", "nurture"], p.SalesOwnership!.SuppressCategories);
        Assert.True(p.SalesOwnership.AlertOwner);
        Assert.Equal(new PriorityTiers(70, 30), p.PriorityTiers);
    }

    [Fact]
    public void The_segments_are_the_five_the_shop_targets()
    {
        Assert.Equal(["influential", "advocate", "profitable", "costly", "high-value"], Document.Segments.Select(s => s.Id));
    }

    [Fact]
    public void The_rules_exercise_every_trigger_kind_channel_in_use_and_feature()
    {
        var rules = Document.Rules;

        Assert.InRange(rules.Length, 10, 16);
        Assert.Contains(rules, r => r.Trigger is ChangeTrigger);
        Assert.Contains(rules, r => r.Trigger is DelayTrigger);
        Assert.Contains(rules, r => r.Trigger is InactivityTrigger);
        Assert.Contains(rules, r => r.Trigger is ChangeTrigger c && c.Causes.Any(x => x.StartsWith(Segmentation.EnteredPrefix, StringComparison.Ordinal)));
        Assert.Equal([Channel.Email, Channel.Sms, Channel.InApp, Channel.Mail], rules.Select(r => r.Channel).OfType<Channel>().Distinct());
        Assert.Contains(rules, r => r.Holdout > 0 && r.Goal is not null);
        Assert.Contains(rules, r => r.Audience.Segments.Length > 0);
        Assert.Contains(rules, r => r.Audience.Lifecycle.Length > 0);
        Assert.Contains(rules, r => r.Category is "promotion");
        Assert.Contains(rules, r => r.Category is "nurture");
        Assert.All(rules.Where(r => r.Kind == RuleKind.SalesAlert), r =>
        {
            Assert.NotNull(r.DueIn);
            Assert.False(string.IsNullOrWhiteSpace(r.NextStep));
            Assert.Null(r.Channel);
        });
        var ops = new HashSet<Comparison>();
        void Walk(Condition c)
        {
            switch (c)
            {
                case AllOf all: foreach (var x in all.Conditions) Walk(x); break;
                case AnyOf any: foreach (var x in any.Conditions) Walk(x); break;
                case Negation not: Walk(not.Condition); break;
                case Predicate p: ops.Add(p.Op); break;
            }
        }
        foreach (var c in rules.Select(r => r.Conditions).OfType<Condition>().Concat(Document.Segments.Select(s => s.When))) Walk(c);
        Assert.Empty(Enum.GetValues<Comparison>().Except(ops).Except([Comparison.Ne, Comparison.NotIn, Comparison.OlderThan]));
    }

    [Fact]
    public void The_abandoned_cart_reminder_waits_four_hours_for_an_order_and_holds_out_a_tenth()
    {
        var rule = Rule("abandoned-cart");

        var delay = Assert.IsType<DelayTrigger>(rule.Trigger);
        Assert.Equal("web.track.Product Added", delay.Cause);
        Assert.Equal(TimeSpan.FromHours(4), delay.After);
        Assert.Equal<string>(["web.track.Order Completed"], delay.Unless);
        Assert.Equal(Channel.Email, rule.Channel);
        Assert.Equal("web.track.Order Completed", rule.Goal);
        Assert.Equal(10, rule.Holdout);
    }

    [Fact]
    public void A_lead_back_on_pricing_meets_the_hot_lead_conditions_until_sales_calls()
    {
        var events = new IngestedEvent[]
        {
            Crm("l1", T0, CrmEventType.LeadStatusChanged) with { Status = "MQL" },
            Page("p1", T0.AddHours(1), "/pricing"), Page("p2", T0.AddHours(2), "/pricing"), Page("p3", T0.AddHours(3), "/pricing/clubs"),
        };
        var view = CustomerProjection.Derive(ApplyAll(events));
        var conditions = DefaultRules.Compiled.Rules.Single(r => r.Definition.Id == "hot-lead").Conditions;
        var now = T0.AddHours(4);

        Assert.Equal(LifecycleStage.MarketingQualified, view.Lifecycle);
        Assert.True(conditions.Test(new EvaluationContext(view, now)));
        Assert.Contains("pricing page views ≥ 3 (is 3)", conditions.Reasons(new EvaluationContext(view, now)));

        var called = CustomerProjection.Derive(ApplyAll(view, [Crm("k1", T0.AddHours(3.5), CrmEventType.CallLogged) with { Owner = "maria" }]));
        Assert.False(conditions.Test(new EvaluationContext(called, now)));
    }

    [Fact]
    public void A_negative_mention_meets_the_detractor_alert_and_a_happy_one_does_not()
    {
        var conditions = DefaultRules.Compiled.Rules.Single(r => r.Definition.Id == "detractor-alert").Conditions;

        var angry = ApplyAll([Social("m1", T0, SocialEventType.Mention, sentiment: -0.75, text: "Tent leaked on day one")]);
        var happy = ApplyAll([Social("m1", T0, SocialEventType.Mention, sentiment: 0.75)]);

        Assert.True(conditions.Test(new EvaluationContext(angry, T0)));
        Assert.False(conditions.Test(new EvaluationContext(happy, T0)));
    }
}
