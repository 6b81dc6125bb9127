using Touchpoints.Core.Identity;
using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;
using Touchpoints.Core;
using Touchpoints.Core.Events;
using Touchpoints.Core.Ingestion;
using Touchpoints.Core.Views;

namespace Touchpoints.Benchmarks;

/// <summary>
/// The web ingestion hot path, one operation = one batch of <see cref="BatchSize"/> Segment events as the Event Hubs
/// trigger delivers them. Events per second = <see cref="BatchSize"/> / mean. The three stages share a run so that the
/// ratios to the deserialize-only baseline are comparable.
/// </summary>
[MemoryDiagnoser]
// Short enough for a few minutes' run; Min and Median beside the Mean because shared build machines are noisy.
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 15)]
[MinColumn, MedianColumn]
public class IngestionBenchmarks
{
    public const int BatchSize = 1000;

    private IReadOnlyList<IncomingEvent> incoming = [];
    private DateTimeOffset now;

    [GlobalSetup]
    public void Setup()
    {
        incoming = SegmentTraffic.Batch(BatchSize);
        now = SegmentTraffic.Now;

        // The benchmarks measure the accepting path: a generator bug that got events rejected would measure something else.
        var (accepted, rejected) = IngestionBatch.Parse(EventSource.Web, incoming, now);
        if (accepted.Count != BatchSize || rejected.Count != 0)
        {
            throw new InvalidOperationException(
                $"expected {BatchSize} accepted events, got {accepted.Count} accepted and {rejected.Count} rejected: "
                + string.Join(" | ", rejected.Take(3).Select(r => string.Join("; ", r.Errors))));
        }
    }

    /// <summary>
    /// The floor: what System.Text.Json alone costs to turn the bodies into wire DTOs (<see cref="SegmentWireShape"/>, the
    /// shape the parser deserialized into before its one-pass reader, so the baseline stays the same measure).
    /// </summary>
    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Batch1000")]
    public int DeserializeOnly()
    {
        var count = 0;
        foreach (var item in incoming)
            if (JsonSerializer.Deserialize(item.Body, BaselineJsonContext.Default.SegmentWireShape) is not null) count++;
        return count;
    }

    /// <summary>Deserialize, validate, normalise identifiers, correct clock skew and dedupe: <see cref="IngestionBatch.Parse"/>.</summary>
    [Benchmark]
    [BenchmarkCategory("Batch1000")]
    public int ParseAndValidate() => IngestionBatch.Parse(EventSource.Web, incoming, now).Accepted.Count;

    /// <summary>
    /// Parse, then fold each customer's events into a new view with <see cref="IngestionBatch.Apply"/>. Identity resolution
    /// (which needs the store) is stood in for by grouping on each event's first identifier key.
    /// </summary>
    [Benchmark]
    [BenchmarkCategory("Batch1000")]
    public long ParseValidateAndProject()
    {
        var (accepted, _) = IngestionBatch.Parse(EventSource.Web, incoming, now);

        var groups = new Dictionary<string, List<AcceptedEvent>>(StringComparer.Ordinal);
        foreach (var a in accepted)
        {
            var key = a.Event.Identifiers[0].Key;
            if (!groups.TryGetValue(key, out var events)) groups[key] = events = [];
            events.Add(a);
        }

        long journalEntries = 0;
        foreach (var (customerId, events) in groups)
        {
            var identities = events.SelectMany(a => a.Event.Identifiers).Select(i => i.Key).Distinct(StringComparer.Ordinal).ToImmutableArray();
            var update = IngestionBatch.Apply(
                current: null, new CustomerSlice(new CustomerId(customerId), events[0].Event.OccurredAt, Losers: [], events, identities, Conflicts: []), now);
            journalEntries += update.View.Journal.Length;
        }
        return journalEntries;
    }
}

/// <summary>A Segment message deserialized with the doors' options and converters: the members read, property bags as elements.</summary>
internal sealed class SegmentWireShape
{
    public string? Type { get; set; }
    [JsonConverter(typeof(StringOrNumberConverter))] public string? MessageId { get; set; }
    [JsonConverter(typeof(StringOrNumberConverter))] public string? AnonymousId { get; set; }
    [JsonConverter(typeof(StringOrNumberConverter))] public string? UserId { get; set; }
    [JsonConverter(typeof(StringOrNumberConverter))] public string? PreviousId { get; set; }
    [JsonConverter(typeof(StringOrNumberConverter))] public string? GroupId { get; set; }
    public string? Event { get; set; }
    public string? Name { get; set; }
    public Dictionary<string, JsonElement>? Properties { get; set; }
    public Dictionary<string, JsonElement>? Traits { get; set; }
    public SegmentWireContext? Context { get; set; }
    public DateTimeOffset? Timestamp { get; set; }
    public DateTimeOffset? OriginalTimestamp { get; set; }
    public DateTimeOffset? SentAt { get; set; }
    public DateTimeOffset? ReceivedAt { get; set; }
}

internal sealed class SegmentWireContext
{
    public Dictionary<string, JsonElement>? Page { get; set; }
    public Dictionary<string, JsonElement>? Campaign { get; set; }
    public Dictionary<string, JsonElement>? Traits { get; set; }
    public string? UserAgent { get; set; }
    public string? Ip { get; set; }
    public string? Locale { get; set; }
    public string? Timezone { get; set; }
}

[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    AllowTrailingCommas = true,
    AllowDuplicateProperties = false,
    ReadCommentHandling = JsonCommentHandling.Skip,
    Converters = [typeof(UtcTimestampConverter)])]
[JsonSerializable(typeof(SegmentWireShape))]
internal sealed partial class BaselineJsonContext : JsonSerializerContext;
