using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Touchpoints.FunctionsHost;
using Touchpoints.FunctionsHost.Emulators;
using Touchpoints.LocalHost;
using Xunit.Abstractions;

namespace Touchpoints.EndToEnd.Tests;

/// <summary>
/// A crashed handler loses nothing: the handler process is killed in the middle of a 4,000-event stream; the local host
/// starts it again, as the Functions host restarts its worker, the invocations that were in flight fail and are retried
/// per their policy, and afterwards every view is exact — nothing lost, nothing counted twice — with no manual step.
/// Its own host: killing the shared one's handler would disturb the other tests.
/// </summary>
public sealed class HandlerCrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Customers = 200, EventsEach = 20;
    private readonly string run = Guid.NewGuid().ToString("N")[..8];
    private LocalFunctionsHost host = null!;
    private ILoggerFactory logs = null!;

    public async Task InitializeAsync()
    {
        await NodeScript.EnsurePackagesAsync();
        logs = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning));
        var options = new LocalHostOptions { Port = 0, RetryDelayScale = 0.05, LoggerFactory = logs, SpreadOutputs = true };
        LocalEmulators.UseFresh(options.Settings);
        host = await LocalFunctionsHost.StartAsync(options);
    }

    public async Task DisposeAsync()
    {
        await host.DisposeAsync();
        logs.Dispose();
    }

    private string Page(int customer, int i) =>
        $$"""{"type":"page","messageId":"k-{{run}}-{{customer}}-{{i}}","userId":"crash-{{run}}-{{customer}}","anonymousId":"anon-{{run}}-{{customer}}-{{i % 3}}","properties":{"path":"/p/{{i}}"},"timestamp":"2026-11-20T10:{{i:00}}:00Z"}""";

    [Fact]
    public async Task Killing_the_handler_in_the_middle_of_a_stream_loses_nothing_and_counts_nothing_twice()
    {
        var events = Enumerable.Range(0, EventsEach).SelectMany(i => Enumerable.Range(0, Customers).Select(c => Page(c, i))).ToArray();
        var killedAt = events.Length * 2 / 5;
        var firstPid = host.HandlerProcessId!.Value;

        for (var sent = 0; sent < events.Length; sent += 100)
        {
            host.Publish(Hubs.WebEvents, events.Skip(sent).Take(100));
            if (sent == killedAt)
            {
                // A crash, not a stop: SIGKILL, while batches are in flight.
                using var handler = Process.GetProcessById(firstPid);
                handler.Kill(entireProcessTree: true);
            }
        }
        var status = await host.WaitForIdleAsync(TimeSpan.FromMinutes(3));

        Assert.True(host.HandlerRestarts >= 1, "the handler was not started again");
        Assert.NotEqual(firstPid, host.HandlerProcessId);
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        var wrong = new List<string>();
        for (var c = 0; c < Customers; c++)
        {
            var view = await http.GetFromJsonAsync<JsonObject>($"api/customers?identity=userId:crash-{run}-{c}");
            var pages = view?["touchpoints"]?["web"]?["pageViews"]?.GetValue<long>();
            if (pages != EventsEach) wrong.Add($"customer {c}: {pages?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no view"} page views");
        }
        output.WriteLine($"{events.Length} events, handler killed after {killedAt}, restarted {host.HandlerRestarts}×; status: {status}");
        Assert.True(wrong.Count == 0, $"{wrong.Count} of {Customers} views are not exact: {string.Join("; ", wrong.Take(10))}");
    }
}
