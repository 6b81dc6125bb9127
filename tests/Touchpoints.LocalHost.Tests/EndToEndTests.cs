using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Logging;
using Touchpoints.FunctionsHost;
using Touchpoints.FunctionsHost.Emulators;
using Xunit.Abstractions;

namespace Touchpoints.LocalHost.Tests;

/// <summary>
/// The published handler (artifacts/app, refreshed by every build of the local host) run by the local host against the
/// emulators, which the local host starts itself on the free ports the settings name.
/// </summary>
public sealed class RealHandlerFixture : IAsyncLifetime
{
    public CapturingLoggerProvider Logs { get; } = new();

    public LocalFunctionsHost Host { get; private set; } = null!;

    public CosmosClient Cosmos { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    private ILoggerFactory? loggerFactory;

    public async Task InitializeAsync()
    {
        loggerFactory = LoggerFactory.Create(b => b.AddProvider(Logs));
        var options = new LocalHostOptions { Port = 0, RetryDelayScale = 0.01, LoggerFactory = loggerFactory };
        LocalEmulators.UseFresh(options.Settings);
        Host = await LocalFunctionsHost.StartAsync(options);
        Cosmos = new CosmosClient(Host.Settings["Cosmos__AccountEndpoint"], CosmosServer.WellKnownKey, CosmosServer.ClientOptions());
        Http = new HttpClient { BaseAddress = Host.BaseAddress };
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        Cosmos?.Dispose();
        if (Host is not null) await Host.DisposeAsync();
        loggerFactory?.Dispose();
        Logs.Dispose();
    }

    public async Task<JsonObject?> ReadAsync(string container, string id)
    {
        using var response = await Cosmos.GetContainer("touchpoints", container).ReadItemStreamAsync(id, new PartitionKey(id));
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return (await JsonNode.ParseAsync(response.Content))!.AsObject();
    }
}

[CollectionDefinition(Name)]
public sealed class RealHandlerCollection : ICollectionFixture<RealHandlerFixture>
{
    public const string Name = "real handler";
}

[Collection(RealHandlerCollection.Name)]
public sealed class EndToEndTests(RealHandlerFixture fixture, ITestOutputHelper output)
{
    private static JsonObject Identify(string userId, string anonymousId, string email) => new()
    {
        ["type"] = "identify",
        ["userId"] = userId,
        ["anonymousId"] = anonymousId,
        ["traits"] = new JsonObject { ["email"] = email, ["name"] = "Ada " + userId },
        ["messageId"] = Guid.NewGuid().ToString(),
        ["timestamp"] = "2025-03-01T10:00:00Z",
    };

    private static JsonObject Track(string userId, string name) => new()
    {
        ["type"] = "track",
        ["event"] = name,
        ["userId"] = userId,
        ["messageId"] = Guid.NewGuid().ToString(),
        ["timestamp"] = "2025-03-01T10:05:00Z",
        ["properties"] = new JsonObject { ["total"] = 42 },
    };

    private List<JsonObject> ChangesFor(string customerId) =>
        [.. fixture.Host.ReadEvents("customer-changes").Select(e => JsonNode.Parse(e.BodyText)!.AsObject())
            .Where(c => c["customerId"]?.GetValue<string>() == customerId)];

    [Fact]
    public async Task Web_events_published_to_the_hub_end_up_in_a_customer_view_and_a_customer_change()
    {
        var user = "u-" + Guid.NewGuid().ToString("N")[..8];
        var events = new JsonArray(Identify(user, "a-" + user, $"{user}@example.com"), Track(user, "Order Completed"));

        using var published = await fixture.Http.PostAsJsonAsync("runtime/hubs/web-events", events);
        using var idle = await fixture.Http.PostAsync("runtime/idle?timeout=60", null);

        Assert.Equal(HttpStatusCode.Accepted, published.StatusCode);
        Assert.Equal(HttpStatusCode.OK, idle.StatusCode);
        var identity = await fixture.ReadAsync("identities", $"userId:{user}");
        var customerId = identity!["customerId"]!.GetValue<string>();
        var view = await fixture.ReadAsync("customers", customerId);
        Assert.NotNull(view);
        Assert.Contains($"{user}@example.com", view.ToJsonString(), StringComparison.Ordinal);
        Assert.NotEmpty(ChangesFor(customerId));
    }

    [Fact]
    public async Task A_thousand_events_are_processed_to_idle_and_the_timing_is_reported()
    {
        var users = Enumerable.Range(0, 100).Select(i => $"load-{Guid.NewGuid().ToString("N")[..6]}-{i}").ToList();
        var events = new JsonArray();
        for (var i = 0; i < 1000; i++)
        {
            var user = users[i % users.Count];
            events.Add(i < users.Count ? Identify(user, "a-" + user, $"{user}@example.com") : Track(user, i % 3 == 0 ? "Product Viewed" : "Order Completed"));
        }

        var failedBefore = (await fixture.Host.GetStatusAsync()).Failed;
        var stopwatch = Stopwatch.StartNew();
        using var published = await fixture.Http.PostAsJsonAsync("runtime/hubs/web-events", events);
        var status = await fixture.Host.WaitForIdleAsync(TimeSpan.FromMinutes(3));
        stopwatch.Stop();

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"startup {fixture.Host.StartupTime.TotalSeconds:0.0}s; 1,000 events publish-to-idle {stopwatch.Elapsed.TotalSeconds:0.00}s; invocations {status.Invocations}"));
        Assert.Equal(HttpStatusCode.Accepted, published.StatusCode);
        Assert.Equal(failedBefore, status.Failed);
        var sample = users[7];
        Assert.Contains(fixture.Host.ReadEvents("customer-changes"), e => e.BodyText.Contains("web.identify", StringComparison.Ordinal));
        var identities = fixture.Cosmos.GetContainer("touchpoints", "identities");
        using var owner = await identities.ReadItemStreamAsync($"userId:{sample}", new PartitionKey($"userId:{sample}"));
        Assert.Equal(HttpStatusCode.OK, owner.StatusCode);
    }

    [Fact]
    public async Task The_published_app_serves_its_http_functions_through_the_local_host()
    {
        var status = await fixture.Host.GetStatusAsync();

        Assert.Contains(status.Functions, f => f.Name == "IngestWebEvents" && f.Trigger == "eventHubTrigger");
        Assert.Contains(status.Hubs, h => h.Name == "customer-changes");
        using var response = await fixture.Http.GetAsync("api/customers/does-not-exist");
        // Forwarded to the handler (enableForwardingHttpRequest): its own answer, with a body, not the local host's empty 404.
        Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.NotNull(response.Content.Headers.ContentType);
    }
}
