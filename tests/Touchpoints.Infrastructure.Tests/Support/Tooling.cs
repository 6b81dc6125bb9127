using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace Touchpoints.Infrastructure.Tests.Support;

/// <summary>The repository, Node.js and npm; installs the root package.json's packages (npm ci) when the parser is missing.</summary>
public static class Tooling
{
    private static readonly Lazy<string> LazyRepoRoot = new(FindRepoRoot);
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static volatile bool installed;

    /// <summary>The folder holding <c>Serverless.sln</c>.</summary>
    public static string RepoRoot => LazyRepoRoot.Value;

    public static string Path(params string[] parts) => System.IO.Path.Combine([RepoRoot, .. parts]);

    public static async Task EnsureParserInstalledAsync()
    {
        if (installed) return;
        await Gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (installed) return;
            if (!ParserPresent())
            {
                // Other test assemblies may run npm ci at the same time: a file lock serialises the installs.
                var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(RepoRoot)))[..16];
                using var fileLock = await LockAsync(System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"touchpoints-npm-ci-{key}.lock")).ConfigureAwait(false);
                if (!ParserPresent())
                {
                    var result = await RunAsync(FindOnPath("npm"), ["ci", "--no-audit", "--no-fund"], RepoRoot, TimeSpan.FromMinutes(10)).ConfigureAwait(false);
                    if (result.ExitCode != 0)
                        throw new InvalidOperationException($"'npm ci' failed in {RepoRoot} (exit code {result.ExitCode}):{Environment.NewLine}{result.Output}{result.Error}");
                }
            }
            installed = true;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static bool ParserPresent() =>
        File.Exists(Path("node_modules", "tree-sitter", "package.json")) && File.Exists(Path("node_modules", "tree-sitter-bicep", "package.json"));

    public sealed record ProcessResult(int ExitCode, string Output, string Error);

    public static async Task<ProcessResult> RunAsync(string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout, string? stdin = null)
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
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await process.StandardInput.WriteAsync(stdin).ConfigureAwait(false);
            process.StandardInput.Close();
        }
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', startInfo.ArgumentList)} did not finish within {timeout}.");
        }
        return new ProcessResult(process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
    }

    public static string FindOnPath(string tool)
    {
        string[] extensions = OperatingSystem.IsWindows() ? [".exe", ".cmd", ".bat"] : [""];
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(System.IO.Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
            foreach (var extension in extensions)
            {
                var candidate = System.IO.Path.Combine(directory, tool + extension);
                if (File.Exists(candidate)) return candidate;
            }
        throw new InvalidOperationException($"'{tool}' was not found on PATH: install Node.js 20 or later with npm (https://nodejs.org).");
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Serverless.sln"))) return dir.FullName;
        throw new InvalidOperationException($"Could not find Serverless.sln above '{AppContext.BaseDirectory}'.");
    }

    private static async Task<FileStream> LockAsync(string path)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(250, timeout.Token).ConfigureAwait(false);
            }
        }
    }
}
