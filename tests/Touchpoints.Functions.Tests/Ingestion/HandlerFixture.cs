using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Configuration;
using Touchpoints.LocalHost.Emulators;

namespace Touchpoints.Functions.Tests.Ingestion;

/// <summary>The custom handler in a test server, against a real (npm) Cosmos DB server, called as the Functions host calls it.</summary>
public sealed class HandlerFixture : IAsyncLifetime
{
    public const string Database = "touchpoints";

    private CosmosServer? cosmos;
    private WebApplication? app;

    public CosmosServer Cosmos => cosmos ?? throw new InvalidOperationException("Not initialised.");

    public HttpClient Host { get; private set; } = null!;

    public CosmosClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        cosmos = await CosmosServer.StartAsync();
        app = HandlerApp.Build([], builder =>
        {
            builder.WebHost.UseTestServer();
            builder.Configuration.AddInMemoryCollection(Settings(cosmos));
        });
        await app.StartAsync();
        Host = app.GetTestClient();
        Client = cosmos.CreateClient();
    }

    public static Dictionary<string, string?> Settings(CosmosServer cosmos) => new()
    {
        ["Cosmos:AccountEndpoint"] = cosmos.Endpoint.ToString(),
        ["Cosmos:AccountKey"] = cosmos.Key,
        ["Cosmos:DatabaseName"] = Database,
        ["Cosmos:CreateResources"] = "true",
        ["Cosmos:ConnectionMode"] = "Gateway",
        ["Cosmos:LimitToEndpoint"] = "true",
    };

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (app is not null) await app.DisposeAsync();
        if (cosmos is not null) await cosmos.DisposeAsync();
    }

    /// <summary>POSTs an invocation as the host does and returns the status and parsed body.</summary>
    public async Task<(int Status, JsonObject Body)> InvokeAsync(string function, JsonObject payload)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/" + function) { Content = JsonContent.Create(payload) };
        request.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
        request.Headers.Add("X-Azure-Functions-HostVersion", "4.1040.0");
        request.Headers.UserAgent.ParseAdd("Azure-Functions-Host/4.1040.0");
        using var response = await Host.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return ((int)response.StatusCode, JsonNode.Parse(text)!.AsObject());
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

/// <summary>Builds invocations exactly as the Functions host sends them for an Event Hubs trigger.</summary>
public static class HostPayloads
{
    /// <summary>
    /// The host's encoding: the batch and every metadata array are JSON strings holding JSON (double-encoded);
    /// <paramref name="plain"/> sends them as plain JSON arrays instead, which the handler must accept too.
    /// </summary>
    public static JsonObject EventHubBatch(string hub, string partitionId, long firstSequence, IReadOnlyList<string> bodies, bool plain = false,
        DateTimeOffset? enqueuedAt = null)
    {
        var enqueued = (enqueuedAt ?? DateTimeOffset.UtcNow).ToUniversalTime();
        var sequences = new JsonArray([.. bodies.Select((_, i) => JsonValue.Create(firstSequence + i))]);
        var offsets = new JsonArray([.. bodies.Select((_, i) => JsonValue.Create(((firstSequence + i) * 512).ToString(System.Globalization.CultureInfo.InvariantCulture)))]);
        var times = new JsonArray([.. bodies.Select(_ => JsonValue.Create(enqueued.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture)))]);
        var keys = new JsonArray([.. bodies.Select(_ => (JsonNode?)null)]);
        var props = new JsonArray([.. bodies.Select(_ => new JsonObject())]);
        var events = new JsonArray([.. bodies.Select(b => JsonValue.Create(b))]);
        JsonNode Encode(JsonArray array) => plain ? array : JsonValue.Create(array.ToJsonString())!;
        return new JsonObject
        {
            ["Data"] = new JsonObject { ["events"] = Encode(events) },
            ["Metadata"] = new JsonObject
            {
                ["PartitionContext"] = new JsonObject
                {
                    ["FullyQualifiedNamespace"] = "touchpoints-test.servicebus.windows.net",
                    ["EventHubName"] = hub,
                    ["ConsumerGroup"] = "$Default",
                    ["PartitionId"] = partitionId,
                },
                ["SequenceNumberArray"] = Encode(sequences),
                ["OffsetArray"] = Encode(offsets),
                ["PartitionKeyArray"] = Encode(keys),
                ["EnqueuedTimeUtcArray"] = Encode(times),
                ["PropertiesArray"] = Encode(props),
                ["SystemPropertiesArray"] = Encode(new JsonArray([.. bodies.Select(_ => new JsonObject())])),
                ["sys"] = new JsonObject
                {
                    ["MethodName"] = "Ingest",
                    ["UtcNow"] = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                    ["RandGuid"] = Guid.NewGuid().ToString(),
                },
            },
        };
    }

    public static string Json(object value) => JsonSerializer.Serialize(value);
}
