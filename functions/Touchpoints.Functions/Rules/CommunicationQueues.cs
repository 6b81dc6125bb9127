using System.Collections.Concurrent;
using Azure;
using Azure.Storage.Queues;
using Touchpoints.Functions.Storage;
using Microsoft.Extensions.Options;

namespace Touchpoints.Functions.Rules;

/// <summary>
/// The storage queues the rules write (<see cref="Queues"/>): <c>communications-high|normal|low</c> for the channels' senders
/// and <c>sales-alerts</c> for salespeople. Messages are JSON (base64-encoded, as Functions queue triggers expect by default). Quiet hours become a
/// visibility delay, an expiry the message's time to live.
/// </summary>
public sealed partial class CommunicationQueues
{
    /// <summary>Azure's longest visibility timeout: a later <c>NotBefore</c> is delivered then, and the consumer defers again.</summary>
    public static readonly TimeSpan MaxVisibility = TimeSpan.FromDays(7);

    /// <summary>Azure's default time to live, given after the visibility delay when a message has no expiry.</summary>
    public static readonly TimeSpan DefaultTimeToLive = TimeSpan.FromDays(7);

    private readonly Lazy<QueueServiceClient> service;
    private readonly ConcurrentDictionary<string, QueueClient> queues = new(StringComparer.Ordinal);
    private readonly ILogger<CommunicationQueues> logger;
    private readonly bool createQueues;

    /// <param name="clientOptions">
    /// The queue client's options when the app registers some (its pipeline: tests observe what is sent); messages are always
    /// base64-encoded.
    /// </param>
    public CommunicationQueues(IConfiguration configuration, IOptions<RulesOptions> options, ILogger<CommunicationQueues> logger,
        QueueClientOptions? clientOptions = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        this.logger = logger;
        createQueues = options.Value.CreateQueues;
        service = new Lazy<QueueServiceClient>(() => CreateService(configuration, clientOptions));
    }

    public static QueueServiceClient CreateService(IConfiguration configuration, QueueClientOptions? clientOptions = null) =>
        StorageAccount.Queues(configuration, clientOptions);

    public QueueClient Queue(string name) => queues.GetOrAdd(name, n => service.Value.GetQueueClient(n));

    public async Task CreateAllAsync(CancellationToken ct)
    {
        foreach (var name in Queues.All) await Queue(name).CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
    }

    /// <summary>
    /// Sends <paramref name="json"/> to <paramref name="queue"/>, invisible until <paramref name="notBefore"/> (at most 7 days)
    /// and living until <paramref name="expiresAt"/>. False when it would expire before it becomes visible (nothing is sent).
    /// </summary>
    public async Task<bool> SendAsync(string queue, string json, DateTimeOffset notBefore, DateTimeOffset? expiresAt, DateTimeOffset now, CancellationToken ct)
    {
        var (visibility, timeToLive) = Timing(notBefore, expiresAt, now);
        if (timeToLive is { } ttl && ttl <= visibility)
        {
            LogExpired(logger, queue, notBefore, expiresAt);
            return false;
        }
        var client = Queue(queue);
        try
        {
            await client.SendMessageAsync(json, visibility, timeToLive, ct).ConfigureAwait(false);
        }
        catch (RequestFailedException e) when (createQueues && e.ErrorCode == "QueueNotFound")
        {
            await client.CreateIfNotExistsAsync(cancellationToken: ct).ConfigureAwait(false);
            await client.SendMessageAsync(json, visibility, timeToLive, ct).ConfigureAwait(false);
        }
        return true;
    }

    /// <summary>The visibility delay and time to live a message gets (null: none, Azure's default).</summary>
    public static (TimeSpan Visibility, TimeSpan TimeToLive) Timing(DateTimeOffset notBefore, DateTimeOffset? expiresAt, DateTimeOffset now)
    {
        var visibility = notBefore - now;
        visibility = visibility <= TimeSpan.Zero ? TimeSpan.Zero : visibility > MaxVisibility ? MaxVisibility : Seconds(visibility);
        var ttl = expiresAt is { } e ? Seconds(e - now) : visibility + DefaultTimeToLive;
        return (visibility, ttl);
    }

    // Queue storage counts in whole seconds.
    private static TimeSpan Seconds(TimeSpan span) => TimeSpan.FromSeconds(Math.Ceiling(span.TotalSeconds));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not sent to {Queue}: it would expire ({ExpiresAt}) before it may be delivered ({NotBefore})")]
    private static partial void LogExpired(ILogger logger, string queue, DateTimeOffset notBefore, DateTimeOffset? expiresAt);
}

/// <summary>Creates the queues at start where <see cref="RulesOptions.CreateQueues"/> allows it (locally).</summary>
internal sealed partial class QueueResources(CommunicationQueues queues, IOptions<RulesOptions> options, ILogger<QueueResources> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.CreateQueues) return;
        try
        {
            await queues.CreateAllAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The handler must start for the host's readiness probe; the first send fails and is retried instead.
            LogFailed(logger, e);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not create the communication queues at start")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
