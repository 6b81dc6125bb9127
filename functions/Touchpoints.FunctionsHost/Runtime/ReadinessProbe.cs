using System.Diagnostics;

namespace Touchpoints.FunctionsHost.Runtime;

/// <summary>How the Functions host knows a custom handler has started: it asks until the handler answers.</summary>
public static class ReadinessProbe
{
    /// <summary>The host's readiness probe: any HTTP answer to <c>GET /</c>, even a 404, means ready.</summary>
    public static async Task WaitAsync(Uri baseAddress, TimeSpan timeout, Task? exited, CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var stopwatch = Stopwatch.StartNew();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (exited is { IsCompleted: true })
                throw new InvalidOperationException("exited before it was ready");
            try
            {
                using var response = await http.GetAsync(baseAddress, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (HttpRequestException) when (stopwatch.Elapsed < timeout)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(50), cancellationToken).ConfigureAwait(false);
            }
            catch (HttpRequestException e)
            {
                throw new TimeoutException($"did not answer GET {baseAddress} within {timeout.TotalSeconds:0}s ({e.Message})", e);
            }
        }
    }
}
