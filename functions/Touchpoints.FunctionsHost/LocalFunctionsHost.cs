using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Touchpoints.FunctionsHost.App;
using Touchpoints.FunctionsHost.Emulators;
using Touchpoints.FunctionsHost.EventHubs;
using Touchpoints.FunctionsHost.Runtime;
using Touchpoints.FunctionsHost.Triggers;

namespace Touchpoints.FunctionsHost;

/// <summary>
/// Plays the Azure Functions host's part for a custom handler app on a machine without Core Tools: starts the emulators
/// the settings point at, starts the handler as the host does, and drives its functions — HTTP triggers on
/// <see cref="BaseAddress"/>, Event Hubs triggers from in-memory hubs, timer triggers, queue triggers on Azurite —
/// with the host's payloads, outputs and retry semantics. <c>/admin/functions/{name}</c> and <c>/runtime/*</c> on the
/// same address let tools and tests publish events, inspect the hubs and wait until everything is processed.
/// </summary>
public sealed partial class LocalFunctionsHost : IAsyncDisposable
{
    private static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromMinutes(2);

    private readonly CancellationTokenSource stopping = new();
    private readonly List<Task> running = [];
    private readonly List<EventHubListener> eventHubListeners = [];
    private readonly List<TimerListener> timerListeners = [];
    private readonly List<QueueListener> queueListeners = [];
    private readonly InvocationTracker tracker = new();
    private ILoggerFactory loggerFactory = null!;
    private bool ownsLoggerFactory;
    private ILogger logger = null!;
    private LocalEmulators? emulators;
    private AmqpEventHubsEndpoint? eventHubsEndpoint;
    private HandlerSupervisor? handlerProcess;
    private HttpClient? handlerClient;
    private WebApplication? web;
    private HttpTriggers? httpTriggers;
    private FunctionRunner? runner;
    private int disposed;

    private LocalFunctionsHost()
    {
    }

    /// <summary>The local host's own address: <c>{BaseAddress}api/…</c> for HTTP triggers, <c>admin/…</c>, <c>runtime/…</c>.</summary>
    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Where the handler listens.</summary>
    public Uri HandlerAddress { get; private set; } = null!;

    public FunctionApp App { get; private set; } = null!;

    public AppSettings Settings { get; private set; } = null!;

    public InMemoryEventHubs Hubs { get; private set; } = null!;

    /// <summary>The emulators this host started (and will stop); empty when they were already running.</summary>
    public IReadOnlyList<string> StartedEmulators => emulators?.Started ?? [];

    /// <summary>From the call to <see cref="StartAsync"/> until every trigger listened.</summary>
    public TimeSpan StartupTime { get; private set; }

    /// <summary>
    /// Completes with its exit code if the handler process stops for good while the host runs: a handler that exits is
    /// started again, as the Functions host restarts its worker, until it fails to start several times in a row.
    /// </summary>
    public Task<int> HandlerExited => handlerProcess?.GaveUp ?? new TaskCompletionSource<int>().Task;

    /// <summary>The handler's process id (null when attached to a handler run elsewhere), for tests that kill it.</summary>
    public int? HandlerProcessId => handlerProcess?.ProcessId;

    /// <summary>How many times the handler was started again after exiting.</summary>
    public int HandlerRestarts => handlerProcess?.Restarts ?? 0;

    /// <summary>Starts the emulators, the handler and every trigger.</summary>
    /// <exception cref="AppDefinitionException">host.json, a function.json or the settings are not valid; the message names the file.</exception>
    public static async Task<LocalFunctionsHost> StartAsync(LocalHostOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var stopwatch = Stopwatch.StartNew();
        var host = new LocalFunctionsHost();
        try
        {
            await host.StartCoreAsync(options, cancellationToken).ConfigureAwait(false);
            host.StartupTime = stopwatch.Elapsed;
            LogReady(host.logger, host.StartupTime, host.BaseAddress);
            return host;
        }
        catch
        {
            await host.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task StartCoreAsync(LocalHostOptions options, CancellationToken cancellationToken)
    {
        ownsLoggerFactory = options.LoggerFactory is null;
        loggerFactory = options.LoggerFactory ?? ConsoleLogging();
        logger = loggerFactory.CreateLogger("Host");
        var clock = options.TimeProvider;

        var repoRoot = TryRepoRoot();
        var appFolder = options.AppFolder ?? (repoRoot is null
            ? throw new AppDefinitionException("No --app folder given, and no repository (Serverless.sln) around this program to find artifacts/app in.")
            : Path.Combine(repoRoot, "artifacts", "app"));
        var settingsFile = options.SettingsFile ?? new[]
        {
            repoRoot is null ? null : Path.Combine(repoRoot, "local.settings.json"),
            repoRoot is null ? null : Path.Combine(repoRoot, "local.settings.sample.json"),
            Path.Combine(appFolder, "local.settings.json"),
        }.FirstOrDefault(File.Exists);
        Settings = AppSettings.Load(settingsFile, options.Settings.AsReadOnly());
        appFolder = Path.GetFullPath(appFolder);
        LogSettings(logger, settingsFile ?? "(none)", appFolder);
        App = FunctionApp.Load(appFolder, Settings);

        if (options.StartEmulators)
            emulators = await LocalEmulators.StartAsync(Settings, App, logger, cancellationToken).ConfigureAwait(false);

        // The hubs exist before the handler starts: it may publish to them (with an Event Hubs SDK, over AMQP) at once.
        Hubs = new InMemoryEventHubs(options.PartitionCount, new Dictionary<string, int>(options.HubPartitions, StringComparer.OrdinalIgnoreCase), clock);
        foreach (var binding in App.Functions.SelectMany(f => f.Outputs.Append(f.Trigger)).Where(b => b.Type is BindingTypes.EventHub or BindingTypes.EventHubTrigger))
            Hubs.Hub(binding["eventHubName"]!);
        foreach (var hub in options.Hubs) Hubs.Hub(hub);
        eventHubsEndpoint = AmqpEventHubsEndpoint.Start(Hubs, loggerFactory.CreateLogger("Host.EventHubs"), clock, options.EventHubsPort ?? 0);
        Settings = Settings.With(EventHubsConnections(App, Settings, eventHubsEndpoint.ConnectionString));
        LogEventHubs(logger, eventHubsEndpoint.ConnectionString);

        if (options.HandlerUrl is { } attach)
        {
            await ReadinessProbe.WaitAsync(attach, options.HandlerStartTimeout, null, cancellationToken).ConfigureAwait(false);
            HandlerAddress = attach;
        }
        else
        {
            handlerProcess = await HandlerSupervisor.StartAsync(App, Settings, loggerFactory, options.HandlerStartTimeout, cancellationToken).ConfigureAwait(false);
            HandlerAddress = handlerProcess.BaseAddress;
        }

        // A proxy, as the Functions host is to the handler: redirects and cookies are the caller's, relayed as they are (a
        // followed redirect would hide the new address and drop its Set-Cookie; a cookie jar would share one caller's
        // cookies with every other and ignore the Cookie headers callers send).
        handlerClient = new HttpClient(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30), AllowAutoRedirect = false, UseCookies = false })
        {
            BaseAddress = HandlerAddress,
            Timeout = Timeout.InfiniteTimeSpan,
        };

        var retryScale = options.RetryDelayScale
            ?? (double.TryParse(Settings.Get("LocalHost__RetryDelayScale") ?? Settings.Get("LocalHost:RetryDelayScale"),
                NumberStyles.Float, CultureInfo.InvariantCulture, out var scale) ? scale : 1.0);
        var queues = new StorageQueues(App.Host.Queues.Base64Messages)
        {
            Undecodable = (id, queue) => LogUndecodable(logger, id, queue),
        };
        var invoker = new FunctionInvoker(handlerClient, App.Host, loggerFactory);
        var spread = options.SpreadOutputs
            ?? (!bool.TryParse(Settings.Get("LocalHost__SpreadOutputs") ?? Settings.Get("LocalHost:SpreadOutputs"), out var spreadSetting) || spreadSetting);
        runner = new FunctionRunner(invoker, new OutputWriter(Hubs, queues, Settings, spread), tracker, retryScale, loggerFactory, clock);
        httpTriggers = new HttpTriggers(App, runner, handlerClient, tracker);

        foreach (var function in App.Functions)
        {
            switch (function.Trigger.Type)
            {
                case BindingTypes.EventHubTrigger:
                    eventHubListeners.Add(new EventHubListener(function, Hubs.Hub(function.Trigger["eventHubName"]!), runner, App.Host.EventHubs,
                        EventHubPayload.Namespace(function.Trigger, Settings), loggerFactory.CreateLogger("Host.EventHubs"), clock));
                    break;
                case BindingTypes.TimerTrigger:
                    timerListeners.Add(new TimerListener(function, runner, clock));
                    break;
                case BindingTypes.QueueTrigger:
                    queueListeners.Add(new QueueListener(function, queues, runner, App.Host.Queues, Settings, loggerFactory.CreateLogger("Host.Queues"), clock));
                    break;
            }
        }

        await StartWebAsync(options.Port ?? Settings.LocalHttpPort ?? LocalHostOptions.DefaultPort, cancellationToken).ConfigureAwait(false);

        foreach (var listener in queueListeners)
            await listener.PrepareAsync(cancellationToken).ConfigureAwait(false);
        var token = stopping.Token;
        foreach (var listener in eventHubListeners) running.AddRange(listener.Start(token));
        foreach (var listener in timerListeners) running.Add(Task.Run(() => listener.RunAsync(token), CancellationToken.None));
        foreach (var listener in queueListeners) running.Add(Task.Run(() => listener.RunAsync(token), CancellationToken.None));
    }

    /// <summary>Publishes events (bodies as UTF-8 text) to an in-memory hub, with one partition key for all of them or none (round-robin).</summary>
    public IReadOnlyList<HubEvent> Publish(string hub, IEnumerable<string> events, string? partitionKey = null) =>
        Hubs.Publish(hub, events, partitionKey);

    /// <inheritdoc cref="Publish(string, IEnumerable{string}, string?)"/>
    public Task<IReadOnlyList<HubEvent>> PublishAsync(string hub, IEnumerable<string> events, string? partitionKey = null) =>
        Task.FromResult(Publish(hub, events, partitionKey));

    /// <summary>Every event of a hub so far, partition by partition.</summary>
    public IReadOnlyList<HubEvent> ReadEvents(string hub) => Hubs.Hub(hub).Events();

    /// <summary>Runs a function now, as the host's admin API does (not for HTTP triggers); null when the input could not be bound.</summary>
    public async Task<InvocationOutcome?> InvokeAsync(string function, string? input, CancellationToken cancellationToken = default)
    {
        var definition = App.Find(function) ?? throw new ArgumentException($"There is no function '{function}'.", nameof(function));
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, stopping.Token);
        return definition.Trigger.Type switch
        {
            BindingTypes.EventHubTrigger => await eventHubListeners.First(l => l.Function == definition).InvokeAsync(input ?? "", linked.Token).ConfigureAwait(false),
            BindingTypes.QueueTrigger => await queueListeners.First(l => l.Function == definition).InvokeAsync(input ?? "", linked.Token).ConfigureAwait(false),
            BindingTypes.TimerTrigger => await timerListeners.First(l => l.Function == definition).FireAsync("Admin API", linked.Token).ConfigureAwait(false),
            _ => throw new ArgumentException($"'{function}' is HTTP-triggered: call its URL instead.", nameof(function)),
        };
    }

    /// <summary>
    /// Pauses (or resumes) the queue trigger of <paramref name="function"/>: its messages wait on the queue meanwhile. False
    /// when no queue-triggered function has that name.
    /// </summary>
    public bool Pause(string function, bool paused)
    {
        var listener = queueListeners.FirstOrDefault(l => string.Equals(l.Function.Name, function, StringComparison.OrdinalIgnoreCase));
        if (listener is null) return false;
        listener.Paused = paused;
        return true;
    }

    /// <summary>The queue-triggered functions and their queues.</summary>
    public IReadOnlyList<(string Function, string Queue)> QueueTriggers => [.. queueListeners.Select(l => (l.Function.Name, l.QueueName))];

    /// <summary>Hubs, checkpoints, queues, invocations in flight, and whether all of it is drained.</summary>
    public async Task<RuntimeStatus> GetStatusAsync(CancellationToken cancellationToken = default)
    {
        var hubs = new List<HubStatus>();
        foreach (var hub in Hubs.Hubs)
        {
            var consumers = eventHubListeners.Where(l => l.Hub == hub).ToList();
            var partitions = hub.Partitions.Select((p, i) =>
            {
                var checkpoints = consumers.ToDictionary(c => c.Function.Name, c => c.Checkpoint(i));
                return new PartitionStatus(p.Id, p.Count, consumers.Count == 0 ? 0 : consumers.Max(c => c.Pending(i)), checkpoints);
            }).ToList();
            hubs.Add(new HubStatus(hub.Name, partitions.Sum(p => p.Events), partitions.Sum(p => p.Pending), partitions));
        }

        var queues = new List<QueueStatus>();
        foreach (var listener in queueListeners)
            queues.Add(new QueueStatus(listener.Function.Name, listener.QueueName, await listener.ApproximateCountAsync(cancellationToken).ConfigureAwait(false),
                await listener.ReadyAsync(cancellationToken).ConfigureAwait(false), listener.Paused));

        var inFlight = tracker.InFlight;
        // A queue whose messages all wait for a time (held until quiet hours end, a retry's back-off) has nothing to run now:
        // idle, or a deferred message would keep the host busy for hours.
        // A paused trigger's messages wait for it to resume, as they would for a disabled function.
        var idle = inFlight == 0 && hubs.All(h => h.Pending == 0) && queues.All(q => q.Paused || q.Ready is null or false);
        return new RuntimeStatus(idle, inFlight, tracker.Started, tracker.Succeeded, tracker.Failed, hubs, queues, FunctionStatuses());
    }

    /// <summary>
    /// Waits until every hub is drained by its consumers, no trigger queue has a visible message and no invocation is in flight,
    /// seen twice in a row.
    /// </summary>
    /// <exception cref="TimeoutException">Not idle within <paramref name="timeout"/> (default 2 minutes); the message holds the status.</exception>
    public async Task<RuntimeStatus> WaitForIdleAsync(TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? DefaultIdleTimeout;
        var idleSeen = 0;
        while (true)
        {
            var status = await GetStatusAsync(cancellationToken).ConfigureAwait(false);
            idleSeen = status.Idle ? idleSeen + 1 : 0;
            if (idleSeen >= 2) return status;
            if (deadline.Elapsed > limit)
                throw new TimeoutException($"The local host was not idle within {limit}: {JsonSerializer.Serialize(status, LocalHostJsonContext.Readable.RuntimeStatus)}");
            await Task.Delay(TimeSpan.FromMilliseconds(20), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The functions and the addresses, as <c>start</c> prints them.</summary>
    public string Describe()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"Functions ({App.Root}):");
        foreach (var function in FunctionStatuses())
            text.AppendLine(CultureInfo.InvariantCulture, $"    {function.Name}: {function.Trigger} {function.Source}");
        foreach (var name in App.Disabled)
            text.AppendLine(CultureInfo.InvariantCulture, $"    {name}: disabled");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Handler:      {HandlerAddress}");
        foreach (var emulator in StartedEmulators)
            text.AppendLine(CultureInfo.InvariantCulture, $"Emulator:     {emulator}");
        text.AppendLine(CultureInfo.InvariantCulture, $"Status:       GET  {BaseAddress}runtime/status");
        text.AppendLine(CultureInfo.InvariantCulture, $"Event Hubs:   {EventHubsConnectionString}  (AMQP, any Event Hubs SDK; hubs {string.Join(", ", Hubs.Hubs.Select(h => h.Name))})");
        text.AppendLine(CultureInfo.InvariantCulture, $"Publish:      POST {BaseAddress}runtime/hubs/{{hub}}[?partitionKey=…]  (a JSON array of events, or one event)");
        text.AppendLine(CultureInfo.InvariantCulture, $"Read a hub:   GET  {BaseAddress}runtime/hubs/{{hub}}");
        text.AppendLine(CultureInfo.InvariantCulture, $"Wait idle:    POST {BaseAddress}runtime/idle?timeout=60");
        text.AppendLine(CultureInfo.InvariantCulture, $"Run now:      POST {BaseAddress}admin/functions/{{name}}  {{\"input\": \"…\"}}");
        return text.ToString();
    }

    private List<FunctionStatus> FunctionStatuses() => [.. App.Functions.Select(f => f.Trigger.Type switch
    {
        BindingTypes.HttpTrigger => new FunctionStatus(f.Name, "httpTrigger",
            $"[{(f.Methods is null ? "ALL" : string.Join(',', f.Methods))}] {httpTriggers!.UrlOf(f, BaseAddress)}"),
        BindingTypes.EventHubTrigger => new FunctionStatus(f.Name, "eventHubTrigger",
            $"hub '{f.Trigger["eventHubName"]}' ({Hubs.Hub(f.Trigger["eventHubName"]!).Partitions.Count} partitions, {(f.Trigger.IsMany ? "batches" : "one event at a time")})"),
        BindingTypes.TimerTrigger => new FunctionStatus(f.Name, "timerTrigger", $"schedule '{f.Schedule!.Expression}'"),
        BindingTypes.QueueTrigger => new FunctionStatus(f.Name, "queueTrigger", $"queue '{f.Trigger["queueName"]}'"),
        _ => new FunctionStatus(f.Name, f.Trigger.Type, ""),
    })];

    private async Task StartWebAsync(int port, CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, LocalHostJsonContext.Readable));
        web = builder.Build();
        MapEndpoints(web);
        await web.StartAsync(cancellationToken).ConfigureAwait(false);
        var address = web.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.TrimEnd('/') + "/");
    }

    private void MapEndpoints(WebApplication app)
    {
        app.MapGet("/", () => Results.Text("The Touchpoints local Functions host is running. See /runtime/status."));
        app.MapGet("/admin/host/status", () => Results.Text(
            new JsonObject { ["state"] = "Running", ["version"] = FunctionInvoker.HostVersion }.ToJsonString(), "application/json"));

        app.MapPost("/admin/functions/{name}", async (string name, HttpRequest request) =>
        {
            var function = App.Find(name);
            if (function is null) return Results.NotFound(new ErrorBody($"There is no function '{name}'."));
            if (function.Trigger.Type == BindingTypes.HttpTrigger)
                return Results.BadRequest(new ErrorBody($"'{function.Name}' is HTTP-triggered: call its URL instead."));
            string? input = null;
            if (request.ContentLength is > 0 || request.Headers.TransferEncoding.Count > 0)
            {
                try
                {
                    input = (await JsonSerializer.DeserializeAsync(request.Body, LocalHostJsonContext.Readable.AdminInvocation, request.HttpContext.RequestAborted).ConfigureAwait(false))?.Input;
                }
                catch (JsonException e)
                {
                    return Results.BadRequest(new ErrorBody($"The body must be {{\"input\": \"…\"}}: {e.Message}"));
                }
            }

            // In flight from now on, so that /runtime/idle cannot slip in before the invocation starts.
            var scope = tracker.Enter();
            _ = Task.Run(async () =>
            {
                using (scope) await InvokeAsync(function.Name, input, stopping.Token).ConfigureAwait(false);
            }, CancellationToken.None);
            return Results.Accepted();
        });

        app.MapPost("/runtime/hubs/{hub}", async (string hub, HttpRequest request) =>
        {
            using var reader = new StreamReader(request.Body, Encoding.UTF8);
            var text = await reader.ReadToEndAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
            var events = EventsOf(text);
            if (events.Count == 0) return Results.BadRequest(new ErrorBody("The body must be a JSON array of events, or one event."));
            string? partitionKey = request.Query["partitionKey"];
            var published = Publish(hub, events, string.IsNullOrEmpty(partitionKey) ? null : partitionKey);
            return Results.Json(new PublishResult(hub, published.Count, [.. published.Select(e => new PublishedEvent(e.PartitionId, e.SequenceNumber))]),
                LocalHostJsonContext.Readable.PublishResult, statusCode: StatusCodes.Status202Accepted);
        });

        app.MapGet("/runtime/hubs/{hub}", (string hub) => Results.Json<IReadOnlyList<HubEventView>>(
            [.. ReadEvents(hub).Select(e => new HubEventView(e.PartitionId, e.SequenceNumber, e.PartitionKey, e.EnqueuedTime, e.BodyText))],
            LocalHostJsonContext.Readable.IReadOnlyListHubEventView));

        app.MapPost("/runtime/functions/{name}/pause", (string name) => Pause(name, true) ? Results.NoContent() : Results.NotFound());
        app.MapPost("/runtime/functions/{name}/resume", (string name) => Pause(name, false) ? Results.NoContent() : Results.NotFound());

        app.MapGet("/runtime/status", async (CancellationToken ct) =>
            Results.Json(await GetStatusAsync(ct).ConfigureAwait(false), LocalHostJsonContext.Readable.RuntimeStatus));

        app.MapPost("/runtime/idle", async (HttpRequest request, CancellationToken ct) =>
        {
            var timeout = ParseTimeout(request.Query["timeout"]);
            try
            {
                return Results.Json(await WaitForIdleAsync(timeout, ct).ConfigureAwait(false), LocalHostJsonContext.Readable.RuntimeStatus);
            }
            catch (TimeoutException)
            {
                return Results.Json(await GetStatusAsync(ct).ConfigureAwait(false), LocalHostJsonContext.Readable.RuntimeStatus,
                    statusCode: StatusCodes.Status408RequestTimeout);
            }
        });

        app.Map("/{**path}", (HttpContext context) => httpTriggers!.HandleAsync(context));
    }

    /// <summary>A request body as events: a JSON array → one per element (strings as they are, anything else as its JSON); otherwise the whole body is one event.</summary>
    internal static List<string> EventsOf(string text)
    {
        if (string.IsNullOrWhiteSpace(text)) return [];
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return [text];
        }

        static string Body(JsonNode? n) => n is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : n?.ToJsonString(HostEncoding.Relaxed) ?? "null";
        return node is JsonArray array ? [.. array.Select(Body)] : [Body(node)];
    }

    private static TimeSpan? ParseTimeout(string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        if (double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)) return TimeSpan.FromSeconds(seconds);
        return TimeSpan.TryParse(value, CultureInfo.InvariantCulture, out var span) ? span : null;
    }

    private static string? TryRepoRoot()
    {
        try
        {
            return NodeTooling.RepoRoot;
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private static ILoggerFactory ConsoleLogging() => Microsoft.Extensions.Logging.LoggerFactory.Create(builder => builder
        .SetMinimumLevel(LogLevel.Information)
        .AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        }));

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1) return;
        await stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(running).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // A listener stuck in a call; the handler is stopped below anyway.
        }

        if (web is not null)
        {
            await web.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await web.DisposeAsync().ConfigureAwait(false);
        }

        handlerClient?.Dispose();
        if (handlerProcess is not null) await handlerProcess.DisposeAsync().ConfigureAwait(false);
        if (emulators is not null) await emulators.DisposeAsync().ConfigureAwait(false);
        if (eventHubsEndpoint is not null) await eventHubsEndpoint.DisposeAsync().ConfigureAwait(false);
        foreach (var listener in queueListeners) listener.Dispose();
        stopping.Dispose();
        if (ownsLoggerFactory) loggerFactory?.Dispose();
    }

    /// <summary>
    /// The Event Hubs connection settings the app's bindings name, pointed at this host's AMQP endpoint where they are not
    /// set or name a development emulator: so the handler's own Event Hubs client (and the host's bindings) meet the local hubs.
    /// </summary>
    private static Dictionary<string, string> EventHubsConnections(FunctionApp app, AppSettings settings, string connectionString) =>
        app.Functions.SelectMany(f => f.Outputs.Append(f.Trigger))
            .Where(b => b.Type is BindingTypes.EventHub or BindingTypes.EventHubTrigger && b["connection"] is not null)
            .Select(b => b["connection"]!)
            .Append(EventHubsConnectionSetting)
            .Distinct(StringComparer.OrdinalIgnoreCase)
            .Where(name => settings[name] is not { } value || value.Contains("UseDevelopmentEmulator=true", StringComparison.OrdinalIgnoreCase))
            .ToDictionary(name => name, _ => connectionString, StringComparer.OrdinalIgnoreCase);

    /// <summary>The setting an app's Event Hubs client reads when none of its bindings names one (Touchpoints' convention and the samples').</summary>
    public const string EventHubsConnectionSetting = "EventHubConnection";

    /// <summary>The connection string of the host's Event Hubs namespace (AMQP on loopback), for producers of any Event Hubs SDK.</summary>
    public string EventHubsConnectionString => eventHubsEndpoint?.ConnectionString ?? throw new InvalidOperationException("The host is not started.");

    [LoggerMessage(Level = LogLevel.Information, Message = "Event Hubs (AMQP) for producers of any Event Hubs SDK: {ConnectionString}")]
    private static partial void LogEventHubs(ILogger logger, string connectionString);

    [LoggerMessage(Level = LogLevel.Information, Message = "Settings from {File}; app folder {AppFolder}")]
    private static partial void LogSettings(ILogger logger, string file, string appFolder);

    [LoggerMessage(Level = LogLevel.Information, Message = "Host started in {StartupTime}, listening on {Address}")]
    private static partial void LogReady(ILogger logger, TimeSpan startupTime, Uri address);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {Id} on queue '{Queue}' could not be decoded (not base64) and was moved to its poison queue")]
    private static partial void LogUndecodable(ILogger logger, string id, string queue);
}
