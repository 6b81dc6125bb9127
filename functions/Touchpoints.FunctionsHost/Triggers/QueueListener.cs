using System.Text.Json.Nodes;
using Azure;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Extensions.Logging;
using Touchpoints.FunctionsHost.App;
using Touchpoints.FunctionsHost.Runtime;

namespace Touchpoints.FunctionsHost.Triggers;

/// <summary>
/// A queue trigger on Azure Storage (Azurite locally): polls with a backoff up to <c>maxPollingInterval</c> (woken at once
/// when an output binding of this host writes to the queue), runs the messages of a batch concurrently, deletes a message
/// when its invocation succeeds, makes it visible again (after <c>visibilityTimeout</c>) when it fails, and moves it to
/// <c>{queue}-poison</c> once it has been dequeued <c>maxDequeueCount</c> times.
/// </summary>
internal sealed partial class QueueListener : IDisposable
{
    private static readonly TimeSpan MinimumPollingInterval = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LeaseTime = TimeSpan.FromMinutes(10);

    private readonly FunctionDefinition function;
    private readonly StorageQueues queues;
    private readonly FunctionRunner runner;
    private readonly QueuesOptions options;
    private readonly string connection;
    private readonly ILogger logger;
    private readonly TimeProvider clock;
    private readonly SemaphoreSlim wake = new(0);
    private QueueClient? client;

    public QueueListener(FunctionDefinition function, StorageQueues queues, FunctionRunner runner, QueuesOptions options,
        AppSettings settings, ILogger logger, TimeProvider clock)
    {
        this.function = function;
        this.queues = queues;
        this.runner = runner;
        this.options = options;
        this.logger = logger;
        this.clock = clock;
        connection = FunctionApp.StorageConnection(function.Trigger, settings)!;
        QueueName = function.Trigger["queueName"]!;
        queues.Watch(QueueName, () => wake.Release());
    }

    public FunctionDefinition Function => function;

    public void Dispose() => wake.Dispose();

    public string QueueName { get; }

    private volatile bool paused;

    /// <summary>
    /// A paused trigger takes no message until resumed (a local operator's switch: messages wait on their queue, as they
    /// would while a function is disabled in Azure).
    /// </summary>
    public bool Paused
    {
        get => paused;
        set
        {
            paused = value;
            if (!value) wake.Release();
        }
    }

    public string PoisonQueueName => QueueName + "-poison";

    /// <summary>Creates the queue (a local convenience: the host waits for it to exist) so producers can write at once.</summary>
    public async Task PrepareAsync(CancellationToken cancellationToken) =>
        client = await queues.GetAsync(connection, QueueName, cancellationToken).ConfigureAwait(false);

    /// <summary>The approximate number of messages in the queue, invisible ones included.</summary>
    public async Task<int?> ApproximateCountAsync(CancellationToken cancellationToken)
    {
        if (client is null) return null;
        try
        {
            QueueProperties properties = await client.GetPropertiesAsync(cancellationToken).ConfigureAwait(false);
            return properties.ApproximateMessagesCount;
        }
        catch (RequestFailedException)
        {
            return null;
        }
    }

    /// <summary>Whether a message is visible now (a peek, which changes nothing); null when the queue cannot be read.</summary>
    public async Task<bool?> ReadyAsync(CancellationToken cancellationToken)
    {
        if (client is null) return null;
        try
        {
            PeekedMessage[] peeked = await client.PeekMessagesAsync(1, cancellationToken).ConfigureAwait(false);
            return peeked.Length > 0;
        }
        catch (RequestFailedException)
        {
            return null;
        }
    }

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var delay = MinimumPollingInterval;
        try
        {
            var queue = client ?? await queues.GetAsync(connection, QueueName, cancellationToken).ConfigureAwait(false);
            while (!cancellationToken.IsCancellationRequested)
            {
                if (paused)
                {
                    await wake.WaitAsync(options.EffectiveMaxPollingInterval, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                QueueMessage[] messages;
                try
                {
                    messages = (await queue.ReceiveMessagesAsync(options.BatchSize, LeaseTime, cancellationToken).ConfigureAwait(false)).Value;
                }
                catch (RequestFailedException e)
                {
                    LogPollFailed(logger, function.Name, QueueName, e.Message);
                    messages = [];
                }

                if (messages.Length == 0)
                {
                    await wake.WaitAsync(delay, cancellationToken).ConfigureAwait(false);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, options.EffectiveMaxPollingInterval.Ticks));
                    continue;
                }

                delay = MinimumPollingInterval;
                await Task.WhenAll(messages.Select(m => ProcessAsync(queue, m, cancellationToken))).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>The admin API: <paramref name="input"/> as the message, outside the queue.</summary>
    public Task<InvocationOutcome> InvokeAsync(string input, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow();
        var message = QueuesModelFactory.QueueMessage(Guid.NewGuid().ToString(), "admin", BinaryData.FromString(input), 1,
            now + LeaseTime, now, now + TimeSpan.FromDays(7));
        var (data, metadata) = Payload(function.Trigger, message);
        return runner.RunAsync(function, data, metadata, "Admin API", cancellationToken);
    }

    /// <summary><c>Data.{name}</c>: the message as a JSON string inside a string; metadata as the host's binding data.</summary>
    public static (JsonObject Data, JsonObject Metadata) Payload(BindingDefinition trigger, QueueMessage message)
    {
        var text = message.Body?.ToString() ?? "";
        JsonNode body = trigger.IsBinary ? JsonValue.Create(Convert.ToBase64String(message.Body?.ToArray() ?? [])) : HostEncoding.Twice(text);
        var metadata = new JsonObject
        {
            ["DequeueCount"] = HostEncoding.Twice(message.DequeueCount),
            ["Id"] = HostEncoding.Twice(message.MessageId),
            ["PopReceipt"] = HostEncoding.Twice(message.PopReceipt ?? ""),
        };
        if (message.InsertedOn is { } inserted) metadata["InsertionTime"] = HostEncoding.Twice(inserted);
        if (message.ExpiresOn is { } expires) metadata["ExpirationTime"] = HostEncoding.Twice(expires);
        if (message.NextVisibleOn is { } visible) metadata["NextVisibleTime"] = HostEncoding.Twice(visible);
        return (new JsonObject { [trigger.Name] = body }, metadata);
    }

    private async Task ProcessAsync(QueueClient queue, QueueMessage message, CancellationToken cancellationToken)
    {
        if (message.DequeueCount > options.MaxDequeueCount)
        {
            await PoisonAsync(queue, message, cancellationToken).ConfigureAwait(false);
            return;
        }

        var (data, metadata) = Payload(function.Trigger, message);
        var outcome = await runner.RunAsync(function, data, metadata, $"New queue message detected on '{QueueName}'", cancellationToken).ConfigureAwait(false);
        try
        {
            if (outcome.Succeeded)
                await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
            else if (message.DequeueCount >= options.MaxDequeueCount)
                await PoisonAsync(queue, message, cancellationToken).ConfigureAwait(false);
            else
                await queue.UpdateMessageAsync(message.MessageId, message.PopReceipt, visibilityTimeout: options.VisibilityTimeout ?? TimeSpan.Zero,
                    cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (RequestFailedException e)
        {
            LogSettleFailed(logger, function.Name, message.MessageId, e.Message);
        }
    }

    private async Task PoisonAsync(QueueClient queue, QueueMessage message, CancellationToken cancellationToken)
    {
        var poison = await queues.GetAsync(connection, PoisonQueueName, cancellationToken).ConfigureAwait(false);
        await poison.SendMessageAsync(message.Body, cancellationToken: cancellationToken).ConfigureAwait(false);
        await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, cancellationToken).ConfigureAwait(false);
        queues.Notify(PoisonQueueName);
        LogPoisoned(logger, message.MessageId, QueueName, message.DequeueCount, PoisonQueueName);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Functions.{Function}: polling queue '{Queue}' failed: {Error}")]
    private static partial void LogPollFailed(ILogger logger, string function, string queue, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Functions.{Function}: could not settle message {Id}: {Error}")]
    private static partial void LogSettleFailed(ILogger logger, string function, string id, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Message {Id} has reached MaxDequeueCount on queue '{Queue}' (dequeued {Count} times); moving it to '{Poison}'")]
    private static partial void LogPoisoned(ILogger logger, string id, string queue, long count, string poison);
}
