using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Touchpoints.FunctionsHost.Runtime;

/// <summary>
/// The Functions host's encodings of invocation values (<c>ScriptInvocationContextExtensions</c>): objects go as JSON
/// objects, byte arrays as base64, and everything else — strings, numbers, dates, arrays — as
/// <c>JsonConvert.SerializeObject(value)</c> placed in a JSON string, i.e. JSON-encoded a second time.
/// </summary>
public static class HostEncoding
{
    /// <summary>Newtonsoft does not escape non-ASCII or HTML characters; neither do we, so payloads read the same.</summary>
    public static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary><c>HelloWorld</c> → <c>"\"HelloWorld\""</c>.</summary>
    public static JsonNode Twice(string value) => JsonValue.Create(Quote(value));

    /// <summary><c>4</c> → <c>"4"</c>.</summary>
    public static JsonNode Twice(long value) => JsonValue.Create(value.ToString(CultureInfo.InvariantCulture));

    /// <summary>A date as Newtonsoft writes it, in a string: <c>"\"2024-05-01T10:00:00.123Z\""</c>.</summary>
    public static JsonNode Twice(DateTimeOffset value) => JsonValue.Create("\"" + Date(value) + "\"");

    /// <summary>An array → a string holding its JSON.</summary>
    public static JsonNode Twice(JsonArray value) => JsonValue.Create(value.ToJsonString(Relaxed));

    /// <summary>A JSON string literal of <paramref name="value"/>.</summary>
    public static string Quote(string value) => JsonValue.Create(value).ToJsonString(Relaxed);

    /// <summary>
    /// Newtonsoft's ISO 8601 form: a UTC time ends in <c>Z</c>, other offsets are written out; trailing zero fractions are dropped.
    /// </summary>
    public static string Date(DateTimeOffset value) => value.Offset == TimeSpan.Zero
        ? value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture)
        : value.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz", CultureInfo.InvariantCulture);

    /// <summary>The <c>sys</c> binding data: <c>MethodName</c>, <c>UtcNow</c>, <c>RandGuid</c>.</summary>
    public static JsonObject Sys(string functionName, DateTimeOffset now) => new()
    {
        ["MethodName"] = functionName,
        ["UtcNow"] = Date(now.ToUniversalTime()),
        ["RandGuid"] = Guid.NewGuid().ToString(),
    };
}
