using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Touchpoints.Testing;

/// <summary>Builds invocations exactly as the Functions host sends them for an Event Hubs trigger.</summary>
public static class HostPayloads
{
    /// <summary>
    /// The host's encoding: the batch and every metadata array are JSON strings holding JSON (double-encoded);
    /// <paramref name="plain"/> sends them as plain JSON arrays instead, which the handler must accept too.
    /// </summary>
    public static JsonObject EventHubBatch(string hub, string partitionId, long firstSequence, IReadOnlyList<string> bodies, bool plain = false,
        DateTimeOffset? enqueuedAt = null, string binding = "events")
    {
        ArgumentNullException.ThrowIfNull(bodies);
        var enqueued = (enqueuedAt ?? DateTimeOffset.UtcNow).ToUniversalTime();
        var sequences = new JsonArray([.. bodies.Select((_, i) => JsonValue.Create(firstSequence + i))]);
        var offsets = new JsonArray([.. bodies.Select((_, i) => JsonValue.Create(((firstSequence + i) * 512).ToString(System.Globalization.CultureInfo.InvariantCulture)))]);
        var times = new JsonArray([.. bodies.Select(_ => JsonValue.Create(enqueued.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture)))]);
        var keys = new JsonArray([.. bodies.Select(_ => (JsonNode?)null)]);
        var props = new JsonArray([.. bodies.Select(_ => new JsonObject())]);
        var events = new JsonArray([.. bodies.Select(b => JsonValue.Create(b))]);
        JsonNode Encode(JsonArray array) => plain ? array : JsonValue.Create(array.ToJsonString())!;
        return new JsonObject
        {
            ["Data"] = new JsonObject { [binding] = Encode(events) },
            ["Metadata"] = new JsonObject
            {
                ["PartitionContext"] = new JsonObject
                {
                    ["FullyQualifiedNamespace"] = "touchpoints-test.servicebus.windows.net",
                    ["EventHubName"] = hub,
                    ["ConsumerGroup"] = "$Default",
                    ["PartitionId"] = partitionId,
                },
                ["SequenceNumberArray"] = Encode(sequences),
                ["OffsetArray"] = Encode(offsets),
                ["PartitionKeyArray"] = Encode(keys),
                ["EnqueuedTimeUtcArray"] = Encode(times),
                ["PropertiesArray"] = Encode(props),
                ["SystemPropertiesArray"] = Encode(new JsonArray([.. bodies.Select(_ => new JsonObject())])),
                ["sys"] = new JsonObject
                {
                    ["MethodName"] = "Ingest",
                    ["UtcNow"] = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                    ["RandGuid"] = Guid.NewGuid().ToString(),
                },
            },
        };
    }

    public static string Json(object value) => JsonSerializer.Serialize(value);
}

/// <summary>The host's payload for a non-forwarded HTTP trigger (<c>GetRequestAsJObject</c>).</summary>
public static class HttpPayloads
{
    public static JsonObject Request(
        string url,
        string? body,
        IReadOnlyDictionary<string, string>? headers = null,
        IReadOnlyDictionary<string, string>? routeParams = null,
        string method = "POST",
        bool queryAsObject = false)
    {
        var uri = new Uri(url);
        var query = new JsonObject();
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            query[Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq])] = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
        }
        var headerObject = new JsonObject();
        foreach (var (name, value) in headers ?? new Dictionary<string, string>()) headerObject[name] = new JsonArray(value);
        if (body is not null) headerObject["Content-Length"] = new JsonArray(Encoding.UTF8.GetByteCount(body).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var paramObject = new JsonObject();
        foreach (var (name, value) in routeParams ?? new Dictionary<string, string>()) paramObject[name] = value;
        var req = new JsonObject
        {
            ["Url"] = url,
            ["Method"] = method,
            // The host sends the query as a string holding JSON (JsonConvert.SerializeObject of a dictionary).
            ["Query"] = queryAsObject ? query : query.ToJsonString(),
            ["Headers"] = headerObject,
            ["Params"] = paramObject,
            ["Identities"] = "[]",
        };
        if (body is not null) req["Body"] = body;
        return new JsonObject
        {
            ["Data"] = new JsonObject { ["req"] = req },
            ["Metadata"] = new JsonObject
            {
                ["Headers"] = headerObject.DeepClone(),
                ["Query"] = query.DeepClone(),
                ["sys"] = new JsonObject
                {
                    ["MethodName"] = "Http",
                    ["UtcNow"] = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                    ["RandGuid"] = Guid.NewGuid().ToString(),
                },
            },
        };
    }

    public static string Basic(string user) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":"));
}
