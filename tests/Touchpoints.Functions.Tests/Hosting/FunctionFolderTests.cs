using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.TestHost;
using Touchpoints.Functions.Collector;
using Touchpoints.Functions.Hosting;
using Touchpoints.Functions.Ingestion;
using Touchpoints.Functions.Rules;
using Touchpoints.Functions.Webhooks;

namespace Touchpoints.Functions.Tests.Hosting;

/// <summary>
/// The Functions host finds the functions by their folders (<c>{Name}/function.json</c>) and calls the handler by name and
/// binding names: each folder must meet an endpoint of the handler, and each binding the name the code reads or writes.
/// </summary>
public sealed class FunctionFolderTests
{
    private static IReadOnlyList<(string Name, JsonArray Bindings)> Functions() =>
        [.. Directory.GetDirectories(AppFolder()).Where(d => File.Exists(Path.Combine(d, "function.json")))
            .Select(d => (Path.GetFileName(d), JsonNode.Parse(File.ReadAllText(Path.Combine(d, "function.json")))!["bindings"]!.AsArray()))
            .OrderBy(f => f.Item1, StringComparer.Ordinal)];

    internal static string AppFolder()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln"))) return Path.Combine(dir.FullName, "functions", "Touchpoints.Functions", "App");
        throw new InvalidOperationException("Serverless.sln not found above " + AppContext.BaseDirectory);
    }

    private static async Task<IReadOnlyList<RouteEndpoint>> EndpointsAsync()
    {
        await using var app = HandlerApp.Build([], builder => builder.WebHost.UseTestServer());
        // The endpoints the handler maps (no need to start it: nothing here is served).
        return [.. ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()];
    }

    private static string Type(JsonNode? binding) => (string)binding!["type"]!;

    private static string Name(JsonNode? binding) => (string)binding!["name"]!;

    /// <summary>Forwarded HTTP: a function of only an HTTP trigger and its response is proxied as plain HTTP to <c>/api/{route}</c>.</summary>
    private static bool Forwarded(JsonArray bindings) => bindings.All(b => Type(b) is "httpTrigger" or "http");

    [Fact]
    public async Task Every_function_folder_meets_an_endpoint_of_the_handler_and_every_endpoint_a_folder()
    {
        var endpoints = await EndpointsAsync();
        var routes = endpoints.Select(e => (Route: "/" + e.RoutePattern.RawText!.TrimStart('/'), Methods: e.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? []))
            .ToList();
        var functions = Functions();
        Assert.True(functions.Count >= 20, $"{functions.Count} function folders");

        var met = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, bindings) in functions)
        {
            if (Forwarded(bindings))
            {
                var trigger = bindings.Single(b => Type(b) == "httpTrigger")!;
                var route = "/api/" + (string)trigger["route"]!;
                var methods = trigger["methods"]!.AsArray().Select(m => ((string)m!).ToUpperInvariant()).ToArray();
                foreach (var method in methods)
                    Assert.True(routes.Any(r => r.Route == route && r.Methods.Contains(method)), $"{name}: no {method} {route} in the handler");
                met.Add(route);
            }
            else
            {
                Assert.True(routes.Any(r => r.Route == "/" + name && r.Methods.Contains("POST")), $"{name}: no POST /{name} in the handler, whose routes are {string.Join(", ", routes.Select(r => r.Route))}");
                met.Add("/" + name);
            }
        }

        // And the other way: every route of the handler serves a function (besides its root, which answers the readiness probe).
        var unserved = routes.Select(r => r.Route).Where(r => r != "/" && !met.Contains(r)).Distinct().ToList();
        Assert.True(unserved.Count == 0, "routes no function.json leads to: " + string.Join(", ", unserved));
    }

    [Fact]
    public void Every_binding_has_the_name_the_code_reads_or_writes_and_every_hub_is_one_of_the_apps()
    {
        foreach (var (name, bindings) in Functions())
        {
            foreach (var binding in bindings)
            {
                var expected = (Type(binding), name) switch
                {
                    ("httpTrigger", _) => HttpInvocation.Trigger,
                    ("http", _) => HttpInvocation.Response,
                    ("eventHub", _) when name.StartsWith("Ingest", StringComparison.Ordinal) => IngestionEndpoints.ChangesOutput,
                    ("eventHubTrigger", RulesEndpoints.EvaluateFunction) => RulesEndpoints.ChangesTrigger,
                    ("eventHubTrigger", _) => IngestionEndpoints.Trigger,
                    ("timerTrigger", _) => RulesEndpoints.TimerTrigger,
                    ("queueTrigger", Touchpoints.Functions.Privacy.PrivacyEndpoints.ErasureFunction) => Touchpoints.Functions.Privacy.PrivacyEndpoints.ErasureTrigger,
                    ("queueTrigger", _) when Touchpoints.Functions.Delivery.DeliveryEndpoints.Functions.ContainsKey(name) => Touchpoints.Functions.Delivery.DeliveryEndpoints.Trigger,
                    var other => throw new Xunit.Sdk.XunitException($"{name}: a binding of type {other.Item1} the code does not know"),
                };
                Assert.True(expected == Name(binding), $"{name}: the {Type(binding)} binding is named '{Name(binding)}', the code uses '{expected}'");
                if (binding!["eventHubName"] is { } hub) Assert.Contains((string)hub!, Hubs.All);
                if (binding["queueName"] is { } queue) Assert.Contains((string)queue!, Queues.All);
            }
        }

        // The functions the code names are folders.
        var folders = Functions().Select(f => f.Name).ToHashSet(StringComparer.Ordinal);
        string[] named = [RulesEndpoints.EvaluateFunction, RulesEndpoints.ScheduleFunction, WebhookEndpoints.Function, CollectorEndpoints.ShortPathFunction,
            Touchpoints.Functions.Privacy.PrivacyEndpoints.ErasureFunction,
            .. IngestionEndpoints.Functions.Select(f => f.Function), .. Touchpoints.Functions.Delivery.DeliveryEndpoints.Functions.Keys];
        Assert.All(named, n => Assert.Contains(n, folders));
        // Each delivery function reads the queue the code says, and every queue the rules write is delivered by one.
        foreach (var (function, queue) in Touchpoints.Functions.Delivery.DeliveryEndpoints.Functions)
            Assert.Equal(queue, (string?)Assert.Single(Functions().Single(f => f.Name == function).Bindings)!["queueName"]);
        Assert.Equal([.. Queues.Communications, Queues.SalesAlerts], Touchpoints.Functions.Delivery.DeliveryEndpoints.Functions.Values);
        Assert.Equal(Hubs.All.Order(StringComparer.Ordinal),
            Functions().SelectMany(f => f.Bindings).Select(b => (string?)b!["eventHubName"]).OfType<string>().Distinct().Order(StringComparer.Ordinal));
        Assert.All(IngestionEndpoints.Functions, f => Assert.Contains(f.Hub, Hubs.All));
    }

    [Fact]
    public void The_hosts_queue_retries_are_the_ones_delivery_counts_on_before_the_poison_queue()
    {
        var host = JsonNode.Parse(File.ReadAllText(Path.Combine(AppFolder(), "host.json")))!;
        Assert.Equal(Touchpoints.Functions.Delivery.DeliveryOptions.MaxDequeueCount, (int)host["extensions"]!["queues"]!["maxDequeueCount"]!);
    }
}
