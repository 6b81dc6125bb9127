using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Touchpoints.FunctionsHost.App;
using Touchpoints.FunctionsHost.Runtime;

namespace Touchpoints.FunctionsHost.Triggers;

/// <summary>
/// An Event Hubs trigger invocation as the host builds it for a custom handler. With <c>cardinality: many</c>:
/// <c>Data.{name}</c> is a string holding a JSON array of the bodies (strings with <c>dataType: string</c>, base64 with
/// <c>binary</c>, parsed JSON without a dataType), and the metadata arrays (<c>SequenceNumberArray</c>, <c>OffsetArray</c>,
/// <c>PartitionKeyArray</c>, <c>EnqueuedTimeUtcArray</c>, <c>PropertiesArray</c>, <c>SystemPropertiesArray</c>) are
/// strings holding JSON too; <c>PartitionContext</c> is an object. With <c>cardinality: one</c> the same per event.
/// </summary>
public static class EventHubPayload
{
    /// <exception cref="FormatException">Without a <c>dataType</c> the host parses every body as JSON, and fails on one that is not.</exception>
    public static (JsonObject Data, JsonObject Metadata) Build(BindingDefinition trigger, IReadOnlyList<HubEvent> events, string fullyQualifiedNamespace)
    {
        ArgumentNullException.ThrowIfNull(trigger);
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0) throw new ArgumentException("A batch holds at least one event.", nameof(events));
        var first = events[0];
        var metadata = new JsonObject
        {
            ["PartitionContext"] = new JsonObject
            {
                ["FullyQualifiedNamespace"] = fullyQualifiedNamespace,
                ["EventHubName"] = first.Hub,
                ["ConsumerGroup"] = trigger["consumerGroup"] ?? "$Default",
                ["PartitionId"] = first.PartitionId,
            },
        };

        if (trigger.IsMany)
        {
            var bodies = new JsonArray();
            foreach (var e in events) bodies.Add(Body(trigger, e));
            metadata["SequenceNumberArray"] = HostEncoding.Twice(new JsonArray([.. events.Select(e => JsonValue.Create(e.SequenceNumber))]));
            metadata["OffsetArray"] = HostEncoding.Twice(new JsonArray([.. events.Select(e => JsonValue.Create(e.OffsetText))]));
            metadata["PartitionKeyArray"] = HostEncoding.Twice(new JsonArray([.. events.Select(e => (JsonNode?)(e.PartitionKey is null ? null : JsonValue.Create(e.PartitionKey)))]));
            metadata["EnqueuedTimeUtcArray"] = HostEncoding.Twice(new JsonArray([.. events.Select(e => JsonValue.Create(HostEncoding.Date(e.EnqueuedTime.ToUniversalTime())))]));
            metadata["PropertiesArray"] = HostEncoding.Twice(new JsonArray([.. events.Select(_ => new JsonObject())]));
            metadata["SystemPropertiesArray"] = HostEncoding.Twice(new JsonArray([.. events.Select(SystemProperties)]));
            return (new JsonObject { [trigger.Name] = HostEncoding.Twice(bodies) }, metadata);
        }

        if (events.Count != 1) throw new ArgumentException("cardinality one takes one event per invocation.", nameof(events));
        metadata["SequenceNumber"] = HostEncoding.Twice(first.SequenceNumber);
        metadata["Offset"] = HostEncoding.Twice(first.OffsetText);
        if (first.PartitionKey is not null) metadata["PartitionKey"] = HostEncoding.Twice(first.PartitionKey);
        metadata["EnqueuedTimeUtc"] = HostEncoding.Twice(first.EnqueuedTime.ToUniversalTime());
        metadata["Properties"] = new JsonObject();
        metadata["SystemProperties"] = SystemProperties(first);

        var body = Body(trigger, first);
        JsonNode? single = trigger.DataType switch
        {
            "binary" => body,                                   // base64, as is
            "string" or "stream" => HostEncoding.Twice(body!.GetValue<string>()),
            _ => body is JsonObject ? body : JsonValue.Create(body?.ToJsonString(HostEncoding.Relaxed) ?? "null"),
        };
        return (new JsonObject { [trigger.Name] = single }, metadata);
    }

    private static JsonNode? Body(BindingDefinition trigger, HubEvent e)
    {
        switch (trigger.DataType)
        {
            case "binary":
                return JsonValue.Create(Convert.ToBase64String(e.Body.Span));
            case "string" or "stream":
                return JsonValue.Create(e.BodyText);
            default:
                try
                {
                    return JsonNode.Parse(Encoding.UTF8.GetString(e.Body.Span));
                }
                catch (JsonException ex)
                {
                    throw new FormatException(
                        $"Event {e.Hub}/{e.PartitionId}#{e.SequenceNumber} is not JSON and the trigger '{trigger.Name}' has no \"dataType\": " +
                        "the host parses every body as JSON then (set \"dataType\": \"string\").", ex);
                }
        }
    }

    private static JsonObject SystemProperties(HubEvent e)
    {
        var properties = new JsonObject
        {
            ["x-opt-sequence-number"] = e.SequenceNumber,
            ["x-opt-offset"] = e.OffsetText,
            ["x-opt-enqueued-time"] = HostEncoding.Date(e.EnqueuedTime.ToUniversalTime()),
        };
        if (e.PartitionKey is not null) properties["x-opt-partition-key"] = e.PartitionKey;
        return properties;
    }

    /// <summary>The namespace host of an Event Hubs connection string (<c>Endpoint=sb://{host}/;…</c>), or of an identity-based setting.</summary>
    public static string Namespace(BindingDefinition trigger, AppSettings settings)
    {
        var connection = trigger["connection"];
        var value = connection is null ? null : settings.Get(connection);
        if (value is not null)
        {
            foreach (var part in value.Split(';', StringSplitOptions.RemoveEmptyEntries))
            {
                var equals = part.IndexOf('=', StringComparison.Ordinal);
                if (equals > 0 && part[..equals].Trim().Equals("Endpoint", StringComparison.OrdinalIgnoreCase)
                    && Uri.TryCreate(part[(equals + 1)..].Trim(), UriKind.Absolute, out var endpoint))
                    return endpoint.Host;
            }
        }

        return (connection is null ? null : settings.Get(connection + "__fullyQualifiedNamespace")) ?? "localhost";
    }
}
