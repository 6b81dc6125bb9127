using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Configuration;
using Touchpoints.FunctionsHost.Emulators;
using Touchpoints.FunctionsHost.EventHubs;
using Touchpoints.FunctionsHost.Runtime;

namespace Touchpoints.Functions.Tests;

/// <summary>
/// The custom handler in a test server, with collector and webhook sources configured, against a real (npm) Cosmos DB
/// server, called as the Functions host calls it.
/// </summary>
public sealed class HandlerFixture : IAsyncLifetime
{
    /// <summary>This fixture's database on the assembly's one Cosmos DB server.</summary>
    public string Database { get; } = SharedEmulators.NewDatabaseName("handler");

    public const string WebsiteKey = "wk-website";
    public const string AppOldKey = "wk-app-old";
    public const string AppNewKey = "wk-app-new";
    public const string AllowedOrigin = "https://shop.example.com";

    public const string CrmSecret = "whsec_bmV3LWNybS1zZWNyZXQtMDI=";
    public const string CrmOldSecret = "whsec_b2xkLWNybS1zZWNyZXQtMDE=";
    public const string StripeSecret = "whsec_stripe_test_secret";
    public const string HubSpotSecret = "hubspot-client-secret";


    private CosmosServer? cosmos;
    private Azurite? azurite;
    private WebApplication? app;
    private AmqpEventHubsEndpoint? eventHubs;

    /// <summary>The hubs the handler publishes to, through the local host's AMQP endpoint and Azure's Event Hubs SDK.</summary>
    public InMemoryEventHubs Hubs { get; } = new(defaultPartitionCount: 4);

    public CosmosServer Cosmos => cosmos ?? throw new InvalidOperationException("Not initialised.");

    public HttpClient Host { get; private set; } = null!;

    public CosmosClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        cosmos = await SharedEmulators.CosmosAsync();
        azurite = await SharedEmulators.AzuriteAsync();
        Hubs.Hub(Touchpoints.Core.Resources.Hubs.WebEvents);
        Hubs.Hub(Touchpoints.Core.Resources.Hubs.CrmEvents);
        eventHubs = AmqpEventHubsEndpoint.Start(Hubs, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        app = HandlerApp.Build([], builder =>
        {
            builder.WebHost.UseTestServer();
            builder.Configuration.AddInMemoryCollection(Settings());
        });
        await app.StartAsync();
        Host = app.GetTestClient();
        Client = cosmos.CreateClient();
    }

    /// <summary>The handler's settings on this fixture's database.</summary>
    public Dictionary<string, string?> Settings()
    {
        var settings = Settings(Cosmos, azurite ?? throw new InvalidOperationException("Not initialised."), Database);
        settings[SettingNames.EventHubConnection] = eventHubs?.ConnectionString;
        return settings;
    }

    /// <summary>The handler's settings on <paramref name="database"/> and the assembly's Azurite (customers' history, queues).</summary>
    public static Dictionary<string, string?> Settings(CosmosServer cosmos, Azurite azurite, string database) => new()
    {
        ["AzureWebJobsStorage"] = azurite.ConnectionString,
        ["Cosmos:AccountEndpoint"] = cosmos.Endpoint.ToString(),
        ["Cosmos:AccountKey"] = cosmos.Key,
        ["Cosmos:DatabaseName"] = database,
        ["Identity:DefaultPhoneRegion"] = "GB",
        ["Cosmos:CreateResources"] = "true",
        ["Cosmos:ConnectionMode"] = "Gateway",
        ["Cosmos:LimitToEndpoint"] = "true",
        ["Collector:Sources:website:WriteKey"] = WebsiteKey,
        ["Collector:Sources:app:WriteKey"] = $"{AppOldKey}, {AppNewKey}",
        ["Collector:AllowedOrigins"] = AllowedOrigin + ",http://localhost:3000",
        ["Webhooks:Sources:crm:Scheme"] = "standardWebhooks",
        ["Webhooks:Sources:crm:Secrets"] = $"{CrmSecret},{CrmOldSecret}",
        ["Webhooks:Sources:stripe:Scheme"] = "stripe",
        ["Webhooks:Sources:stripe:Secrets"] = StripeSecret,
        ["Webhooks:Sources:hubspot:Scheme"] = "hubspot",
        ["Webhooks:Sources:hubspot:Secrets"] = HubSpotSecret,
    };

    public async Task DisposeAsync()
    {
        if (app is not null) await app.DisposeAsync();
        if (eventHubs is not null) await eventHubs.DisposeAsync();
        if (Client is not null)
        {
            // The server is the assembly's: only this fixture's database goes.
            using var _ = await Client.GetDatabase(Database).DeleteStreamAsync();
            Client.Dispose();
        }
    }

    /// <summary>
    /// An HTTP function the host forwards (the collector's, the webhooks'): the request described by <paramref name="req"/>
    /// (the host's trigger payload shape, kept so the tests read the same) sent as the caller sent it, and answered as an
    /// invocation would be: <c>Outputs.res</c> holds the HTTP answer, <c>Outputs.events</c> what reached the hubs meanwhile.
    /// </summary>
    private async Task<Invocation> ForwardAsync(JsonObject req)
    {
        var before = Hubs.Hubs.ToDictionary(h => h.Name, h => h.Partitions.Select(p => p.Count).ToArray());
        using var request = new HttpRequestMessage(new HttpMethod(req["Method"]!.GetValue<string>()), new Uri(req["Url"]!.GetValue<string>()));
        if (req["Body"]?.GetValue<string>() is { } body) request.Content = new StringContent(body, System.Text.Encoding.UTF8);
        foreach (var (name, values) in req["Headers"]!.AsObject())
        {
            if (string.Equals(name, "Content-Length", StringComparison.OrdinalIgnoreCase)) continue;
            var value = values!.AsArray().Select(v => v!.GetValue<string>()).ToArray();
            if (request.Content is not null && name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase))
            {
                request.Content.Headers.Remove(name);
                request.Content.Headers.TryAddWithoutValidation(name, value);
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }
        using var response = await Host.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var headers = new JsonObject();
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers)) headers[name] = string.Join(", ", values);
        var outputs = new JsonObject
        {
            ["res"] = new JsonObject
            {
                ["statusCode"] = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["body"] = text,
                ["headers"] = headers,
            },
        };
        var published = Hubs.Hubs.SelectMany(h => h.Partitions.SelectMany((p, i) => p.Read(before.TryGetValue(h.Name, out var counts) ? counts[i] : 0, int.MaxValue)))
            .OrderBy(e => e.EnqueuedTime).ToList();
        if (published.Count > 0) outputs["events"] = new JsonArray([.. published.Select(e => JsonNode.Parse(e.BodyText))]);
        return new Invocation(200, new JsonObject { ["Outputs"] = outputs });
    }

    /// <summary>POSTs an invocation as the host does; returns the invocation's status and body (and the <c>res</c> output).</summary>
    public async Task<Invocation> InvokeAsync(string function, JsonObject payload)
    {
        if (payload["Data"]?["req"] is JsonObject forwarded) return await ForwardAsync(forwarded);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/" + function) { Content = JsonContent.Create(payload) };
        request.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
        request.Headers.Add("X-Azure-Functions-HostVersion", "4.1040.0");
        request.Headers.UserAgent.ParseAdd("Azure-Functions-Host/4.1040.0");
        using var response = await Host.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return new Invocation((int)response.StatusCode, JsonNode.Parse(text)!.AsObject());
    }

    public Task<JsonObject?> CustomerAsync(string id) => ReadAsync("customers", id, id);

    public async Task<string?> OwnerOfAsync(string identityKey) =>
        (await ReadAsync("identities", identityKey, identityKey))?["customerId"]?.GetValue<string>();

    public async Task<JsonObject?> ReadAsync(string container, string id, string partitionKey)
    {
        using var response = await Client.GetContainer(Database, container).ReadItemStreamAsync(id, new PartitionKey(partitionKey));
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return (await JsonNode.ParseAsync(response.Content))!.AsObject();
    }

    public async Task<List<JsonObject>> QueryAsync(string container, string partitionKey, string where)
    {
        var query = new QueryDefinition($"SELECT * FROM c WHERE c.source = @pk AND {where}").WithParameter("@pk", partitionKey);
        var results = new List<JsonObject>();
        using var feed = Client.GetContainer(Database, container).GetItemQueryStreamIterator(query,
            requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(partitionKey) });
        while (feed.HasMoreResults)
        {
            using var page = await feed.ReadNextAsync();
            page.EnsureSuccessStatusCode();
            var node = await JsonNode.ParseAsync(page.Content);
            results.AddRange(node!["Documents"]!.AsArray().Select(d => d!.AsObject()));
        }
        return results;
    }
}

[CollectionDefinition(Name)]
public sealed class HandlerCollection : ICollectionFixture<HandlerFixture>
{
    public const string Name = "handler";
}

/// <summary>What the handler answered the host: the invocation status, its <c>Outputs</c>, and the <c>res</c> HTTP answer.</summary>
public sealed record Invocation(int Status, JsonObject Body)
{
    public JsonObject Res => Body["Outputs"]!["res"]!.AsObject();

    /// <summary>The status the caller gets (the http output carries it as a string).</summary>
    public int HttpStatus => int.Parse(Res["statusCode"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);

    public JsonObject HttpBody => JsonNode.Parse(Res["body"]!.GetValue<string>())!.AsObject();

    public string? Header(string name) =>
        Res["headers"]!.AsObject().FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.GetValue<string>();

    public JsonArray? Events => Body["Outputs"]!["events"]?.AsArray();

    /// <summary>A refusal: the invocation succeeded, the caller gets <paramref name="status"/> with a JSON error, and nothing is published.</summary>
    public void AssertRefused(int status)
    {
        Assert.Equal(200, Status);
        Assert.Equal(status, HttpStatus);
        Assert.StartsWith("application/json", Header("Content-Type"), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(HttpBody["error"]?.GetValue<string>()));
        Assert.Null(Events);
    }
}
