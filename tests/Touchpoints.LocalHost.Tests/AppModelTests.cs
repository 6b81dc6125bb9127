using System.Text.Json.Nodes;
using Touchpoints.FunctionsHost.App;
using Touchpoints.FunctionsHost.Emulators;

namespace Touchpoints.LocalHost.Tests;

public sealed class AppModelTests
{
    private const string EventHubFunction = """
        { "bindings": [
            { "type": "eventHubTrigger", "direction": "in", "name": "events", "eventHubName": "%HubName%", "connection": "EventHubConnection",
              "cardinality": "many", "dataType": "string" } ] }
        """;

    [Fact]
    public void The_handler_project_host_json_and_every_function_json_are_valid()
    {
        var source = Path.Combine(NodeTooling.RepoRoot, "functions", "Touchpoints.Functions", "App");
        var settings = AppSettings.Load(Path.Combine(NodeTooling.RepoRoot, "local.settings.sample.json"));

        var app = FunctionApp.Load(source, settings);

        var folders = Directory.GetDirectories(source).Where(d => File.Exists(Path.Combine(d, "function.json"))).Select(Path.GetFileName).ToList();
        // Every function runs locally, the delivery functions too (the local host gives them a destination of its own).
        Assert.Equal(folders.Order(StringComparer.Ordinal), app.Functions.Select(f => f.Name).Order(StringComparer.Ordinal));
        Assert.Empty(app.Disabled);
        Assert.Contains(app.Functions, f => f.Name == "DeliverSalesAlerts");
        Assert.Equal("Touchpoints.Functions", app.Host.Handler.DefaultExecutablePath);
        Assert.Equal(100, app.Host.EventHubs.MaxEventBatchSize);
        foreach (var consumer in app.Functions.Where(f => f.Trigger.Type == BindingTypes.EventHubTrigger))
        {
            // Every Event Hubs consumer takes its batch as strings and keeps its checkpoint until its retries end.
            Assert.True(consumer.Trigger.IsMany);
            Assert.Equal("string", consumer.Trigger.DataType);
            Assert.Equal(RetryStrategy.ExponentialBackoff, consumer.Retry!.Strategy);
            Assert.Equal(8, consumer.Retry.MaxRetryCount);
        }
        foreach (var ingest in app.Functions.Where(f => f.Name.StartsWith("Ingest", StringComparison.Ordinal)))
            Assert.Contains(ingest.Outputs, o => o.Type == BindingTypes.EventHub && o["eventHubName"] == "customer-changes");
    }

    [Fact]
    public void Host_json_defaults_apply_when_sections_are_missing()
    {
        using var app = new TempApp();

        var host = HostConfig.Load(app.HostJson, app.Settings());

        Assert.Equal("api", host.RoutePrefix);
        Assert.Equal(100, host.EventHubs.MaxEventBatchSize);
        Assert.Equal(5, host.Queues.MaxDequeueCount);
        Assert.True(host.Queues.Base64Messages);
        Assert.False(host.EnableForwardingHttpRequest);
        Assert.Equal(HostConfig.DefaultFunctionTimeout, host.FunctionTimeout);
    }

    [Fact]
    public void Host_json_extensions_are_read()
    {
        using var app = new TempApp(new JsonObject
        {
            ["functionTimeout"] = "00:01:00",
            ["extensions"] = new JsonObject
            {
                ["http"] = new JsonObject { ["routePrefix"] = "" },
                ["eventHubs"] = new JsonObject { ["maxEventBatchSize"] = 7, ["minEventBatchSize"] = 2, ["maxWaitTime"] = "00:00:03" },
                ["queues"] = new JsonObject { ["maxDequeueCount"] = 2, ["batchSize"] = 4, ["maxPollingInterval"] = "00:00:02", ["messageEncoding"] = "none" },
            },
        });

        var host = HostConfig.Load(app.HostJson, app.Settings());

        Assert.Equal("", host.RoutePrefix);
        Assert.Equal(new EventHubsOptions(7, 2, TimeSpan.FromSeconds(3)), host.EventHubs);
        Assert.Equal(2, host.Queues.MaxDequeueCount);
        Assert.Equal(4, host.Queues.BatchSize);
        Assert.False(host.Queues.Base64Messages);
        Assert.Equal(TimeSpan.FromMinutes(1), host.FunctionTimeout);
    }

    [Fact]
    public void A_host_json_without_a_custom_handler_is_refused_naming_the_file()
    {
        using var app = new TempApp();
        File.WriteAllText(app.HostJson, """{ "version": "2.0" }""");

        var error = Assert.Throws<AppDefinitionException>(() => FunctionApp.Load(app.Root, app.Settings()));

        Assert.Contains(app.HostJson, error.Message, StringComparison.Ordinal);
        Assert.Contains("customHandler", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "bindings": [ { "type": "blobTrigger", "direction": "in", "name": "blob", "path": "x/{name}" } ] }""", "blobTrigger")]
    [InlineData("""{ "bindings": [ { "type": "timerTrigger", "direction": "in", "schedule": "0 * * * * *" } ] }""", "has no \"name\"")]
    [InlineData("""{ "bindings": [ { "type": "timerTrigger", "name": "t", "schedule": "0 * * * * *" } ] }""", "has no \"direction\"")]
    [InlineData("""{ "bindings": [ { "direction": "in", "name": "t" } ] }""", "has no \"type\"")]
    [InlineData("""{ "bindings": [ { "type": "queue", "direction": "out", "name": "q", "queueName": "out" } ] }""", "has no trigger")]
    [InlineData("""{ "bindings": [ { "type": "timerTrigger", "direction": "in", "name": "t", "schedule": "0 * * * *" } ] }""", "six-field")]
    [InlineData("""{ "bindings": [ { "type": "timerTrigger", "direction": "in", "name": "t", "schedule": "%Missing%" } ] }""", "'%Missing%' does not resolve")]
    [InlineData("""{ "bindings": [ { "type": "eventHubTrigger", "direction": "in", "name": "e", "eventHubName": "h", "connection": "Nope" } ] }""", "\"Nope\" does not exist")]
    [InlineData("""{ "bindings": [ { "type": "eventHubTrigger", "direction": "out", "name": "e", "eventHubName": "h" } ] }""", "must have \"direction\": \"in\"")]
    [InlineData("""{ "bindings": [ { "type": "httpTrigger", "direction": "in", "name": "req" }, { "type": "http", "direction": "out", "name": "req" } ] }""", "used twice")]
    [InlineData("""{ "bindings": [ { "type": "httpTrigger", "direction": "in", "name": "req", "route": "a/{x" } ] }""", "route \"a/{x\"")]
    [InlineData("""{ "bindings": [ { "type": "timerTrigger", "direction": "in", "name": "t", "schedule": "0 * * * * *" } ], "retry": { "strategy": "linear", "maxRetryCount": 1 } }""", "retry.strategy")]
    [InlineData("""{ "bindings": [ { "type": "timerTrigger", "direction": "in", "name": "t", "schedule": "0 * * * * *" } ], "retry": { "strategy": "fixedDelay", "maxRetryCount": 1 } }""", "delayInterval")]
    [InlineData("""{ "bindings": [ { "type": "timerTrigger", "direction": "in", "name": "t", "schedule": "0 * * * * *" } ], "retry": { "strategy": "exponentialBackoff" } }""", "maxRetryCount")]
    [InlineData("""{ "bindings": [ { "type": "queueTrigger", "direction": "in", "name": "m", "queueName": "Bad_Name" } ] }""", "not a valid queue name")]
    [InlineData("""{ "bindings": { } }""", "non-empty array")]
    [InlineData("""{ "bindings": [ """, "invalid JSON")]
    public void An_invalid_function_json_is_a_startup_error_naming_the_file(string json, string expected)
    {
        using var app = new TempApp(settings: new Dictionary<string, string> { ["AzureWebJobsStorage"] = "UseDevelopmentStorage=true" });
        var file = app.Function("Broken", json);
        app.Function("Fine", EventHubFunction);

        var error = Assert.Throws<AppDefinitionException>(() => FunctionApp.Load(app.Root, AppSettings.Load(app.SettingsFile, new Dictionary<string, string?> { ["HubName"] = "h" })));

        var problem = Assert.Single(error.Problems);
        Assert.StartsWith(file + ":", problem, StringComparison.Ordinal);
        Assert.Contains(expected, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Setting_references_in_binding_properties_are_resolved()
    {
        using var app = new TempApp();
        app.Function("Ingest", EventHubFunction);

        var loaded = FunctionApp.Load(app.Root, AppSettings.Load(app.SettingsFile, new Dictionary<string, string?> { ["HubName"] = "web-events" }));

        Assert.Equal("web-events", Assert.Single(loaded.Functions).Trigger["eventHubName"]);
    }

    [Fact]
    public void A_disabled_function_is_left_out()
    {
        using var app = new TempApp(settings: new Dictionary<string, string> { ["AzureWebJobs.Off.Disabled"] = "true", ["HubName"] = "h" });
        app.Function("On", EventHubFunction);
        app.Function("Off", EventHubFunction);

        var loaded = FunctionApp.Load(app.Root, app.Settings());

        Assert.Equal(["On"], loaded.Functions.Select(f => f.Name));
        Assert.Equal(["Off"], loaded.Disabled);
    }

    [Fact]
    public void Environment_variables_win_over_local_settings_and_overrides_win_over_both()
    {
        using var app = new TempApp(settings: new Dictionary<string, string> { ["A"] = "file", ["B"] = "file", ["C"] = "file" });
        var environment = new System.Collections.Hashtable { ["A"] = "env", ["B"] = "env" };

        var settings = AppSettings.Load(app.SettingsFile, new Dictionary<string, string?> { ["B"] = "override" }, environment);

        Assert.Equal("env", settings["A"]);
        Assert.Equal("override", settings["B"]);
        Assert.Equal("file", settings["c"]);
    }

    [Fact]
    public void Forwarding_applies_only_to_functions_whose_only_bindings_are_http_in_and_out()
    {
        using var app = new TempApp();
        app.Function("Plain", """{ "bindings": [ { "type": "httpTrigger", "direction": "in", "name": "req" }, { "type": "http", "direction": "out", "name": "res" } ] }""");
        app.Function("WithHub", """
            { "bindings": [ { "type": "httpTrigger", "direction": "in", "name": "req" }, { "type": "http", "direction": "out", "name": "res" },
                            { "type": "eventHub", "direction": "out", "name": "events", "eventHubName": "h" } ] }
            """);

        var loaded = FunctionApp.Load(app.Root, app.Settings());

        Assert.True(loaded.Find("Plain")!.IsHttpInAndOut);
        Assert.False(loaded.Find("WithHub")!.IsHttpInAndOut);
        Assert.Equal("Plain", loaded.Find("plain")!.Route!.Text);
    }
}
