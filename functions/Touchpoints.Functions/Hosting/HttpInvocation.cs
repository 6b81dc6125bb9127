using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Touchpoints.Functions.Hosting;

/// <summary>
/// A forwarded HTTP function's request as the collector and the webhooks read it, and their answer. The Functions host
/// forwards the caller's request as it came (a function with only an <c>http</c> output, and host.json's
/// <c>enableForwardingHttpRequest</c>); ASP.NET Core has already decompressed its body (gzip, deflate, br).
/// </summary>
public static class HttpInvocation
{
    /// <summary>The binding names of every HTTP function's function.json: the trigger and its answer.</summary>
    public const string Trigger = "req";
    public const string Response = "res";

    /// <summary>
    /// The request, its body read up to <paramref name="maxBodyBytes"/> + 1 bytes of the decompressed stream: a body past
    /// the limit is cut there (and refused by its reader as too large), so a small compressed bomb never fills memory.
    /// </summary>
    public static async Task<HttpTriggerRequest> ReadAsync(HttpContext context, int maxBodyBytes)
    {
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        var buffer = new byte[Math.Min(maxBodyBytes + 1, 64 * 1024)];
        using var body = new MemoryStream();
        int read;
        while (body.Length <= maxBodyBytes
            && (read = await request.Body.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, maxBodyBytes + 1 - body.Length)), context.RequestAborted).ConfigureAwait(false)) > 0)
            body.Write(buffer, 0, read);
        return new HttpTriggerRequest
        {
            Url = $"{request.Scheme}://{request.Host}{request.PathBase}{request.Path}{request.QueryString}",
            Method = request.Method,
            Query = request.Query.ToDictionary(q => q.Key, q => q.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            Headers = request.Headers.ToDictionary(h => h.Key, h => JsonSerializer.SerializeToElement(h.Value.ToArray(), HttpTriggerJsonContext.Default.StringArray),
                StringComparer.OrdinalIgnoreCase),
            Params = request.RouteValues.ToDictionary(r => r.Key, r => Convert.ToString(r.Value, System.Globalization.CultureInfo.InvariantCulture) ?? "",
                StringComparer.OrdinalIgnoreCase),
            Body = body.Length == 0 ? null : Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)body.Length),
        };
    }

    /// <summary>Writes <paramref name="output"/> as the HTTP answer.</summary>
    public static async Task WriteAsync(HttpContext context, HttpOutput output)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(output);
        var response = context.Response;
        response.StatusCode = output.StatusCode;
        foreach (var (name, value) in output.Headers ?? new Dictionary<string, string>())
        {
            if (string.Equals(name, "Content-Type", StringComparison.OrdinalIgnoreCase)) response.ContentType = value;
            else response.Headers[name] = value;
        }
        if (!string.IsNullOrEmpty(output.Body)) await response.WriteAsync(output.Body, context.RequestAborted).ConfigureAwait(false);
    }

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

    public static JsonObject Error(string code, string message) => new() { ["error"] = code, ["message"] = message };
}
