using System.Diagnostics;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Touchpoints.Functions.Hosting;

namespace Touchpoints.Functions.Tests.Hosting;

/// <summary>
/// What an operator sees of one ingestion invocation, through in-memory exporters: the trace continues the host's
/// <c>traceparent</c>, with Cosmos DB's operation spans under it, and the meter counts what was accepted and refused.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class TelemetryTests
{
    private readonly string run = Guid.NewGuid().ToString("N")[..8];

    [Fact]
    public async Task One_ingestion_invocation_yields_a_trace_under_the_hosts_trace_id_with_cosmos_spans_and_the_operators_metrics()
    {
        var cosmos = await SharedEmulators.CosmosAsync();
        var azurite = await SharedEmulators.AzuriteAsync();
        var database = SharedEmulators.NewDatabaseName("telemetry");
        var activities = new List<Activity>();
        var metrics = new List<Metric>();
        await using var app = HandlerApp.Build([], builder =>
        {
            builder.WebHost.UseTestServer();
            builder.Configuration.AddInMemoryCollection(HandlerFixture.Settings(cosmos, azurite, database));
            builder.Services.ConfigureOpenTelemetryTracerProvider(t => t.AddInMemoryExporter(activities));
            builder.Services.ConfigureOpenTelemetryMeterProvider(m => m.AddInMemoryExporter(metrics));
        });
        await app.StartAsync();
        using var client = app.GetTestClient();
        var traceId = ActivityTraceId.CreateRandom();
        string Page(string id) =>
            $$"""{"type":"page","messageId":"{{id}}-{{run}}","anonymousId":"anon-{{run}}","name":"Home","properties":{"path":"/"},"timestamp":"2026-11-30T09:00:00Z"}""";
        var batch = HostPayloads.EventHubBatch(Hubs.WebEvents, "0", 1, [Page("p1"), Page("p2"), """{"type":"page"}"""]);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/IngestWebEvents") { Content = JsonContent.Create(batch) };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");
        using var response = await client.SendAsync(request);
        Assert.Equal(200, (int)response.StatusCode);
        app.Services.GetRequiredService<TracerProvider>().ForceFlush();
        app.Services.GetRequiredService<MeterProvider>().ForceFlush();

        // Activity sources are process-wide: other apps of this test process report theirs too, on their own threads, even
        // while this reads (so a copy is read, not the exporter's list); ours carry the host's trace id and are all in it.
        var exported = activities.ToArray().OfType<Activity>().ToList();
        var server = Assert.Single(exported, a => a.Source.Name == "Microsoft.AspNetCore" && a.TraceId == traceId);
        Assert.Equal("POST /IngestWebEvents", server.DisplayName);
        var operations = exported.Where(a => a.Source.Name == Telemetry.CosmosSource && a.TraceId == traceId).ToList();
        Assert.NotEmpty(operations);
        Assert.All(operations, a => Assert.NotNull(a.ParentId));

        Assert.Equal(2, Sum(metrics, "touchpoints.events.accepted", ("source", "web")));
        Assert.Equal(1, Sum(metrics, "touchpoints.events.rejected", ("source", "web")));
        Assert.Contains(metrics, m => m.Name == "touchpoints.ingestion.batch.size");
        Assert.Contains(metrics, m => m.Name == "touchpoints.ingestion.lag");
        Assert.Contains(metrics, m => m.Name == "touchpoints.ingestion.batch.duration");
    }

    private static long Sum(IEnumerable<Metric> metrics, string name, (string Key, string Value) tag)
    {
        long total = 0;
        foreach (var metric in metrics.Where(m => m.Name == name))
        {
            foreach (ref readonly var point in metric.GetMetricPoints())
            {
                var matches = false;
                foreach (var t in point.Tags) if (t.Key == tag.Key && Equals(t.Value, tag.Value)) matches = true;
                if (matches) total += point.GetSumLong();
            }
        }
        return total;
    }
}

/// <summary>
/// Meters are process-wide too: the telemetry test runs alone, so that no other test's ingestion adds to what it counts.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "telemetry";
}
