using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Touchpoints.Infrastructure.Tests.Support;

public sealed record BicepSyntaxError(string Kind, string Type, int Line, int Column, string Text)
{
    public override string ToString() => $"{Kind} ({Type}) at {Line}:{Column}: {Text}";
}

/// <summary>
/// One Bicep file as tree-sitter-bicep parsed it (see bicep-tree.js): its syntax errors and its declarations, with
/// literal values as JSON and every other expression as <c>{"$ref"}</c>, <c>{"$call","$args"}</c>, <c>{"$for","$body"}</c>,
/// <c>{"$if","$body"}</c> or <c>{"$expr","$parts"}</c>, each with its source in <c>"$text"</c>.
/// </summary>
public sealed class BicepFile(string path, string source, IReadOnlyList<BicepSyntaxError> errors, IReadOnlyList<JsonObject> declarations)
{
    /// <summary>The path relative to the repository root, with forward slashes.</summary>
    public string Path { get; } = path;

    public string Source { get; } = source;

    public IReadOnlyList<BicepSyntaxError> Errors { get; } = errors;

    public IReadOnlyList<JsonObject> Declarations { get; } = declarations;

    public IEnumerable<JsonObject> OfKind(string kind) => Declarations.Where(d => (string?)d["kind"] == kind);

    public JsonObject? Find(string kind, string name) => OfKind(kind).FirstOrDefault(d => (string?)d["name"] == name);

    public JsonNode? Var(string name) => Find("var", name)?["value"];

    public JsonObject? Param(string name) => Find("param", name);

    public IEnumerable<JsonObject> Resources(string typePrefix) =>
        OfKind("resource").Where(r => ((string?)r["type"] ?? "").StartsWith(typePrefix + "@", StringComparison.OrdinalIgnoreCase));

    /// <summary>A resource's or module's body, looking through a loop and a condition.</summary>
    public static JsonObject? Body(JsonObject declaration)
    {
        var value = declaration["value"];
        for (var i = 0; i < 2 && value is JsonObject o && (o.ContainsKey("$for") || o.ContainsKey("$if")); i++) value = o["$body"];
        return value as JsonObject;
    }

    public override string ToString() => Path;
}

public static class Bicep
{
    private static readonly Lazy<Task<IReadOnlyList<BicepFile>>> LazyInfra = new(() => ParseFilesAsync(InfraFiles()));

    /// <summary>Every .bicep file under infra/.</summary>
    public static IReadOnlyList<string> InfraFiles() =>
        Directory.GetFiles(Tooling.Path("infra"), "*.bicep", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToArray();

    public static Task<IReadOnlyList<BicepFile>> InfraAsync() => LazyInfra.Value;

    public static async Task<BicepFile> InfraFileAsync(string relativePath) =>
        (await InfraAsync().ConfigureAwait(false)).Single(f => f.Path == relativePath);

    public static async Task<IReadOnlyList<BicepFile>> ParseFilesAsync(IReadOnlyList<string> paths)
    {
        var output = await RunParserAsync(paths, stdin: null).ConfigureAwait(false);
        return Read(output, paths.Select(p => File.ReadAllText(p)).ToArray(), paths);
    }

    public static async Task<BicepFile> ParseSourceAsync(string source)
    {
        var output = await RunParserAsync(["--stdin"], source).ConfigureAwait(false);
        return Read(output, [source], ["<source>"])[0];
    }

    private static async Task<string> RunParserAsync(IReadOnlyList<string> arguments, string? stdin)
    {
        await Tooling.EnsureParserInstalledAsync().ConfigureAwait(false);
        var script = System.IO.Path.Combine(AppContext.BaseDirectory, "bicep-tree.js");
        var result = await Tooling.RunAsync(Tooling.FindOnPath("node"), [script, .. arguments], Tooling.RepoRoot, TimeSpan.FromMinutes(2), stdin).ConfigureAwait(false);
        if (result.ExitCode != 0) throw new InvalidOperationException($"bicep-tree.js failed (exit code {result.ExitCode}): {result.Error}");
        return result.Output;
    }

    private static List<BicepFile> Read(string json, string[] sources, IReadOnlyList<string> paths)
    {
        var files = JsonNode.Parse(json)!.AsArray();
        var result = new List<BicepFile>();
        for (var i = 0; i < files.Count; i++)
        {
            var file = files[i]!.AsObject();
            var errors = file["errors"]!.AsArray().Select(e => new BicepSyntaxError(
                (string)e!["kind"]!, (string)e["type"]!, (int)e["line"]!, (int)e["column"]!, (string)e["text"]!)).ToArray();
            var relative = paths[i].StartsWith('<')
                ? paths[i]
                : System.IO.Path.GetRelativePath(Tooling.RepoRoot, paths[i]).Replace('\\', '/');
            result.Add(new BicepFile(relative, sources[i], errors, file["declarations"]!.AsArray().Select(d => d!.AsObject()).ToArray()));
        }
        return result;
    }

    /// <summary>The source text of a node: an expression's own text, or a literal as JSON.</summary>
    public static string Text(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject o when o["$text"] is JsonValue t => (string)t!,
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        _ => node.ToJsonString(),
    };

    public static bool IsCall(JsonNode? node, string function) => node is JsonObject o && (string?)o["$call"] == function;

    public static IReadOnlyList<JsonNode?> Args(JsonNode? node) => node is JsonObject o && o["$args"] is JsonArray a ? a.ToArray() : [];

    /// <summary>The node and every node below it, through literals and expressions alike.</summary>
    public static IEnumerable<JsonNode> Descendants(JsonNode? node)
    {
        if (node is null) yield break;
        yield return node;
        IEnumerable<JsonNode?> children = node switch
        {
            JsonArray a => a,
            JsonObject o when o.ContainsKey("$parts") => o["$parts"]!.AsArray(),
            JsonObject o when o.ContainsKey("$call") => o["$args"]!.AsArray(),
            JsonObject o when o.ContainsKey("$for") || o.ContainsKey("$if") => [o["$body"]],
            JsonObject o when o.ContainsKey("$ref") => [],
            JsonObject o => o.Select(p => p.Value),
            _ => [],
        };
        foreach (var child in children)
            foreach (var d in Descendants(child)) yield return d;
    }

    /// <summary>Literal objects (not expressions) at or below the node.</summary>
    public static IEnumerable<JsonObject> LiteralObjects(JsonNode? node) =>
        Descendants(node).OfType<JsonObject>().Where(o => !o.Any(p => p.Key.StartsWith('$')));

    /// <summary>A string literal, or a reference to a var holding one, as a string; else null.</summary>
    public static string? StringValue(BicepFile file, JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonObject o when (string?)o["$ref"] is { } name && file.Var(name) is JsonValue v && v.TryGetValue<string>(out var s) => s,
        _ => null,
    };

    /// <summary><c>Webhooks__Sources__${w.name}__Secrets</c> → <c>Webhooks__Sources__*__Secrets</c>.</summary>
    public static string Pattern(string key) => Regex.Replace(key, @"\$\{[^}]*\}", "*");

    public static JsonSerializerOptions Indented { get; } = new() { WriteIndented = true };
}
