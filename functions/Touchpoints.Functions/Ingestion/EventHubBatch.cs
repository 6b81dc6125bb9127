using Touchpoints.Core.Ingestion;
using Touchpoints.Core.Views;
using Touchpoints.Functions.Hosting;

namespace Touchpoints.Functions.Ingestion;

/// <summary>Decodes an Event Hubs trigger invocation (<c>cardinality: many</c>, <c>dataType: string</c>).</summary>
public static class EventHubBatch
{
    public static IReadOnlyList<IncomingEvent> Decode(InvocationRequest request, string binding, string defaultHub, DateTimeOffset now)
    {
        var bodies = HostValue.Bodies(request.DataOf(binding));
        var sequences = HostValue.Longs(request.MetadataOf("SequenceNumberArray"));
        var enqueued = HostValue.Times(request.MetadataOf("EnqueuedTimeUtcArray"));
        var context = request.MetadataOf("PartitionContext");
        var hub = HostValue.Property(context, "EventHubName") ?? defaultHub;
        var partitionId = HostValue.Property(context, "PartitionId");
        var partition = partitionId is null ? null : $"{hub}/{partitionId}";

        var events = new IncomingEvent[bodies.Count];
        for (var i = 0; i < bodies.Count; i++)
        {
            // Without the partition and sequence number (a plain test call), replays are caught by event id alone.
            var position = partition is not null && i < sequences.Count && sequences[i] >= 0 ? new EventPosition(partition, sequences[i]) : null;
            events[i] = new IncomingEvent(bodies[i], position, i < enqueued.Count && enqueued[i] is { } t ? t : now);
        }
        return events;
    }
}
