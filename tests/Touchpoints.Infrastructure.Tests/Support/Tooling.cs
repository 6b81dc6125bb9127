using Touchpoints.FunctionsHost.Emulators;

namespace Touchpoints.Infrastructure.Tests.Support;

/// <summary>Paths in the repository, and the Node tooling (tree-sitter) the Bicep tests run; see <see cref="NodeTooling"/>.</summary>
public static class Tooling
{
    public static string RepoRoot => NodeTooling.RepoRoot;

    public static string Path(params string[] parts) => System.IO.Path.Combine([RepoRoot, .. parts]);

    public static Task EnsureParserInstalledAsync() => NodeTooling.EnsureNodeModulesAsync();

    public static Task<NodeTooling.ProcessResult> RunAsync(string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout, string? stdin = null) =>
        NodeTooling.RunAsync(fileName, arguments, workingDirectory, timeout, stdin);

    public static string FindOnPath(string tool) => NodeTooling.FindOnPath(tool);
}
