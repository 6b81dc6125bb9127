using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Touchpoints.Core.Events;

namespace Touchpoints.Core.Collection;

public enum IntakeFailureKind { Malformed, TooLarge }

/// <summary>Why a whole request was refused before any event was looked at.</summary>
public sealed record IntakeFailure(IntakeFailureKind Kind, string Message);

/// <summary>One event of a request as read, with its size in bytes as sent.</summary>
public sealed record SegmentItem(JsonNode? Node, int Bytes);

/// <summary>
/// A Segment HTTP Tracking API request, read but not yet validated: the write key it carries in its body (if any), its
/// events, and the batch-level <c>context</c>, <c>integrations</c> and <c>sentAt</c> that apply to every event of a batch.
/// </summary>
public sealed record SegmentEnvelope(
    string? WriteKey,
    IReadOnlyList<SegmentItem> Items,
    IntakeFailure? Failure,
    JsonObject? Context = null,
    JsonObject? Integrations = null,
    JsonNode? SentAt = null);

/// <summary>An event refused on its own; the rest of its batch still goes on.</summary>
public sealed record RejectedItem(int Index, string? MessageId, IReadOnlyList<ValidationError> Errors, bool TooLarge = false);

/// <summary>The events to publish (Segment JSON objects, stamped) and the ones refused.</summary>
public sealed record SegmentOutcome(IReadOnlyList<JsonObject> Events, IReadOnlyList<RejectedItem> Rejected)
{
    /// <summary>Nothing was valid and every refusal was for size: the request deserves a 413, not a 400.</summary>
    public bool OnlyTooLarge => Events.Count == 0 && Rejected.Count > 0 && Rejected.All(r => r.TooLarge);
}

/// <summary>
/// The pure half of the website collector, with Segment's HTTP Tracking API rules
/// (https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/): at most 32 KB per event and
/// 500 KB per batch; <c>receivedAt</c> stamped by the server, <c>sentAt</c> kept (ingestion corrects device clock skew
/// with both); batch-level <c>context</c>, <c>integrations</c> and <c>sentAt</c> merged into each event, the event's own
/// values winning; each event validated with the same rules as ingestion (<see cref="SegmentParser"/>).
/// </summary>
public static class SegmentIntake
{
    public const int MaxEventBytes = 32 * 1024;
    public const int MaxBatchBytes = 500 * 1024;

    /// <summary>Prefix of the message ids the collector makes up for events sent without one.</summary>
    public const string GeneratedIdPrefix = "api-";

    // Lenient where producers are (comments, trailing commas), strict where a body is ambiguous: a duplicate key is refused
    // (400) rather than silently taking one of the two values.
    private static readonly JsonDocumentOptions Lenient = new() { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip, AllowDuplicateProperties = false };

    public static string CallName(WebCall call) => call.ToString().ToLowerInvariant();

    /// <summary>Reads a request body: a batch (<c>{"batch": [...]}</c>) when <paramref name="call"/> is null, else one event.</summary>
    public static SegmentEnvelope Read(string? body, WebCall? call)
    {
        body ??= "";
        var bytes = Encoding.UTF8.GetByteCount(body);
        var limit = call is null ? MaxBatchBytes : MaxEventBytes;
        if (bytes > limit)
            return Failed(IntakeFailureKind.TooLarge,
                $"the request is {bytes} bytes; {(call is null ? "a batch" : "an event")} may be at most {limit / 1024} KB");
        if (string.IsNullOrWhiteSpace(body)) return Failed(IntakeFailureKind.Malformed, "the body is empty");
        if (JsonText.HasLoneSurrogate(body)) return Failed(IntakeFailureKind.Malformed, JsonText.LoneSurrogateMessage);

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, Lenient);
        }
        catch (JsonException e)
        {
            return Failed(IntakeFailureKind.Malformed, $"malformed JSON at {e.Path ?? "$"} (line {e.LineNumber + 1}, byte {e.BytePositionInLine})");
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return Failed(IntakeFailureKind.Malformed, "the body must be a JSON object");
            var writeKey = root.TryGetProperty("writeKey", out var key) && key.ValueKind == JsonValueKind.String ? key.GetString() : null;
            if (call is not null) return new SegmentEnvelope(writeKey, [new SegmentItem(JsonNode.Parse(root.GetRawText()), bytes)], null);

            if (!root.TryGetProperty("batch", out var batch) || batch.ValueKind != JsonValueKind.Array)
                return Failed(IntakeFailureKind.Malformed, "$.batch must be an array of events");
            var items = new List<SegmentItem>(batch.GetArrayLength());
            foreach (var element in batch.EnumerateArray())
            {
                var raw = element.GetRawText();
                items.Add(new SegmentItem(JsonNode.Parse(raw), Encoding.UTF8.GetByteCount(raw)));
            }
            return new SegmentEnvelope(writeKey, items, null,
                ObjectOrNull(root, "context"), ObjectOrNull(root, "integrations"),
                root.TryGetProperty("sentAt", out var sentAt) && sentAt.ValueKind == JsonValueKind.String ? JsonValue.Create(sentAt.GetString()) : null);
        }
    }

    /// <summary>
    /// Completes, stamps and validates every event. <paramref name="source"/> (the configured source the write key belongs
    /// to) scopes the message ids made up for events without one.
    /// </summary>
    public static SegmentOutcome Accept(SegmentEnvelope envelope, string source, WebCall? call, DateTimeOffset now, string? phoneRegion = null)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        var arrival = new ArrivalContext(now, now, phoneRegion);
        var receivedAt = now.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        var events = new List<JsonObject>(envelope.Items.Count);
        var rejected = new List<RejectedItem>();
        for (var i = 0; i < envelope.Items.Count; i++)
        {
            var item = envelope.Items[i];
            var at = call is null ? $"$.batch[{i}]" : "$";
            if (item.Node is not JsonObject e)
            {
                rejected.Add(new RejectedItem(i, null, [new ValidationError(at, "must be a JSON object")]));
                continue;
            }
            var messageId = StringOf(e["messageId"]);
            if (item.Bytes > MaxEventBytes)
            {
                rejected.Add(new RejectedItem(i, messageId,
                    [new ValidationError(at, $"is {item.Bytes} bytes; an event may be at most {MaxEventBytes / 1024} KB")], TooLarge: true));
                continue;
            }

            e.Remove("writeKey");
            if (envelope.Context is not null) e["context"] = Merge(envelope.Context, e["context"] as JsonObject);
            if (envelope.Integrations is not null) e["integrations"] = Merge(envelope.Integrations, e["integrations"] as JsonObject);
            if (envelope.SentAt is not null && e["sentAt"] is null) e["sentAt"] = envelope.SentAt.DeepClone();

            var errors = new List<ValidationError>();
            if (call is { } c)
            {
                var name = CallName(c);
                var type = e["type"];
                if (type is null) e["type"] = name;
                else if (!string.Equals(StringOf(type)?.Trim(), name, StringComparison.OrdinalIgnoreCase))
                    errors.Add(new ValidationError(at + ".type", $"is '{StringOf(type) ?? type.ToJsonString()}' but this endpoint takes {name} calls"));
            }
            if (string.IsNullOrWhiteSpace(messageId))
            {
                // Segment's libraries always send one and its API fills it in when absent. The id made up here derives from the
                // source and the event as sent, so a retried request does not duplicate the events it carries.
                messageId = GeneratedId(source, e);
                e["messageId"] = messageId;
            }
            e["receivedAt"] = receivedAt;
            // Message ids are unique per source: scoped by it, another source's ids cannot suppress this one's events.
            e[IngestedEvent.ScopeMember] = source;

            if (errors.Count == 0)
            {
                var parsed = SegmentParser.Parse(e.ToJsonString(), arrival);
                if (parsed.IsValid)
                {
                    events.Add(e);
                    continue;
                }
                errors.AddRange(parsed.Errors.Select(x => x with { Path = at + x.Path[1..] }));
            }
            rejected.Add(new RejectedItem(i, messageId, errors));
        }
        return new SegmentOutcome(events, rejected);
    }

    /// <summary>
    /// The partition key of a web event: its browser or device (<c>anonymousId:…</c>), else its user (<c>userId:…</c>, a
    /// server-side call). One browser's events then keep their order on one partition, before and after its visitor signs
    /// in: a sign-in carries both ids, and keying it by the user would put it on another partition than the pages before it.
    /// Events of one user on several devices meet in ingestion's identity resolution, which does not need them ordered.
    /// </summary>
    public static string? PartitionKey(JsonObject e)
    {
        ArgumentNullException.ThrowIfNull(e);
        return StringOf(e["anonymousId"]) is { Length: > 0 } anonymous ? "anonymousId:" + anonymous
            : StringOf(e["userId"]) is { Length: > 0 } user ? "userId:" + user
            : null;
    }

    private static string GeneratedId(string source, JsonObject e)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(source + "\n" + e.ToJsonString()));
        return GeneratedIdPrefix + Convert.ToHexStringLower(hash.AsSpan(0, 16));
    }

    /// <summary>The batch-level object with the event's own members laid over it, recursively.</summary>
    private static JsonObject Merge(JsonObject batchLevel, JsonObject? own)
    {
        var merged = (JsonObject)batchLevel.DeepClone();
        if (own is null) return merged;
        foreach (var (name, value) in own)
            merged[name] = value is JsonObject o && merged[name] is JsonObject b ? Merge(b, o) : value?.DeepClone();
        return merged;
    }

    private static string? StringOf(JsonNode? node) =>
        node is JsonValue v ? v.GetValueKind() switch
        {
            JsonValueKind.String => v.GetValue<string>(),
            JsonValueKind.Number => v.ToJsonString(),
            _ => null,
        } : null;

    private static JsonObject? ObjectOrNull(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? JsonNode.Parse(value.GetRawText()) as JsonObject : null;

    private static SegmentEnvelope Failed(IntakeFailureKind kind, string message) => new(null, [], new IntakeFailure(kind, message));
}
