using System.Globalization;
using System.Text.Json;
using BenchmarkDotNet.Running;

namespace Touchpoints.Benchmarks;

/// <summary>
/// Entry point: <c>dotnet run -c Release --project tests/Touchpoints.Benchmarks -- --filter '*'</c>.
/// <c>-- --describe</c> prints the shape of the generated batch instead of running benchmarks; <c>-- cost</c> runs the
/// cost meter (<see cref="Cost.CostMeter"/>) instead.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args is ["cost", ..]) return await Cost.CostMeter.RunAsync(args[1..]);
        if (args is ["--describe"])
        {
            Describe();
            return 0;
        }
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        return 0;
    }

    private static void Describe()
    {
        var batch = SegmentTraffic.Batch(IngestionBenchmarks.BatchSize);
        var kinds = new Dictionary<string, int>(StringComparer.Ordinal);
        var anonymous = new HashSet<string>(StringComparer.Ordinal);
        var users = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in batch)
        {
            using var document = JsonDocument.Parse(item.Body);
            var root = document.RootElement;
            var type = root.GetProperty("type").GetString()!;
            var kind = type == "track" ? root.GetProperty("event").GetString()! : type;
            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
            anonymous.Add(root.GetProperty("anonymousId").GetString()!);
            if (root.GetProperty("userId").GetString() is { } user) users.Add(user);
        }
        var bytes = batch.Sum(e => System.Text.Encoding.UTF8.GetByteCount(e.Body));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{batch.Count} events, {anonymous.Count} anonymousIds, {users.Count} userIds, {bytes / batch.Count} bytes/event on average"));
        foreach (var (kind, count) in kinds.OrderByDescending(k => k.Value))
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {kind,-22} {count,5} ({100.0 * count / batch.Count:0.0}%)"));
        Console.WriteLine(batch[0].Body);
    }
}
