using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Touchpoints.Functions.Hosting;

/// <summary>Reads the non-forwarded HTTP trigger payload and answers through the <c>http</c> output binding.</summary>
public static class HttpInvocation
{
    public const string Trigger = "req";
    public const string Response = "res";

    public static HttpTriggerRequest? Read(InvocationRequest invocation) => HttpTriggerRequest.From(invocation, Trigger);

    /// <summary>The user name of <c>Authorization: Basic base64(user:password)</c>, or null.</summary>
    public static string? BasicUser(HttpTriggerRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var header = request.Header("Authorization");
        if (header is null || !header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return null;
        var encoded = header["Basic ".Length..].Trim();
        var buffer = new byte[encoded.Length];
        if (!Convert.TryFromBase64String(encoded, buffer, out var written)) return "";
        var text = Encoding.UTF8.GetString(buffer, 0, written);
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? text : text[..colon];
    }

    /// <summary>An invocation that succeeded and answers the HTTP caller with <paramref name="output"/>; events only when given.</summary>
    public static IResult Answer(HttpOutput output, JsonArray? events = null, string? log = null)
    {
        ArgumentNullException.ThrowIfNull(output);
        var response = new InvocationResponse { Outputs = { [Response] = output.ToNode() } };
        if (events is { Count: > 0 }) response.Outputs[EventsOutput] = events;
        if (log is not null) response.Logs.Add(log);
        return Results.Json(response, HostJsonContext.Default.InvocationResponse);
    }

    /// <summary>The Event Hubs output binding's name in function.json, for both the collector and the webhooks.</summary>
    public const string EventsOutput = "events";

    public static JsonObject Error(string code, string message) => new() { ["error"] = code, ["message"] = message };
}
