using System.Diagnostics;

namespace Touchpoints.FunctionsHost.Runtime;

/// <summary>Processes the host starts (the handler, the emulators): stopped with everything they started in turn.</summary>
internal static class ChildProcess
{
    /// <summary>Kills <paramref name="process"/> and its children if still running, waits for it, and releases it.</summary>
    public static async ValueTask StopAsync(Process process)
    {
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Never started, or already gone.
        }
        finally
        {
            process.Dispose();
        }
    }
}
