using System.Collections.Concurrent;
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

namespace Touchpoints.LocalHost.Tests;

/// <summary>A temporary app folder: host.json plus function folders, and a local.settings.json.</summary>
public sealed class TempApp : IDisposable
{
    public TempApp(JsonObject? hostExtras = null, IReadOnlyDictionary<string, string>? settings = null)
    {
        Root = Path.Combine(Path.GetTempPath(), "localhost-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Root);
        var host = new JsonObject
        {
            ["version"] = "2.0",
            ["customHandler"] = new JsonObject
            {
                ["description"] = new JsonObject { ["defaultExecutablePath"] = "handler", ["workingDirectory"] = "", ["arguments"] = new JsonArray() },
                ["enableForwardingHttpRequest"] = false,
            },
        };
        foreach (var (key, value) in hostExtras ?? []) host[key] = value?.DeepClone();
        File.WriteAllText(Path.Combine(Root, "host.json"), host.ToJsonString());
        var values = new JsonObject
        {
            ["FUNCTIONS_WORKER_RUNTIME"] = "custom",
            ["EventHubConnection"] = "Endpoint=sb://tests.servicebus.windows.net/;SharedAccessKeyName=k;SharedAccessKey=k",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>()) values[key] = value;
        SettingsFile = Path.Combine(Root, "local.settings.json");
        File.WriteAllText(SettingsFile, new JsonObject { ["IsEncrypted"] = false, ["Values"] = values }.ToJsonString());
    }

    public string Root { get; }

    public string SettingsFile { get; }

    public string HostJson => Path.Combine(Root, "host.json");

    public string Function(string name, string json)
    {
        var folder = Path.Combine(Root, name);
        Directory.CreateDirectory(folder);
        var file = Path.Combine(folder, "function.json");
        File.WriteAllText(file, json);
        return file;
    }

    public AppSettings Settings() => AppSettings.Load(SettingsFile);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}

/// <summary>A handler in the test process: records every call and answers as the test says, per function.</summary>
public sealed class ScriptedHandler : IAsyncDisposable
{
    private readonly WebApplication app;
    private readonly ConcurrentDictionary<string, Func<HandlerCall, Task<IResult>>> behaviours = new(StringComparer.OrdinalIgnoreCase);

    public sealed record HandlerCall(string Path, string Method, string QueryString, IReadOnlyDictionary<string, string> Headers, string Body, DateTimeOffset At)
    {
        public JsonObject Json => JsonNode.Parse(Body)!.AsObject();

        public string Function => Path.TrimStart('/');
    }

    private ScriptedHandler(WebApplication app) => this.app = app;

    public Uri BaseAddress { get; private set; } = null!;

    public ConcurrentQueue<HandlerCall> Calls { get; } = new();

    public IEnumerable<HandlerCall> CallsTo(string function) => Calls.Where(c => string.Equals(c.Function, function, StringComparison.OrdinalIgnoreCase));

    private TaskCompletionSource called = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Waits until <paramref name="function"/> has been called <paramref name="count"/> times (state, not time); false after <paramref name="timeout"/>.</summary>
    public async Task<bool> WhenCalledAsync(string function, int count, TimeSpan timeout)
    {
        using var expiry = new CancellationTokenSource(timeout);
        while (true)
        {
            var signal = Volatile.Read(ref called).Task;
            if (CallsTo(function).Count() >= count) return true;
            try
            {
                await signal.WaitAsync(expiry.Token);
            }
            catch (OperationCanceledException)
            {
                return CallsTo(function).Count() >= count;
            }
        }
    }

    public static async Task<ScriptedHandler> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var handler = new ScriptedHandler(builder.Build());
        handler.app.MapGet("/", () => "ready");
        handler.app.Map("/{**path}", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var call = new HandlerCall(context.Request.Path.Value ?? "", context.Request.Method, context.Request.QueryString.Value ?? "",
                context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
                await reader.ReadToEndAsync(), DateTimeOffset.UtcNow);
            handler.Calls.Enqueue(call);
            Interlocked.Exchange(ref handler.called, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
            var key = call.Path.TrimStart('/').Split('/')[0];
            return handler.behaviours.TryGetValue(key, out var behave) ? await behave(call) : Ok();
        });
        await handler.app.StartAsync();
        handler.BaseAddress = new Uri(handler.app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/");
        return handler;
    }

    public void On(string function, Func<HandlerCall, IResult> respond) => behaviours[function] = c => Task.FromResult(respond(c));

    public static IResult Ok(JsonObject? outputs = null) =>
        Results.Content(new JsonObject { ["Outputs"] = outputs ?? [], ["Logs"] = new JsonArray("handled"), ["ReturnValue"] = null }.ToJsonString(), "application/json");

    public static IResult Fail() => Results.Content("{\"Outputs\":{},\"Logs\":[\"failed\"]}", "application/json", statusCode: 500);

    public async ValueTask DisposeAsync() => await app.DisposeAsync();
}

/// <summary>One Azurite for the tests that need queues.</summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    public Azurite Azurite { get; private set; } = null!;

    public async Task InitializeAsync() => Azurite = await Azurite.StartAsync();

    public async Task DisposeAsync() => await Azurite.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class AzuriteCollection : ICollectionFixture<AzuriteFixture>
{
    public const string Name = "azurite";
}
