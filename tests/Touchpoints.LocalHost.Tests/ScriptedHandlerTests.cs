using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Touchpoints.FunctionsHost;
using Touchpoints.FunctionsHost.App;
using Xunit.Abstractions;

namespace Touchpoints.LocalHost.Tests;

/// <summary>The local host driving a scripted in-process handler from a temporary app folder, with queues on Azurite.</summary>
[Collection(AzuriteCollection.Name)]
public sealed class ScriptedHandlerTests(AzuriteFixture storage, ITestOutputHelper output) : IAsyncLifetime, IDisposable
{
    private readonly CapturingLoggerProvider logs = new();
    private ScriptedHandler handler = null!;
    private TempApp app = null!;
    private LocalFunctionsHost? host;
    private ILoggerFactory? loggerFactory;

    public async Task InitializeAsync() => handler = await ScriptedHandler.StartAsync();

    public async Task DisposeAsync()
    {
        if (host is not null) await host.DisposeAsync();
        loggerFactory?.Dispose();
        await handler.DisposeAsync();
        output.WriteLine(logs.ToString());
    }

    public void Dispose()
    {
        app?.Dispose();
        logs.Dispose();
    }

    private Task<LocalFunctionsHost> StartAsync(JsonObject? hostExtras, params (string Name, string Json)[] functions) =>
        StartAsync(hostExtras, TimeProvider.System, functions);

    private async Task<LocalFunctionsHost> StartAsync(JsonObject? hostExtras, TimeProvider clock, params (string Name, string Json)[] functions)
    {
        app = new TempApp(hostExtras, new Dictionary<string, string> { ["AzureWebJobsStorage"] = storage.Azurite.ConnectionString });
        foreach (var (name, json) in functions) app.Function(name, json);
        loggerFactory = LoggerFactory.Create(b => b.AddProvider(logs));
        var options = new LocalHostOptions
        {
            AppFolder = app.Root,
            SettingsFile = app.SettingsFile,
            Port = 0,
            HandlerUrl = handler.BaseAddress,
            StartEmulators = false,
            RetryDelayScale = 0.05,
            LoggerFactory = loggerFactory,
            TimeProvider = clock,
        };
        host = await LocalFunctionsHost.StartAsync(options);
        return host;
    }

    private static string EventHubFunction(string hub, string retry = "", string outputs = "") => $$"""
        { "bindings": [
            { "type": "eventHubTrigger", "direction": "in", "name": "events", "eventHubName": "{{hub}}", "consumerGroup": "cg",
              "connection": "EventHubConnection", "cardinality": "many", "dataType": "string" } {{outputs}} ] {{retry}} }
        """;

    private static List<string> Bodies(ScriptedHandler.HandlerCall call) =>
        [.. JsonNode.Parse(call.Json["Data"]!["events"]!.GetValue<string>())!.AsArray().Select(n => n!.GetValue<string>())];

    [Fact]
    public async Task An_event_hub_invocation_carries_the_host_headers_and_payload_and_its_outputs_fan_out()
    {
        handler.On("Ingest", _ => ScriptedHandler.Ok(new JsonObject { ["changes"] = JsonNode.Parse("""[{"customerId":"c1"},"plain"]""") }));
        var running = await StartAsync(null, ("Ingest", EventHubFunction("in-hub",
            outputs: """, { "type": "eventHub", "direction": "out", "name": "changes", "eventHubName": "out-hub", "connection": "EventHubConnection" }""")));

        running.Publish("in-hub", ["one", "two"], partitionKey: "user-1");
        await running.WaitForIdleAsync(TimeSpan.FromSeconds(30));

        var call = Assert.Single(handler.CallsTo("Ingest"));
        Assert.Equal("POST", call.Method);
        Assert.True(Guid.TryParse(call.Headers["X-Azure-Functions-InvocationId"], out _));
        Assert.Equal("4.1040.0", call.Headers["X-Azure-Functions-HostVersion"]);
        Assert.StartsWith("Azure-Functions-Host/", call.Headers["User-Agent"], StringComparison.Ordinal);
        Assert.Equal(["one", "two"], Bodies(call));
        var metadata = call.Json["Metadata"]!.AsObject();
        Assert.Equal("[0,1]", metadata["SequenceNumberArray"]!.GetValue<string>());
        Assert.Equal("""["user-1","user-1"]""", metadata["PartitionKeyArray"]!.GetValue<string>());
        Assert.Equal("tests.servicebus.windows.net", metadata["PartitionContext"]!["FullyQualifiedNamespace"]!.GetValue<string>());
        Assert.Equal("Ingest", metadata["sys"]!["MethodName"]!.GetValue<string>());
        Assert.Null(metadata["RetryContext"]);
        Assert.Equal(["""{"customerId":"c1"}""", "plain"], running.ReadEvents("out-hub").OrderBy(e => e.BodyText.Length).Reverse().Select(e => e.BodyText));
        Assert.Contains(logs.Lines, l => l.Contains("Function.Ingest.User: handled", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_failing_batch_is_retried_per_policy_then_checkpointed_and_the_partition_moves_on()
    {
        handler.On("Flaky", call => Bodies(call).Contains("bad") ? ScriptedHandler.Fail() : ScriptedHandler.Ok());
        var running = await StartAsync(null, ("Flaky", EventHubFunction("flaky-hub",
            retry: """, "retry": { "strategy": "fixedDelay", "maxRetryCount": 2, "delayInterval": "00:00:02" }""")));

        running.Publish("flaky-hub", ["bad"], partitionKey: "k");
        await running.WaitForIdleAsync(TimeSpan.FromSeconds(30));
        running.Publish("flaky-hub", ["good"], partitionKey: "k");
        var status = await running.WaitForIdleAsync(TimeSpan.FromSeconds(30));

        var calls = handler.CallsTo("Flaky").ToList();
        Assert.Equal(["bad", "bad", "bad", "good"], calls.Select(c => Bodies(c).Single()));
        Assert.Equal([0, 1, 2, 0], calls.Select(c => c.Json["Metadata"]!["RetryContext"]!["RetryCount"]!.GetValue<int>()));
        Assert.All(calls, c => Assert.Equal(2, c.Json["Metadata"]!["RetryContext"]!["MaxRetryCount"]!.GetValue<int>()));
        Assert.Null(calls[0].Json["Metadata"]!["RetryContext"]!["Exception"]);
        Assert.Contains("500", calls[1].Json["Metadata"]!["RetryContext"]!["Exception"]!["Message"]!.GetValue<string>(), StringComparison.Ordinal);
        // fixedDelay 2 s scaled by 0.05: 100 ms between attempts.
        var gaps = calls.Take(3).Zip(calls.Skip(1).Take(2), (a, b) => b.At - a.At).ToList();
        Assert.All(gaps, g => Assert.InRange(g.TotalMilliseconds, 90, 2000));
        var partition = status.Hubs.Single(h => h.Name == "flaky-hub").Partitions.Single(p => p.Events > 0);
        Assert.Equal(2, partition.Checkpoints["Flaky"]);
        Assert.Equal(3, status.Failed);
        Assert.Equal(1, status.Succeeded);
    }

    [Fact]
    public async Task A_timer_runs_on_startup_and_on_its_schedule_with_the_host_timer_info()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2030, 1, 7, 12, 0, 0, TimeSpan.Zero));
        var running = await StartAsync(null, clock, ("Tick", """
            { "bindings": [ { "type": "timerTrigger", "direction": "in", "name": "timer", "schedule": "*/1 * * * * *", "runOnStartup": true } ] }
            """));

        // At start, then once per second of the host's clock: two seconds on, three calls.
        Assert.True(await handler.WhenCalledAsync("Tick", 1, TimeSpan.FromSeconds(30)), "no call at startup");
        for (var expected = 2; expected <= 3; expected++)
        {
            // The listener may not wait on the clock yet when it moves: move it again until the occurrence fires.
            var fired = false;
            for (var tries = 0; tries < 50 && !fired; tries++)
            {
                clock.Advance(TimeSpan.FromSeconds(1));
                fired = await handler.WhenCalledAsync("Tick", expected, TimeSpan.FromMilliseconds(200));
            }
            Assert.True(fired, $"call {expected} never came");
        }

        var calls = handler.CallsTo("Tick").ToList();
        Assert.True(calls.Count >= 3, $"{calls.Count} calls");
        Assert.Equal("""{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":false}""", calls[0].Json["Data"]!["timer"]!.ToJsonString());
        Assert.Contains(logs.Lines, l => l.Contains("Reason='Timer fired at startup'", StringComparison.Ordinal));
        Assert.NotNull(running);
    }

    [Fact]
    public async Task A_queue_message_is_delivered_double_encoded_deleted_on_success_and_queue_outputs_fan_out()
    {
        var inbox = "in-" + Guid.NewGuid().ToString("N")[..8];
        var outbox = "out-" + Guid.NewGuid().ToString("N")[..8];
        handler.On("FromQueue", _ => ScriptedHandler.Ok(new JsonObject { ["copies"] = new JsonArray("x", new JsonObject { ["y"] = 1 }) }));
        var running = await StartAsync(new JsonObject { ["extensions"] = new JsonObject { ["queues"] = new JsonObject { ["maxPollingInterval"] = "00:00:01" } } },
            ("FromQueue", $$"""
            { "bindings": [ { "type": "queueTrigger", "direction": "in", "name": "message", "queueName": "{{inbox}}" },
                            { "type": "queue", "direction": "out", "name": "copies", "queueName": "{{outbox}}" } ] }
            """));
        var client = new QueueClient(storage.Azurite.ConnectionString, inbox, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

        await client.SendMessageAsync("HelloWorld");
        Assert.True(await handler.WhenCalledAsync("FromQueue", 1, TimeSpan.FromSeconds(30)), "the message was never delivered");
        await running.WaitForIdleAsync(TimeSpan.FromSeconds(30));

        var call = Assert.Single(handler.CallsTo("FromQueue"));
        Assert.Equal("\"HelloWorld\"", call.Json["Data"]!["message"]!.GetValue<string>());
        var metadata = call.Json["Metadata"]!.AsObject();
        Assert.Equal("1", metadata["DequeueCount"]!.GetValue<string>());
        foreach (var key in new[] { "Id", "PopReceipt", "InsertionTime", "ExpirationTime", "NextVisibleTime" })
            Assert.StartsWith("\"", metadata[key]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, (await client.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        var copies = new QueueClient(storage.Azurite.ConnectionString, outbox, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var received = (await copies.ReceiveMessagesAsync(10)).Value.Select(m => m.Body.ToString()).Order(StringComparer.Ordinal);
        Assert.Equal(["x", """{"y":1}"""], received);
    }

    /// <summary>A host with one queue-triggered function on a fresh queue (polled every second at most), and a client of that queue.</summary>
    private async Task<(LocalFunctionsHost Host, QueueClient Queue)> StartQueueFunctionAsync(string function)
    {
        var inbox = "in-" + Guid.NewGuid().ToString("N")[..8];
        handler.On(function, _ => ScriptedHandler.Ok(new JsonObject()));
        var running = await StartAsync(new JsonObject { ["extensions"] = new JsonObject { ["queues"] = new JsonObject { ["maxPollingInterval"] = "00:00:01" } } },
            (function, $$"""{ "bindings": [ { "type": "queueTrigger", "direction": "in", "name": "message", "queueName": "{{inbox}}" } ] }"""));
        return (running, new QueueClient(storage.Azurite.ConnectionString, inbox, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 }));
    }

    [Fact]
    public async Task A_paused_queue_trigger_leaves_its_messages_waiting_counts_as_idle_and_takes_them_once_resumed()
    {
        var (running, client) = await StartQueueFunctionAsync("Held");
        using var http = new HttpClient { BaseAddress = running.BaseAddress };

        using (var paused = await http.PostAsync(new Uri("runtime/functions/Held/pause", UriKind.Relative), null)) Assert.Equal(System.Net.HttpStatusCode.NoContent, paused.StatusCode);
        await client.SendMessageAsync("wait for me");
        var status = await running.WaitForIdleAsync(TimeSpan.FromSeconds(30));
        var queue = Assert.Single(status.Queues);
        Assert.True(queue.Paused);
        Assert.True(queue.Ready);
        Assert.Empty(handler.CallsTo("Held"));

        using (var resumed = await http.PostAsync(new Uri("runtime/functions/Held/resume", UriKind.Relative), null)) Assert.Equal(System.Net.HttpStatusCode.NoContent, resumed.StatusCode);
        Assert.True(await handler.WhenCalledAsync("Held", 1, TimeSpan.FromSeconds(30)), "the message was not taken once resumed");
        await running.WaitForIdleAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, (await client.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        using var unknown = await http.PostAsync(new Uri("runtime/functions/Nothing/pause", UriKind.Relative), null);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, unknown.StatusCode);
    }

    [Fact]
    public async Task A_message_waiting_for_its_time_does_not_keep_the_host_busy()
    {
        var (running, client) = await StartQueueFunctionAsync("Later");

        // Held until the end of quiet hours, say: invisible for an hour.
        await client.SendMessageAsync("tomorrow morning", visibilityTimeout: TimeSpan.FromHours(1));
        var status = await running.WaitForIdleAsync(TimeSpan.FromSeconds(30));

        var queue = Assert.Single(status.Queues);
        Assert.Equal(1, queue.ApproximateMessages);
        Assert.False(queue.Ready);
        Assert.Empty(handler.CallsTo("Later"));
    }

    [Fact]
    public async Task A_queue_message_that_keeps_failing_moves_to_the_poison_queue_after_max_dequeue_count()
    {
        var inbox = "in-" + Guid.NewGuid().ToString("N")[..8];
        handler.On("Poisoned", _ => ScriptedHandler.Fail());
        var running = await StartAsync(new JsonObject { ["extensions"] = new JsonObject { ["queues"] = new JsonObject { ["maxDequeueCount"] = 2, ["maxPollingInterval"] = "00:00:01" } } },
            ("Poisoned", $$"""{ "bindings": [ { "type": "queueTrigger", "direction": "in", "name": "message", "queueName": "{{inbox}}" } ] }"""));
        var client = new QueueClient(storage.Azurite.ConnectionString, inbox, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });

        await client.SendMessageAsync("doomed");
        Assert.True(await handler.WhenCalledAsync("Poisoned", 2, TimeSpan.FromSeconds(30)), "the message was not delivered twice");
        await running.WaitForIdleAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(["1", "2"], handler.CallsTo("Poisoned").Select(c => c.Json["Metadata"]!["DequeueCount"]!.GetValue<string>()));
        var poison = new QueueClient(storage.Azurite.ConnectionString, inbox + "-poison", new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        Assert.Equal("doomed", Assert.Single((await poison.ReceiveMessagesAsync(10)).Value).Body.ToString());
        Assert.Equal(0, (await client.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    [Fact]
    public async Task A_non_forwarded_http_trigger_gets_the_request_as_data_and_answers_with_its_http_output()
    {
        handler.On("Items", _ => ScriptedHandler.Ok(new JsonObject
        {
            ["res"] = new JsonObject { ["statusCode"] = "201", ["body"] = "made", ["headers"] = new JsonObject { ["X-Test"] = "1" } },
            ["events"] = new JsonArray(new JsonObject { ["a"] = 1 }),
        }));
        var running = await StartAsync(new JsonObject { ["customHandler"] = new JsonObject
            {
                ["description"] = new JsonObject { ["defaultExecutablePath"] = "handler" },
                ["enableForwardingHttpRequest"] = true,
            } },
            ("Items", """
            { "bindings": [ { "type": "httpTrigger", "direction": "in", "name": "req", "methods": ["post"], "route": "items/{id:int}/{name?}" },
                            { "type": "http", "direction": "out", "name": "res" },
                            { "type": "eventHub", "direction": "out", "name": "events", "eventHubName": "items" } ] }
            """));
        using var http = new HttpClient { BaseAddress = running.BaseAddress };

        using var response = await http.PostAsync("api/items/5?x=1&x=2", new StringContent("{\"k\":\"v\"}", Encoding.UTF8, "application/json"));
        using var wrongMethod = await http.GetAsync("api/items/5");
        using var wrongRoute = await http.PostAsync("api/items/abc", null);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("made", await response.Content.ReadAsStringAsync());
        Assert.Equal("1", response.Headers.GetValues("X-Test").Single());
        Assert.Equal(HttpStatusCode.NotFound, wrongMethod.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, wrongRoute.StatusCode);
        var call = Assert.Single(handler.CallsTo("Items"));
        Assert.Equal("/Items", call.Path);
        var req = call.Json["Data"]!["req"]!.AsObject();
        Assert.Equal("POST", req["Method"]!.GetValue<string>());
        Assert.EndsWith("/api/items/5?x=1&x=2", req["Url"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal("1,2", req["Query"]!["x"]!.GetValue<string>());
        Assert.Equal("5", req["Params"]!["id"]!.GetValue<string>());
        Assert.Equal("application/json; charset=utf-8", req["Headers"]!["Content-Type"]![0]!.GetValue<string>());
        Assert.Equal("{\"k\":\"v\"}", req["Body"]!.GetValue<string>());
        Assert.Equal("\"5\"", call.Json["Metadata"]!["id"]!.GetValue<string>());
        Assert.Equal("""{"a":1}""", Assert.Single(running.ReadEvents("items")).BodyText);
    }

    [Fact]
    public async Task A_bare_string_http_output_fails_the_request_as_in_the_host()
    {
        handler.On("Bare", _ => ScriptedHandler.Ok(new JsonObject { ["res"] = "just text" }));
        var running = await StartAsync(null, ("Bare", """
            { "bindings": [ { "type": "httpTrigger", "direction": "in", "name": "req" }, { "type": "http", "direction": "out", "name": "res" } ] }
            """));
        using var http = new HttpClient { BaseAddress = running.BaseAddress };

        using var response = await http.GetAsync("api/Bare");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
    }

    [Fact]
    public async Task A_forwarded_http_function_gets_the_raw_request_at_the_same_path_and_its_raw_response_is_relayed()
    {
        handler.On("api", call => Results.Text($"echo {call.Method} {call.Path}{call.QueryString} {call.Body}", statusCode: 418));
        var running = await StartAsync(new JsonObject { ["customHandler"] = new JsonObject
            {
                ["description"] = new JsonObject { ["defaultExecutablePath"] = "handler" },
                ["enableForwardingHttpRequest"] = true,
            } },
            ("Echo", """
            { "bindings": [ { "type": "httpTrigger", "direction": "in", "name": "req", "route": "echo/{id}" }, { "type": "http", "direction": "out", "name": "res" } ] }
            """));
        using var http = new HttpClient { BaseAddress = running.BaseAddress };

        using var response = await http.PutAsync("api/echo/7?q=1", new StringContent("payload"));

        Assert.Equal((HttpStatusCode)418, response.StatusCode);
        Assert.Equal("echo PUT /api/echo/7?q=1 payload", await response.Content.ReadAsStringAsync());
        var call = Assert.Single(handler.Calls);
        Assert.True(call.Headers.ContainsKey("X-Azure-Functions-InvocationId"));
    }

    [Fact]
    public async Task A_forwarded_http_functions_redirect_and_cookies_reach_the_caller_as_the_handler_sent_them()
    {
        handler.On("api", call => call.Path.EndsWith("/go", StringComparison.Ordinal)
            ? new CookieRedirect(call.Headers.GetValueOrDefault("Cookie") ?? "")
            : Results.Text("landed"));
        var running = await StartAsync(new JsonObject { ["customHandler"] = new JsonObject
            {
                ["description"] = new JsonObject { ["defaultExecutablePath"] = "handler" },
                ["enableForwardingHttpRequest"] = true,
            } },
            ("Go", """
            { "bindings": [ { "type": "httpTrigger", "direction": "in", "name": "req", "route": "pages/{name}" }, { "type": "http", "direction": "out", "name": "res" } ] }
            """));
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false, UseCookies = false }) { BaseAddress = running.BaseAddress };

        using var request = new HttpRequestMessage(HttpMethod.Post, "api/pages/go");
        request.Headers.Add("Cookie", "mine=1");
        using var response = await http.SendAsync(request);

        // The host relays the redirect (it does not follow it) and the cookie it sets, and passed on the caller's own.
        Assert.Equal(HttpStatusCode.SeeOther, response.StatusCode);
        Assert.Equal("/api/pages/landed", response.Headers.Location!.OriginalString);
        Assert.Contains("session=abc; path=/", response.Headers.GetValues("Set-Cookie"));
        Assert.Equal("mine=1", Assert.Single(handler.Calls).Headers["Cookie"]);
        Assert.Equal("mine=1", response.Headers.GetValues("X-Seen-Cookie").Single());
    }

    private sealed class CookieRedirect(string seen) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
            httpContext.Response.Headers.Location = "/api/pages/landed";
            httpContext.Response.Headers.Append("Set-Cookie", "session=abc; path=/");
            httpContext.Response.Headers.Append("X-Seen-Cookie", seen);
            return Task.CompletedTask;
        }
    }

    [Fact]
    public async Task The_admin_api_runs_a_function_now_and_the_runtime_api_publishes_reports_and_waits()
    {
        var running = await StartAsync(null,
            ("Tick", """{ "bindings": [ { "type": "timerTrigger", "direction": "in", "name": "timer", "schedule": "0 0 0 1 1 *" } ] }"""),
            ("Ingest", EventHubFunction("api-hub")));
        using var http = new HttpClient { BaseAddress = running.BaseAddress };

        using var admin = await http.PostAsync("admin/functions/Tick", new StringContent("""{"input":""}""", Encoding.UTF8, "application/json"));
        using var missing = await http.PostAsync("admin/functions/Nope", new StringContent("{}", Encoding.UTF8, "application/json"));
        using var publish = await http.PostAsync("runtime/hubs/api-hub?partitionKey=p", new StringContent("""[{"n":1},{"n":2},"three"]"""));
        using var idle = await http.PostAsync("runtime/idle?timeout=30", null);
        var status = JsonNode.Parse(await idle.Content.ReadAsStringAsync())!;
        var events = JsonNode.Parse(await http.GetStringAsync("runtime/hubs/api-hub"))!.AsArray();

        Assert.Equal(HttpStatusCode.Accepted, admin.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, publish.StatusCode);
        Assert.Equal(HttpStatusCode.OK, idle.StatusCode);
        Assert.True(status["idle"]!.GetValue<bool>());
        Assert.Equal(0, status["inFlight"]!.GetValue<int>());
        Assert.Single(handler.CallsTo("Tick"));
        Assert.Equal(["""{"n":1}""", """{"n":2}""", "three"], Bodies(Assert.Single(handler.CallsTo("Ingest"))));
        Assert.Equal(3, events.Count);
        Assert.All(events, e => Assert.Equal("p", e!["partitionKey"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_handler_answer_that_is_not_json_fails_the_invocation()
    {
        handler.On("Ingest", _ => Results.Text("ok"));
        var running = await StartAsync(null, ("Ingest", EventHubFunction("text-hub")));

        running.Publish("text-hub", ["x"]);
        var status = await running.WaitForIdleAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, status.Failed);
        Assert.Contains(logs.Lines, l => l.Contains("not application/json", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_invalid_app_fails_the_start_naming_the_file()
    {
        app = new TempApp();
        var file = app.Function("Broken", """{ "bindings": [ { "type": "cosmosDBTrigger", "direction": "in", "name": "docs" } ] }""");

        var error = await Assert.ThrowsAsync<AppDefinitionException>(() => LocalFunctionsHost.StartAsync(new LocalHostOptions
        {
            AppFolder = app.Root,
            SettingsFile = app.SettingsFile,
            Port = 0,
            HandlerUrl = handler.BaseAddress,
            StartEmulators = false,
            LoggerFactory = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
        }));

        Assert.Contains(file, error.Message, StringComparison.Ordinal);
        Assert.Contains("cosmosDBTrigger", error.Message, StringComparison.Ordinal);
    }
}
