using System.Collections.Concurrent;
using System.Globalization;
using System.Text;

namespace Touchpoints.FunctionsHost.Runtime;

/// <summary>An event as stored in a partition of an in-memory hub.</summary>
public sealed record HubEvent(
    string Hub,
    string PartitionId,
    long SequenceNumber,
    long Offset,
    string? PartitionKey,
    DateTimeOffset EnqueuedTime,
    ReadOnlyMemory<byte> Body)
{
    public string BodyText => Encoding.UTF8.GetString(Body.Span);

    public string OffsetText => Offset.ToString(CultureInfo.InvariantCulture);
}

/// <summary>
/// Event Hubs in memory: every hub has a fixed number of partitions, events with a partition key always land in the same
/// one (a stable hash of the key), events without one are spread round-robin, and each partition numbers its events.
/// Events are kept for the life of the host, so tests and tools can read what was published.
/// </summary>
public sealed class InMemoryEventHubs
{
    private readonly ConcurrentDictionary<string, EventHubInstance> hubs = new(StringComparer.OrdinalIgnoreCase);
    private readonly int defaultPartitionCount;
    private readonly IReadOnlyDictionary<string, int> partitionCounts;
    private readonly TimeProvider clock;

    public InMemoryEventHubs(int defaultPartitionCount = 4, IReadOnlyDictionary<string, int>? partitionCounts = null, TimeProvider? clock = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(defaultPartitionCount, 1);
        this.defaultPartitionCount = defaultPartitionCount;
        this.partitionCounts = partitionCounts ?? new Dictionary<string, int>();
        this.clock = clock ?? TimeProvider.System;
    }

    public IEnumerable<EventHubInstance> Hubs => hubs.Values.OrderBy(h => h.Name, StringComparer.Ordinal);

    /// <summary>The hub if the app's functions (or a tool) made it exist; a sender to any other is refused, as Azure would.</summary>
    public EventHubInstance? Find(string name) => hubs.TryGetValue(name, out var hub) ? hub : null;

    public EventHubInstance Hub(string name) => hubs.GetOrAdd(name, n =>
        new EventHubInstance(n, partitionCounts.TryGetValue(n, out var count) ? count : defaultPartitionCount, clock));

    public IReadOnlyList<HubEvent> Publish(string hub, IEnumerable<ReadOnlyMemory<byte>> bodies, string? partitionKey = null) =>
        Hub(hub).Publish(bodies.Select(b => (b, partitionKey)));

    public IReadOnlyList<HubEvent> Publish(string hub, IEnumerable<string> bodies, string? partitionKey = null) =>
        Publish(hub, bodies.Select(b => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(b)), partitionKey);
}

/// <summary>One in-memory hub.</summary>
public sealed class EventHubInstance
{
    private readonly TimeProvider clock;
    private int roundRobin = -1;

    internal EventHubInstance(string name, int partitionCount, TimeProvider clock)
    {
        Name = name;
        this.clock = clock;
        Partitions = [.. Enumerable.Range(0, partitionCount).Select(i => new EventHubPartition(name, i.ToString(CultureInfo.InvariantCulture)))];
    }

    public string Name { get; }

    public IReadOnlyList<EventHubPartition> Partitions { get; }

    public IReadOnlyList<HubEvent> Publish(IEnumerable<(ReadOnlyMemory<byte> Body, string? PartitionKey)> events)
    {
        var published = new List<HubEvent>();
        foreach (var (body, key) in events)
        {
            var partition = key is null
                ? Partitions[(int)((uint)Interlocked.Increment(ref roundRobin) % (uint)Partitions.Count)]
                : Partitions[PartitionFor(key, Partitions.Count)];
            published.Add(partition.Append(body, key, clock.GetUtcNow()));
        }

        return published;
    }

    /// <summary>Appends to the partition given, as a sender to <c>{hub}/Partitions/{id}</c> does.</summary>
    public IReadOnlyList<HubEvent> PublishTo(EventHubPartition partition, IEnumerable<(ReadOnlyMemory<byte> Body, string? PartitionKey)> events)
    {
        ArgumentNullException.ThrowIfNull(partition);
        if (!Partitions.Contains(partition)) throw new ArgumentException($"{partition.Hub}/{partition.Id} is not a partition of {Name}.", nameof(partition));
        return [.. events.Select(e => partition.Append(e.Body, e.PartitionKey, clock.GetUtcNow()))];
    }

    /// <summary>Every event of the hub, partition by partition, in sequence order.</summary>
    public IReadOnlyList<HubEvent> Events() => [.. Partitions.SelectMany(p => p.Read(0, int.MaxValue))];

    /// <summary>The partition a key maps to: FNV-1a over its UTF-8 bytes, stable across runs and machines.</summary>
    public static int PartitionFor(string partitionKey, int partitionCount)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(partitionKey))
        {
            hash ^= b;
            hash *= 16777619u;
        }

        return (int)(hash % (uint)partitionCount);
    }
}

/// <summary>One partition: an append-only list of events, and a signal for the consumers waiting on it.</summary>
public sealed class EventHubPartition
{
    private readonly List<HubEvent> events = [];
    private readonly Lock gate = new();
    private TaskCompletionSource appended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long nextOffset;

    internal EventHubPartition(string hub, string id)
    {
        Hub = hub;
        Id = id;
    }

    public string Hub { get; }

    public string Id { get; }

    /// <summary>How many events the partition holds, which is also the next sequence number.</summary>
    public long Count
    {
        get
        {
            lock (gate) return events.Count;
        }
    }

    /// <summary>Completes at the next append; take it before checking <see cref="Count"/> so no append is missed.</summary>
    public Task Appended
    {
        get
        {
            lock (gate) return appended.Task;
        }
    }

    internal HubEvent Append(ReadOnlyMemory<byte> body, string? partitionKey, DateTimeOffset now)
    {
        TaskCompletionSource signal;
        HubEvent stored;
        lock (gate)
        {
            stored = new HubEvent(Hub, Id, events.Count, nextOffset, partitionKey, now, body.ToArray());
            nextOffset += Math.Max(body.Length, 1);
            events.Add(stored);
            signal = appended;
            appended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        signal.TrySetResult();
        return stored;
    }

    public IReadOnlyList<HubEvent> Read(long fromSequence, int maxCount)
    {
        lock (gate)
        {
            if (fromSequence >= events.Count || maxCount <= 0) return [];
            var count = (int)Math.Min(maxCount, events.Count - fromSequence);
            return events.GetRange((int)fromSequence, count);
        }
    }
}
