using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Touchpoints.Core.Collection;
using Touchpoints.Core.Events;
using Touchpoints.Functions.Hosting;

namespace Touchpoints.Functions.Collector;

/// <summary>
/// The website SDK collector: Segment's HTTP Tracking API (<c>/v1/batch</c>, <c>/v1/track</c>, ...), one function per
/// endpoint, each an HTTP trigger with an <c>http</c> output (<c>res</c>) and an Event Hubs output (<c>events</c>, hub
/// <c>web-events</c>). Valid events go out as the Segment JSON objects they arrived as, stamped with <c>receivedAt</c>.
/// The Event Hubs output binding of a custom handler cannot set a partition key (Azure/Azure-Functions#2430), so events
/// are spread across partitions; the intended key would be userId, else anonymousId (<see cref="SegmentIntake.PartitionKey"/>).
/// </summary>
public static class CollectorEndpoints
{
    /// <summary>The functions and the call each takes (null: a batch). Their routes are <c>v1/{call}</c>.</summary>
    public static readonly IReadOnlyList<(string Function, WebCall? Call)> Functions =
    [
        ("CollectBatch", null),
        ("CollectTrack", WebCall.Track),
        ("CollectIdentify", WebCall.Identify),
        ("CollectPage", WebCall.Page),
        ("CollectScreen", WebCall.Screen),
        ("CollectGroup", WebCall.Group),
        ("CollectAlias", WebCall.Alias),
    ];

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
        foreach (var (function, call) in Functions)
            app.MapPost("/" + function, (InvocationRequest request, SegmentCollector collector) => collector.Handle(function, call, request, shortPath: false));
        app.MapPost("/" + ShortPathFunction, (InvocationRequest request, SegmentCollector collector) => collector.Handle(ShortPathFunction, null, request, shortPath: true));
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
    IOptionsMonitor<CollectorOptions> options, IOptions<IdentityOptions> identity, TimeProvider clock, ILogger<SegmentCollector> logger)
{
    private const string AllowedMethods = "POST, OPTIONS";
    private const string DefaultAllowedHeaders = "Content-Type, Authorization, AnonymousId";

    public IResult Handle(string function, WebCall? call, InvocationRequest invocation, bool shortPath)
    {
        var request = HttpInvocation.Read(invocation);
        if (request is null) return Fail(400, "bad_request", "the invocation carries no HTTP request", null);

        var settings = options.CurrentValue;
        var origin = request.Header("Origin");
        var cors = Cors(settings, origin);
        if (string.Equals(request.Method, "OPTIONS", StringComparison.OrdinalIgnoreCase))
        {
            if (cors is null) return Fail(403, "origin_not_allowed", $"origin '{origin}' is not allowed", null);
            cors["Access-Control-Allow-Methods"] = AllowedMethods;
            cors["Access-Control-Allow-Headers"] = request.Header("Access-Control-Request-Headers") is { Length: > 0 } asked ? asked : DefaultAllowedHeaders;
            cors["Access-Control-Max-Age"] = "86400";
            return HttpInvocation.Answer(new HttpOutput(204, "", cors));
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
            return HttpInvocation.Answer(HttpOutput.Json(outcome.OnlyTooLarge ? 413 : 400, body.ToJsonString(), cors));
        }

        LogAccepted(logger, function, source, outcome.Events.Count, outcome.Rejected.Count);
        var events = new JsonArray([.. outcome.Events]);
        return HttpInvocation.Answer(HttpOutput.Json(200, Body(true, outcome.Rejected).ToJsonString(), cors), events,
            $"{function}: {source}, {outcome.Events.Count} events accepted, {outcome.Rejected.Count} rejected");
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

    private IResult Unauthorized(string function, Dictionary<string, string> cors)
    {
        LogUnauthorized(logger, function);
        return Fail(401, "unauthorized", "a valid write key is required (HTTP Basic user name, or writeKey in the body)", cors);
    }

    private static IResult Fail(int status, string code, string message, Dictionary<string, string>? cors)
    {
        var body = HttpInvocation.Error(code, message);
        body["success"] = false;
        return HttpInvocation.Answer(HttpOutput.Json(status, body.ToJsonString(), cors));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Function}: {Source} sent {Accepted} valid events, {Rejected} rejected")]
    private static partial void LogAccepted(ILogger logger, string function, string source, int accepted, int rejected);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function}: event {Index} ({MessageId}) from {Source} rejected: {Errors}")]
    private static partial void LogRejected(ILogger logger, string function, string source, int index, string? messageId, string errors);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Function}: request without a valid write key refused")]
    private static partial void LogUnauthorized(ILogger logger, string function);
}
