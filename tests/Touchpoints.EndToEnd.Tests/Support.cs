using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Touchpoints.FunctionsHost;
using Touchpoints.FunctionsHost.Emulators;
using Touchpoints.LocalHost;
using Touchpoints.LocalHost.Demo;

namespace Touchpoints.EndToEnd.Tests;

/// <summary>
/// One local host for the whole assembly: the published function app (artifacts/app) with its real settings
/// (local.settings.sample.json: write keys, webhook sources and secrets), on free ports, with fresh emulators it starts
/// itself, so nothing else running on the machine is touched.
/// </summary>
public sealed class LocalHostFixture : IAsyncLifetime
{
    private ILoggerFactory? loggerFactory;

    public CapturingLoggerProvider Logs { get; } = new(LogLevel.Warning);

    public LocalFunctionsHost Host { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    private readonly Lazy<Task<DemoRun>> demo;

    public LocalHostFixture() => demo = new(() => RunDemoAsync(SmallDemo), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>
    /// The small demo scenario the tests share: 40 people over 7 days with a fixed seed, whose traffic holds every story the
    /// rules act on — carts left hours and days ago, orders of the last hours, detractors, leads back on pricing, email
    /// consent granted and denied.
    /// </summary>
    /// <summary>
    /// Settled between doors: the figures must be exact, and the rare race between three hubs' batches about one new
    /// person (see the handler's concurrency tests) must not make them flaky.
    /// </summary>
    public static DemoOptions SmallDemo => new() { People = 40, Days = 7, Seed = 17, SettleBetweenDoors = true };

    /// <summary>The small demo, run once on this host (by the first test that asks) through <c>DemoCommand.RunOnAsync</c>.</summary>
    public Task<DemoRun> DemoAsync() => demo.Value;

    private async Task<DemoRun> RunDemoAsync(DemoOptions options)
    {
        using var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
        var report = await Touchpoints.LocalHost.Commands.DemoCommand.RunOnAsync(Host, options, text);
        return new DemoRun(report, text.ToString());
    }

    /// <summary>Where the browser test serves its page: an origin the collector allows.</summary>
    public string BrowserOrigin { get; } = "http://127.0.0.1:" + Touchpoints.FunctionsHost.Runtime.LoopbackPorts.Free().ToString(System.Globalization.CultureInfo.InvariantCulture);

    public async Task InitializeAsync()
    {
        await NodeScript.EnsurePackagesAsync();
        loggerFactory = LoggerFactory.Create(b => b.AddProvider(Logs));
        var options = new LocalHostOptions { Port = 0, RetryDelayScale = 0.01, LoggerFactory = loggerFactory };
        LocalEmulators.UseFresh(options.Settings);
        // The sample's origins, and the page the browser test serves (on a port of its own).
        options.Settings["Collector__AllowedOrigins"] = "http://localhost:3000,http://127.0.0.1:3000," + BrowserOrigin;
        // Delivered messages go to a local destination that verifies their signatures, as in 'start' and 'demo'.
        Destination = await Touchpoints.LocalHost.Destination.LocalDestination.StartAsync(0, loggerFactory);
        Destination.AddTo(options.Settings);
        Host = await LocalFunctionsHost.StartAsync(options);
        Http = new HttpClient { BaseAddress = Host.BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
    }

    public async Task DisposeAsync()
    {
        Http?.Dispose();
        if (Host is not null) await Host.DisposeAsync();
        if (Destination is not null) await Destination.DisposeAsync();
        loggerFactory?.Dispose();
        Logs.Dispose();
    }

    /// <summary>Where the delivery functions send what passes the send-time guard.</summary>
    public Touchpoints.LocalHost.Destination.LocalDestination Destination { get; private set; } = null!;

    /// <summary>A setting of the app, e.g. the collector's write key.</summary>
    public string Setting(string name) => Host.Settings[name] ?? throw new InvalidOperationException($"The app has no setting '{name}'.");

    /// <summary>The write key and the webhook sources and secrets, from the app's settings (as the demo finds them).</summary>
    public DemoSources Sources => DemoSources.From(Host.Settings);

    public Uri Url(string relative) => new(Host.BaseAddress, relative);

    /// <summary>How many events a hub holds, through the runtime API.</summary>
    public async Task<int> HubCountAsync(string hub)
    {
        var events = JsonNode.Parse(await Http.GetStringAsync(new Uri($"runtime/hubs/{hub}", UriKind.Relative)))!.AsArray();
        return events.Count;
    }

    public Task IdleAsync() => Host.WaitForIdleAsync(TimeSpan.FromMinutes(2));

    /// <summary>The customer view an identifier leads to (following merges), or null on a 404.</summary>
    public async Task<JsonObject?> CustomerAsync(string identity)
    {
        using var response = await Http.GetAsync(new Uri("api/customers?identity=" + Uri.EscapeDataString(identity), UriKind.Relative));
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET api/customers?identity={identity} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text)!.AsObject();
    }
}

/// <summary>A demo run: its report and the text it printed.</summary>
public sealed record DemoRun(DemoReport Report, string Summary)
{
    /// <summary>The demo's customer ids, and the ids of the profiles merged into them, to the customer.</summary>
    public IReadOnlyDictionary<string, DemoCustomer> CustomersById { get; } = Report.Customers
        .SelectMany(c => c.MergedFrom.Prepend(c.Id).Select(id => (id, c)))
        .GroupBy(p => p.id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().c, StringComparer.Ordinal);

    public SummarySection Section(string title) =>
        Report.Extensions.SingleOrDefault(s => s.Title == title) ?? throw new Xunit.Sdk.XunitException($"The summary has no section '{title}'.");
}

[CollectionDefinition(Name)]
public sealed class LocalHostCollection : ICollectionFixture<LocalHostFixture>
{
    public const string Name = "local host";
}

/// <summary>Runs <c>node/traffic.mjs</c> (the vendors' npm libraries, installed with the repository's others) with the node on PATH.</summary>
public static class NodeScript
{
    public static string ScriptPath => Path.Combine(NodeTooling.RepoRoot, "tests", "Touchpoints.EndToEnd.Tests", "node", "traffic.mjs");

    /// <summary>The repository's npm packages (the vendors' libraries are among them), installed once for every test assembly.</summary>
    public static Task EnsurePackagesAsync() => NodeTooling.EnsureNodeModulesAsync();

    /// <summary>Runs a step of the script; its one line of JSON output.</summary>
    /// <remarks>A step with a script of its own (<c>browser</c>, <c>console</c>) runs that script.</remarks>
    public static Task<JsonObject> RunAsync(string step, JsonObject options) =>
        File.Exists(Path.Combine(Path.GetDirectoryName(ScriptPath)!, step + ".mjs"))
            ? RunScriptAsync(Path.Combine(Path.GetDirectoryName(ScriptPath)!, step + ".mjs"), [], options)
            : RunScriptAsync(ScriptPath, [step], options);

    private static async Task<JsonObject> RunScriptAsync(string script, string[] arguments, JsonObject options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var (code, output, error) = await NodeTooling.RunAsync(NodeTooling.NodeExecutable, [script, .. arguments, options.ToJsonString()], NodeTooling.RepoRoot,
            TimeSpan.FromMinutes(2));
        Assert.True(code == 0, $"node {Path.GetFileName(script)} {string.Join(' ', arguments)} exited with {code}:\n{error}\n{output}");
        var last = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault();
        return JsonNode.Parse(last ?? "{}")!.AsObject();
    }
}
