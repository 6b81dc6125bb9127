using System.Text.Json;
using Touchpoints.Core.Events;
using Touchpoints.Functions.Hosting;

namespace Touchpoints.Functions.Ingestion;

/// <summary>The three Event Hubs–triggered ingestion functions; their bindings are in <c>{Name}/function.json</c>.</summary>
public static partial class IngestionEndpoints
{
    /// <summary>The trigger binding's name in function.json.</summary>
    public const string Trigger = "events";
    /// <summary>The <c>customer-changes</c> output binding's name in function.json.</summary>
    public const string ChangesOutput = "changes";

    public static readonly IReadOnlyList<(string Function, EventSource Source, string Hub)> Functions =
    [
        ("IngestWebEvents", EventSource.Web, Hubs.WebEvents),
        ("IngestSocialEvents", EventSource.Social, Hubs.SocialEvents),
        ("IngestCrmEvents", EventSource.Crm, Hubs.CrmEvents),
    ];

    public static IEndpointRouteBuilder MapIngestion(this IEndpointRouteBuilder app)
    {
        foreach (var (function, source, hub) in Functions)
        {
            app.MapPost("/" + function, (InvocationRequest request, IngestionHandler handler, TimeProvider clock, ILoggerFactory logs, CancellationToken ct) =>
                IngestAsync(function, source, hub, request, handler, clock, logs.CreateLogger(typeof(IngestionEndpoints)), ct));
        }
        return app;
    }

    private static async Task<IResult> IngestAsync(
        string function, EventSource source, string hub, InvocationRequest request, IngestionHandler handler, TimeProvider clock, ILogger logger,
        CancellationToken ct)
    {
        var batch = EventHubBatch.Decode(request, Trigger, hub, clock.GetUtcNow());
        try
        {
            var outcome = await handler.IngestAsync(source, batch, ct).ConfigureAwait(false);
            var response = new InvocationResponse
            {
                Outputs = { [ChangesOutput] = JsonSerializer.SerializeToNode(outcome.Changes, StoreJsonContext.Default.IReadOnlyListCustomerChanged) },
                Logs = { $"{function}: {batch.Count} events, {outcome.Accepted} accepted, {outcome.Rejected} rejected, {outcome.Changes.Count} customers changed" },
            };
            return Results.Json(response, HostJsonContext.Default.InvocationResponse);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // A failed invocation is replayed by the function's retry policy, and every step is idempotent: failing the
            // whole batch is how a transient fault (Cosmos unavailable, throttled beyond the SDK's retries) loses nothing.
            LogFailed(logger, function, batch.Count, e);
            return Results.Json(new InvocationResponse { Logs = { $"{function} failed: {e.Message}" } }, HostJsonContext.Default.InvocationResponse,
                statusCode: StatusCodes.Status500InternalServerError);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Function} failed on a batch of {Count} events; the retry policy will replay it")]
    private static partial void LogFailed(ILogger logger, string function, int count, Exception exception);
}
