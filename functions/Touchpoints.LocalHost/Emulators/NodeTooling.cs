using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Touchpoints.LocalHost.Emulators;

/// <summary>Locates the repository, Node.js and npm, and installs the repo's npm packages (the emulators) on demand.</summary>
public static class NodeTooling
{
    private static readonly Lazy<string> LazyRepoRoot = new(FindRepoRoot);
    private static readonly Lazy<string> LazyNode = new(() => FindOnPath("node"));
    private static readonly Lazy<string> LazyNpm = new(() => FindOnPath("npm"));
    private static readonly SemaphoreSlim InstallGate = new(1, 1);
    private static volatile bool installed;

    /// <summary>The folder holding <c>Serverless.sln</c> and the root <c>package.json</c>.</summary>
    public static string RepoRoot => LazyRepoRoot.Value;

    public static string NodeExecutable => LazyNode.Value;

    public static string NpmExecutable => LazyNpm.Value;

    public static string NodeModules => Path.Combine(RepoRoot, "node_modules");

    /// <summary>Runs <c>npm ci</c> once if the emulator packages are missing.</summary>
    /// <remarks>Several test assemblies may run at once, so a file lock (not just an in-process gate) serialises the install.</remarks>
    public static async Task EnsureNodeModulesAsync(CancellationToken cancellationToken = default)
    {
        if (installed)
        {
            return;
        }

        await InstallGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (installed)
            {
                return;
            }

            if (!PackagesPresent())
            {
                using var fileLock = await AcquireFileLockAsync(cancellationToken).ConfigureAwait(false);
                if (!PackagesPresent())
                {
                    await RunNpmCiAsync(cancellationToken).ConfigureAwait(false);
                }
            }

            installed = true;
        }
        finally
        {
            InstallGate.Release();
        }
    }

    private static bool PackagesPresent() =>
        Directory.Exists(Path.Combine(NodeModules, "@vercel", "cosmosdb-server"))
        && Directory.Exists(Path.Combine(NodeModules, "azurite"));

    private static async Task RunNpmCiAsync(CancellationToken cancellationToken)
    {
        var startInfo = new ProcessStartInfo(NpmExecutable)
        {
            WorkingDirectory = RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        startInfo.ArgumentList.Add("ci");
        startInfo.ArgumentList.Add("--no-audit");
        startInfo.ArgumentList.Add("--no-fund");

        using var process = Process.Start(startInfo)
            ?? throw new InvalidOperationException($"Could not start '{NpmExecutable} ci'.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'npm ci' failed in {RepoRoot} (exit code {process.ExitCode}). Run it there by hand to see why.{Environment.NewLine}"
                + await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
        }
    }

    private static async Task<FileStream> AcquireFileLockAsync(CancellationToken cancellationToken)
    {
        // Keyed by repo path so separate clones do not wait on each other; kept out of the tree so git never sees it.
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(RepoRoot)))[..16];
        var path = Path.Combine(Path.GetTempPath(), $"touchpoints-npm-ci-{key}.lock");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(10));
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), timeout.Token).ConfigureAwait(false);
            }
        }
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException(
            $"Could not find Serverless.sln in '{AppContext.BaseDirectory}' or any parent folder; run the tests from inside the repository.");
    }

    private static string FindOnPath(string tool)
    {
        // npm is a .cmd shim on Windows, which Process.Start only finds when given the full name.
        string[] extensions = OperatingSystem.IsWindows() ? [".exe", ".cmd", ".bat"] : [""];
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var directory in directories)
        {
            foreach (var extension in extensions)
            {
                var candidate = Path.Combine(directory, tool + extension);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new InvalidOperationException(
            $"'{tool}' was not found on PATH. The tests and the local host start local emulators (Cosmos DB, Azurite) with Node.js: "
            + "install Node.js 20 or later with npm (https://nodejs.org), make sure 'node' and 'npm' run from a new terminal, "
            + "then restart your IDE or test runner so it picks up the new PATH.");
    }
}
