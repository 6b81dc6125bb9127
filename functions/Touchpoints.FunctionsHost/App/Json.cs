using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Touchpoints.FunctionsHost.App;

/// <summary>Tolerant readers for host.json and function.json, whose property names the host matches case-insensitively.</summary>
internal static class Json
{
    public static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    public static JsonNode? Property(this JsonObject? obj, string name)
    {
        if (obj is null) return null;
        if (obj.TryGetPropertyValue(name, out var exact)) return exact;
        foreach (var (key, value) in obj)
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase)) return value;
        return null;
    }

    public static JsonObject? Object(this JsonObject? obj, string name) => obj.Property(name) as JsonObject;

    public static string? String(this JsonObject? obj, string name) => obj.Property(name) switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v => v.ToJsonString(),
        _ => null,
    };

    public static int? Int(this JsonObject? obj, string name) => obj.Property(name) switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var n) => n,
        JsonValue v when v.GetValueKind() == JsonValueKind.String
            && int.TryParse(v.GetValue<string>(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) => n,
        _ => null,
    };

    public static bool? Bool(this JsonObject? obj, string name) => obj.Property(name) switch
    {
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String && bool.TryParse(v.GetValue<string>(), out var b) => b,
        _ => null,
    };

    /// <summary>A <c>hh:mm:ss</c> (or <c>d.hh:mm:ss</c>) value; null when absent; throws <see cref="FormatException"/> when malformed.</summary>
    public static TimeSpan? Duration(this JsonObject? obj, string name)
    {
        var text = obj.String(name);
        if (text is null) return null;
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out var value) && value >= TimeSpan.Zero
            ? value
            : throw new FormatException($"'{name}' must be a duration like \"00:00:05\", not \"{text}\"");
    }
}
