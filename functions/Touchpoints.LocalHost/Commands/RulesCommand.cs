using Touchpoints.Core.Rules;

namespace Touchpoints.LocalHost.Commands;

/// <summary>
/// <c>rules validate &lt;file&gt;</c>: the same validation as <c>POST /api/manage/rules/validate</c>, offline, so a marketer can
/// check a document before pushing it. Errors print as <c>file:line:column: path: message</c>, the form editors link.
/// </summary>
public static class RulesCommand
{
    public static async Task<int> RunAsync(IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args is not ["validate", var file])
        {
            await Console.Error.WriteLineAsync("Usage: dotnet run --project functions/Touchpoints.LocalHost -- rules validate <file>").ConfigureAwait(false);
            return 2;
        }
        if (!File.Exists(file))
        {
            await Console.Error.WriteLineAsync($"{file}: no such file (looked in {Path.GetFullPath(file)})").ConfigureAwait(false);
            return 2;
        }
        var (rules, errors) = RulesCompiler.Compile(await File.ReadAllTextAsync(file, cancellationToken).ConfigureAwait(false), Path.GetFileName(file));
        foreach (var error in errors)
            await Console.Out.WriteLineAsync($"{file}:{error.Line ?? 1}:{error.Column ?? 1}: {error.Path}: {error.Message}").ConfigureAwait(false);
        if (rules is null)
        {
            await Console.Out.WriteLineAsync($"{errors.Count} error{(errors.Count == 1 ? "" : "s")}").ConfigureAwait(false);
            return 1;
        }
        await Console.Out.WriteLineAsync($"{file}: valid — {rules.Segments.Length} segments, {rules.Rules.Length} rules").ConfigureAwait(false);
        return 0;
    }
}
