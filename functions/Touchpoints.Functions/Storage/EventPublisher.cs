using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Azure.Identity;
using Azure.Messaging.EventHubs;
using Azure.Messaging.EventHubs.Producer;

namespace Touchpoints.Functions.Storage;

/// <summary>
/// Publishes to Event Hubs with Azure's own <see cref="EventHubProducerClient"/> (one per hub, kept for the life of the
/// handler): events sharing a partition key go out together, in their order, in as few sends as their size allows; keys
/// are sent in parallel. Awaited before the caller is answered, so a 200 means "in the hub". The connection is the setting
/// the Functions host's Event Hubs bindings read (<see cref="SettingNames.EventHubConnection"/>): a connection string
/// locally (the local host's AMQP endpoint), or <c>__fullyQualifiedNamespace</c> with the app's user-assigned identity
/// (<c>__clientId</c>) in Azure — a managed-identity credential is only ever made there.
/// </summary>
public sealed class EventPublisher(IConfiguration configuration) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<EventHubProducerClient>> producers = new(StringComparer.Ordinal);

    public async Task PublishAsync(string hub, IReadOnlyList<(string? PartitionKey, JsonObject Body)> events, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0) return;
        var producer = producers.GetOrAdd(hub, h => new Lazy<EventHubProducerClient>(() => Create(h))).Value;
        await Task.WhenAll(events.GroupBy(e => e.PartitionKey, StringComparer.Ordinal)
            .Select(group => SendAsync(producer, group.Key, [.. group.Select(e => e.Body)], ct))).ConfigureAwait(false);
    }

    private static async Task SendAsync(EventHubProducerClient producer, string? partitionKey, IReadOnlyList<JsonObject> bodies, CancellationToken ct)
    {
        var options = new CreateBatchOptions { PartitionKey = partitionKey };
        var next = 0;
        while (next < bodies.Count)
        {
            using var batch = await producer.CreateBatchAsync(options, ct).ConfigureAwait(false);
            while (next < bodies.Count && batch.TryAdd(new EventData(BinaryData.FromString(bodies[next].ToJsonString())))) next++;
            if (batch.Count == 0)
                throw new InvalidOperationException($"An event of {bodies[next].ToJsonString().Length} characters does not fit an Event Hubs batch ({batch.MaximumSizeInBytes} bytes).");
            await producer.SendAsync(batch, ct).ConfigureAwait(false);
        }
    }

    private EventHubProducerClient Create(string hub)
    {
        var options = new EventHubProducerClientOptions { Identifier = "touchpoints-" + hub };
        if (configuration[SettingNames.EventHubConnection] is { Length: > 0 } connectionString)
            return new EventHubProducerClient(connectionString, hub, options);
        var section = configuration.GetSection(SettingNames.EventHubConnection);
        var fullyQualifiedNamespace = section["fullyQualifiedNamespace"]
            ?? throw new InvalidOperationException($"Set {SettingNames.EventHubConnection} (a connection string) or {SettingNames.EventHubConnection}__fullyQualifiedNamespace.");
        var credential = section["clientId"] is { Length: > 0 } clientId
            ? new ManagedIdentityCredential(ManagedIdentityId.FromUserAssignedClientId(clientId))
            : new ManagedIdentityCredential(ManagedIdentityId.SystemAssigned);
        return new EventHubProducerClient(fullyQualifiedNamespace, hub, credential, options);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var producer in producers.Values.Where(p => p.IsValueCreated))
            await producer.Value.DisposeAsync().ConfigureAwait(false);
    }
}
