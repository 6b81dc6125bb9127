using System.Reflection;
using System.Text.RegularExpressions;

namespace Touchpoints.Infrastructure.Tests.Support;

/// <summary>A diagnostic of the Bicep compiler: <c>{file}({line},{column}) : {Level} {code}: {message}</c>.</summary>
public sealed record BicepDiagnostic(string File, int Line, int Column, string Level, string Code, string Message)
{
    public override string ToString() => $"{System.IO.Path.GetFileName(File)}({Line},{Column}) {Level} {Code}: {Message}";
}

/// <summary>
/// The real Bicep compiler (NuGet package Azure.Bicep.CommandLine.linux-x64, pinned in Directory.Packages.props): builds
/// and lints as <c>az bicep build</c> and <c>azd provision</c> do, types, scopes and API versions included. It reads local
/// modules only; nothing here reaches a registry.
/// </summary>
public static partial class BicepCompiler
{
    public static string Executable { get; } =
        typeof(BicepCompiler).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "BicepPath").Value
            ?.Replace('\\', '/') is { Length: > 0 } path ? path : throw new InvalidOperationException("The build did not say where the Bicep compiler is (BicepPath).");

    /// <summary><c>bicep build {file} --stdout</c>: the ARM template, and every diagnostic (errors and warnings).</summary>
    public static async Task<(int ExitCode, string Template, IReadOnlyList<BicepDiagnostic> Diagnostics)> BuildAsync(string file)
    {
        var result = await Tooling.RunAsync(Executable, ["build", file, "--stdout"], Tooling.RepoRoot, TimeSpan.FromMinutes(2)).ConfigureAwait(false);
        return (result.ExitCode, result.Output, Parse(result.Error));
    }

    /// <summary><c>bicep lint {file}</c>: the linter's diagnostics with the rules of the nearest bicepconfig.json (defaults if none).</summary>
    public static async Task<(int ExitCode, IReadOnlyList<BicepDiagnostic> Diagnostics)> LintAsync(string file)
    {
        var result = await Tooling.RunAsync(Executable, ["lint", file], Tooling.RepoRoot, TimeSpan.FromMinutes(2)).ConfigureAwait(false);
        return (result.ExitCode, Parse(result.Error + Environment.NewLine + result.Output));
    }

    private static List<BicepDiagnostic> Parse(string text) =>
        [.. Diagnostic().Matches(text).Select(m => new BicepDiagnostic(m.Groups["file"].Value, int.Parse(m.Groups["line"].Value, System.Globalization.CultureInfo.InvariantCulture),
            int.Parse(m.Groups["column"].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups["level"].Value, m.Groups["code"].Value, m.Groups["message"].Value.Trim()))];

    [GeneratedRegex(@"^(?<file>.+?)\((?<line>\d+),(?<column>\d+)\)\s*:\s*(?<level>Error|Warning|Info)\s+(?<code>[\w-]+):\s*(?<message>.*)$", RegexOptions.Multiline)]
    private static partial Regex Diagnostic();
}
