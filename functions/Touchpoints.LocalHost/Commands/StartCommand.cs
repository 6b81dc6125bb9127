using Touchpoints.FunctionsHost;
using Touchpoints.FunctionsHost.App;
using Touchpoints.FunctionsHost.Runtime;
using Touchpoints.LocalHost.Destination;

namespace Touchpoints.LocalHost.Commands;

/// <summary><c>start</c>: the emulators, the handler and every trigger, until Ctrl+C (or the handler dies).</summary>
public static class StartCommand
{
    /// <summary>The console's address, once the host serves it (sign in with a role of your choice locally).</summary>
    public static string ConsoleLine(LocalFunctionsHost host) => "Console: " + new Uri(host.BaseAddress, "api/console");

    public static async Task<int> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        LocalHostOptions options;
        try
        {
            options = LocalHostOptions.Parse(arguments, out var rest);
            if (rest.Count > 0) throw new ArgumentException($"Unknown argument '{rest[0]}'.");
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
        {
            await Console.Error.WriteLineAsync(e.Message + Environment.NewLine + CommandLine.Help()).ConfigureAwait(false);
            return 2;
        }

        // Delivered messages go to a local destination that verifies their signatures (GET on it lists them).
        var destination = await LocalDestination.StartAsync(LoopbackPorts.IsFree(LocalDestination.DefaultPort) ? LocalDestination.DefaultPort : 0,
            options.LoggerFactory, cancellationToken).ConfigureAwait(false);
        await using var _ = destination.ConfigureAwait(false);
        destination.AddTo(options.Settings);

        LocalFunctionsHost host;
        try
        {
            host = await LocalFunctionsHost.StartAsync(options, cancellationToken).ConfigureAwait(false);
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

        await using (host.ConfigureAwait(false))
        {
            await Console.Out.WriteLineAsync(Environment.NewLine + host.Describe() + Environment.NewLine + LocalDestination.Describe(host.Settings.Values)
                + Environment.NewLine + ConsoleLine(host) + Environment.NewLine + "Press Ctrl+C to stop.").ConfigureAwait(false);
            var stopped = Task.Delay(Timeout.Infinite, cancellationToken);
            var finished = await Task.WhenAny(stopped, host.HandlerExited).ConfigureAwait(false);
            return finished == stopped ? 0 : 1;
        }
    }
}
