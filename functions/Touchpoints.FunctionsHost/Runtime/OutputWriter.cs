using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Touchpoints.FunctionsHost.App;

namespace Touchpoints.FunctionsHost.Runtime;

/// <summary>
/// Writes a successful invocation's <c>Outputs</c> to its output bindings, by exact binding name (<c>$return</c> takes
/// <c>ReturnValue</c>), as the host does: Event Hubs outputs go to the in-memory hubs, queue outputs to Azure Storage.
/// </summary>
internal sealed class OutputWriter(InMemoryEventHubs hubs, StorageQueues queues, AppSettings settings, bool spread = true)
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
                    // Spread: as in Azure, where a custom handler's output carries no partition key (LocalHostOptions.SpreadOutputs).
                    hub.Publish(messages.Select(m => ((ReadOnlyMemory<byte>)m.Body, spread ? null : m.PartitionKey)));
                    break;
                case BindingTypes.Queue:
                    var connection = FunctionApp.StorageConnection(binding, settings)!;
                    var queueName = binding["queueName"]!;
                    var queue = await queues.GetAsync(connection, queueName, cancellationToken).ConfigureAwait(false);
                    foreach (var message in messages)
                        await queue.SendMessageAsync(new BinaryData(message.Body), cancellationToken: cancellationToken).ConfigureAwait(false);
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
    public static IReadOnlyList<(byte[] Body, string? PartitionKey)> Messages(JsonNode value, bool binary)
    {
        if (value is JsonValue scalar && scalar.GetValueKind() == JsonValueKind.String)
        {
            var text = scalar.GetValue<string>();
            if (!binary)
            {
                try
                {
                    return [(Convert.FromBase64String(text), null)];
                }
                catch (FormatException)
                {
                    // Not base64: the string itself.
                }
            }

            return [(Encoding.UTF8.GetBytes(text), null)];
        }

        if (value is JsonArray array)
        {
            var result = new List<(byte[], string?)>(array.Count);
            foreach (var item in array)
            {
                if (item is null) continue;
                var body = item is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : item.ToJsonString(HostEncoding.Relaxed);
                result.Add((Encoding.UTF8.GetBytes(body), PartitionKeyOf(item)));
            }

            return result;
        }

        return [(Encoding.UTF8.GetBytes(value.ToJsonString(HostEncoding.Relaxed)), PartitionKeyOf(value))];
    }

    /// <summary>
    /// Used only when <see cref="LocalHostOptions.SpreadOutputs"/> is off (<c>--keyed-outputs</c>, a diagnostic aid): an object
    /// naming a <c>customerId</c>, <c>userId</c> or <c>anonymousId</c> is kept on one partition per value. Not the host's
    /// behaviour: a custom handler's Event Hubs output cannot carry a partition key, so Azure spreads these events, and
    /// nothing in the app relies on them being kept together.
    /// </summary>
    private static string? PartitionKeyOf(JsonNode item)
    {
        if (item is not JsonObject obj) return null;
        foreach (var name in (ReadOnlySpan<string>)["customerId", "userId", "anonymousId"])
        {
            if (obj[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is { Length: > 0 } key)
                return key;
        }

        return null;
    }
}
