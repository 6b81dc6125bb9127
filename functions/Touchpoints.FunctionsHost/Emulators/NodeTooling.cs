using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Touchpoints.FunctionsHost.Emulators;

/// <summary>
/// Locates the repository, Node.js and npm; installs the root <c>package.json</c>'s packages (emulators, schema and Bicep
/// tooling) on demand; runs Node tools. The one implementation for the local host and every test project (linked into
/// those that do not reference the local host).
/// </summary>
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

    /// <summary>Where the hash of the <c>package-lock.json</c> that <c>node_modules</c> was installed from is kept.</summary>
    private static string Stamp => Path.Combine(NodeModules, ".touchpoints-installed-lock");

    /// <summary>Runs <c>npm ci</c> when <c>node_modules</c> is missing or was installed from another lock file.</summary>
    /// <remarks>Several test assemblies may run at once, so a file lock (not just an in-process gate) serialises the install.</remarks>
    public static async Task EnsureNodeModulesAsync(CancellationToken cancellationToken = default)
    {
        if (installed) return;
        await InstallGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (installed) return;
            if (!UpToDate())
            {
                using var fileLock = await AcquireFileLockAsync(cancellationToken).ConfigureAwait(false);
                if (!UpToDate())
                {
                    var result = await RunAsync(NpmExecutable, ["ci", "--no-audit", "--no-fund"], RepoRoot, TimeSpan.FromMinutes(10), cancellationToken: cancellationToken)
                        .ConfigureAwait(false);
                    if (result.ExitCode != 0)
                        throw new InvalidOperationException(
                            $"'npm ci' failed in {RepoRoot} (exit code {result.ExitCode}). Run it there by hand to see why.{Environment.NewLine}{result.Output}{result.Error}");
                    await File.WriteAllTextAsync(Stamp, LockHash(), cancellationToken).ConfigureAwait(false);
                }
            }
            installed = true;
        }
        finally
        {
            InstallGate.Release();
        }
    }

    private static bool UpToDate() => File.Exists(Stamp) && File.ReadAllText(Stamp) == LockHash();

    /// <summary>What <c>npm ci</c> installs from: the lock file, and the patches its postinstall applies.</summary>
    private static string LockHash()
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(File.ReadAllBytes(Path.Combine(RepoRoot, "package-lock.json")));
        var patches = Path.Combine(RepoRoot, "functions", "Touchpoints.FunctionsHost", "Emulators", "patches");
        if (Directory.Exists(patches))
            foreach (var patch in Directory.GetFiles(patches).Order(StringComparer.Ordinal))
                hash.AppendData(File.ReadAllBytes(patch));
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    public sealed record ProcessResult(int ExitCode, string Output, string Error);

    /// <summary>Runs a tool to completion, capturing its output; killed (with its children) on timeout or cancellation.</summary>
    public static async Task<ProcessResult> RunAsync(
        string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout, string? stdin = null,
        CancellationToken cancellationToken = default)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) startInfo.ArgumentList.Add(argument);
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start '{fileName}'.");
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        var output = process.StandardOutput.ReadToEndAsync(limit.Token);
        var error = process.StandardError.ReadToEndAsync(limit.Token);
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin.AsMemory(), limit.Token).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        try
        {
            await process.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            if (cancellationToken.IsCancellationRequested) throw;
            throw new TimeoutException($"'{fileName} {string.Join(' ', startInfo.ArgumentList)}' did not finish within {timeout}.");
        }
        return new ProcessResult(process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
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
            if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln"))) return dir.FullName;
        throw new InvalidOperationException(
            $"Could not find Serverless.sln in '{AppContext.BaseDirectory}' or any parent folder; run from inside the repository.");
    }

    public static string FindOnPath(string tool)
    {
        // npm is a .cmd shim on Windows, which Process.Start only finds when given the full name.
        string[] extensions = OperatingSystem.IsWindows() ? [".exe", ".cmd", ".bat"] : [""];
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var directory in directories)
            foreach (var extension in extensions)
            {
                var candidate = Path.Combine(directory, tool + extension);
                if (File.Exists(candidate)) return candidate;
            }
        throw new InvalidOperationException(
            $"'{tool}' was not found on PATH. The tests and the local host start local emulators (Cosmos DB, Azurite) with Node.js: "
            + "install Node.js 20 or later with npm (https://nodejs.org), make sure 'node' and 'npm' run from a new terminal, "
            + "then restart your IDE or test runner so it picks up the new PATH.");
    }
}
