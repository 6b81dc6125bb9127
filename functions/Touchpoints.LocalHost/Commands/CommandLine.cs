using Touchpoints.FunctionsHost;

namespace Touchpoints.LocalHost.Commands;

/// <summary>
/// <c>dotnet run --project functions/Touchpoints.LocalHost -- {command} [options]</c>. A command is a function of its
/// arguments and Ctrl+C's token returning the exit code; add one by adding it to <see cref="Commands"/>.
/// </summary>
public static class CommandLine
{
    public static readonly IReadOnlyDictionary<string, (string Summary, Func<IReadOnlyList<string>, CancellationToken, Task<int>> Run)> Commands =
        new Dictionary<string, (string, Func<IReadOnlyList<string>, CancellationToken, Task<int>>)>(StringComparer.OrdinalIgnoreCase)
        {
            ["start"] = ("run the function app locally until Ctrl+C", StartCommand.RunAsync),
            ["demo"] = ("run the app, send demo traffic through it and summarise the outcome", DemoCommand.RunAsync),
            ["rules"] = ("rules validate <file>: check a rules document before pushing it", RulesCommand.RunAsync),
            ["rebuild"] = ("rebuild customer views from their history on a running 'start' ([--customer id] [--dry-run])", RebuildCommand.RunAsync),
        };

    public static async Task<int> RunAsync(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length == 0 || args[0] is "-h" or "--help" or "help" || !Commands.TryGetValue(args[0], out var command))
        {
            await Console.Error.WriteLineAsync(Help()).ConfigureAwait(false);
            return args.Length == 0 || args[0] is "-h" or "--help" or "help" ? 0 : 2;
        }

        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            cancellation.Cancel();
        };
        // SIGTERM (docker stop, timeout, an IDE's stop button) stops as cleanly as Ctrl+C: the emulators and the handler go too.
        using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            cancellation.Cancel();
        });
        return await command.Run(args[1..], cancellation.Token).ConfigureAwait(false);
    }

    public static string Help() =>
        "Usage: dotnet run --project functions/Touchpoints.LocalHost -- <command> [options]" + Environment.NewLine + Environment.NewLine
        + "Commands:" + Environment.NewLine
        + string.Concat(Commands.Select(c => $"  {c.Key,-8} {c.Value.Summary}{Environment.NewLine}")) + Environment.NewLine
        + "Options:" + Environment.NewLine + LocalHostOptions.Usage;
}
