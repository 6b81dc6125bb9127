namespace Touchpoints.LocalHost.Commands;

/// <summary>
/// <c>demo</c>: a placeholder for the demo traffic and its summary. Start a host with
/// <see cref="LocalFunctionsHost.StartAsync"/>, publish with <see cref="LocalFunctionsHost.PublishAsync"/>, wait with
/// <see cref="LocalFunctionsHost.WaitForIdleAsync"/>, then read the results.
/// </summary>
public static class DemoCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        await Console.Error.WriteLineAsync("The demo command is not written yet; use 'start'.").ConfigureAwait(false);
        return 2;
    }
}
