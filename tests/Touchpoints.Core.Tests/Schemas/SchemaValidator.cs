using System.Collections.Concurrent;
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Touchpoints.Core.Tests.Schemas;

/// <summary>What Ajv said about one document.</summary>
internal sealed record SchemaResult(bool Valid, IReadOnlyList<string> Errors)
{
    public override string ToString() => Valid ? "valid" : string.Join("; ", Errors);
}

/// <summary>
/// Validates JSON files against the published JSON Schemas with Ajv (the validator producers are most likely to use), by
/// running <c>validate.mjs</c> with Node.js. Installs the repo's npm packages (<c>npm ci</c>) once if Ajv is missing.
/// </summary>
internal static class SchemaValidator
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan InstallTimeout = TimeSpan.FromMinutes(10);
    private static readonly Lazy<string> LazyRepoRoot = new(FindRepoRoot);
    private static readonly Lazy<Task> Install = new(EnsureAjvAsync);
    private static readonly ConcurrentDictionary<string, Lazy<Task<IReadOnlyDictionary<string, SchemaResult>>>> Runs = new();

    /// <summary>The folder holding <c>Serverless.sln</c> and the root <c>package.json</c>.</summary>
    public static string RepoRoot => LazyRepoRoot.Value;

    public static string SchemasDirectory => Path.Combine(RepoRoot, "functions", "Touchpoints.Core", "Schemas");

    private static string Script => Path.Combine(RepoRoot, "tests", "Touchpoints.Core.Tests", "Schemas", "validate.mjs");

    /// <summary>
    /// Validates <paramref name="files"/> against <paramref name="schemaFile"/> in one node run; runs are cached by their
    /// arguments, so every theory row over the same files shares one process.
    /// </summary>
    public static Task<IReadOnlyDictionary<string, SchemaResult>> ValidateAsync(string schemaFile, IReadOnlyList<string> files) =>
        Runs.GetOrAdd(schemaFile + "\n" + string.Join("\n", files), _ => new(() => RunAsync(schemaFile, files))).Value;

    private static async Task<IReadOnlyDictionary<string, SchemaResult>> RunAsync(string schemaFile, IReadOnlyList<string> files)
    {
        await Install.Value.ConfigureAwait(false);
        var (exitCode, stdout, stderr) = await RunToolAsync(FindOnPath("node"), [Script, schemaFile, .. files], RunTimeout).ConfigureAwait(false);
        if (exitCode != 0)
        {
            throw new InvalidOperationException($"node validate.mjs {schemaFile} failed (exit code {exitCode}):{Environment.NewLine}{stderr}{stdout}");
        }

        using var json = JsonDocument.Parse(stdout);
        var results = new Dictionary<string, SchemaResult>(StringComparer.Ordinal);
        foreach (var item in json.RootElement.EnumerateArray())
        {
            var errors = item.GetProperty("errors").EnumerateArray()
                .Select(e => $"{e.GetProperty("path").GetString()} {e.GetProperty("message").GetString()} ({e.GetProperty("keyword").GetString()})")
                .ToArray();
            results[item.GetProperty("file").GetString()!] = new SchemaResult(item.GetProperty("valid").GetBoolean(), errors);
        }

        return results;
    }

    private static async Task EnsureAjvAsync()
    {
        if (AjvPresent())
        {
            return;
        }

        // The same lock file as NodeTooling (Touchpoints.LocalHost), so this never runs npm ci at the same time as the emulator install.
        using var fileLock = await AcquireFileLockAsync().ConfigureAwait(false);
        if (AjvPresent())
        {
            return;
        }

        var (exitCode, stdout, stderr) = await RunToolAsync(FindOnPath("npm"), ["ci", "--no-audit", "--no-fund"], InstallTimeout).ConfigureAwait(false);
        if (exitCode != 0 || !AjvPresent())
        {
            throw new InvalidOperationException(
                $"'npm ci' failed in {RepoRoot} (exit code {exitCode}), so Ajv is not available. Run it there by hand to see why.{Environment.NewLine}{stdout}{stderr}");
        }
    }

    private static bool AjvPresent() =>
        File.Exists(Path.Combine(RepoRoot, "node_modules", "ajv", "package.json"))
        && File.Exists(Path.Combine(RepoRoot, "node_modules", "ajv-formats", "package.json"));

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunToolAsync(string tool, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var startInfo = new ProcessStartInfo(tool)
        {
            WorkingDirectory = RepoRoot,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"Could not start '{tool}'.");
        using var cancel = new CancellationTokenSource(timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(cancel.Token);
        var stderr = process.StandardError.ReadToEndAsync(cancel.Token);
        try
        {
            await process.WaitForExitAsync(cancel.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{tool} {string.Join(' ', startInfo.ArgumentList)}' did not finish within {timeout.TotalSeconds:0}s.");
        }

        return (process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }

    private static async Task<FileStream> AcquireFileLockAsync()
    {
        var key = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(RepoRoot)))[..16];
        var path = Path.Combine(Path.GetTempPath(), $"touchpoints-npm-ci-{key}.lock");
        using var timeout = new CancellationTokenSource(InstallTimeout);
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

        throw new InvalidOperationException($"Could not find Serverless.sln in '{AppContext.BaseDirectory}' or any parent folder; run the tests from inside the repository.");
    }

    private static string FindOnPath(string tool)
    {
        // npm is a .cmd shim on Windows, which Process.Start only finds when given the full name.
        string[] extensions = OperatingSystem.IsWindows() ? [".exe", ".cmd", ".bat"] : [""];
        var directories = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return directories.SelectMany(d => extensions.Select(e => Path.Combine(d, tool + e))).FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException(
                $"'{tool}' was not found on PATH. The schema contract tests validate the JSON Schemas with Ajv on Node.js: install Node.js 20 or later "
                + "with npm (https://nodejs.org), then restart your IDE or test runner so it picks up the new PATH.");
    }
}
