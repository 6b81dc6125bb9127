using System.Globalization;
using Touchpoints.Infrastructure.Tests.Support;

namespace Touchpoints.Infrastructure.Tests;

/// <summary>
/// The sizing arithmetic of <c>infra/sizing.bicep</c>, evaluated by the Bicep compiler itself (<c>bicep console</c>), so the
/// capacity table in the README is what a deployment with <c>targetEventsPerSecond</c> gets.
/// </summary>
public sealed class SizingTests
{
    /// <summary>The file's functions, one per line as the console takes them (decorators dropped).</summary>
    private static string Functions() =>
        string.Join('\n', File.ReadAllLines(Tooling.Path("infra", "sizing.bicep")).Where(l => l.StartsWith("func ", StringComparison.Ordinal)));

    private static async Task<IReadOnlyList<string>> EvaluateAsync(params string[] expressions)
    {
        var input = Functions() + "\n" + string.Join('\n', expressions) + "\n";
        var result = await Tooling.RunAsync(BicepCompiler.Executable, ["console"], Tooling.RepoRoot, TimeSpan.FromMinutes(1), input);
        var lines = result.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(lines.Length == expressions.Length, $"bicep console answered:{Environment.NewLine}{result.Output}{result.Error}");
        return lines;
    }

    [Theory]
    // events/s, RU/event → RU/s, Cosmos mode, customers' autoscale max, throughput units, partitions, instances
    [InlineData(10, 8, 80, "'serverless'", 1000, 1, 4, 40)]
    [InlineData(100, 8, 800, "'autoscale'", 1000, 1, 4, 40)]
    [InlineData(600, 8, 4800, "'autoscale'", 3000, 1, 4, 40)]
    [InlineData(1000, 8, 8000, "'autoscale'", 4000, 2, 4, 40)]
    [InlineData(1000, 10, 10000, "'autoscale'", 5000, 2, 4, 40)]
    [InlineData(5000, 8, 40000, "'autoscale'", 18000, 7, 10, 50)]
    [InlineData(10000, 8, 80000, "'autoscale'", 36000, 13, 20, 90)]
    [InlineData(30000, 8, 240000, "'autoscale'", 108000, 39, 32, 138)]
    public async Task A_target_rate_sizes_cosmos_event_hubs_and_the_function_app(
        int eventsPerSecond, int requestUnitsPerEvent, int requestUnits, string mode, int customersMax, int throughputUnits, int partitions, int instances)
    {
        string I(int n) => n.ToString(CultureInfo.InvariantCulture);
        var answers = await EvaluateAsync(
            $"requestUnitsFor({I(eventsPerSecond)}, {I(requestUnitsPerEvent)})",
            $"cosmosModeFor(requestUnitsFor({I(eventsPerSecond)}, {I(requestUnitsPerEvent)}))",
            $"containerAutoscaleMax(requestUnitsFor({I(eventsPerSecond)}, {I(requestUnitsPerEvent)}), 45)",
            $"throughputUnitsFor({I(eventsPerSecond)})",
            $"partitionsFor({I(eventsPerSecond)})",
            $"instancesFor(partitionsFor({I(eventsPerSecond)}))");

        Assert.Equal([I(requestUnits), mode, I(customersMax), I(throughputUnits), I(partitions), I(instances)], answers);
    }

    [Fact]
    public async Task Every_container_gets_at_least_the_smallest_autoscale_step()
    {
        Assert.Equal(["1000", "1000"], await EvaluateAsync("containerAutoscaleMax(8000, 1)", "containerAutoscaleMax(0, 45)"));
    }
}
