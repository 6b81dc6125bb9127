using System.Collections.Concurrent;
using System.Text.Json;
using Touchpoints.FunctionsHost.Emulators;

namespace Touchpoints.Core.Tests.Schemas;

/// <summary>What Ajv said about one document.</summary>
internal sealed record SchemaResult(bool Valid, IReadOnlyList<string> Errors)
{
    public override string ToString() => Valid ? "valid" : string.Join("; ", Errors);
}

/// <summary>
/// Validates JSON files against the published JSON Schemas with Ajv (the validator producers are most likely to use), by
/// running <c>validate.mjs</c> with Node.js, after installing the repo's npm packages when needed (<see cref="NodeTooling"/>).
/// </summary>
internal static class SchemaValidator
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);
    private static readonly ConcurrentDictionary<string, Lazy<Task<IReadOnlyDictionary<string, SchemaResult>>>> Runs = new();

    /// <summary>The folder holding <c>Serverless.sln</c> and the root <c>package.json</c>.</summary>
    public static string RepoRoot => NodeTooling.RepoRoot;

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
        await NodeTooling.EnsureNodeModulesAsync().ConfigureAwait(false);
        var (exitCode, stdout, stderr) = await NodeTooling.RunAsync(NodeTooling.NodeExecutable, [Script, schemaFile, .. files], RepoRoot, RunTimeout)
            .ConfigureAwait(false);
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
}
