using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Extensions;
using Microsoft.Extensions.Primitives;
using Touchpoints.FunctionsHost.App;
using Touchpoints.FunctionsHost.Runtime;

namespace Touchpoints.FunctionsHost.Triggers;

/// <summary>
/// The HTTP triggers, served at <c>/{routePrefix}/{route}</c>. A function whose only bindings are <c>httpTrigger</c> +
/// <c>http</c> gets the raw request forwarded when host.json enables it; every other one is invoked the non-forwarded way,
/// with the request as <c>Data.{trigger}</c> and the response taken from its <c>http</c> output. <c>authLevel</c> is
/// not enforced locally (Core Tools does not either).
/// </summary>
internal sealed class HttpTriggers(FunctionApp app, FunctionRunner runner, HttpClient handler, InvocationTracker tracker)
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Host",
    };

    private readonly FunctionDefinition[] functions = [.. app.Functions
        .Where(f => f.Trigger.Type == BindingTypes.HttpTrigger)
        .OrderByDescending(f => f.Route!.Precedence)];

    public IEnumerable<FunctionDefinition> Functions => functions;

    public string UrlOf(FunctionDefinition function, Uri baseAddress)
    {
        var prefix = app.Host.RoutePrefix.Trim('/');
        return new Uri(baseAddress, (prefix.Length == 0 ? "" : prefix + "/") + function.Route!.Text.TrimStart('/')).ToString();
    }

    /// <summary>Finds the function for a request path and method.</summary>
    public FunctionDefinition? Match(string path, string method, out Dictionary<string, string> routeValues)
    {
        routeValues = [];
        var prefix = "/" + app.Host.RoutePrefix.Trim('/');
        var relative = path;
        if (prefix.Length > 1)
        {
            if (!path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return null;
            relative = path[prefix.Length..];
            if (relative.Length > 0 && relative[0] != '/') return null;
        }

        foreach (var function in functions)
        {
            if (function.Methods is { } methods && !methods.Contains(method.ToUpperInvariant())) continue;
            if (function.Route!.TryMatch(relative, out routeValues)) return function;
        }

        return null;
    }

    public async Task HandleAsync(HttpContext context)
    {
        var function = Match(context.Request.Path.Value ?? "/", context.Request.Method, out var routeValues);
        if (function is null)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (app.Host.EnableForwardingHttpRequest && function.IsHttpInAndOut)
            await ForwardAsync(context).ConfigureAwait(false);
        else
            await InvokeAsync(function, context, routeValues).ConfigureAwait(false);
    }

    private async Task ForwardAsync(HttpContext context)
    {
        using var scope = tracker.Enter();
        var request = context.Request;
        using var forward = new HttpRequestMessage(new HttpMethod(request.Method), (request.Path + request.QueryString).TrimStart('/'));
        var body = new MemoryStream();
        await request.Body.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
        body.Position = 0;
        if (body.Length > 0 || request.ContentLength is not null) forward.Content = new StreamContent(body);
        foreach (var (name, values) in request.Headers)
        {
            if (HopByHop.Contains(name)) continue;
            if (!forward.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
                forward.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
        }

        forward.Headers.Remove("User-Agent");
        FunctionInvoker.AddHostHeaders(forward, Guid.NewGuid().ToString());
        HttpResponseMessage response;
        try
        {
            response = await handler.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted).ConfigureAwait(false);
        }
        catch (HttpRequestException)
        {
            tracker.Record(false);
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }

        using (response)
        {
            tracker.Record(response.IsSuccessStatusCode);
            context.Response.StatusCode = (int)response.StatusCode;
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
            {
                if (HopByHop.Contains(name)) continue;
                context.Response.Headers[name] = values.ToArray();
            }

            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    private async Task InvokeAsync(FunctionDefinition function, HttpContext context, Dictionary<string, string> routeValues)
    {
        var request = context.Request;
        var query = new JsonObject();
        foreach (var (key, values) in request.Query) query[key] = values.ToString();
        var headers = new JsonObject();
        foreach (var (key, values) in request.Headers) headers[key] = new JsonArray([.. values.Select(v => JsonValue.Create(v))]);
        var parameters = new JsonObject();
        foreach (var (key, routeValue) in routeValues) parameters[key] = routeValue;

        var trigger = new JsonObject
        {
            ["Url"] = request.GetDisplayUrl(),
            ["Method"] = request.Method,
            ["Query"] = query,
            ["Headers"] = headers,
            ["Params"] = parameters,
            ["Identities"] = new JsonArray(),
        };
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body, context.RequestAborted).ConfigureAwait(false);
        if (body.Length > 0)
        {
            trigger["Body"] = IsOctetOrMultipart(request.ContentType)
                ? Convert.ToBase64String(body.GetBuffer(), 0, (int)body.Length)
                : Encoding.UTF8.GetString(body.GetBuffer(), 0, (int)body.Length);
        }

        // Binding data: the query and headers again, and each route value (a string, so JSON-encoded a second time).
        var metadata = new JsonObject { ["Query"] = query.DeepClone(), ["Headers"] = headers.DeepClone() };
        foreach (var (key, routeValue) in routeValues) metadata[key] = HostEncoding.Twice(routeValue);

        var outcome = await runner.RunAsync(function, new JsonObject { [function.Trigger.Name] = trigger }, metadata,
            $"This function was programmatically called via the host APIs (HTTP {request.Method} {request.Path})", context.RequestAborted).ConfigureAwait(false);
        if (!outcome.Succeeded)
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            return;
        }

        var output = function.Outputs.FirstOrDefault(b => b.Type == BindingTypes.Http);
        var value = output is null ? null : output.Name == "$return" ? outcome.ReturnValue : outcome.Outputs?[output.Name];
        await WriteHttpOutputAsync(context.Response, value, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>
    /// An <c>http</c> output: an object with <c>statusCode</c> (or <c>status</c>, a string or a number), <c>body</c> and
    /// <c>headers</c>, matched case-insensitively. Anything else — a bare string, say — fails the request with a 500, as in the host.
    /// </summary>
    internal static async Task WriteHttpOutputAsync(HttpResponse response, JsonNode? value, CancellationToken cancellationToken)
    {
        if (value is null)
        {
            response.StatusCode = StatusCodes.Status200OK;
            return;
        }

        if (value is not JsonObject output)
        {
            response.StatusCode = StatusCodes.Status500InternalServerError;
            await response.WriteAsync("Output body should have 'StatusCode', 'Status', 'Body', and 'Headers'", cancellationToken).ConfigureAwait(false);
            return;
        }

        var status = output.String("statusCode") ?? output.String("status");
        response.StatusCode = status is not null && int.TryParse(status, NumberStyles.Integer, CultureInfo.InvariantCulture, out var code) ? code : 200;
        if (output.Object("headers") is { } headers)
        {
            foreach (var (name, header) in headers)
            {
                response.Headers[name] = header switch
                {
                    JsonArray list => new StringValues([.. list.Select(v => v?.ToString())]),
                    JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                    null => StringValues.Empty,
                    _ => header.ToJsonString(),
                };
            }
        }

        var body = output.Property("body");
        if (body is null) return;
        string text;
        if (body is JsonValue s && s.GetValueKind() == JsonValueKind.String)
        {
            text = s.GetValue<string>();
        }
        else
        {
            text = body.ToJsonString(HostEncoding.Relaxed);
            if (!response.Headers.ContainsKey("Content-Type")) response.ContentType = "application/json; charset=utf-8";
        }

        await response.WriteAsync(text, cancellationToken).ConfigureAwait(false);
    }

    private static bool IsOctetOrMultipart(string? contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var media) && media.MediaType is { } type
        && (type.Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase) || type.Contains("multipart/", StringComparison.OrdinalIgnoreCase));
}
