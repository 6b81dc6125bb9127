using System.Globalization;

namespace Touchpoints.Benchmarks.Cost;

/// <summary>The cost meter's printout: per ingested event, by function, container, operation and status.</summary>
internal static class Report
{
    public static void Print(CostMeter.Options options, IReadOnlyList<PublishedEvent> events, CostMeter.Phase ingestion, CostMeter.Phase rules, CostMeter.Phase timer,
        BlobMeter history, string queued)
    {
        double perEvent(double x) => x / events.Count;
        var phases = new[] { ("ingestion", ingestion), ("rules", rules), ("timer", timer) };
        var w = Console.Out;
        w.WriteLine();
        w.WriteLine(Line($"measured: {events.Count:N0} events ({Mix(events)}) after {options.Warmup:N0} warm-up events"));
        w.WriteLine(Line($"  ingestion: {ingestion.Invocations:N0} invocations, {ingestion.Elapsed.TotalSeconds:0.0} s; rules: {rules.Messages:N0} customer-changes in {rules.Invocations:N0} invocations, {rules.Elapsed.TotalSeconds:0.0} s; timer: {timer.Invocations:N0} runs, {timer.Elapsed.TotalSeconds:0.0} s"));
        w.WriteLine();
        w.WriteLine(Line($"{"function",-10} {"container",-15} {"operation",-9} {"status",6} {"req/event",10} {"KB out/ev",10} {"KB in/ev",10} {"RU/event",9}"));
        foreach (var (name, phase) in phases)
        {
            foreach (var (key, t) in phase.Requests.OrderByDescending(r => r.Value.RequestUnits))
            {
                var parts = key.Split(' ');
                w.WriteLine(Line($"{name,-10} {parts[0],-15} {parts[1],-9} {parts[2],6} {perEvent(t.Count),10:0.000} {perEvent(t.BytesSent) / 1024,10:0.00} {perEvent(t.BytesReceived) / 1024,10:0.00} {perEvent(t.RequestUnits),9:0.00}"));
            }
        }
        w.WriteLine();
        var all = ingestion.Requests.Concat(rules.Requests).Concat(timer.Requests).ToArray();
        double Sum(IEnumerable<KeyValuePair<string, RequestMeter.Tally>> tallies, Func<RequestMeter.Tally, double> f) => tallies.Sum(t => f(t.Value));
        bool Status(string key, params string[] codes) => codes.Contains(key.Split(' ')[2]);
        foreach (var (name, phase) in phases)
        {
            w.WriteLine(Line($"{name,-10} {perEvent(Sum(phase.Requests, t => t.RequestUnits)),6:0.00} RU/event, {perEvent(Sum(phase.Requests, t => t.Count)),6:0.000} requests/event, {perEvent(Sum(phase.Requests, t => t.BytesSent)) / 1024,6:0.00} KB written/event, {perEvent(Sum(phase.Requests, t => t.BytesReceived)) / 1024,6:0.00} KB read/event"));
            w.WriteLine(Line($"{"",-10} {phase.Cpu.TotalMilliseconds / events.Count,6:0.000} ms CPU/event, {perEvent(phase.Allocated) / 1024,6:0.0} KB allocated/event, {phase.Gen2} gen-2 collections, {events.Count / Math.Max(0.001, phase.Elapsed.TotalSeconds),8:N0} events/s"));
        }
        w.WriteLine(Line($"404s {perEvent(all.Where(a => Status(a.Key, "404")).Sum(a => a.Value.Count)):0.000}/event, refused conditional writes (409, 412) {perEvent(all.Where(a => Status(a.Key, "409", "412")).Sum(a => a.Value.Count)):0.000}/event, throttled (429) {perEvent(all.Where(a => Status(a.Key, "429")).Sum(a => a.Value.Count)):0.000}/event"));
        // Blob Storage's list prices (hot tier, LRS): $0.065 per 10,000 writes (creates, appends), $0.005 per 10,000 reads.
        var writes = history.Requests.Where(r => r.Key.StartsWith("append", StringComparison.Ordinal) || r.Key.StartsWith("create", StringComparison.Ordinal)).Sum(r => r.Value.Count);
        var historyRequests = history.Requests.Sum(r => r.Value.Count);
        w.WriteLine(Line($"history (Blob Storage): {perEvent(historyRequests):0.000} requests/event ({string.Join(", ", history.Requests.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => FormattableString.Invariant($"{r.Key} {perEvent(r.Value.Count):0.000}")))}), {perEvent(history.Requests.Sum(r => r.Value.Bytes)) / 1024:0.00} KB appended/event; ${perEvent(writes) * 1e6 * 0.065 / 10_000:0.00} per million events at $0.065 per 10,000 writes"));
        w.WriteLine(queued);
        var ru = perEvent(Sum(all, t => t.RequestUnits));
        var requests = perEvent(Sum(all, t => t.Count));
        var cpu = (ingestion.Cpu + rules.Cpu + timer.Cpu).TotalMilliseconds / events.Count;
        var kb = perEvent(ingestion.Allocated + rules.Allocated + timer.Allocated) / 1024;
        w.WriteLine(Line($"cost: {ru:0.00} RU/event, {requests:0.00} requests/event, {cpu:0.000} ms CPU/event, {kb:0.0} KB/event"));
    }

    private static string Mix(IReadOnlyList<PublishedEvent> events) =>
        string.Join(", ", events.GroupBy(e => e.Kind.Split('.')[0]).OrderByDescending(g => g.Count())
            .Select(g => string.Create(CultureInfo.InvariantCulture, $"{g.Key} {100.0 * g.Count() / events.Count:0}%")));

    private static string Line(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
