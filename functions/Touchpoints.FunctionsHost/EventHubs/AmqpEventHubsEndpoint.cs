using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Azure.Amqp;
using Microsoft.Azure.Amqp.Encoding;
using Microsoft.Azure.Amqp.Framing;
using Microsoft.Azure.Amqp.Sasl;
using Microsoft.Azure.Amqp.Transport;
using Microsoft.Extensions.Logging;
using Touchpoints.FunctionsHost.Runtime;

namespace Touchpoints.FunctionsHost.EventHubs;

/// <summary>
/// The local Event Hubs namespace, spoken in AMQP 1.0 as Azure's is: any Event Hubs SDK sends to the host's in-memory hubs
/// with a development connection string, <c>Endpoint=sb://127.0.0.1:{port};SharedAccessKeyName=…;SharedAccessKey=…;
/// UseDevelopmentEmulator=true</c> (plain AMQP, no TLS). What producers need and nothing more: SASL (<c>MSSBCBS</c>, the
/// only mechanism the .NET SDK offers, and <c>ANONYMOUS</c>), claims-based security (<c>$cbs</c>: any token is accepted —
/// the endpoint listens on loopback only), <c>$management</c> reads of hub and partition properties, and senders to
/// <c>{hub}</c> (by partition key, else spread) and <c>{hub}/Partitions/{id}</c>, single events and batches. Hubs are
/// those the host knows (the app's triggers and outputs); a sender to another is refused as Azure refuses it.
/// </summary>
public sealed partial class AmqpEventHubsEndpoint : IRuntimeProvider, IAsyncDisposable
{
    /// <summary>Azure's batch format: a message whose Data sections are each an encoded message.</summary>
    private const uint BatchFormat = 0x80013700;

    /// <summary>As Azure's Standard tier: the SDKs size their batches by what the link says.</summary>
    public const ulong MaxMessageSize = 1024 * 1024;

    private static readonly AmqpSymbol PartitionKeyAnnotation = "x-opt-partition-key";

    private readonly InMemoryEventHubs hubs;
    private readonly ILogger logger;
    private readonly AmqpSettings settings;
    private readonly ConcurrentDictionary<string, SendingAmqpLink> replyLinks = new(StringComparer.Ordinal);
    // A client that gives its reply link no address (the JavaScript SDK's) is answered on the reply link of the request's session.
    private readonly ConcurrentDictionary<(AmqpSession Session, string Node), SendingAmqpLink> sessionReplies = new();
    private readonly DateTime createdAt;
    private AmqpTransportListener? listener;
    private int deliveryTag;
    private long received;

    private AmqpEventHubsEndpoint(InMemoryEventHubs hubs, int port, ILogger logger, TimeProvider clock)
    {
        this.hubs = hubs;
        this.logger = logger;
        Port = port;
        createdAt = clock.GetUtcNow().UtcDateTime;
        settings = new AmqpSettings { RuntimeProvider = this };
        var sasl = new SaslTransportProvider();
        sasl.Versions.Add(new AmqpVersion(1, 0, 0));
        sasl.AddHandler(new SaslAnonymousHandler("MSSBCBS"));
        sasl.AddHandler(new SaslAnonymousHandler());
        settings.TransportProviders.Add(sasl);
        var amqp = new AmqpTransportProvider();
        amqp.Versions.Add(new AmqpVersion(1, 0, 0));
        settings.TransportProviders.Add(amqp);
    }

    public int Port { get; }

    /// <summary>The connection string of this namespace, for a producer of any Event Hubs SDK.</summary>
    public string ConnectionString => ConnectionStringFor(Port);

    /// <summary>Events received so far (each event of a batch counts).</summary>
    public long Received => Interlocked.Read(ref received);

    public static string ConnectionStringFor(int port) =>
        string.Create(CultureInfo.InvariantCulture, $"Endpoint=sb://127.0.0.1:{port};SharedAccessKeyName=local;SharedAccessKey=local;UseDevelopmentEmulator=true");

    /// <summary>Listens on 127.0.0.1:<paramref name="port"/> (0: a free port).</summary>
    public static AmqpEventHubsEndpoint Start(InMemoryEventHubs hubs, ILogger logger, TimeProvider? clock = null, int port = 0)
    {
        ArgumentNullException.ThrowIfNull(hubs);
        var endpoint = new AmqpEventHubsEndpoint(hubs, port == 0 ? LoopbackPorts.Free() : port, logger, clock ?? TimeProvider.System);
        // 127.0.0.1, never "localhost": the listener would bind every address for a host name.
        var tcp = new TcpTransportSettings { Host = "127.0.0.1", Port = endpoint.Port };
        endpoint.listener = new AmqpTransportListener([tcp.CreateListener()], endpoint.settings);
        endpoint.listener.Listen(endpoint.OnAcceptTransport);
        return endpoint;
    }

    public ValueTask DisposeAsync()
    {
        listener?.Close();
        return ValueTask.CompletedTask;
    }

    private void OnAcceptTransport(TransportListener transportListener, TransportAsyncCallbackArgs args)
    {
        if (args.Exception is not null) return;
        var connectionSettings = new AmqpConnectionSettings { ContainerId = "touchpoints-local-eventhubs", MaxFrameSize = 64 * 1024, IdleTimeOut = 120_000 };
        var connection = new AmqpConnection(args.Transport, (ProtocolHeader)args.UserToken, false, settings, connectionSettings);
        _ = OpenAsync(connection);
    }

    private async Task OpenAsync(AmqpConnection connection)
    {
        try
        {
            await connection.OpenAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is AmqpException or TimeoutException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            LogConnectionFailed(logger, e.Message);
            connection.SafeClose(e);
        }
    }

    // ------------------------------------------------------------------ IRuntimeProvider

    AmqpConnection IConnectionFactory.CreateConnection(TransportBase transport, ProtocolHeader protocolHeader, bool isInitiator,
        AmqpSettings amqpSettings, AmqpConnectionSettings connectionSettings) =>
        new(transport, protocolHeader, isInitiator, amqpSettings, connectionSettings);

    AmqpSession ISessionFactory.CreateSession(AmqpConnection connection, AmqpSessionSettings sessionSettings) =>
        throw new NotSupportedException("An AMQP connection makes its own sessions.");

    AmqpLink ILinkFactory.CreateLink(AmqpSession session, AmqpLinkSettings linkSettings)
    {
        if (linkSettings.IsReceiver())
        {
            // The SDKs size their batches by this; without it they read "no limit" as -1 and refuse to make one.
            linkSettings.MaxMessageSize = MaxMessageSize;
            return new ReceivingAmqpLink(session, linkSettings);
        }
        return new SendingAmqpLink(session, linkSettings);
    }

    IAsyncResult ILinkFactory.BeginOpenLink(AmqpLink link, TimeSpan timeout, AsyncCallback callback, object state)
    {
        // Refusing throws: the attach is answered with the error, as Azure answers an unknown entity.
        OnLinkOpening(link);
        var opened = new TaskCompletionSource<bool>(state);
        opened.SetResult(true);
        callback?.Invoke(opened.Task);
        return opened.Task;
    }

    void ILinkFactory.EndOpenLink(IAsyncResult result)
    {
    }

    private void OnLinkOpening(AmqpLink link)
    {
        if (link is ReceivingAmqpLink receiving)
        {
            var target = (link.Settings.Target as Target)?.Address?.ToString() ?? "";
            switch (target)
            {
                case "$cbs":
                    receiving.RegisterMessageListener(m => OnRequest(receiving, target, m, PutToken));
                    break;
                case "$management":
                    receiving.RegisterMessageListener(m => OnRequest(receiving, target, m, Management));
                    break;
                default:
                    var (hub, partition) = Entity(target);
                    receiving.RegisterMessageListener(m => OnEvents(receiving, hub, partition, m));
                    break;
            }
            return;
        }

        // A sending link of ours carries replies: its source is the node ($cbs, $management), its target the client's reply-to.
        var sending = (SendingAmqpLink)link;
        var source = (link.Settings.Source as Source)?.Address?.ToString() ?? "";
        if (source is not ("$cbs" or "$management"))
            throw new AmqpException(AmqpErrorCode.NotFound, $"The messaging entity '{source}' could not be found: this endpoint takes events, it does not deliver them.");
        var replyTo = (link.Settings.Target as Target)?.Address?.ToString() ?? "";
        if (replyTo.Length > 0) replyLinks[replyTo] = sending;
        var key = (link.Session, source);
        sessionReplies[key] = sending;
        sending.SafeAddClosed((_, _) =>
        {
            if (replyTo.Length > 0) replyLinks.TryRemove(replyTo, out _);
            sessionReplies.TryRemove(key, out _);
        });
    }

    /// <summary><c>/web-events</c> or <c>/web-events/Partitions/0</c> (the .NET SDK sends the path with its slash).</summary>
    private (EventHubInstance Hub, EventHubPartition? Partition) Entity(string address)
    {
        var parts = address.Trim('/').Split('/');
        var hub = parts.Length is 1 or 3 ? hubs.Find(parts[0]) : null;
        if (hub is not null && parts.Length == 1) return (hub, null);
        if (hub is not null && parts[1].Equals("Partitions", StringComparison.OrdinalIgnoreCase)
            && hub.Partitions.FirstOrDefault(p => p.Id == parts[2]) is { } partition)
            return (hub, partition);
        throw new AmqpException(AmqpErrorCode.NotFound,
            $"The messaging entity '{address}' could not be found. Hubs here: {string.Join(", ", hubs.Hubs.Select(h => $"{h.Name} ({h.Partitions.Count} partitions)"))}.");
    }

    // ------------------------------------------------------------------ events

    private void OnEvents(ReceivingAmqpLink link, EventHubInstance hub, EventHubPartition? partition, AmqpMessage message)
    {
        try
        {
            var events = new List<(ReadOnlyMemory<byte> Body, string? PartitionKey)>();
            if (message.MessageFormat == BatchFormat)
            {
                foreach (var data in message.DataBody ?? [])
                {
                    var segment = (ArraySegment<byte>)data.Value;
                    using var inner = AmqpMessage.CreateAmqpStreamMessage(new BufferListStream([segment]));
                    events.Add(Event(inner));
                }
            }
            else
            {
                events.Add(Event(message));
            }

            if (partition is null) hub.Publish(events);
            else hub.PublishTo(partition, events);
            Interlocked.Add(ref received, events.Count);
            link.AcceptMessage(message, false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // amqp:not-allowed: the SDKs raise it to the sender at once (an InvalidOperationException), without retrying.
            LogRefused(logger, hub.Name, e.Message);
            link.RejectMessage(message, new AmqpException(AmqpErrorCode.NotAllowed, e.Message));
        }
        finally
        {
            message.Dispose();
        }
    }

    private static (ReadOnlyMemory<byte> Body, string? PartitionKey) Event(AmqpMessage message)
    {
        using var body = new MemoryStream();
        foreach (var data in message.DataBody ?? [])
        {
            var segment = (ArraySegment<byte>)data.Value;
            if (segment.Array is not null) body.Write(segment.Array, segment.Offset, segment.Count);
        }
        string? partitionKey = null;
        message.MessageAnnotations?.Map.TryGetValue(PartitionKeyAnnotation, out partitionKey);
        return (body.ToArray(), partitionKey);
    }

    // ------------------------------------------------------------------ $cbs and $management

    private void OnRequest(ReceivingAmqpLink link, string node, AmqpMessage request, Func<AmqpMessage, AmqpMessage> handle)
    {
        try
        {
            var replyTo = request.Properties?.ReplyTo?.ToString();
            var response = handle(request);
            response.Properties.CorrelationId = request.Properties?.MessageId;
            response.Settled = true;
            if ((replyTo is not null && replyLinks.TryGetValue(replyTo, out var reply)) || sessionReplies.TryGetValue((link.Session, node), out reply))
                reply.SendMessageNoWait(response, new ArraySegment<byte>(BitConverter.GetBytes(Interlocked.Increment(ref deliveryTag))), AmqpConstants.NullBinary);
        }
        finally
        {
            // Accepting returns the link's credit and the session's window, even for a request sent settled.
            link.AcceptMessage(request, false);
            request.Dispose();
        }
    }

    /// <summary>put-token: any token is good here (the endpoint is on loopback; Azure checks the token's signature).</summary>
    private static AmqpMessage PutToken(AmqpMessage request)
    {
        var response = AmqpMessage.Create();
        response.ApplicationProperties.Map["status-code"] = 202; // an Int32: the SDKs unbox it as one
        response.ApplicationProperties.Map["status-description"] = "Accepted";
        return response;
    }

    private AmqpMessage Management(AmqpMessage request)
    {
        var properties = request.ApplicationProperties?.Map;
        var operation = properties?["operation"] as string;
        var type = properties?["type"] as string;
        var hub = properties?["name"] is string name ? hubs.Find(name) : null;
        var body = new AmqpMap();
        var status = 200;
        if (operation == "READ" && type == "com.microsoft:eventhub" && hub is not null)
        {
            body[new MapKey("name")] = hub.Name;
            body[new MapKey("created_at")] = createdAt;
            body[new MapKey("partition_ids")] = hub.Partitions.Select(p => p.Id).ToArray();
        }
        else if (operation == "READ" && type == "com.microsoft:partition" && hub is not null
            && hub.Partitions.FirstOrDefault(p => p.Id == properties?["partition"] as string) is { } partition)
        {
            var last = partition.Count - 1;
            var latest = last >= 0 ? partition.Read(last, 1)[0] : null;
            body[new MapKey("name")] = hub.Name;
            body[new MapKey("partition")] = partition.Id;
            body[new MapKey("begin_sequence_number")] = 0L;
            body[new MapKey("last_enqueued_sequence_number")] = last;
            body[new MapKey("last_enqueued_offset")] = latest?.OffsetText ?? "-1";
            body[new MapKey("last_enqueued_time_utc")] = latest?.EnqueuedTime.UtcDateTime ?? createdAt;
            body[new MapKey("is_partition_empty")] = latest is null;
        }
        else
        {
            status = 404;
        }

        var response = AmqpMessage.Create(new AmqpValue { Value = body });
        response.ApplicationProperties.Map["status-code"] = status;
        response.ApplicationProperties.Map["status-description"] = status == 200 ? "OK" : "The messaging entity could not be found.";
        return response;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "An AMQP connection to the local Event Hubs endpoint did not open: {Reason}")]
    private static partial void LogConnectionFailed(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a message sent to hub {Hub}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string hub, string reason);
}
