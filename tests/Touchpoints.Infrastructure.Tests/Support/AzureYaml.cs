using System.Text.RegularExpressions;

namespace Touchpoints.Infrastructure.Tests.Support;

/// <summary>The few facts the tests need from azure.yaml (a line-oriented read: the file is small and ours).</summary>
public static partial class AzureYaml
{
    public static string Text { get; } = File.ReadAllText(Tooling.Path("azure.yaml"));

    private static string[] Lines => Text.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();

    /// <summary>The one service under <c>services:</c>.</summary>
    public static string ServiceName =>
        Lines.SkipWhile(l => l != "services:").Skip(1).Select(l => ServiceLine().Match(l)).First(m => m.Success).Groups[1].Value;

    /// <summary>A <c>key: value</c> of the service (four spaces deep).</summary>
    public static string? ServiceValue(string key) =>
        Lines.SkipWhile(l => l != "services:").Select(l => Regex.Match(l, $"^    {Regex.Escape(key)}: *(.+)$")).FirstOrDefault(m => m.Success)?.Groups[1].Value.Trim();

    /// <summary>Every <c>run:</c> command of the service's hooks.</summary>
    public static IReadOnlyList<string> HookCommands =>
        Lines.Select(l => Regex.Match(l, "^ +run: *(.+)$")).Where(m => m.Success).Select(m => m.Groups[1].Value.Trim()).ToArray();

    [GeneratedRegex("^  ([A-Za-z0-9_-]+):\\s*$")]
    private static partial Regex ServiceLine();
}
