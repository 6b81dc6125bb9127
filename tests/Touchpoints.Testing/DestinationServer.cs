using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Touchpoints.FunctionsHost.Emulators;

namespace Touchpoints.Testing;

/// <summary>
/// <c>node/destination.mjs</c>: a webhook receiver that verifies Standard Webhooks signatures with the npm
/// <c>standardwebhooks</c> package, once per secret it holds, and tells the tests what it received.
/// </summary>
public sealed class DestinationServer : IAsyncDisposable
{
    private readonly Process process;
    private readonly HttpClient http;

    private DestinationServer(Process process, int port)
    {
        this.process = process;
        Url = new Uri($"http://127.0.0.1:{port}/");
        http = new HttpClient { BaseAddress = Url };
    }

    public Uri Url { get; }

    /// <summary>Starts a receiver holding <paramref name="secrets"/> (each checked on its own).</summary>
    public static async Task<DestinationServer> StartAsync(params string[] secrets)
    {
        await NodeTooling.EnsureNodeModulesAsync();
        var script = Path.Combine(NodeTooling.RepoRoot, "tests", "Touchpoints.Testing", "node", "destination.mjs");
        var start = new ProcessStartInfo(NodeTooling.NodeExecutable)
        {
            WorkingDirectory = NodeTooling.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(new JsonObject { ["secrets"] = new JsonArray([.. secrets.Select(s => JsonValue.Create(s))]) }.ToJsonString());
        var process = Process.Start(start)!;
        var line = await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        if (line is null || !line.StartsWith("listening ", StringComparison.Ordinal))
            throw new InvalidOperationException($"destination.mjs did not start: {line} {await process.StandardError.ReadToEndAsync()}");
        return new DestinationServer(process, int.Parse(line["listening ".Length..], System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>Everything posted to it so far: path, webhook id, which secrets verified it, whether it answered a failure, the body.</summary>
    public async Task<List<JsonObject>> ReceivedAsync() =>
        [.. (await http.GetFromJsonAsync<JsonArray>("received"))!.Select(e => e!.AsObject())];

    /// <summary>Answer 503 to every message (true) or accept them again (false).</summary>
    public Task FailAsync(bool failing) => ControlAsync(new JsonObject { ["failing"] = failing });

    /// <summary>Checks timestamps against the sender's (fake) clock: Standard Webhooks refuses messages more than 5 minutes off.</summary>
    public Task ClockAsync(DateTimeOffset now) => ControlAsync(new JsonObject { ["now"] = now.ToUnixTimeMilliseconds() });

    public Task ClearAsync() => ControlAsync(new JsonObject { ["clear"] = true });

    private async Task ControlAsync(JsonObject body)
    {
        using var response = await http.PostAsJsonAsync("control", body);
        response.EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        if (!process.HasExited) process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
        process.Dispose();
    }
}
