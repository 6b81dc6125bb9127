using System.Diagnostics;
using System.Diagnostics.Metrics;
using Azure.Identity;
using Azure.Monitor.OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Touchpoints.Functions.Hosting;

/// <summary>
/// OpenTelemetry for the handler: a trace per request, continued from the caller's <c>traceparent</c> (the Functions host's
/// invocation, or the SDK behind a forwarded request), with Cosmos DB's operation spans under it (<c>Azure.Cosmos.Operation</c>),
/// and the metrics an operator watches (<see cref="TouchpointsMetrics"/>). Exported to Application Insights with the app's
/// identity (Entra, as the host's own telemetry) when <c>APPLICATIONINSIGHTS_CONNECTION_STRING</c> is set — only in Azure:
/// locally and in tests nothing is exported and nothing probes Azure's instance metadata (statsbeat is off).
/// </summary>
public static class Telemetry
{
    public const string ServiceName = "touchpoints-handler";
    public const string CosmosSource = "Azure.Cosmos.Operation";
    public const string ConnectionStringSetting = "APPLICATIONINSIGHTS_CONNECTION_STRING";
    public const string AuthenticationStringSetting = "APPLICATIONINSIGHTS_AUTHENTICATION_STRING";

    public static IServiceCollection AddTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        // The Azure SDKs (Cosmos DB's among them) emit their spans through ActivitySource only with this switch on.
        AppContext.SetSwitch("Azure.Experimental.EnableActivitySource", true);
        services.AddSingleton<TouchpointsMetrics>();
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(r => r.AddService(ServiceName))
            .WithTracing(t => t.AddAspNetCoreInstrumentation().AddSource(CosmosSource))
            .WithMetrics(m => m.AddMeter(TouchpointsMetrics.MeterName));
        if (configuration[ConnectionStringSetting] is { Length: > 0 } connectionString)
        {
            telemetry.UseAzureMonitorExporter(o =>
            {
                // Statsbeat stays off through APPLICATIONINSIGHTS_STATSBEAT_DISABLED (infra/main.bicep): it probes the metadata address.
                o.ConnectionString = connectionString;
                // "Authorization=AAD;ClientId=…": the app's user-assigned identity, as the host's Application Insights uses it.
                if (ClientIdOf(configuration[AuthenticationStringSetting]) is { } clientId)
                    o.Credential = new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId));
            });
        }
        return services;
    }

    private static string? ClientIdOf(string? authentication) =>
        authentication?.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2)).FirstOrDefault(p => p.Length == 2 && p[0].Equals("ClientId", StringComparison.OrdinalIgnoreCase))?[1];
}

/// <summary>
/// The meter <c>Touchpoints</c>: what an operator of ingestion and the rules watches. Tags carry sources, reasons, rules
/// and outcomes — never an identifier or anything personal.
/// </summary>
public sealed class TouchpointsMetrics : IDisposable
{
    public const string MeterName = "Touchpoints";

    private readonly Meter meter = new(MeterName);
    private readonly Counter<long> accepted;
    private readonly Counter<long> rejected;
    private readonly Counter<long> merges;
    private readonly Counter<long> suppressed;
    private readonly Counter<long> conflicts;
    private readonly Histogram<int> batchSize;
    private readonly Histogram<double> batchDuration;
    private readonly Histogram<double> lag;
    private readonly Counter<long> decisions;
    private readonly Counter<long> deliveries;

    public TouchpointsMetrics()
    {
        accepted = meter.CreateCounter<long>("touchpoints.events.accepted", "{event}", "Events applied to customer views, per source");
        rejected = meter.CreateCounter<long>("touchpoints.events.rejected", "{event}", "Events refused and kept in 'rejected', per source and reason");
        suppressed = meter.CreateCounter<long>("touchpoints.events.suppressed", "{event}", "Events of erased people dropped at ingestion, per source");
        merges = meter.CreateCounter<long>("touchpoints.identity.merges", "{merge}", "Profiles merged into another");
        conflicts = meter.CreateCounter<long>("touchpoints.identity.conflicts", "{conflict}", "Identifiers kept apart (two values of an exclusive type)");
        batchSize = meter.CreateHistogram<int>("touchpoints.ingestion.batch.size", "{event}", "Events per ingestion invocation, per source");
        batchDuration = meter.CreateHistogram<double>("touchpoints.ingestion.batch.duration", "s", "Duration of an ingestion invocation, per source");
        lag = meter.CreateHistogram<double>("touchpoints.ingestion.lag", "s", "From an event's arrival in its hub to its view written, per source");
        decisions = meter.CreateCounter<long>("touchpoints.rules.decisions", "{decision}", "Rule decisions per rule, outcome and suppression reason");
        deliveries = meter.CreateCounter<long>("touchpoints.deliveries", "{message}", "Messages taken off the queues per queue, route, outcome (delivered, dropped, held, failed) and reason");
    }

    public void Batch(string source, int size, int acceptedCount, IEnumerable<string> rejectedReasons, TimeSpan duration)
    {
        var tag = new KeyValuePair<string, object?>("source", source);
        batchSize.Record(size, tag);
        batchDuration.Record(duration.TotalSeconds, tag);
        if (acceptedCount > 0) accepted.Add(acceptedCount, tag);
        foreach (var reason in rejectedReasons.GroupBy(r => r, StringComparer.Ordinal))
            rejected.Add(reason.Count(), tag, new("reason", reason.Key));
    }

    public void Suppressed(string source, int count) => suppressed.Add(count, new KeyValuePair<string, object?>("source", source));

    public void Lag(string source, TimeSpan arrivalToWritten) => lag.Record(Math.Max(0, arrivalToWritten.TotalSeconds), new KeyValuePair<string, object?>("source", source));

    public void Resolution(int mergeCount, int conflictCount)
    {
        if (mergeCount > 0) merges.Add(mergeCount);
        if (conflictCount > 0) conflicts.Add(conflictCount);
    }

    public void Decision(string ruleId, string outcome, string? reason) =>
        decisions.Add(1, new("rule", ruleId), new("outcome", outcome), new("reason", reason ?? "none"));

    public void Delivery(string queue, string route, string outcome, string? reason) =>
        deliveries.Add(1, new("queue", queue), new("route", route), new("outcome", outcome), new("reason", reason ?? "none"));

    public void Dispose() => meter.Dispose();
}

/// <summary>Names as the documents spell them.</summary>
internal static class Names
{
    /// <summary>An enum value as its documents and APIs name it: <c>heldOut</c>, <c>frequencyCap</c>.</summary>
    public static string CamelCase<T>(T value) where T : struct, Enum => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(value.ToString());
}
