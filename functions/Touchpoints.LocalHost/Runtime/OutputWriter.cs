using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Touchpoints.LocalHost.App;

namespace Touchpoints.LocalHost.Runtime;

/// <summary>
/// Writes a successful invocation's <c>Outputs</c> to its output bindings, by exact binding name (<c>$return</c> takes
/// <c>ReturnValue</c>), as the host does: Event Hubs outputs go to the in-memory hubs, queue outputs to Azure Storage.
/// </summary>
internal sealed class OutputWriter(InMemoryEventHubs hubs, StorageQueues queues, AppSettings settings)
{
    public async Task WriteAsync(FunctionDefinition function, InvocationOutcome outcome, CancellationToken cancellationToken)
    {
        foreach (var binding in function.Outputs)
        {
            if (binding.Type == BindingTypes.Http) continue;
            var value = binding.Name == "$return" ? outcome.ReturnValue : outcome.Outputs?[binding.Name];
            if (value is null) continue;
            var messages = Messages(value, binding.IsBinary);
            if (messages.Count == 0) continue;

            switch (binding.Type)
            {
                case BindingTypes.EventHub:
                    var hub = hubs.Hub(binding["eventHubName"]!);
                    // A custom handler's Event Hubs output carries no partition key, so Azure spreads its events over the
                    // partitions; so does this host for events (one person's events in several partitions at once, the
                    // concurrency ingestion must survive). Messages naming a customerId (customer-changes) are still kept
                    // on one partition per customer: rule evaluation does not yet tolerate one customer's changes on
                    // several partitions at once (an open issue), and hiding that here is a known gap, not a guarantee.
                    hub.Publish(messages.Select(m => ((ReadOnlyMemory<byte>)m, CustomerOf(m))));
                    break;
                case BindingTypes.Queue:
                    var connection = FunctionApp.StorageConnection(binding, settings)!;
                    var queueName = binding["queueName"]!;
                    var queue = await queues.GetAsync(connection, queueName, cancellationToken).ConfigureAwait(false);
                    foreach (var message in messages)
                        await queue.SendMessageAsync(new BinaryData(message), cancellationToken: cancellationToken).ConfigureAwait(false);
                    queues.Notify(queueName);
                    break;
            }
        }
    }

    /// <summary>
    /// An output value as messages. The host first tries to base64-decode a string value (unless <c>dataType</c> is
    /// <c>binary</c>): a string that happens to be valid base64 becomes those bytes. An array gives one message per element:
    /// strings as they are, anything else as its JSON text; a single object or number is one message of its JSON text.
    /// </summary>
    public static IReadOnlyList<byte[]> Messages(JsonNode value, bool binary)
    {
        if (value is JsonValue scalar && scalar.GetValueKind() == JsonValueKind.String)
        {
            var text = scalar.GetValue<string>();
            if (!binary)
            {
                try
                {
                    return [Convert.FromBase64String(text)];
                }
                catch (FormatException)
                {
                    // Not base64: the string itself.
                }
            }

            return [Encoding.UTF8.GetBytes(text)];
        }

        if (value is JsonArray array)
        {
            var result = new List<byte[]>(array.Count);
            foreach (var item in array)
            {
                if (item is null) continue;
                var body = item is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : item.ToJsonString(HostEncoding.Relaxed);
                result.Add(Encoding.UTF8.GetBytes(body));
            }

            return result;
        }

        return [Encoding.UTF8.GetBytes(value.ToJsonString(HostEncoding.Relaxed))];
    }

    private static string? CustomerOf(byte[] body)
    {
        try
        {
            return JsonNode.Parse(body) is JsonObject o && o["customerId"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
