using System.Globalization;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Core;
using Azure.Core.Pipeline;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Touchpoints.Functions.Rules;
using Touchpoints.FunctionsHost.Emulators;
using Touchpoints.FunctionsHost.EventHubs;
using Touchpoints.FunctionsHost.Runtime;

namespace Touchpoints.Functions.Tests.Rules;

/// <summary>The rules tests' moves of their <see cref="FakeTimeProvider"/>, beyond <see cref="FakeTimeProvider.Advance"/>.</summary>
public static class FakeClockExtensions
{
    /// <summary>Moves to the next time the UTC wall clock shows <paramref name="time"/> (London is on UTC in January).</summary>
    public static void AdvanceToNext(this FakeTimeProvider clock, TimeOnly time)
    {
        ArgumentNullException.ThrowIfNull(clock);
        var now = clock.GetUtcNow();
        var target = new DateTimeOffset(DateOnly.FromDateTime(now.UtcDateTime).ToDateTime(time), TimeSpan.Zero);
        if (target <= now) target = target.AddDays(1);
        clock.Advance(target - now);
    }
}

/// <summary>
/// The handler in a test server against the npm Cosmos DB server and Azurite (queues), with a manual clock. The rules
/// tests share one collection: they run one after another, and each clears the queues and puts the rules it needs.
/// </summary>
public sealed class RulesFixture : IAsyncLifetime
{
    /// <summary>This fixture's database on the assembly's one Cosmos DB server.</summary>
    public string Database { get; } = SharedEmulators.NewDatabaseName("rules");

    /// <summary>A Monday in January: London is on UTC, so local times in the tests are UTC times.</summary>
    public static readonly DateTimeOffset Start = new(2030, 1, 7, 12, 0, 0, TimeSpan.Zero);

    private CosmosServer? cosmos;
    private Azurite? azurite;
    private WebApplication? app;

    /// <summary>
    /// The app's clock, moved by the tests and only forward (so that the scheduler's cursor and the rules cache see time
    /// as it is): the tests of the collection share it, each from where the last one left it.
    /// </summary>
    public FakeTimeProvider Clock { get; } = new(Start);

    /// <summary>Counts the app's Cosmos DB requests by method and container.</summary>
    public Touchpoints.Functions.Tests.Ingestion.Concurrency.StoreGate Gate { get; } = new();

    /// <summary>Every message the app's queue client sent: the queue, and the visibility delay and time to live it asked for.</summary>
    public SentMessages Sent { get; } = new();

    public HttpClient Http { get; private set; } = null!;

    public InMemoryEventHubs EventHubs { get; } = new(defaultPartitionCount: 4);
    private AmqpEventHubsEndpoint? eventHubs;

    public CosmosClient Client { get; private set; } = null!;

    public QueueServiceClient QueueService { get; private set; } = null!;

    public IServiceProvider Services => app!.Services;

    public async Task InitializeAsync()
    {
        var (startingCosmos, startingAzurite) = (SharedEmulators.CosmosAsync(), SharedEmulators.AzuriteAsync());
        (cosmos, azurite) = (await startingCosmos, await startingAzurite);
        // The hub the admin operations (a rebuild, an unmerge) announce changes on, behind the local AMQP endpoint.
        EventHubs.Hub(Touchpoints.Core.Resources.Hubs.CustomerChanges);
        eventHubs = AmqpEventHubsEndpoint.Start(EventHubs, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
        Destination = await DestinationServer.StartAsync(OldSecret, NewSecret, CrmSecret);
        app = HandlerApp.Build([], builder =>
        {
            builder.WebHost.UseTestServer();
            builder.Services.AddSingleton<TimeProvider>(Clock);
            var queueOptions = new QueueClientOptions();
            queueOptions.AddPolicy(Sent, HttpPipelinePosition.PerCall);
            builder.Services.AddSingleton(queueOptions);
            // The app's Cosmos DB client with the gate in its HTTP pipeline: tests pin what a batch costs in requests.
            builder.Services.AddSingleton(AppCosmosClient.Through(cosmos!, Gate));
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Cosmos:AccountEndpoint"] = cosmos!.Endpoint.ToString(),
                ["Cosmos:AccountKey"] = cosmos.Key,
                ["Cosmos:DatabaseName"] = Database,
                ["Cosmos:CreateResources"] = "true",
                ["Cosmos:ConnectionMode"] = "Gateway",
                ["Cosmos:LimitToEndpoint"] = "true",
                ["AzureWebJobsStorage"] = azurite!.ConnectionString,
                [SettingNames.EventHubConnection] = eventHubs.ConnectionString,
                ["Rules:CreateQueues"] = "true",
                ["Rules:RefreshInterval"] = "00:00:30",
                ["Rules:SettleWindow"] = "00:00:00", // decided at once; the settle tests build their own evaluator
                // Two signed destinations on the node receiver: an ESP for every channel (its secret being rotated: both sign)
                // and a CRM for sales alerts. One quick retry inside an invocation; the queue's retries are the tests' to make.
                ["Delivery:Destinations:esp:Url"] = new Uri(Destination.Url, "esp").ToString(),
                ["Delivery:Destinations:esp:Secrets"] = $"{OldSecret}, {NewSecret}",
                ["Delivery:Destinations:esp:Routes"] = "email, push, sms",
                ["Delivery:Destinations:crm:Url"] = new Uri(Destination.Url, "crm").ToString(),
                ["Delivery:Destinations:crm:Secrets"] = CrmSecret,
                ["Delivery:Destinations:crm:Routes"] = "sales-alerts",
                ["Delivery:Retries"] = "1",
                ["Delivery:RetryDelay"] = "00:00:00", // the backoff runs on the app's clock, which the tests move by hand
                // The console: people as App Service authentication presents them (the tests write the principal header).
                ["Console:TrustPlatformPrincipal"] = "true",
            });
        });
        await app.StartAsync();
        Http = app.GetTestClient();
        Client = cosmos!.CreateClient();
        QueueService = new QueueServiceClient(azurite!.ConnectionString, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        InitialRules = (await Http.GetFromJsonAsync<JsonObject>(RulesAdminEndpoints.Prefix))!;
    }

    public static readonly string OldSecret = "whsec_" + Convert.ToBase64String(Enumerable.Repeat((byte)7, 32).ToArray());
    public static readonly string NewSecret = "whsec_" + Convert.ToBase64String(Enumerable.Repeat((byte)11, 32).ToArray());
    public static readonly string CrmSecret = "whsec_" + Convert.ToBase64String(Enumerable.Repeat((byte)13, 32).ToArray());

    /// <summary>The receiving end of the delivery functions: verifies each message with every secret above.</summary>
    public DestinationServer Destination { get; private set; } = null!;

    /// <summary>
    /// Invokes the delivery function of <paramref name="queue"/> on one message as the host does, its
    /// <paramref name="dequeueCount"/>-th time; the destination checks timestamps against the fixture's clock.
    /// </summary>
    public async Task<(int Status, JsonObject Body)> DeliverAsync(string queue, string text, int dequeueCount = 1)
    {
        await Destination.ClockAsync(Clock.GetUtcNow());
        var function = Touchpoints.Functions.Delivery.DeliveryEndpoints.Functions.Single(f => f.Value == queue).Key;
        return await InvokeAsync(function, new JsonObject
        {
            ["Data"] = new JsonObject { [Touchpoints.Functions.Delivery.DeliveryEndpoints.Trigger] = JsonValue.Create(JsonValue.Create(text).ToJsonString()) },
            ["Metadata"] = new JsonObject { ["DequeueCount"] = dequeueCount.ToString(System.Globalization.CultureInfo.InvariantCulture) },
        });
    }

    /// <summary>Takes every visible message off <paramref name="queue"/> (as the host's listener would), their texts.</summary>
    public async Task<List<string>> TakeAsync(string queue)
    {
        var client = QueueService.GetQueueClient(queue);
        var texts = new List<string>();
        foreach (var m in (await client.ReceiveMessagesAsync(32)).Value)
        {
            texts.Add(m.Body.ToString());
            await client.DeleteMessageAsync(m.MessageId, m.PopReceipt);
        }
        return texts;
    }

    /// <summary>GET of the active rules before any test stored a version.</summary>
    public JsonObject InitialRules { get; private set; } = null!;

    public async Task DisposeAsync()
    {
        if (Destination is not null) await Destination.DisposeAsync();
        Http?.Dispose();
        Gate.Dispose();
        if (app is not null) await app.DisposeAsync();
        if (eventHubs is not null) await eventHubs.DisposeAsync();
        if (Client is not null)
        {
            // The emulators are the assembly's: only this fixture's database goes (its queues are cleared by each test).
            using var _ = await Client.GetDatabase(Database).DeleteStreamAsync();
            Client.Dispose();
        }
    }

    // ------------------------------------------------------------------ invocations

    public async Task<(int Status, JsonObject Body)> InvokeAsync(string function, JsonObject payload)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/" + function) { Content = JsonContent.Create(payload) };
        request.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return ((int)response.StatusCode, JsonNode.Parse(text)!.AsObject());
    }

    /// <summary>Ingests web events (as IngestWebEvents) and returns the customer-changes messages it would publish.</summary>
    public async Task<JsonArray> IngestAsync(params string[] events)
    {
        // Sequence numbers go on from batch to batch, as in one partition; the events reach the hub at the test clock's now.
        var first = Interlocked.Add(ref sequence, events.Length) - events.Length + 1;
        var (status, body) = await InvokeAsync("IngestWebEvents", HostPayloads.EventHubBatch(Hubs.WebEvents, "0", first, events, enqueuedAt: Clock.GetUtcNow()));
        Assert.Equal(200, status);
        return body["Outputs"]!["changes"]?.AsArray() ?? [];
    }

    private long sequence = 1000;

    /// <summary>Delivers customer-changes messages to EvaluateCustomerChanges as the host does (a double-encoded string array).</summary>
    /// <param name="plain">Send the array as plain JSON instead of the host's double encoding (the handler takes both).</param>
    public async Task<(int Status, JsonObject Body)> EvaluateAsync(JsonArray changes, bool plain = false)
    {
        var bodies = new JsonArray([.. changes.Select(c => JsonValue.Create(c!.ToJsonString()))]);
        var payload = new JsonObject
        {
            ["Data"] = new JsonObject { [RulesEndpoints.ChangesTrigger] = plain ? bodies : bodies.ToJsonString() },
            ["Metadata"] = new JsonObject
            {
                ["PartitionContext"] = new JsonObject { ["EventHubName"] = Hubs.CustomerChanges, ["PartitionId"] = "0", ["ConsumerGroup"] = "evaluatecustomerchanges" },
            },
        };
        return await InvokeAsync(RulesEndpoints.EvaluateFunction, payload);
    }

    /// <summary>Ingests, then evaluates what changed.</summary>
    public async Task<JsonArray> IngestAndEvaluateAsync(params string[] events)
    {
        var changes = await IngestAsync(events);
        var (status, body) = await EvaluateAsync(changes);
        Assert.True(status == 200, body.ToJsonString());
        return changes;
    }

    public async Task<(int Status, JsonObject Body)> RunTimerAsync()
    {
        var payload = new JsonObject
        {
            ["Data"] = new JsonObject
            {
                [RulesEndpoints.TimerTrigger] = new JsonObject
                {
                    ["Schedule"] = new JsonObject { ["AdjustForDST"] = true },
                    ["ScheduleStatus"] = null,
                    ["IsPastDue"] = false,
                },
            },
            ["Metadata"] = new JsonObject { ["sys"] = new JsonObject { ["MethodName"] = RulesEndpoints.ScheduleFunction } },
        };
        return await InvokeAsync(RulesEndpoints.ScheduleFunction, payload);
    }

    // ------------------------------------------------------------------ rules

    /// <summary>PUTs a rules document through the admin API (which also refreshes this instance's cache).</summary>
    public async Task<JsonObject> PutRulesAsync(string document, string author = "tests", string? comment = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, RulesAdminEndpoints.Prefix + (comment is null ? "" : "?comment=" + Uri.EscapeDataString(comment)))
        {
            Content = new StringContent(document, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Author", author);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == 201, text);
        return JsonNode.Parse(text)!.AsObject();
    }

    public RulesStore Store => Services.GetRequiredService<RulesStore>();

    // ------------------------------------------------------------------ queues and documents

    public async Task ClearQueuesAsync()
    {
        foreach (var name in Queues.All)
        {
            var queue = QueueService.GetQueueClient(name);
            await queue.CreateIfNotExistsAsync();
            await queue.ClearMessagesAsync();
        }
    }

    /// <summary>The visible messages of a queue (peeked: they stay), as JSON with their timing.</summary>
    public async Task<List<QueuedMessage>> PeekAsync(string queue)
    {
        var messages = (await QueueService.GetQueueClient(queue).PeekMessagesAsync(32)).Value;
        return [.. messages.Select(m => new QueuedMessage(JsonNode.Parse(m.Body.ToString())!.AsObject(), m.InsertedOn, m.ExpiresOn))];
    }

    public async Task<int> CountAsync(string queue) => (await QueueService.GetQueueClient(queue).GetPropertiesAsync()).Value.ApproximateMessagesCount;

    public async Task<JsonObject?> ReadAsync(string container, string id, string partitionKey)
    {
        using var response = await Client.GetContainer(Database, container).ReadItemStreamAsync(id, new PartitionKey(partitionKey));
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return (await JsonNode.ParseAsync(response.Content))!.AsObject();
    }

    /// <summary>Every live customer's id (tombstones left out), read straight from the store.</summary>
    public async Task<List<string>> LiveCustomerIdsAsync()
    {
        var ids = new List<string>();
        using var feed = Client.GetContainer(Database, Containers.Customers).GetItemQueryStreamIterator("SELECT c.id, c.mergedInto FROM c");
        while (feed.HasMoreResults)
        {
            using var page = await feed.ReadNextAsync();
            page.EnsureSuccessStatusCode();
            var node = await JsonNode.ParseAsync(page.Content);
            ids.AddRange(node!["Documents"]!.AsArray().Where(d => d!["mergedInto"] is null).Select(d => d!["id"]!.GetValue<string>()));
        }
        return ids;
    }

    public async Task<List<JsonObject>> LedgerAsync(string customerId)
    {
        var query = new QueryDefinition("SELECT * FROM c WHERE c.customerId = @c").WithParameter("@c", customerId);
        var results = new List<JsonObject>();
        using var feed = Client.GetContainer(Database, Containers.Communications).GetItemQueryStreamIterator(query,
            requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(customerId) });
        while (feed.HasMoreResults)
        {
            using var page = await feed.ReadNextAsync();
            page.EnsureSuccessStatusCode();
            var node = await JsonNode.ParseAsync(page.Content);
            results.AddRange(node!["Documents"]!.AsArray().Select(d => d!.AsObject()).Where(d => d["id"]!.GetValue<string>() != "state"));
        }
        return results;
    }

    public async Task DeleteSchedulerCursorAsync()
    {
        using var _ = await Client.GetContainer(Database, Containers.Config).DeleteItemStreamAsync(SchedulerCursorDocument.DocumentId, new PartitionKey(SchedulerCursorDocument.DocumentId));
    }

    public static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}

public sealed record QueuedMessage(JsonObject Body, DateTimeOffset? InsertedOn, DateTimeOffset? ExpiresOn)
{
    public string CustomerId => Body["customerId"]!.GetValue<string>();

    public string Template => Body["template"]!.GetValue<string>();
}

[CollectionDefinition(Name)]
public sealed class RulesCollection : ICollectionFixture<RulesFixture>
{
    public const string Name = "rules";
}

/// <summary>Records each message the app puts on a queue (POST …/{queue}/messages), with the timing it asks of the service.</summary>
public sealed class SentMessages : HttpPipelineSynchronousPolicy
{
    public sealed record Sent(string Queue, TimeSpan Visibility, TimeSpan? TimeToLive, JsonObject Body);

    public System.Collections.Concurrent.ConcurrentQueue<Sent> All { get; } = new();

    public override void OnSendingRequest(HttpMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var uri = message.Request.Uri.ToUri();
        if (message.Request.Method != RequestMethod.Post || !uri.AbsolutePath.EndsWith("/messages", StringComparison.Ordinal)) return;
        var query = System.Web.HttpUtility.ParseQueryString(uri.Query);
        var queue = uri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries)[^2];
        // The body is <QueueMessage><MessageText>{base64 of the JSON}</MessageText></QueueMessage>.
        using var content = new MemoryStream();
        message.Request.Content!.WriteTo(content, CancellationToken.None);
        content.Position = 0;
        var text = System.Xml.Linq.XElement.Load(content).Element("MessageText")!.Value;
        var body = JsonNode.Parse(Convert.FromBase64String(text))!.AsObject();
        All.Enqueue(new Sent(queue, TimeSpan.FromSeconds(int.Parse(query["visibilitytimeout"] ?? "0", CultureInfo.InvariantCulture)),
            query["messagettl"] is { } ttl ? TimeSpan.FromSeconds(int.Parse(ttl, CultureInfo.InvariantCulture)) : null, body));
    }
}
