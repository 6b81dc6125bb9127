using System.Collections.Concurrent;
using Azure.Storage.Queues;

namespace Touchpoints.FunctionsHost.Runtime;

/// <summary>
/// Queue clients by (connection string, queue), with the host's message encoding (base64 unless host.json says
/// <c>messageEncoding: none</c>), and the host's shared watcher: a message written by an output binding wakes the
/// listeners of that queue at once instead of at their next poll.
/// </summary>
internal sealed class StorageQueues(bool base64Messages)
{
    private readonly ConcurrentDictionary<(string Connection, string Queue), Lazy<Task<QueueClient>>> clients = new();
    private readonly ConcurrentDictionary<string, List<Action>> watchers = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Told of every message moved to a poison queue because it could not be decoded: (message id, queue).</summary>
    public Action<string, string>? Undecodable { get; set; }

    public Task<QueueClient> GetAsync(string connection, string queue, CancellationToken cancellationToken) =>
        clients.GetOrAdd((connection, queue), key => new Lazy<Task<QueueClient>>(async () =>
        {
            var options = new QueueClientOptions
            {
                MessageEncoding = base64Messages ? QueueMessageEncoding.Base64 : QueueMessageEncoding.None,
            };
            // A message the encoding cannot decode (not base64) goes to the poison queue as it is, as the host does.
            options.MessageDecodingFailed += async args =>
            {
                if (args.ReceivedMessage is not { } message) return;
                var poison = new QueueClient(key.Connection, key.Queue + "-poison");
                await poison.CreateIfNotExistsAsync(cancellationToken: args.CancellationToken).ConfigureAwait(false);
                await poison.SendMessageAsync(message.Body, cancellationToken: args.CancellationToken).ConfigureAwait(false);
                await args.Queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, args.CancellationToken).ConfigureAwait(false);
                Undecodable?.Invoke(message.MessageId, key.Queue);
            };
            var client = new QueueClient(key.Connection, key.Queue, options);
            await client.CreateIfNotExistsAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            return client;
        })).Value;

    public void Watch(string queue, Action wake) =>
        watchers.AddOrUpdate(queue, _ => [wake], (_, list) =>
        {
            lock (list) list.Add(wake);
            return list;
        });

    public void Notify(string queue)
    {
        if (!watchers.TryGetValue(queue, out var list)) return;
        Action[] wakes;
        lock (list) wakes = [.. list];
        foreach (var wake in wakes) wake();
    }
}
