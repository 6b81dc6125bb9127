using System.Text.Json;
using System.Text.Json.Nodes;
using Touchpoints.Core.Events;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Tests.Schemas;
using Touchpoints.Core.Views;
using static Touchpoints.Core.Tests.Rules.Arbitration.Given;

namespace Touchpoints.Core.Tests.Rules.Arbitration;

/// <summary>
/// The messages the arbiter produces, serialized as the rules functions do (camelCase, enums as camelCase strings, nulls
/// omitted), pass their published JSON Schemas under Ajv; and the schemas are strict enough to refuse a broken message.
/// </summary>
public sealed class MessageSchemaTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("touchpoints-messages-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static EvaluationResult Evaluation()
    {
        var rules = Doc($$"""
            {{Marketing("spring-sale", "email", 80, extra: """, "category": "promotion" """)}},
            {{Marketing("push-news", "push", 40, extra: """, "expiry": "2d" """)}},
            {{Marketing("letter", "mail", 10)}},
            {{Alert("hot-lead", 85, Viewed, """, "dueIn": "4h", "nextStep": "Call today", "expiry": "3d" """)}}
            """, quiet: """{ "start": "21:00", "end": "08:00", "channels": ["push"] }""");
        var view = Ann().InZone("Asia/Tokyo").OwnedBy("maria@ourco.com", openOpportunity: true) with
        {
            Journal = [new JournalEntry(Now.AddHours(-1), Touchpoint.InPerson, "met at the fair", "e-1"), new JournalEntry(Now.AddHours(-2), Touchpoint.Web, "viewed /pricing", "e-2")],
        };
        var state = Fresh(view).WithSent(Sent("newsletter", Now.AddDays(-3)));
        return Arbiter.OnChange(rules, view, state, [Viewed], Now.AddHours(13));
    }

    private string Write(string name, object message)
    {
        var path = Path.Combine(folder, name + ".json");
        File.WriteAllText(path, JsonSerializer.Serialize(message, message.GetType(), Json));
        return path;
    }

    private static string Schema(string name) => Path.Combine(SchemaValidator.SchemasDirectory, name);

    [Fact]
    public async Task Communication_messages_pass_their_schema()
    {
        var result = Evaluation();
        Assert.Equal(2, result.Communications.Length);
        Assert.Contains(result.Communications, c => c.ExpiresAt is not null && c.NotBefore > c.CreatedAt);
        var files = result.Communications.Select((c, i) => Write($"communication-{i}", c)).ToArray();

        var results = await SchemaValidator.ValidateAsync(Schema("communication-message.schema.json"), files);

        Assert.All(files, f => Assert.True(results[f].Valid, $"{File.ReadAllText(f)}: {results[f]}"));
    }

    [Fact]
    public async Task Sales_alert_messages_pass_their_schema()
    {
        var result = Evaluation();
        // Two alerts of one evaluation: one message for the owner, the second folded into its digest.
        var alert = Assert.Single(result.SalesAlerts);
        Assert.Single(alert.Digest!);
        var files = new[]
        {
            Write("alert-digest", alert), Write("alert-single", alert with { Digest = null }),
            Write("alert-update", alert with { Updates = new AlertUpdate("d-open", alert.CreatedAt.AddMinutes(-20), ["detractor"]) }),
        };

        var results = await SchemaValidator.ValidateAsync(Schema("sales-alert-message.schema.json"), files);

        Assert.All(files, f => Assert.True(results[f].Valid, $"{File.ReadAllText(f)}: {results[f]}"));
    }

    [Fact]
    public async Task The_schemas_refuse_a_message_missing_a_member_or_with_an_unknown_one()
    {
        var result = Evaluation();
        var communication = JsonNode.Parse(JsonSerializer.Serialize(result.Communications[0], Json))!.AsObject();
        communication.Remove("recipient");
        var alert = JsonNode.Parse(JsonSerializer.Serialize(result.SalesAlerts[0], Json))!.AsObject();
        alert["surprise"] = 1;
        var c = Path.Combine(folder, "bad-communication.json");
        var a = Path.Combine(folder, "bad-alert.json");
        await File.WriteAllTextAsync(c, communication.ToJsonString());
        await File.WriteAllTextAsync(a, alert.ToJsonString());

        var communications = await SchemaValidator.ValidateAsync(Schema("communication-message.schema.json"), [c]);
        var alerts = await SchemaValidator.ValidateAsync(Schema("sales-alert-message.schema.json"), [a]);

        Assert.False(communications[c].Valid);
        Assert.False(alerts[a].Valid);
    }
}
