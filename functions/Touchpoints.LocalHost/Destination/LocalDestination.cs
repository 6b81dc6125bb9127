using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StandardWebhooks;
using StandardWebhooks.Diagnostics;
using Touchpoints.Core.Rules;
using Touchpoints.FunctionsHost.Runtime;

namespace Touchpoints.LocalHost.Destination;

/// <summary>A message the local destination accepted: its route (a channel, or <c>sales-alerts</c>), its id, when, its body.</summary>
/// <param name="Body">The message: the webhook's <c>data</c>.</param>
public sealed record ReceivedMessage(string Route, string Id, DateTimeOffset At, JsonObject Body)
{
    /// <summary>The webhook's <c>type</c>: <c>communication.send</c> or <c>salesAlert.raise</c>.</summary>
    public string? Type { get; init; }

    public string CustomerId => (string?)Body["customerId"] ?? "";

    public string RuleId => (string?)Body["ruleId"] ?? "?";

    public string Template => (string?)Body["template"] ?? "?";
}

/// <summary>What <c>GET /</c> of the local destination answers.</summary>
public sealed record DestinationLog(IReadOnlyList<ReceivedMessage> Messages, int Redelivered, int Refused);

/// <summary>
/// Where delivered messages go when the app runs locally: one loopback HTTP endpoint standing in for every destination
/// (the ESP, the SMS gateway, the CRM's task API a deployment names in <c>Delivery__Destinations__*</c>), so that the
/// delivery functions run locally as in Azure, guard and all. It takes every route, checks each request's Standard
/// Webhooks signature with the StandardWebhooks library, as a .NET receiver would (401 if it does not verify), keeps each
/// message once by its <c>webhook-id</c> (a redelivery is counted, not kept twice), and lists what it received at
/// <c>GET /</c>. Its signing secret is made for the run and given to the app through its settings; nothing is written to disk.
/// </summary>
public sealed partial class LocalDestination : IAsyncDisposable
{
    public const string Name = "local";

    /// <summary>The port <c>start</c> prefers (any free one when taken).</summary>
    public const int DefaultPort = 7072;

    private readonly WebApplication app;
    private readonly StandardWebhook verifier;
    private readonly ConcurrentDictionary<string, ReceivedMessage> received = new(StringComparer.Ordinal);
    private readonly ILogger logger;
    private readonly TimeProvider clock;
    private int redelivered;
    private int refused;

    private LocalDestination(WebApplication app, string secret, Uri url, ILogger logger, TimeProvider clock)
    {
        this.app = app;
        Secret = secret;
        Url = url;
        this.logger = logger;
        this.clock = clock;
        verifier = new StandardWebhook(secret);
    }

    public Uri Url { get; }

    public string Secret { get; }

    /// <summary>Starts it on <paramref name="port"/> of 127.0.0.1 (0: a free port).</summary>
    public static async Task<LocalDestination> StartAsync(int port, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        var chosen = port == 0 ? LoopbackPorts.Free() : port;
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, chosen));
        var app = builder.Build();
        var secret = "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
        var destination = new LocalDestination(app, secret, new Uri($"http://127.0.0.1:{chosen.ToString(CultureInfo.InvariantCulture)}/"),
            (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("Destination"), TimeProvider.System);
        app.MapPost("/", destination.ReceiveAsync);
        app.MapGet("/", () => Results.Text(Write(destination.Log).ToJsonString(Indented), "application/json"));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        return destination;
    }

    /// <summary>
    /// Names this destination in the app's settings for every route, unless they name destinations of their own already
    /// (a <c>--set Delivery__Destinations__…</c>): then those take the messages.
    /// </summary>
    public void AddTo(IDictionary<string, string?> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Keys.Any(k => k.StartsWith("Delivery__Destinations__", StringComparison.OrdinalIgnoreCase))) return;
        settings[SettingNames.DeliveryDestination(Name, "Url")] = Url.ToString();
        settings[SettingNames.DeliveryDestination(Name, "Secrets")] = Secret;
        settings[SettingNames.DeliveryDestination(Name, "Routes")] = string.Join(", ", DeliveryRoutes.All);
    }

    /// <summary>One line for the console: where the app's delivered messages go, by the settings the app runs with.</summary>
    public static string Describe(IReadOnlyDictionary<string, string> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var urls = settings.Where(s => s.Key.StartsWith("Delivery__Destinations__", StringComparison.OrdinalIgnoreCase) && s.Key.EndsWith("__Url", StringComparison.OrdinalIgnoreCase))
            .Select(s => s.Value).Order(StringComparer.Ordinal).ToList();
        return urls.Count == 0
            ? "Destinations: none (delivered messages are dropped: no destination)"
            : $"Destination: {string.Join(", ", urls)} (signed Standard Webhooks; GET on the local one lists what it received)";
    }

    public DestinationLog Log => new([.. received.Values.OrderBy(m => m.At).ThenBy(m => m.Id, StringComparer.Ordinal)], redelivered, refused);

    private async Task<IResult> ReceiveAsync(HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var payload = await reader.ReadToEndAsync(request.HttpContext.RequestAborted).ConfigureAwait(false);
        try
        {
            verifier.Verify(payload, request.Headers);
        }
        catch (WebhookVerificationException e)
        {
            Interlocked.Increment(ref refused);
            LogRefused(logger, e.Message);
            return Results.Problem(e.Message, statusCode: StatusCodes.Status401Unauthorized);
        }
        // {"type": "communication.send" | "salesAlert.raise", "timestamp": …, "data": the message}
        if (JsonNode.Parse(payload) is not JsonObject { } webhook || webhook["data"] is not JsonObject body) return Results.BadRequest();
        var id = request.Headers["webhook-id"].ToString();
        var route = (string?)body["channel"] ?? DeliveryRoutes.SalesAlerts;
        var message = new ReceivedMessage(route, id, clock.GetUtcNow(), body.DeepClone().AsObject()) { Type = (string?)webhook["type"] };
        if (!received.TryAdd(id, message))
        {
            Interlocked.Increment(ref redelivered);
            return Results.NoContent();
        }
        LogReceived(logger, route, message.Template, message.CustomerId, id);
        return Results.NoContent();
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static JsonObject Write(DestinationLog log) => new()
    {
        ["received"] = log.Messages.Count,
        ["redelivered"] = log.Redelivered,
        ["refused"] = log.Refused,
        ["messages"] = new JsonArray([.. log.Messages.Select(m => (JsonNode)new JsonObject
        {
            ["route"] = m.Route,
            ["type"] = m.Type,
            ["id"] = m.Id,
            ["at"] = m.At.ToString("O", CultureInfo.InvariantCulture),
            ["body"] = m.Body.DeepClone(),
        })]),
    };

    /// <summary>Reads what a local destination received, through its <c>GET /</c>, as the demo and the tests do.</summary>
    public static async Task<DestinationLog> ReadAsync(HttpClient http, Uri url, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        var node = JsonNode.Parse(await http.GetStringAsync(url, cancellationToken).ConfigureAwait(false))!;
        var messages = node["messages"]!.AsArray().Select(m => new ReceivedMessage(
            (string)m!["route"]!, (string)m["id"]!, DateTimeOffset.Parse((string)m["at"]!, CultureInfo.InvariantCulture), m["body"]!.AsObject().DeepClone().AsObject())
        {
            Type = (string?)m["type"],
        });
        return new DestinationLog([.. messages], (int)node["redelivered"]!, (int)node["refused"]!);
    }

    public async ValueTask DisposeAsync()
    {
        await app.StopAsync().ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Destination: {Route} message {Template} for {CustomerId} ({Id}), signature verified")]
    private static partial void LogReceived(ILogger logger, string route, string template, string customerId, string id);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Destination: refused a request whose signature does not verify ({Reason})")]
    private static partial void LogRefused(ILogger logger, string reason);
}
