using Touchpoints.Core.Identity;

namespace Touchpoints.Functions.Tests.Rules;

/// <summary>The rules document the tests put, and Segment events for one customer per test.</summary>
public static class TestRules
{
    public const string Document = """
        {
          "policies": {
            "defaultTimezone": "Europe/London",
            "frequencyCaps": [ { "channel": "email", "max": 10, "per": "day" } ],
            "quietHours": { "start": "21:00", "end": "08:00", "channels": ["push"] },
            "consent": {
              "email": { "requires": "email", "unknown": "allow" },
              "push": { "requires": null }
            },
            "priorityTiers": { "high": 70, "normal": 30 }
          },
          "scores": {
            "weights": { "intent": 30, "engagement": 20, "fit": 15, "monetary": 25, "influence": 10 },
            "halfLifeDays": 30, "fitTitles": [], "revenueScale": 500, "followersScale": 100000
          },
          "segments": [],
          "rules": [
            {
              "id": "order-thanks", "kind": "marketing", "category": "transactional", "channel": "email", "template": "order-thanks",
              "priority": 80, "trigger": { "on": "change", "causes": ["web.track.Order Completed"] }, "expiry": "1d"
            },
            {
              "id": "viewed-push", "kind": "marketing", "category": "nurture", "channel": "push", "template": "still-thinking",
              "priority": 20, "trigger": { "on": "change", "causes": ["web.track.Product Viewed"] }, "expiry": "12h"
            },
            {
              "id": "cart-reminder", "kind": "marketing", "category": "reminder", "channel": "email", "template": "cart-reminder",
              "priority": 60, "trigger": { "on": "delay", "cause": "web.track.Product Added", "after": "15m", "unless": ["web.track.Order Completed"] },
              "conditions": { "fact": "touchpoints.web.cart.value", "op": "gt", "value": 0 }, "expiry": "2d"
            },
            {
              "id": "welcome", "kind": "marketing", "category": "onboarding", "channel": "email", "template": "welcome",
              "priority": 50, "trigger": { "on": "change", "causes": ["web.track.Signed Up"] }, "expiry": "1d",
              "holdout": 50, "goal": "web.track.Order Completed", "attributionWindow": "7d"
            },
            {
              "id": "big-order-alert", "kind": "salesAlert", "template": "call-big-buyer", "priority": 90,
              "trigger": { "on": "change", "causes": ["web.track.Order Completed"] },
              "conditions": { "fact": "touchpoints.billing.lastOrder.amount", "op": "gte", "value": 1000 },
              "dueIn": "4h", "nextStep": "Call to thank and offer a fitting"
            }
          ]
        }
        """;

    /// <summary>The same document with another template for order-thanks: a visibly different version.</summary>
    public static string WithOrderTemplate(string template) => Document.Replace("\"template\": \"order-thanks\"", $"\"template\": \"{template}\"", StringComparison.Ordinal);
}

/// <summary>One customer's Segment events, identified by a user id unique to the test.</summary>
public sealed class Shopper(RulesFixture fixture, string? tag = null)
{
    private readonly string run = (tag ?? "s") + "-" + Guid.NewGuid().ToString("N")[..10];
    private int next;

    public string UserId => "user-" + run;

    public string Email => $"ann.{run}@example.com";

    public string CustomerId => IdentityResolver.NewCustomerId(Identifier.TryParseKey("userId:" + UserId)!);

    private string Id() => $"m{Interlocked.Increment(ref next)}-{run}";

    private string Now => RulesFixture.Iso(fixture.Clock.GetUtcNow());

    public string Identify() => $$"""
        {"type":"identify","messageId":"{{Id()}}","userId":"{{UserId}}","traits":{"email":"{{Email}}","name":"Ann Example"},
         "context":{"locale":"en-GB"},"timestamp":"{{Now}}"}
        """;

    public string Track(string name, string properties = "{}") => $$"""
        {"type":"track","event":"{{name}}","messageId":"{{Id()}}","userId":"{{UserId}}","properties":{{properties}},"timestamp":"{{Now}}"}
        """;

    public string ProductAdded() => Track("Product Added", """{"product_id":"tent-2p","name":"Two-person tent","price":249.0,"quantity":1,"currency":"GBP"}""");

    public string ProductViewed() => Track("Product Viewed", """{"product_id":"tent-2p","name":"Two-person tent","price":249.0}""");

    public string Order(decimal total) =>
        Track("Order Completed", $$"""{"order_id":"o-{{Id()}}","total":{{total.ToString(System.Globalization.CultureInfo.InvariantCulture)}},"currency":"GBP"}""");
}
