using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Touchpoints.Functions.Hosting;

/// <summary>
/// What the Functions host POSTs to <c>/{FunctionName}</c>: trigger and input values under <c>Data</c>, the trigger's
/// binding data under <c>Metadata</c>. The host JSON-encodes strings, numbers and arrays a second time, so every reader
/// here accepts both the plain and the double-encoded form.
/// </summary>
public sealed class InvocationRequest
{
    public Dictionary<string, JsonElement>? Data { get; set; }
    public Dictionary<string, JsonElement>? Metadata { get; set; }

    public JsonElement? DataOf(string name) => Data is not null && Data.TryGetValue(name, out var value) ? value : null;

    public JsonElement? MetadataOf(string name) => Metadata is not null && Metadata.TryGetValue(name, out var value) ? value : null;
}

/// <summary>
/// The handler's answer. A 2xx with this body completes the invocation and the host writes <see cref="Outputs"/> to the
/// output bindings by name; any other status fails it (and a retry policy replays it).
/// </summary>
public sealed class InvocationResponse
{
    public Dictionary<string, JsonNode?> Outputs { get; init; } = [];
    public List<string> Logs { get; init; } = [];
    public JsonNode? ReturnValue { get; init; }
}

/// <summary>Readers for the host's encodings.</summary>
public static class HostValue
{
    /// <summary>Unwraps a value the host encoded as a JSON string holding JSON (<c>"[1,2]"</c>, <c>"\"x\""</c>).</summary>
    public static JsonElement Unwrap(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.String) return value;
        var text = value.GetString();
        if (string.IsNullOrEmpty(text)) return value;
        var first = text.AsSpan().TrimStart();
        if (first.IsEmpty || first[0] is not ('[' or '{' or '"')) return value;
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return value;
        }
    }

    /// <summary>
    /// An Event Hubs batch with <c>dataType: string</c>: a JSON array of strings, possibly inside a string. Items that arrive
    /// as JSON objects (a binding without <c>dataType</c>) are taken as their raw text.
    /// </summary>
    public static IReadOnlyList<string> Bodies(JsonElement? value)
    {
        if (value is null) return [];
        if (value.Value.ValueKind == JsonValueKind.String && EncodedArray(value.Value) is { } decoded) return decoded;
        var array = Unwrap(value.Value);
        if (array.ValueKind != JsonValueKind.Array)
            return array.ValueKind == JsonValueKind.String ? [array.GetString() ?? ""] : [array.GetRawText()];
        return Items(array);
    }

    private static List<string> Items(JsonElement array)
    {
        var bodies = new List<string>(array.GetArrayLength());
        foreach (var item in array.EnumerateArray())
            bodies.Add(item.ValueKind == JsonValueKind.String ? item.GetString() ?? "" : item.GetRawText());
        return bodies;
    }

    /// <summary>
    /// The host's double-encoded batch — a JSON string holding a JSON array — read in one pass: the string is unescaped from
    /// its raw UTF-8 into a pooled buffer and the array read from there, so a batch of 500 events is not also built as a
    /// UTF-16 string, a document and a copy of that document. Null when the string does not hold an array (the caller then
    /// reads it as it is).
    /// </summary>
    private static List<string>? EncodedArray(JsonElement value)
    {
        var raw = JsonMarshal.GetRawUtf8Value(value);
        var outer = new Utf8JsonReader(raw);
        if (!outer.Read() || outer.TokenType != JsonTokenType.String) return null;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(1, outer.ValueSpan.Length));
        try
        {
            var length = outer.CopyString(buffer);
            var text = buffer.AsSpan(0, length).TrimStart(" \t\r\n"u8);
            if (text.IsEmpty || text[0] != (byte)'[') return null;
            var reader = new Utf8JsonReader(text);
            var bodies = new List<string>();
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray) return null;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (reader.TokenType == JsonTokenType.String)
                {
                    bodies.Add(reader.GetString() ?? "");
                }
                else
                {
                    // An event that arrived as JSON (a binding without dataType): its raw text.
                    using var item = JsonDocument.ParseValue(ref reader);
                    bodies.Add(item.RootElement.GetRawText());
                }
            }
            return bodies;
        }
        catch (JsonException)
        {
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static IReadOnlyList<long> Longs(JsonElement? value)
    {
        if (value is null) return [];
        var array = Unwrap(value.Value);
        if (array.ValueKind != JsonValueKind.Array) return [];
        var result = new List<long>(array.GetArrayLength());
        foreach (var item in array.EnumerateArray())
            result.Add(item.ValueKind == JsonValueKind.Number ? item.GetInt64()
                : long.TryParse(item.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : -1);
        return result;
    }

    public static IReadOnlyList<DateTimeOffset?> Times(JsonElement? value)
    {
        if (value is null) return [];
        var array = Unwrap(value.Value);
        if (array.ValueKind != JsonValueKind.Array) return [];
        var result = new List<DateTimeOffset?>(array.GetArrayLength());
        foreach (var item in array.EnumerateArray())
            result.Add(item.ValueKind == JsonValueKind.String
                && DateTimeOffset.TryParse(item.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) ? t : null);
        return result;
    }

    public static string? Property(JsonElement? value, string name)
    {
        if (value is null) return null;
        var obj = Unwrap(value.Value);
        if (obj.ValueKind != JsonValueKind.Object) return null;
        foreach (var property in obj.EnumerateObject())
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
                return property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString() : property.Value.GetRawText();
        return null;
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.Unspecified, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(InvocationRequest))]
[JsonSerializable(typeof(InvocationResponse))]
public sealed partial class HostJsonContext : JsonSerializerContext;
