using System.Diagnostics;
using System.Text.RegularExpressions;
using Touchpoints.FunctionsHost.Runtime;

namespace Touchpoints.FunctionsHost.Emulators;

/// <summary>A long-running node script (an emulator) that is ready once its output has shown given lines.</summary>
internal sealed class NodeProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private const int OutputTailLines = 200;

    private readonly Process process;
    private readonly Queue<string> outputTail = new();

    private NodeProcess(Process process) => this.process = process;

    /// <summary>Starts <c>node {arguments}</c> in the repo root and waits for <paramref name="readyLineCount"/> lines matching <paramref name="readyLine"/>.</summary>
    public static async Task<(NodeProcess Process, IReadOnlyList<Match> ReadyLines)> StartAsync(
        string name, IEnumerable<string> arguments, Regex readyLine, int readyLineCount, CancellationToken cancellationToken)
    {
        await NodeTooling.EnsureNodeModulesAsync(cancellationToken).ConfigureAwait(false);

        var startInfo = new ProcessStartInfo(NodeTooling.NodeExecutable)
        {
            WorkingDirectory = NodeTooling.RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        var node = new NodeProcess(new Process { StartInfo = startInfo });
        var matches = new List<Match>();
        var ready = new TaskCompletionSource<IReadOnlyList<Match>?>(TaskCreationOptions.RunContinuationsAsynchronously);
        node.process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                ready.TrySetResult(null);
                return;
            }

            node.Remember(e.Data);
            var match = readyLine.Match(e.Data);
            if (match.Success)
            {
                lock (matches)
                {
                    matches.Add(match);
                    if (matches.Count == readyLineCount)
                    {
                        ready.TrySetResult(matches.ToArray());
                    }
                }
            }
        };
        node.process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                node.Remember(e.Data);
            }
        };

        try
        {
            node.process.Start();
            node.process.BeginOutputReadLine();
            node.process.BeginErrorReadLine();

            IReadOnlyList<Match>? readyLines;
            try
            {
                readyLines = await ready.Task.WaitAsync(StartTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw node.StartFailure(name, $"was not ready within {StartTimeout.TotalSeconds:0}s");
            }

            if (readyLines is null)
            {
                // Output closed first: the process died. Wait for it so its stderr is complete in the message.
                await node.process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
                throw node.StartFailure(name, $"exited with code {node.process.ExitCode} before it was ready");
            }

            return (node, readyLines);
        }
        catch
        {
            await node.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await ChildProcess.StopAsync(process).ConfigureAwait(false);
    }

    private void Remember(string line)
    {
        lock (outputTail)
        {
            outputTail.Enqueue(line);
            if (outputTail.Count > OutputTailLines)
            {
                outputTail.Dequeue();
            }
        }
    }

    private InvalidOperationException StartFailure(string name, string what)
    {
        string output;
        lock (outputTail)
        {
            output = string.Join(Environment.NewLine, outputTail);
        }

        return new InvalidOperationException(
            $"{name} ({process.StartInfo.FileName} {string.Join(' ', process.StartInfo.ArgumentList)}) {what}. Its output:{Environment.NewLine}{output}");
    }
}
