using System.Text.Json;
using System.Text.Json.Serialization;

namespace Touchpoints.FunctionsHost.Runtime;

/// <summary>What <c>GET /runtime/status</c> answers.</summary>
public sealed record RuntimeStatus(
    bool Idle,
    int InFlight,
    long Invocations,
    long Succeeded,
    long Failed,
    IReadOnlyList<HubStatus> Hubs,
    IReadOnlyList<QueueStatus> Queues,
    IReadOnlyList<FunctionStatus> Functions);

/// <summary>A hub: its events, and how many of them some function has yet to process.</summary>
public sealed record HubStatus(string Name, long Events, long Pending, IReadOnlyList<PartitionStatus> Partitions);

/// <param name="Checkpoints">Per consuming function, the next sequence number it will read.</param>
public sealed record PartitionStatus(string Id, long Events, long Pending, IReadOnlyDictionary<string, long> Checkpoints);

/// <param name="ApproximateMessages">The queue's approximate count: visible messages and those waiting (held until a time, backing off).</param>
/// <param name="Ready">Whether a message is visible now, for the trigger to take; null when the queue cannot be read.</param>
/// <param name="Paused">The trigger takes no message until resumed (<c>POST runtime/functions/{name}/resume</c>).</param>
public sealed record QueueStatus(string Function, string Queue, int? ApproximateMessages, bool? Ready = null, bool Paused = false);

/// <param name="Source">The URL (HTTP), hub, queue or schedule the function is triggered by.</param>
public sealed record FunctionStatus(string Name, string Trigger, string Source);

/// <summary>What <c>POST /runtime/hubs/{hub}</c> answers.</summary>
public sealed record PublishResult(string Hub, int Published, IReadOnlyList<PublishedEvent> Events);

public sealed record PublishedEvent(string PartitionId, long SequenceNumber);

/// <summary>An event as <c>GET /runtime/hubs/{hub}</c> lists it.</summary>
public sealed record HubEventView(string PartitionId, long SequenceNumber, string? PartitionKey, DateTimeOffset EnqueuedTimeUtc, string Body);

/// <summary>The body of <c>POST /admin/functions/{name}</c>.</summary>
public sealed record AdminInvocation(string? Input);

public sealed record ErrorBody(string Error);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, WriteIndented = true)]
[JsonSerializable(typeof(RuntimeStatus))]
[JsonSerializable(typeof(PublishResult))]
[JsonSerializable(typeof(IReadOnlyList<HubEventView>))]
[JsonSerializable(typeof(AdminInvocation))]
[JsonSerializable(typeof(ErrorBody))]
public sealed partial class LocalHostJsonContext : JsonSerializerContext
{
    /// <summary>Indented, web casing, and without escaping quotes or non-ASCII characters in bodies.</summary>
    public static LocalHostJsonContext Readable { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
