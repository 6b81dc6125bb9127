using System.Security.Cryptography;
using System.Text;
using Microsoft.Azure.Cosmos;
using Touchpoints.Core.Events;
using Touchpoints.Core.Ingestion;

namespace Touchpoints.Functions.Storage;

/// <summary>Keeps refused events. Ids derive from the event's place in its partition, so a replay overwrites, never duplicates.</summary>
public sealed class RejectionStore(Database database, TimeProvider clock)
{
    private readonly Container container = database.GetContainer(Containers.Rejected);

    public Task SaveAsync(IEnumerable<Rejection> rejections, CancellationToken ct) =>
        Task.WhenAll(rejections.Select(r =>
        {
            var source = IngestedEvent.SourceName(r.Source);
            var document = new RejectionDocument(IdOf(r), source, r.EventId, r.Position?.Partition, r.Position?.SequenceNumber,
                string.Join("; ", r.Errors), r.Errors, r.Body, clock.GetUtcNow());
            return container.UpsertItemAsync(document, new PartitionKey(source), new ItemRequestOptions { EnableContentResponseOnWrite = false }, ct);
        }));

    private static string IdOf(Rejection r)
    {
        var identity = r.Position is { } p ? $"{p.Partition}@{p.SequenceNumber}" : r.Body;
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)).AsSpan(0, 16));
    }
}
