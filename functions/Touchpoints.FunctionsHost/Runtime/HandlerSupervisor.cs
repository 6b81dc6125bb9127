using Microsoft.Extensions.Logging;
using Touchpoints.FunctionsHost.App;

namespace Touchpoints.FunctionsHost.Runtime;

/// <summary>
/// Keeps the custom handler running, as the Functions host restarts a worker that exits: a handler that stops on its own is
/// started again on the same port (so the host's client and the in-flight retries reach it), after a pause that grows with
/// each failure in a row. The host's in-memory hubs and checkpoints live outside the handler and survive it; invocations in
/// flight when it died fail and are retried per their policy. Past <see cref="MaxFailuresInARow"/> failed starts it gives up.
/// </summary>
internal sealed partial class HandlerSupervisor : IAsyncDisposable
{
    public const int MaxFailuresInARow = 5;

    private readonly FunctionApp app;
    private readonly AppSettings settings;
    private readonly ILoggerFactory logs;
    private readonly TimeSpan readyTimeout;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stopping = new();
    private readonly TaskCompletionSource<int> gaveUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private HandlerProcess current;
    private Task watch = Task.CompletedTask;

    private HandlerSupervisor(HandlerProcess first, FunctionApp app, AppSettings settings, ILoggerFactory logs, TimeSpan readyTimeout)
    {
        current = first;
        this.app = app;
        this.settings = settings;
        this.logs = logs;
        this.readyTimeout = readyTimeout;
        logger = logs.CreateLogger("Handler");
    }

    public Uri BaseAddress => current.BaseAddress;

    /// <summary>The running handler's process id.</summary>
    public int ProcessId => current.ProcessId;

    /// <summary>How many times the handler was started again.</summary>
    public int Restarts { get; private set; }

    /// <summary>Completes with the last exit code when the supervisor gave up restarting the handler.</summary>
    public Task<int> GaveUp => gaveUp.Task;

    public static async Task<HandlerSupervisor> StartAsync(FunctionApp app, AppSettings settings, ILoggerFactory logs, TimeSpan readyTimeout, CancellationToken cancellationToken)
    {
        var first = await HandlerProcess.StartAsync(app, settings, logs, readyTimeout, cancellationToken).ConfigureAwait(false);
        var supervisor = new HandlerSupervisor(first, app, settings, logs, readyTimeout);
        supervisor.watch = supervisor.WatchAsync();
        return supervisor;
    }

    private async Task WatchAsync()
    {
        var failures = 0;
        while (!stopping.IsCancellationRequested)
        {
            await ((Task)current.Exited).WaitAsync(stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (stopping.IsCancellationRequested) return;
            var code = await current.Exited.ConfigureAwait(false);
            var port = current.BaseAddress.Port;
            await current.DisposeAsync().ConfigureAwait(false);
            while (!stopping.IsCancellationRequested)
            {
                // A pause, so that a handler that dies at start does not spin: 0.5 s, 1 s, 2 s, …
                await Task.Delay(TimeSpan.FromMilliseconds(500 * Math.Pow(2, failures)), stopping.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                if (stopping.IsCancellationRequested) return;
                try
                {
                    current = await HandlerProcess.StartAsync(app, settings, logs, readyTimeout, stopping.Token, port).ConfigureAwait(false);
                    Restarts++;
                    LogRestarted(logger, current.ProcessId, Restarts);
                    failures = 0;
                    break;
                }
                catch (Exception e) when (e is InvalidOperationException or TimeoutException or System.Net.Sockets.SocketException)
                {
                    failures++;
                    LogRestartFailed(logger, failures, e);
                    if (failures < MaxFailuresInARow) continue;
                    gaveUp.TrySetResult(code);
                    return;
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync().ConfigureAwait(false);
        await watch.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await current.DisposeAsync().ConfigureAwait(false);
        stopping.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Started the custom handler again (pid {Pid}, restart {Restarts})")]
    private static partial void LogRestarted(ILogger logger, int pid, int restarts);

    [LoggerMessage(Level = LogLevel.Error, Message = "Starting the custom handler again failed ({Failures} in a row)")]
    private static partial void LogRestartFailed(ILogger logger, int failures, Exception exception);
}
