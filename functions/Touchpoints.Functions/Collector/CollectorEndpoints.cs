using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Touchpoints.Core.Collection;
using Touchpoints.Core.Events;
using Touchpoints.Functions.Hosting;
using Touchpoints.Functions.Storage;

namespace Touchpoints.Functions.Collector;

/// <summary>
/// The website SDK collector: Segment's HTTP Tracking API (<c>/api/v1/batch</c>, <c>/api/v1/track</c>, ...), one forwarded
/// HTTP function per endpoint: the Functions host passes the request as it came, and ASP.NET Core decompresses it (the
/// SDKs that gzip by default work unchanged). Valid events go to the hub <c>web-events</c> as the Segment JSON objects they
/// arrived as, stamped with <c>receivedAt</c>, published with the Event Hubs SDK and keyed by browser
/// (<see cref="SegmentIntake.PartitionKey"/>) before the SDK gets its 200.
/// </summary>
public static class CollectorEndpoints
{
    /// <summary>The functions, the call each takes (null: a batch) and their route (the host's prefix <c>api/</c> included).</summary>
    public static readonly IReadOnlyList<(string Function, WebCall? Call, string Route)> Functions =
    [
        ("CollectBatch", null, "/api/v1/batch"),
        ("CollectTrack", WebCall.Track, "/api/v1/track"),
        ("CollectIdentify", WebCall.Identify, "/api/v1/identify"),
        ("CollectPage", WebCall.Page, "/api/v1/page"),
        ("CollectScreen", WebCall.Screen, "/api/v1/screen"),
        ("CollectGroup", WebCall.Group, "/api/v1/group"),
        ("CollectAlias", WebCall.Alias, "/api/v1/alias"),
    ];

    public const string ShortPathRoute = "/api/v1/{call:length(1)}";

    /// <summary>Where the collector publishes (with the Event Hubs SDK; the identity needs Data Sender on it).</summary>
    public const string Hub = Hubs.WebEvents;

    /// <summary>
    /// analytics.js posts to one-letter paths (<c>/v1/t</c>, <c>/v1/i</c>, <c>/v1/p</c>, <c>/v1/s</c>, <c>/v1/g</c>,
    /// <c>/v1/a</c>, and <c>/v1/b</c> when batching): one function, route <c>v1/{call:length(1)}</c>, takes them all.
    /// </summary>
    public const string ShortPathFunction = "CollectShortPath";

    public static IServiceCollection AddCollector(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CollectorOptions>().Bind(configuration.GetSection(CollectorOptions.Section)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<CollectorOptions>, CollectorOptionsValidator>();
        services.AddSingleton<SegmentCollector>();
        return services;
    }

    public static IEndpointRouteBuilder MapCollector(this IEndpointRouteBuilder app)
    {
        string[] methods = ["POST", "OPTIONS"];
        foreach (var (function, call, route) in Functions)
            app.MapMethods(route, methods, (HttpContext context, SegmentCollector collector) => collector.HandleAsync(context, function, call, shortPath: false));
        app.MapMethods(ShortPathRoute, methods, (HttpContext context, SegmentCollector collector) => collector.HandleAsync(context, ShortPathFunction, null, shortPath: true));
        return app;
    }

    /// <summary>analytics.js's one-letter paths: <c>b</c> is a batch.</summary>
    internal static bool TryShortPath(string? letter, out WebCall? call)
    {
        call = letter switch
        {
            "t" => WebCall.Track, "i" => WebCall.Identify, "p" => WebCall.Page, "s" => WebCall.Screen,
            "g" => WebCall.Group, "a" => WebCall.Alias, _ => null,
        };
        return call is not null || letter == "b";
    }
}

/// <summary>One collector request: CORS, write key, limits, validation, and the answer with the events to publish.</summary>
public sealed partial class SegmentCollector(
    IOptionsMonitor<CollectorOptions> options, IOptions<IdentityOptions> identity, EventPublisher publisher, TimeProvider clock, ILogger<SegmentCollector> logger)
{
    /// <summary>What one request is answered, and the events it publishes.</summary>
    public sealed record Answer(HttpOutput Output, IReadOnlyList<JsonObject> Events);

    /// <summary>Reads the request, decides, publishes the valid events (awaited: a 200 means they are in the hub), answers.</summary>
    public async Task HandleAsync(HttpContext context, string function, WebCall? call, bool shortPath)
    {
        ArgumentNullException.ThrowIfNull(context);
        // A batch is the largest body taken (one event's limit is checked on what was read); past it the reader refuses.
        var request = await HttpInvocation.ReadAsync(context, SegmentIntake.MaxBatchBytes).ConfigureAwait(false);
        var (output, events) = Handle(function, call, request, shortPath);
        if (events.Count > 0)
        {
            try
            {
                await publisher.PublishAsync(CollectorEndpoints.Hub, [.. events.Select(e => (SegmentIntake.PartitionKey(e), e))], context.RequestAborted).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
            {
                // Nothing is answered 200 that is not in the hub: the SDK retries a 503, and ingestion drops what it sees twice.
                LogPublishFailed(logger, function, events.Count, e);
                var error = HttpInvocation.Error("unavailable", "the events could not be stored; retry");
                error["success"] = false;
                output = HttpOutput.Json(503, error.ToJsonString(), CorsOf(output));
            }
        }
        await HttpInvocation.WriteAsync(context, output).ConfigureAwait(false);
    }

    private static Dictionary<string, string> CorsOf(HttpOutput output) =>
        (output.Headers ?? new Dictionary<string, string>()).Where(h => h.Key.StartsWith("Access-Control-", StringComparison.OrdinalIgnoreCase) || h.Key == "Vary")
            .ToDictionary(StringComparer.OrdinalIgnoreCase);

    private const string AllowedMethods = "POST, OPTIONS";
    private const string DefaultAllowedHeaders = "Content-Type, Authorization, AnonymousId";

    public Answer Handle(string function, WebCall? call, HttpTriggerRequest request, bool shortPath)
    {
        ArgumentNullException.ThrowIfNull(request);
        var settings = options.CurrentValue;
        var origin = request.Header("Origin");
        var cors = Cors(settings, origin);
        if (string.Equals(request.Method, "OPTIONS", StringComparison.OrdinalIgnoreCase))
        {
            if (cors is null) return Fail(403, "origin_not_allowed", $"origin '{origin}' is not allowed", null);
            cors["Access-Control-Allow-Methods"] = AllowedMethods;
            cors["Access-Control-Allow-Headers"] = request.Header("Access-Control-Request-Headers") is { Length: > 0 } asked ? asked : DefaultAllowedHeaders;
            cors["Access-Control-Max-Age"] = "86400";
            return new Answer(new HttpOutput(204, "", cors), []);
        }
        // Browsers of sites not on the list are refused; server SDKs send no Origin.
        if (cors is null) return Fail(403, "origin_not_allowed", $"origin '{origin}' is not allowed", null);

        if (shortPath && !CollectorEndpoints.TryShortPath(request.Param("call"), out call))
            return Fail(404, "not_found", $"there is no endpoint v1/{request.Param("call")}", cors);

        // A write key in the Authorization header is checked first; one in the body (analytics.js) or in the query
        // (RudderStack's beacon) is checked once the body is read.
        var keys = settings.SourcesByWriteKey();
        var headerKey = HttpInvocation.BasicUser(request);
        if (headerKey is not null && !keys.ContainsKey(headerKey)) return Unauthorized(function, cors);

        // The declared length refuses an oversized request before its body is decoded or measured.
        var limit = call is null ? SegmentIntake.MaxBatchBytes : SegmentIntake.MaxEventBytes;
        if (long.TryParse(request.Header("Content-Length"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var declared)
            && declared > limit)
            return Fail(413, "too_large", $"the request declares {declared} bytes; {(call is null ? "a batch" : "an event")} may be at most {limit / 1024} KB", cors);
        var envelope = SegmentIntake.Read(request.Body, call);
        if (envelope.Failure is { } failure)
            return failure.Kind == IntakeFailureKind.TooLarge
                ? Fail(413, "too_large", failure.Message, cors)
                : Fail(400, "malformed", failure.Message, cors);

        var writeKey = headerKey ?? envelope.WriteKey ?? request.QueryValue("writeKey");
        if (writeKey is null || !keys.TryGetValue(writeKey, out var source)) return Unauthorized(function, cors);

        var outcome = SegmentIntake.Accept(envelope, source, call, clock.GetUtcNow(), identity.Value.PhoneRegion);
        foreach (var r in outcome.Rejected) LogRejected(logger, function, source, r.Index, r.MessageId, string.Join("; ", r.Errors));
        if (outcome.Events.Count == 0)
        {
            var body = Body(false, outcome.Rejected);
            body["error"] = outcome.OnlyTooLarge ? "too_large" : "invalid";
            body["message"] = envelope.Items.Count == 0 ? "the batch is empty" : "no event is valid";
            return new Answer(HttpOutput.Json(outcome.OnlyTooLarge ? 413 : 400, body.ToJsonString(), cors), []);
        }

        LogAccepted(logger, function, source, outcome.Events.Count, outcome.Rejected.Count);
        return new Answer(HttpOutput.Json(200, Body(true, outcome.Rejected).ToJsonString(), cors), outcome.Events);
    }

    /// <summary>The CORS headers for the caller: none without an Origin, null when its origin is not allowed.</summary>
    private static Dictionary<string, string>? Cors(CollectorOptions settings, string? origin)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (string.IsNullOrEmpty(origin)) return headers;
        var allowed = settings.Origins;
        if (!allowed.Contains("*") && !allowed.Contains(origin.TrimEnd('/'), StringComparer.OrdinalIgnoreCase)) return null;
        headers["Access-Control-Allow-Origin"] = origin;
        headers["Vary"] = "Origin";
        return headers;
    }

    private static JsonObject Body(bool success, IReadOnlyList<RejectedItem> rejected)
    {
        var body = new JsonObject { ["success"] = success };
        if (rejected.Count > 0)
            body["rejected"] = new JsonArray([.. rejected.Select(r => (JsonNode)new JsonObject
            {
                ["index"] = r.Index,
                ["messageId"] = r.MessageId,
                ["errors"] = new JsonArray([.. r.Errors.Select(e => (JsonNode)new JsonObject { ["path"] = e.Path, ["message"] = e.Message })]),
            })]);
        return body;
    }

    private Answer Unauthorized(string function, Dictionary<string, string> cors)
    {
        LogUnauthorized(logger, function);
        return Fail(401, "unauthorized", "a valid write key is required (HTTP Basic user name, or writeKey in the body)", cors);
    }

    private static Answer Fail(int status, string code, string message, Dictionary<string, string>? cors)
    {
        var body = HttpInvocation.Error(code, message);
        body["success"] = false;
        return new Answer(HttpOutput.Json(status, body.ToJsonString(), cors), []);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Function}: {Source} sent {Accepted} valid events, {Rejected} rejected")]
    private static partial void LogAccepted(ILogger logger, string function, string source, int accepted, int rejected);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function}: event {Index} ({MessageId}) from {Source} rejected: {Errors}")]
    private static partial void LogRejected(ILogger logger, string function, string source, int index, string? messageId, string errors);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Function}: {Count} events could not be published; answered 503 so the sender retries")]
    private static partial void LogPublishFailed(ILogger logger, string function, int count, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function}: request without a valid write key refused")]
    private static partial void LogUnauthorized(ILogger logger, string function);
}
