using System.Diagnostics.Metrics;
using System.Text.RegularExpressions;
using Touchpoints.Functions.Hosting;
using Touchpoints.Infrastructure.Tests.Support;

namespace Touchpoints.Infrastructure.Tests;

/// <summary>The alerts of <c>infra/</c> watch metrics the handler emits, by the names it gives them.</summary>
public sealed partial class AlertTests
{
    [Fact]
    public void Every_metric_an_alert_queries_is_one_the_handler_emits()
    {
        var emitted = new HashSet<string>(StringComparer.Ordinal);
        using (var listener = new MeterListener())
        {
            listener.InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == TouchpointsMetrics.MeterName) emitted.Add(instrument.Name);
            };
            listener.Start();
            using var metrics = new TouchpointsMetrics();
        }

        var queried = MetricName().Matches(File.ReadAllText(Tooling.Path("infra", "core", "monitor", "monitoring.bicep"))).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);

        Assert.NotEmpty(queried);
        Assert.Subset(emitted, queried);
        Assert.Contains("touchpoints.ingestion.lag", queried);
    }

    [GeneratedRegex(@"touchpoints\.[a-z.]+[a-z]")]
    private static partial Regex MetricName();
}
