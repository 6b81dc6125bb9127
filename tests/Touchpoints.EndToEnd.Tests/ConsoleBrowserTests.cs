using System.Globalization;
using System.Text.Json.Nodes;
using Touchpoints.LocalHost.Demo;
using Xunit.Abstractions;

namespace Touchpoints.EndToEnd.Tests;

/// <summary>
/// The console in a real Chromium, through the local host: an agent finds a caller by the phone number as he says it,
/// and the 360's support tab shows the open ticket and the last order; every screen passes axe-core without a serious or
/// critical violation, the find form is reachable by keyboard, and the agent's attempt to publish rules is refused by the
/// API. Screenshots are kept under <c>artifacts/console/</c>.
/// </summary>
[Collection(LocalHostCollection.Name)]
public sealed class ConsoleBrowserTests(LocalHostFixture fixture, ITestOutputHelper output)
{
    /// <summary>The budget for a customer's 360 once the console is loaded, measured in the browser (README: Console).</summary>
    public static readonly TimeSpan CustomerBudget = TimeSpan.FromSeconds(1);

    /// <summary>The budget for the console's first load, signed out, measured in the browser.</summary>
    public static readonly TimeSpan FirstLoadBudget = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task An_agent_finds_a_caller_by_phone_in_national_format_and_the_support_tab_shows_the_open_ticket_and_the_last_order()
    {
        // The demo's traffic gives the statistics page real data to draw.
        await fixture.DemoAsync();
        // A caller known to the CRM: a contact with a London number (Ofcom's drama range), an open ticket, an order.
        var run = Guid.NewGuid().ToString("N")[..8];
        var number = Random.Shared.Next(0, 1000).ToString("000", CultureInfo.InvariantCulture);
        var (e164, national) = ("+44207946" + "0" + number, "020 7946 0" + number);
        var crm = new DemoClient(fixture.Http, fixture.Sources, TimeProvider.System);
        JsonObject Event(string type, JsonObject fields)
        {
            var body = new JsonObject
            {
                ["eventId"] = $"console-{type}-{run}",
                ["type"] = type,
                ["occurredAt"] = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                ["customer"] = new JsonObject { ["system"] = "hubspot", ["crmId"] = "console-" + run, ["phone"] = e164, ["name"] = "Casey Caller", ["email"] = $"casey.{run}@example.com" },
            };
            foreach (var (key, value) in fields) body[key] = value?.DeepClone();
            return body;
        }
        var ticket = "T-" + run;
        var order = "O-" + run;
        Assert.Equal(1, (await crm.SendCrmAsync(Event("contact.updated", []), CancellationToken.None)).Accepted);
        Assert.Equal(1, (await crm.SendCrmAsync(Event("ticket.opened", new JsonObject { ["objectId"] = ticket, ["subject"] = "The tent's zip broke" }), CancellationToken.None)).Accepted);
        Assert.Equal(1, (await crm.SendCrmAsync(Event("order.placed", new JsonObject { ["objectId"] = order, ["amount"] = 129.5, ["currency"] = "GBP" }), CancellationToken.None)).Accepted);
        await fixture.IdleAsync();

        var screenshots = Path.Combine(Touchpoints.FunctionsHost.Emulators.NodeTooling.RepoRoot, "artifacts", "console");
        var seen = await NodeScript.RunAsync("console", new JsonObject
        {
            ["host"] = fixture.Host.BaseAddress.ToString().TrimEnd('/'),
            ["phone"] = national,
            ["ticket"] = ticket,
            ["order"] = order,
            ["out"] = screenshots,
        });
        output.WriteLine(seen.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));

        Assert.Null((string?)seen["error"]);
        Assert.Contains("Casey Caller", (string?)seen["header"], StringComparison.Ordinal);
        Assert.True((bool?)seen["sawTicket"], "the support tab does not show the open ticket");
        Assert.True((bool?)seen["sawOrder"], "the support tab does not show the last order");
        Assert.DoesNotContain("0" + number, (string)seen["screens"]!["customer"]!["url"]!, StringComparison.Ordinal);
        var serious = seen["violations"]!.AsArray().Where(v => (string?)v!["impact"] is "serious" or "critical").Select(v => v!.ToJsonString()).ToList();
        Assert.True(serious.Count == 0, "axe-core: " + string.Join("; ", serious));
        // Every control of every screen is reached by Tab alone.
        Assert.True(seen["unreachable"]!.AsArray().Count == 0, "not reachable by keyboard: " + seen["unreachable"]!.ToJsonString());
        Assert.True((bool?)seen["export"], "the admin's export does not hold the caller's ticket");
        var keyboard = seen["keyboard"]!.AsArray().Select(k => (string?)k).ToList();
        Assert.Contains("input#q[search]", keyboard);
        Assert.Contains("button[submit]", keyboard);
        Assert.Equal(403, (int?)seen["publishStatus"]);
        // The marketer's statistics: charts drawn from the demo's decisions, and a verdict per rule with a hold-out.
        Assert.True((int?)seen["stats"]!["charts"] >= 2, "charts drawn: " + seen["stats"]!["charts"]);
        Assert.True((int?)seen["stats"]!["bars"] > 10, "bars drawn: " + seen["stats"]!["bars"]);
        Assert.NotEmpty(seen["stats"]!["verdicts"]!.AsArray());
        Assert.Equal("Messages per day, order-thank-you", (string?)seen["stats"]!["rule"]);
        // The workbench: the problem shown at its line, the change, the publication, the versions, the rollback.
        var workbench = seen["workbench"]!;
        Assert.Contains($"Line {(int)workbench["brokenLine"]!}, column", (string?)workbench["problems"], StringComparison.Ordinal);
        Assert.Equal((int)workbench["brokenLine"]!, (int)workbench["markedLine"]!);
        Assert.Equal((int)workbench["brokenLine"]!, (int)workbench["caretLine"]!);
        Assert.Contains("1 added, 1 removed", (string?)workbench["diff"], StringComparison.Ordinal);
        Assert.Contains("live customer", (string?)workbench["preview"], StringComparison.Ordinal);
        Assert.Contains("Examples", (string?)workbench["preview"], StringComparison.Ordinal);
        Assert.Contains("Published: version", (string?)workbench["published"], StringComparison.Ordinal);
        Assert.Matches(@"^v\d+ \(active\) .* one step more important$", workbench["versions"]!.AsArray()[0]!.GetValue<string>());
        Assert.Contains("Rolled back", (string?)workbench["rolledBack"], StringComparison.Ordinal);
        foreach (var screen in new[] { "sign-in", "find", "customer-360", "customer-360-support", "stats", "stats-rule", "rules-problem", "rules-preview", "rules-published", "privacy", "privacy-export" })
            Assert.True(File.Exists(Path.Combine(screenshots, screen + ".png")), screen + ".png");

        var firstLoad = TimeSpan.FromMilliseconds((double)seen["screens"]!["signIn"]!["ms"]!);
        var customer = TimeSpan.FromMilliseconds((double)seen["screens"]!["support"]!["ms"]!);
        output.WriteLine($"first load {firstLoad.TotalMilliseconds} ms, a customer's 360 {customer.TotalMilliseconds} ms");
        Assert.True(firstLoad < FirstLoadBudget, $"first load {firstLoad.TotalMilliseconds} ms, over its budget of {FirstLoadBudget.TotalMilliseconds} ms");
        Assert.True(customer < CustomerBudget, $"a customer's 360 {customer.TotalMilliseconds} ms, over its budget of {CustomerBudget.TotalMilliseconds} ms");
    }
}
