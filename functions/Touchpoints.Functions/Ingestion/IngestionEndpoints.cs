using System.Text.Json;
using Touchpoints.Core.Events;
using Touchpoints.Functions.Hosting;
using Touchpoints.Functions.Rules;
using Touchpoints.Functions.Storage;

namespace Touchpoints.Functions.Ingestion;

/// <summary>The three Event Hubs–triggered ingestion functions; their bindings are in <c>{Name}/function.json</c>.</summary>
public static class IngestionEndpoints
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

    public static IServiceCollection AddIngestion(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<IngestionOptions>().Bind(configuration.GetSection(IngestionOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IngestionHandler>();
        services.AddSingleton<IRescoring, Rescoring>();
        services.AddSingleton<IdentityRepair>();
        return services;
    }

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
        return await Invocations.RunAsync(function, batch.Count, logger, async () =>
        {
            var outcome = await handler.IngestAsync(source, batch, ct).ConfigureAwait(false);
            return new InvocationResponse
            {
                Outputs = { [ChangesOutput] = JsonSerializer.SerializeToNode(outcome.Changes, StorageJsonContext.Default.IReadOnlyListCustomerChanged) },
                Logs = { $"{function}: {batch.Count} events, {outcome.Accepted} accepted, {outcome.Rejected} rejected, {outcome.Changes.Count} customers changed" },
            };
        }, ct).ConfigureAwait(false);
    }
}
