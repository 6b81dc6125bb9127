namespace Touchpoints.Functions.Hosting;

/// <summary>The one place a triggered function's failure becomes the host's 500.</summary>
public static partial class Invocations
{
    /// <summary>
    /// Runs one invocation of <paramref name="function"/> on <paramref name="count"/> items: its response with 200, or 500 when
    /// it throws (Cosmos DB or storage unavailable, throttled beyond the SDKs' retries). A failed invocation is replayed by the
    /// function's retry policy (Event Hubs) or started again from its cursor (the timer), and every step is idempotent:
    /// failing the whole invocation is how a transient fault loses nothing. Bad input never reaches here: it is rejected per
    /// item by the work itself. The host's own cancellation (shutdown) is not a failure and propagates.
    /// </summary>
    public static async Task<IResult> RunAsync(string function, int count, ILogger logger, Func<Task<InvocationResponse>> work, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(work);
        try
        {
            return Results.Json(await work().ConfigureAwait(false), HostJsonContext.Default.InvocationResponse);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            LogFailed(logger, function, count, e);
            return Results.Json(new InvocationResponse { Logs = { $"{function} failed: {e.Message}" } }, HostJsonContext.Default.InvocationResponse,
                statusCode: StatusCodes.Status500InternalServerError);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Function} failed on {Count} items; it will be retried")]
    private static partial void LogFailed(ILogger logger, string function, int count, Exception exception);
}
