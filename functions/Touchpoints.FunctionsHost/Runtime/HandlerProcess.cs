using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Touchpoints.FunctionsHost.App;

namespace Touchpoints.FunctionsHost.Runtime;

/// <summary>
/// The custom handler process, started as the Functions host starts it: <c>defaultExecutablePath</c> (relative to the app
/// root) with its arguments, in its working directory, with every app setting plus <c>FUNCTIONS_CUSTOMHANDLER_PORT</c>,
/// <c>FUNCTIONS_CUSTOMHANDLER_WORKER_ID</c> and <c>FUNCTIONS_APP_ROOT_PATH</c> in its environment. It is ready when
/// <c>GET http://127.0.0.1:{port}/</c> gets any HTTP answer. Its stdout is logged as information, its stderr as errors.
/// </summary>
internal sealed partial class HandlerProcess : IAsyncDisposable
{
    private const int OutputTailLines = 100;
    private readonly Process process;
    private readonly ILogger logger;
    private readonly Queue<string> tail = new();
    private readonly TaskCompletionSource<int> exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool stopping;

    private HandlerProcess(Process process, ILogger logger, Uri baseAddress, string workerId)
    {
        this.process = process;
        this.logger = logger;
        BaseAddress = baseAddress;
        WorkerId = workerId;
    }

    public Uri BaseAddress { get; }

    public string WorkerId { get; }

    /// <summary>Completes with the exit code if the handler stops on its own.</summary>
    public Task<int> Exited => exited.Task;

    /// <summary>The process id, for a test that kills the handler as a crash would.</summary>
    public int ProcessId => process.Id;

    public static async Task<HandlerProcess> StartAsync(FunctionApp app, AppSettings settings, ILoggerFactory logs, TimeSpan readyTimeout, CancellationToken cancellationToken,
        int? port = null)
    {
        var logger = logs.CreateLogger("Handler");
        var description = app.Host.Handler;
        var workingDirectory = string.IsNullOrEmpty(description.WorkingDirectory)
            ? app.Root
            : Path.GetFullPath(description.WorkingDirectory, app.Root);
        var executable = ResolveExecutable(description.DefaultExecutablePath, app.Root);
        var listenPort = port ?? LoopbackPorts.Free();
        var workerId = Guid.NewGuid().ToString();

        var startInfo = new ProcessStartInfo(executable)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in description.Arguments) startInfo.ArgumentList.Add(argument);
        if (!string.IsNullOrEmpty(description.DefaultWorkerPath))
            startInfo.ArgumentList.Add(Path.GetFullPath(description.DefaultWorkerPath, app.Root));
        foreach (var argument in description.WorkerArguments) startInfo.ArgumentList.Add(argument);

        foreach (var (name, value) in settings.Values) startInfo.Environment[name] = value;
        startInfo.Environment["FUNCTIONS_CUSTOMHANDLER_PORT"] = listenPort.ToString(CultureInfo.InvariantCulture);
        startInfo.Environment["FUNCTIONS_CUSTOMHANDLER_WORKER_ID"] = workerId;
        startInfo.Environment["FUNCTIONS_APP_ROOT_PATH"] = app.Root;
        startInfo.Environment["FUNCTIONS_WORKER_RUNTIME"] = settings["FUNCTIONS_WORKER_RUNTIME"] ?? "custom";
        // A framework-dependent apphost finds .NET through DOTNET_ROOT when it is not installed in the default place.
        if (!startInfo.Environment.ContainsKey("DOTNET_ROOT") && DotnetRoot() is { } dotnetRoot)
            startInfo.Environment["DOTNET_ROOT"] = dotnetRoot;

        var handler = new HandlerProcess(new Process { StartInfo = startInfo, EnableRaisingEvents = true }, logger,
            new Uri($"http://127.0.0.1:{listenPort}/"), workerId);
        handler.process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            handler.Remember(e.Data);
            LogOutput(logger, e.Data);
        };
        handler.process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            handler.Remember(e.Data);
            LogError(logger, e.Data);
        };
        handler.process.Exited += (_, _) =>
        {
            var code = handler.process.ExitCode;
            if (!handler.stopping) LogExited(logger, code);
            handler.exited.TrySetResult(code);
        };

        try
        {
            try
            {
                handler.process.Start();
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new AppDefinitionException(
                    $"{app.Host.File}: could not start the handler '{executable}' (customHandler.description.defaultExecutablePath): {e.Message}", e);
            }

            handler.process.BeginOutputReadLine();
            handler.process.BeginErrorReadLine();
            LogStarted(logger, executable, handler.process.Id, listenPort);
            await ReadinessProbe.WaitAsync(handler.BaseAddress, readyTimeout, handler.Exited, cancellationToken).ConfigureAwait(false);
            return handler;
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            var output = handler.Tail();
            await handler.DisposeAsync().ConfigureAwait(false);
            throw new InvalidOperationException($"The handler '{executable}' {e.Message}. Its last output:{Environment.NewLine}{output}", e);
        }
        catch
        {
            await handler.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }


    public async ValueTask DisposeAsync()
    {
        stopping = true;
        await ChildProcess.StopAsync(process).ConfigureAwait(false);
    }

    /// <summary>A relative path is taken from the app root when the file is there (with <c>.exe</c> on Windows), else from PATH.</summary>
    internal static string ResolveExecutable(string path, string appRoot)
    {
        if (Path.IsPathRooted(path)) return path;
        var candidate = Path.GetFullPath(path, appRoot);
        if (File.Exists(candidate)) return candidate;
        if (OperatingSystem.IsWindows() && File.Exists(candidate + ".exe")) return candidate + ".exe";
        return path;
    }


    private static string? DotnetRoot()
    {
        // .../dotnet/shared/Microsoft.NETCore.App/{version}/System.Private.CoreLib.dll → .../dotnet
        var runtime = Path.GetDirectoryName(typeof(object).Assembly.Location);
        var root = runtime is null ? null : Path.GetFullPath(Path.Combine(runtime, "..", "..", ".."));
        return root is not null && Directory.Exists(Path.Combine(root, "shared")) ? root : null;
    }

    private void Remember(string line)
    {
        lock (tail)
        {
            tail.Enqueue(line);
            if (tail.Count > OutputTailLines) tail.Dequeue();
        }
    }

    private string Tail()
    {
        lock (tail) return string.Join(Environment.NewLine, tail);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Line}")]
    private static partial void LogOutput(ILogger logger, string line);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Line}")]
    private static partial void LogError(ILogger logger, string line);

    [LoggerMessage(Level = LogLevel.Information, Message = "Started the custom handler {Executable} (pid {Pid}) on port {Port}")]
    private static partial void LogStarted(ILogger logger, string executable, int pid, int port);

    [LoggerMessage(Level = LogLevel.Error, Message = "The custom handler exited with code {Code}; the host starts it again, and invocations in flight fail and are retried per their policy")]
    private static partial void LogExited(ILogger logger, int code);
}
