using System.Text.Json;
using System.Text.Json.Serialization;
using Azure.Storage.Queues;
using Microsoft.Extensions.Options;
using Touchpoints.Core.Identity;
using Touchpoints.Functions.Storage;

namespace Touchpoints.Functions.Privacy;

/// <summary>The message on the <c>erasures</c> queue: which request, which identifier, which pass.</summary>
public sealed record ErasureMessage(string RequestId, string Identifier, int Pass);

/// <summary>
/// Erasure of a person by any identifier, asynchronous: a request is recorded (<c>requested</c>) and queued; the
/// <c>ErasePeople</c> function's first pass adds every identifier of the person to the suppression list (so ingestion drops
/// their later events, counted, never stored), then erases everything stored about them (<see cref="PersonalData"/>); a
/// second pass, once every instance has seen the suppression (twice <see cref="PrivacyOptions.RefreshInterval"/> later),
/// erases again whatever an instance ingested meanwhile, and records the receipt (<c>done</c>).
/// </summary>
public sealed partial class Erasures(PrivacyStore privacy, PersonalData data, IConfiguration configuration, IOptions<PrivacyOptions> options,
    TimeProvider clock, ILogger<Erasures> logger, QueueClientOptions? queueOptions = null)
{
    private readonly Lazy<QueueClient> queue = new(() => StorageAccount.Queues(configuration, queueOptions).GetQueueClient(Queues.Erasures));

    public async Task<ErasureDocument> RequestAsync(string identifierKey, string requestedBy, CancellationToken ct)
    {
        var request = new ErasureDocument("erasure-" + Guid.NewGuid().ToString("N"), ErasureDocument.Kind, ErasureDocument.Requested, requestedBy,
            clock.GetUtcNow(), null, [], new Dictionary<string, int>());
        await privacy.SaveAsync(request, ct).ConfigureAwait(false);
        await SendAsync(new ErasureMessage(request.Id, identifierKey, 1), TimeSpan.Zero, ct).ConfigureAwait(false);
        LogRequested(logger, request.Id, requestedBy);
        return request;
    }

    /// <summary>One pass of an erasure (the queue function's work).</summary>
    public async Task RunAsync(ErasureMessage message, CancellationToken ct)
    {
        var request = await privacy.ReadErasureAsync(message.RequestId, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"no erasure request {message.RequestId}");
        if (request.Status is ErasureDocument.Done or ErasureDocument.NotFound) return;
        var person = await data.FindAsync(message.Identifier, request.Customers, ct).ConfigureAwait(false);
        if (message.Pass == 1)
        {
            // Suppressed before anything is erased: from here on every instance drops their events within the refresh interval.
            await privacy.SuppressAsync(person?.Identifiers ?? [message.Identifier], ct).ConfigureAwait(false);
        }
        var receipt = new Dictionary<string, int>(request.Receipt, StringComparer.Ordinal);
        if (person is not null)
            foreach (var (place, count) in await data.EraseAsync(person, ct).ConfigureAwait(false))
                receipt[place] = receipt.GetValueOrDefault(place) + count;
        var customers = request.Customers.Union(person?.Ids ?? []).ToArray();
        if (message.Pass == 1)
        {
            await privacy.SaveAsync(request with { Status = ErasureDocument.Erasing, Customers = customers, Receipt = receipt }, ct).ConfigureAwait(false);
            await SendAsync(message with { Pass = 2 }, options.Value.RefreshInterval * 2, ct).ConfigureAwait(false);
            return;
        }
        var status = customers.Length == 0 ? ErasureDocument.NotFound : ErasureDocument.Done;
        // The receipt keeps counts only: the profiles' ids (derived from identifiers) were needed while erasing, not after.
        receipt["profiles"] = customers.Length;
        await privacy.SaveAsync(request with { Status = status, Customers = [], Receipt = receipt, CompletedAt = clock.GetUtcNow() }, ct).ConfigureAwait(false);
        var items = receipt.Values.Sum();
        LogDone(logger, request.Id, customers.Length, items);
    }

    private async Task SendAsync(ErasureMessage message, TimeSpan delay, CancellationToken ct)
    {
        await queue.Value.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
        await queue.Value.SendMessageAsync(JsonSerializer.Serialize(message, PrivacyJsonContext.Default.ErasureMessage), delay, cancellationToken: ct).ConfigureAwait(false);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Erasure {RequestId} requested by {RequestedBy}")]
    private static partial void LogRequested(ILogger logger, string requestId, string requestedBy);

    [LoggerMessage(Level = LogLevel.Information, Message = "Erasure {RequestId} done: {Customers} profiles, {Items} items removed")]
    private static partial void LogDone(ILogger logger, string requestId, int customers, int items);
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ErasureMessage))]
[JsonSerializable(typeof(ErasureDocument))]
[JsonSerializable(typeof(ErasureRequestBody))]
[JsonSerializable(typeof(SuppressionStatus))]
public sealed partial class PrivacyJsonContext : JsonSerializerContext;

public sealed record ErasureRequestBody(string? Identifier);

public sealed record SuppressionStatus(string Identifier, bool Suppressed);
