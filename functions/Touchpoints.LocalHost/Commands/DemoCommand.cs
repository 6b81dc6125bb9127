using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Touchpoints.FunctionsHost;
using Touchpoints.FunctionsHost.App;
using Touchpoints.FunctionsHost.Emulators;
using Touchpoints.FunctionsHost.Runtime;
using Touchpoints.LocalHost.Demo;
using Touchpoints.LocalHost.Destination;

namespace Touchpoints.LocalHost.Commands;

/// <summary>
/// <c>demo [--people 300] [--days 14] [--seed n] [--verbose] [start options]</c>: starts everything (emulators, handler,
/// triggers), streams a deterministic sample of a few hundred people's traffic through the real endpoints day by day,
/// prints a line per simulated day and then a summary of the customers it made, and stops everything.
/// Unless told otherwise (<c>--set Cosmos__AccountEndpoint=…</c>, <c>--no-emulators</c>), the emulators are fresh ones
/// on free ports, so the figures are this run's alone and a <c>start</c> running beside it is not disturbed.
/// </summary>
public static partial class DemoCommand
{
    public const string Usage = """
          --people <n>              how many people to simulate (default 300)
          --days <n>                how many days they act over (default 14)
          --seed <n>                the random seed (default 20261122): the same seed gives the same traffic
          --verbose                 show the host's and the handler's logs (default: errors only)
          --serve                   keep everything running after the summary (the console, the views, the API) until Ctrl+C
        """;

    private static string HelpText => CommandLine.Help() + Environment.NewLine + "Demo options:" + Environment.NewLine + Usage;

    public static async Task<int> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var wall = Stopwatch.StartNew();
        if (arguments.Any(a => a is "-h" or "--help"))
        {
            await Console.Out.WriteLineAsync(HelpText).ConfigureAwait(false);
            return 0;
        }

        LocalHostOptions hostOptions;
        DemoOptions demo;
        bool verbose;
        bool serve;
        try
        {
            (hostOptions, demo, verbose, serve) = Parse(arguments);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            await Console.Error.WriteLineAsync(e.Message + Environment.NewLine + HelpText).ConfigureAwait(false);
            return 2;
        }

        using var loggerFactory = LoggerFactory.Create(builder => builder
            .SetMinimumLevel(verbose ? LogLevel.Information : LogLevel.Error)
            .AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss.fff ";
            }));
        hostOptions.LoggerFactory = loggerFactory;
        var logger = loggerFactory.CreateLogger("Demo");
        var output = Console.Out;

        // Delivered messages go to a local destination of this run's own, which verifies their signatures.
        var destination = await LocalDestination.StartAsync(0, loggerFactory, cancellationToken).ConfigureAwait(false);
        await using var _ = destination.ConfigureAwait(false);
        destination.AddTo(hostOptions.Settings);

        LocalFunctionsHost host;
        try
        {
            await output.WriteLineAsync("Starting the local host (emulators, handler, triggers)…").ConfigureAwait(false);
            host = await LocalFunctionsHost.StartAsync(hostOptions, cancellationToken).ConfigureAwait(false);
        }
        catch (AppDefinitionException e)
        {
            await Console.Error.WriteLineAsync(e.Message).ConfigureAwait(false);
            return 1;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }

        try
        {
            await using (host.ConfigureAwait(false))
            {
                await RunOnAsync(host, demo, output, cancellationToken).ConfigureAwait(false);
                await output.WriteLineAsync().ConfigureAwait(false);
                if (serve)
                {
                    await output.WriteLineAsync(StartCommand.ConsoleLine(host) + Environment.NewLine + "Serving the demo's data until Ctrl+C.").ConfigureAwait(false);
                    await Task.WhenAny(Task.Delay(Timeout.Infinite, cancellationToken), host.HandlerExited).ConfigureAwait(false);
                }
                else
                {
                    await output.WriteLineAsync(StartCommand.ConsoleLine(host) + " (add --serve to keep it, and the demo's data, after the summary)").ConfigureAwait(false);
                }
                await output.WriteLineAsync("Stopping the local host…").ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or HttpRequestException)
        {
            LogFailed(logger, e);
            await Console.Error.WriteLineAsync("The demo failed: " + e.Message).ConfigureAwait(false);
            return 1;
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Demo finished in {wall.Elapsed.TotalSeconds:0.0}s (wall time, start to stop).")).ConfigureAwait(false);
        return 0;
    }

    /// <summary>
    /// The demo on a running host, exactly as the command runs it: a progress line per simulated day, then the summary.
    /// The end-to-end tests call this too.
    /// </summary>
    public static async Task<DemoReport> RunOnAsync(LocalFunctionsHost host, DemoOptions options, TextWriter output, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(output);
        await output.WriteLineAsync(DemoSummary.Header(options, host)).ConfigureAwait(false);
        await output.WriteLineAsync().ConfigureAwait(false);
        var report = await DemoRunner.RunAsync(host, options, day =>
        {
            output.WriteLine(DemoSummary.Day(day));
            output.Flush();
        }, cancellationToken).ConfigureAwait(false);
        DemoSummary.Write(report, output);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return report;
    }

    internal static (LocalHostOptions Host, DemoOptions Demo, bool Verbose, bool Serve) Parse(IReadOnlyList<string> arguments)
    {
        var hostOptions = LocalHostOptions.Parse(arguments, out var rest);
        var demo = new DemoOptions();
        var verbose = false;
        var serve = false;
        for (var i = 0; i < rest.Count; i++)
        {
            var argument = rest[i];
            int Number(int minimum)
            {
                var text = i + 1 < rest.Count ? rest[++i] : throw new ArgumentException($"{argument} needs a value.");
                var value = int.Parse(text, NumberStyles.None, CultureInfo.InvariantCulture);
                return value >= minimum ? value : throw new ArgumentException($"{argument} must be at least {minimum}.");
            }

            switch (argument)
            {
                case "--people":
                    demo = demo with { People = Number(1) };
                    break;
                case "--days":
                    demo = demo with { Days = Number(1) };
                    break;
                case "--seed":
                    demo = demo with { Seed = Number(0) };
                    break;
                case "--verbose":
                    verbose = true;
                    break;
                case "--serve":
                    serve = true;
                    break;
                default:
                    throw new ArgumentException($"Unknown argument '{argument}'.");
            }
        }

        if (hostOptions.StartEmulators)
        {
            // Fresh emulators on free ports, unless the caller points the app at particular ones.
            LocalEmulators.UseFresh(hostOptions.Settings);
        }

        // The usual port when it is free; any free one when something (a 'start', say) already listens there.
        if (hostOptions.Port is null && !LoopbackPorts.IsFree(LocalHostOptions.DefaultPort)) hostOptions.Port = 0;
        // A failed invocation retries quickly: the demo is about the outcome, not the production back-off.
        hostOptions.RetryDelayScale ??= 0.05;
        return (hostOptions, demo, verbose, serve);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The demo failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
