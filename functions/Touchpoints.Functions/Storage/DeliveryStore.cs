using System.Net;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Azure.Cosmos;
using Touchpoints.Core.Collection;

namespace Touchpoints.Functions.Storage;

/// <summary>A document of the <c>webhooks</c> container (partition key <c>/source</c>): one delivery, as first received.</summary>
public sealed record DeliveryDocument(
    string Id,
    string Source,
    string DeliveryId,
    string Status,
    string? Type,
    string? EventId,
    string? Reason,
    DateTimeOffset ReceivedAt,
    int Ttl);

/// <summary>
/// Remembers deliveries so a redelivery is recognised: each is a conditional create, and a 409 means "seen before".
/// Records expire after <see cref="Window"/> (per-item <c>ttl</c>, effective when the container has TTL on, i.e. a default
/// TTL of -1 or more), well beyond the senders' retry periods (Stripe 3 days, Standard Webhooks/Svix about 1.5 days,
/// HubSpot 1 day). Documents are written through the stream API with their own contract, so the store needs nothing of
/// the shared Cosmos serializer.
/// </summary>
public sealed class DeliveryStore(Database database)
{
    public static readonly TimeSpan Window = TimeSpan.FromDays(30);

    public const string Accepted = "accepted";
    public const string Ignored = "ignored";

    private readonly Container container = database.GetContainer(Containers.Webhooks);

    /// <summary>
    /// Records each delivery; true for those seen for the first time. On a failure the records this call created are
    /// removed again (best effort) so the sender's retry is not mistaken for a duplicate.
    /// </summary>
    public async Task<bool[]> RecordAsync(string source, IReadOnlyList<WebhookDelivery> deliveries, DateTimeOffset now, CancellationToken ct)
    {
        var created = new bool[deliveries.Count];
        var documents = deliveries.Select(d => new DeliveryDocument(IdentityDocument.IdFor(d.Id), source, d.Id, d.Event is null ? Ignored : Accepted,
            d.Type, d.Event?["eventId"]?.GetValue<string>(), d.Ignored, now, (int)Window.TotalSeconds)).ToArray();
        try
        {
            await Task.WhenAll(documents.Select(async (document, i) => created[i] = await CreateAsync(document, ct).ConfigureAwait(false))).ConfigureAwait(false);
            return created;
        }
        catch (Exception) when (created.Any(c => c))
        {
            await Task.WhenAll(documents.Where((_, i) => created[i]).Select(d => ForgetAsync(d))).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Removes the records of <paramref name="deliveries"/> (best effort): what they recorded did not reach the hub.</summary>
    public Task ForgetAsync(string source, IReadOnlyList<WebhookDelivery> deliveries) =>
        Task.WhenAll(deliveries.Select(d => ForgetAsync(new DeliveryDocument(IdentityDocument.IdFor(d.Id), source, d.Id, Accepted, d.Type, null, null, default, 0))));

    private async Task<bool> CreateAsync(DeliveryDocument document, CancellationToken ct)
    {
        using var stream = new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(document, DeliveryJsonContext.Default.DeliveryDocument));
        using var response = await container.CreateItemStreamAsync(stream, new PartitionKey(document.Source), Quiet, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.Conflict) return false;
        response.EnsureSuccessStatusCode();
        return true;
    }

    private async Task ForgetAsync(DeliveryDocument document)
    {
        try
        {
            using var _ = await container.DeleteItemStreamAsync(document.Id, new PartitionKey(document.Source)).ConfigureAwait(false);
        }
        catch (CosmosException)
        {
            // Best effort: the store is failing anyway.
        }
        catch (HttpRequestException)
        {
        }
    }

    private static readonly ItemRequestOptions Quiet = new() { EnableContentResponseOnWrite = false };
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(DeliveryDocument))]
internal sealed partial class DeliveryJsonContext : JsonSerializerContext;
