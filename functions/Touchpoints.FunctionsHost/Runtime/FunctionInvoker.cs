using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Touchpoints.FunctionsHost.App;

namespace Touchpoints.FunctionsHost.Runtime;

/// <summary>The end of one call to the handler.</summary>
public sealed record InvocationOutcome(string InvocationId, bool Succeeded, string? Error, JsonObject? Outputs, JsonNode? ReturnValue)
{
    public static InvocationOutcome Failed(string invocationId, string error) => new(invocationId, false, error, null, null);
}

/// <summary>
/// Calls the handler as the Functions host does: <c>POST /{FunctionName}</c> with the invocation headers and
/// <c>{"Data":…,"Metadata":…}</c>. A non-2xx answer, a non-JSON content type or an unreadable body fails the invocation;
/// <c>Logs</c> of a successful answer are logged under <c>Function.{Name}.User</c>.
/// </summary>
internal sealed partial class FunctionInvoker(HttpClient handler, HostConfig host, ILoggerFactory logs)
{
    /// <summary>The host version the local host reports in <c>X-Azure-Functions-HostVersion</c> and the user agent.</summary>
    public const string HostVersion = "4.1040.0";

    private readonly ILogger logger = logs.CreateLogger("Host.Function");

    public static void AddHostHeaders(HttpRequestMessage request, string invocationId)
    {
        request.Headers.TryAddWithoutValidation("X-Azure-Functions-HostVersion", HostVersion);
        request.Headers.TryAddWithoutValidation("X-Azure-Functions-InvocationId", invocationId);
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("Azure-Functions-Host", HostVersion));
    }

    public async Task<InvocationOutcome> InvokeAsync(FunctionDefinition function, JsonObject data, JsonObject metadata, string reason, CancellationToken cancellationToken)
    {
        var invocationId = Guid.NewGuid().ToString();
        LogExecuting(logger, function.Name, reason, invocationId);
        var stopwatch = Stopwatch.StartNew();
        InvocationOutcome outcome;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            timeout.CancelAfter(host.FunctionTimeout);
            try
            {
                outcome = await SendAsync(function, invocationId, data, metadata, timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                outcome = InvocationOutcome.Failed(invocationId, $"Timeout value of {host.FunctionTimeout} was exceeded by function: Functions.{function.Name}");
            }
            catch (HttpRequestException e)
            {
                outcome = InvocationOutcome.Failed(invocationId, $"The handler could not be reached: {e.Message}");
            }
        }

        if (outcome.Succeeded)
            LogSucceeded(logger, function.Name, invocationId, (long)stopwatch.Elapsed.TotalMilliseconds);
        else
            LogFailed(logger, function.Name, invocationId, (long)stopwatch.Elapsed.TotalMilliseconds, outcome.Error);
        return outcome;
    }

    private async Task<InvocationOutcome> SendAsync(FunctionDefinition function, string invocationId, JsonObject data, JsonObject metadata, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["Data"] = data, ["Metadata"] = metadata }.ToJsonString(HostEncoding.Relaxed);
        using var request = new HttpRequestMessage(HttpMethod.Post, function.Name)
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        AddHostHeaders(request, invocationId);
        using var response = await handler.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            return InvocationOutcome.Failed(invocationId, $"The handler answered {(int)response.StatusCode} {response.ReasonPhrase}: {Shorten(text)}");

        var mediaType = response.Content.Headers.ContentType?.MediaType;
        if (mediaType is not ("application/json" or "text/json"))
            return InvocationOutcome.Failed(invocationId, $"Invalid HttpResponseMessage: the content type is '{mediaType}', not application/json: {Shorten(text)}");

        JsonObject result;
        try
        {
            if (JsonNode.Parse(text) is not JsonObject parsed)
                return InvocationOutcome.Failed(invocationId, $"Invalid HttpResponseMessage: the body is not a JSON object: {Shorten(text)}");
            result = parsed;
        }
        catch (JsonException e)
        {
            return InvocationOutcome.Failed(invocationId, $"Invalid HttpResponseMessage: {e.Message}: {Shorten(text)}");
        }

        if (result["Logs"] is JsonArray userLogs)
        {
            var userLogger = logs.CreateLogger($"Function.{function.Name}.User");
            foreach (var line in userLogs)
                LogUser(userLogger, line?.GetValueKind() == JsonValueKind.String ? line.GetValue<string>() : line?.ToJsonString() ?? "");
        }

        return new InvocationOutcome(invocationId, true, null, result["Outputs"] as JsonObject, result["ReturnValue"]);
    }

    private static string Shorten(string text) => text.Length <= 500 ? text : text[..500] + "…";

    [LoggerMessage(Level = LogLevel.Information, Message = "Executing 'Functions.{Function}' (Reason='{Reason}', Id={InvocationId})")]
    private static partial void LogExecuting(ILogger logger, string function, string reason, string invocationId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Executed 'Functions.{Function}' (Succeeded, Id={InvocationId}, Duration={Milliseconds}ms)")]
    private static partial void LogSucceeded(ILogger logger, string function, string invocationId, long milliseconds);

    [LoggerMessage(Level = LogLevel.Error, Message = "Executed 'Functions.{Function}' (Failed, Id={InvocationId}, Duration={Milliseconds}ms): {Error}")]
    private static partial void LogFailed(ILogger logger, string function, string invocationId, long milliseconds, string? error);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Line}")]
    private static partial void LogUser(ILogger logger, string line);
}
