using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Touchpoints.Functions.Hosting;

/// <summary>
/// An HTTP request as a function reads it: the shape the host gives a function that is not forwarded (<c>Data.{binding} =
/// {Url, Method, Query, Headers, Params, Body}</c>), also made from a forwarded request (<see cref="HttpInvocation.ReadAsync"/>).
/// </summary>
public sealed class HttpTriggerRequest
{
    public string? Url { get; set; }
    public string? Method { get; set; }
    public Dictionary<string, string>? Query { get; set; }
    public Dictionary<string, JsonElement>? Headers { get; set; }
    public Dictionary<string, string>? Params { get; set; }
    public string? Body { get; set; }

    /// <summary>A header's first value, by case-insensitive name; the host sends each as an array of values.</summary>
    public string? Header(string name)
    {
        if (Headers is null) return null;
        foreach (var (key, value) in Headers)
        {
            if (!string.Equals(key, name, StringComparison.OrdinalIgnoreCase)) continue;
            return value.ValueKind switch
            {
                JsonValueKind.Array => value.EnumerateArray().Select(v => v.GetString()).FirstOrDefault(),
                JsonValueKind.String => value.GetString(),
                _ => null,
            };
        }
        return null;
    }

    public string? Param(string name) =>
        Params?.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    public string? QueryValue(string name) =>
        Query?.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

    /// <summary>
    /// Reads the trigger value tolerantly: the host's <c>GetRequestAsJObject</c> sends <c>Query</c> as a string holding JSON
    /// in some versions and as an object in others, with values of any JSON type; both forms become strings here.
    /// </summary>
    public static HttpTriggerRequest? From(InvocationRequest invocation, string binding)
    {
        ArgumentNullException.ThrowIfNull(invocation);
        if (invocation.DataOf(binding) is not { } value || HostValue.Unwrap(value) is not { ValueKind: JsonValueKind.Object } obj) return null;
        var node = JsonNode.Parse(obj.GetRawText())!.AsObject();
        foreach (var (name, member) in node.ToList())
        {
            if (!string.Equals(name, nameof(Query), StringComparison.OrdinalIgnoreCase)) continue;
            var query = member is JsonValue text && text.GetValueKind() == JsonValueKind.String ? TryParse(text.GetValue<string>()) : member;
            node[name] = query is JsonObject o ? Stringify(o) : null;
        }
        return node.Deserialize(HttpTriggerJsonContext.Default.HttpTriggerRequest);
    }

    private static JsonNode? TryParse(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static JsonObject Stringify(JsonObject query)
    {
        var result = new JsonObject();
        foreach (var (k, v) in query)
            result[k] = v is null ? null : v is JsonValue s && s.GetValueKind() == JsonValueKind.String ? s.GetValue<string>() : v.ToJsonString();
        return result;
    }
}

/// <summary>What an <c>http</c> output binding takes: an object, with the status code as a string.</summary>
public sealed record HttpOutput(int StatusCode, string? Body, IReadOnlyDictionary<string, string>? Headers = null)
{
    public JsonNode ToNode()
    {
        var headers = new JsonObject();
        foreach (var (name, value) in Headers ?? new Dictionary<string, string>()) headers[name] = value;
        return new JsonObject
        {
            ["statusCode"] = StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["body"] = Body ?? "",
            ["headers"] = headers,
        };
    }

    public static HttpOutput Json(int status, string json, IReadOnlyDictionary<string, string>? headers = null)
    {
        var all = new Dictionary<string, string>(headers ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase)
        {
            ["Content-Type"] = "application/json; charset=utf-8",
        };
        return new HttpOutput(status, json, all);
    }
}

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true)]
[JsonSerializable(typeof(HttpTriggerRequest))]
[JsonSerializable(typeof(string[]))]
internal sealed partial class HttpTriggerJsonContext : JsonSerializerContext;
