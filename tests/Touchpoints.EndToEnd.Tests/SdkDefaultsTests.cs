using System.Text.Json.Nodes;
using Xunit.Abstractions;

namespace Touchpoints.EndToEnd.Tests;

/// <summary>
/// Server SDKs at their own defaults — batching, retries, and compression where it is on by default (rudder-sdk-node
/// gzips every batch) — configured only with where to send, exactly as the README says: each person's calls end up in
/// one customer view.
/// </summary>
[Collection(LocalHostCollection.Name)]
public sealed class SdkDefaultsTests(LocalHostFixture fixture, ITestOutputHelper output)
{
    private readonly string run = Guid.NewGuid().ToString("N")[..10];

    private static JsonArray Calls(string anonymousId, string userId, string email) =>
    [
        new JsonObject { ["type"] = "page", ["anonymousId"] = anonymousId, ["name"] = "Pricing", ["properties"] = new JsonObject { ["path"] = "/pricing", ["title"] = "Pricing" } },
        new JsonObject { ["type"] = "identify", ["anonymousId"] = anonymousId, ["userId"] = userId, ["traits"] = new JsonObject { ["email"] = email, ["name"] = "Ada Default" } },
        new JsonObject
        {
            ["type"] = "track", ["userId"] = userId, ["event"] = "Product Added",
            ["properties"] = new JsonObject { ["product_id"] = "sku-1", ["price"] = 49, ["quantity"] = 1 },
        },
    ];

    private async Task OneViewPerPersonAsync(string anonymousId, string userId)
    {
        await fixture.IdleAsync();
        var byAnonymous = await fixture.CustomerAsync("anonymousId:" + anonymousId);
        var byUser = await fixture.CustomerAsync("userId:" + userId);
        Assert.NotNull(byAnonymous);
        Assert.Equal((string?)byAnonymous["id"], (string?)byUser?["id"]);
        var web = byAnonymous["touchpoints"]!["web"]!;
        Assert.Equal(1, (long)web["pageViews"]!);
        Assert.NotNull(web["cart"]);
    }

    [Fact]
    public async Task Rudderstack_node_sdk_at_its_defaults_with_gzip_lands_in_one_view_per_person()
    {
        var (anonymousId, userId) = ($"rs-anon-{run}", $"rs-user-{run}");

        var answer = await NodeScript.RunAsync("rudder", new JsonObject
        {
            ["dataPlaneUrl"] = fixture.Host.BaseAddress.ToString().TrimEnd('/') + "/api",
            ["writeKey"] = fixture.Sources.WriteKey,
            ["calls"] = Calls(anonymousId, userId, $"ada.rs.{run}@example.org"),
        });

        output.WriteLine(answer.ToJsonString());
        Assert.Empty(answer["errors"]!.AsArray());
        await OneViewPerPersonAsync(anonymousId, userId);
    }

    [Fact]
    public async Task Segment_analytics_node_at_its_defaults_lands_in_one_view_per_person()
    {
        var (anonymousId, userId) = ($"seg-anon-{run}", $"seg-user-{run}");

        var answer = await NodeScript.RunAsync("segment", new JsonObject
        {
            ["host"] = fixture.Host.BaseAddress.ToString().TrimEnd('/'),
            ["writeKey"] = fixture.Sources.WriteKey,
            ["calls"] = Calls(anonymousId, userId, $"ada.seg.{run}@example.org"),
            ["defaults"] = true,
        });

        output.WriteLine(answer.ToJsonString());
        Assert.Empty(answer["errors"]!.AsArray());
        await OneViewPerPersonAsync(anonymousId, userId);
    }
}
