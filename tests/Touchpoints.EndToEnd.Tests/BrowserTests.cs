using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Touchpoints.EndToEnd.Tests;

/// <summary>
/// analytics.js (analytics-next) in a real Chromium, configured exactly as the README's example, on a page of an allowed
/// origin: its cross-origin calls (to the short paths) are accepted and make one customer view, and the page talks to
/// nothing but the collector (no Segment CDN).
/// </summary>
[Collection(LocalHostCollection.Name)]
public sealed class BrowserTests(LocalHostFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task Analytics_js_in_a_real_browser_configured_as_the_readme_says_lands_in_one_view()
    {
        var userId = "browser-" + Guid.NewGuid().ToString("N")[..10];
        var host = fixture.Host.BaseAddress.ToString().TrimEnd('/');

        var answer = await NodeScript.RunAsync("browser", new JsonObject
        {
            ["host"] = host,
            ["writeKey"] = fixture.Sources.WriteKey,
            ["userId"] = userId,
            ["origin"] = fixture.BrowserOrigin,
        });

        output.WriteLine(answer.ToJsonString());
        Assert.Equal("sent", (string?)answer["result"]);
        var requests = answer["requests"]!.AsArray().Select(r => r!.AsObject()).ToList();
        Assert.NotEmpty(requests);
        Assert.All(requests, r => Assert.StartsWith(host + "/api/v1/", (string)r["url"]!, StringComparison.Ordinal));
        Assert.All(requests, r => Assert.InRange((int?)r["status"] ?? 0, 200, 299));
        await fixture.IdleAsync();
        var view = await fixture.CustomerAsync("userId:" + userId);
        Assert.NotNull(view);
        Assert.Contains(view["identities"]!.AsArray().Select(i => (string)i!), i => i.StartsWith("anonymousId:", StringComparison.Ordinal));
        Assert.Equal(1, (long)view["touchpoints"]!["web"]!["pageViews"]!);
    }
}
