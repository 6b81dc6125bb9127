using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Touchpoints.Functions.Console;

/// <summary>
/// The common edits of one rule as a form (for people who do not edit JSON): read from a rules document's text, and
/// written back into it, leaving everything else as it was. The result goes to the editor, to be checked, compared and
/// published like any edit.
/// </summary>
public sealed record RuleForm(string Id, bool Paused, int Priority, string? Channel, double Holdout, string? Cooldown)
{
    private static readonly JsonDocumentOptions Lenient = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    public static IReadOnlyList<string> Ids(string text) =>
        Rules(text) is { } rules ? [.. rules.OfType<JsonObject>().Select(r => (string?)r["id"]).OfType<string>()] : [];

    public static RuleForm? Read(string text, string id) =>
        Rules(text)?.OfType<JsonObject>().FirstOrDefault(r => (string?)r["id"] == id) is { } rule
            ? new RuleForm(id, (bool?)rule["paused"] ?? false, (int?)rule["priority"] ?? 0, (string?)rule["channel"], (double?)rule["holdout"] ?? 0,
                (string?)rule["cooldown"])
            : null;

    /// <summary>The document with this rule's fields set (a field left empty is removed); null when the rule is not in it.</summary>
    public string? WriteInto(string text)
    {
        if (JsonNode.Parse(text, documentOptions: Lenient) is not JsonObject document || document["rules"] is not JsonArray rules) return null;
        if (rules.OfType<JsonObject>().FirstOrDefault(r => (string?)r["id"] == Id) is not { } rule) return null;
        if (Paused) rule["paused"] = true;
        else rule.Remove("paused");
        rule["priority"] = Priority;
        if (Channel is not null && rule.ContainsKey("channel")) rule["channel"] = Channel;
        if (Holdout > 0) rule["holdout"] = Holdout;
        else rule.Remove("holdout");
        if (string.IsNullOrWhiteSpace(Cooldown)) rule.Remove("cooldown");
        else rule["cooldown"] = Cooldown.Trim();
        return document.ToJsonString(Indented);
    }

    public static RuleForm From(IFormCollection form) => new(
        form["rule"].ToString(),
        form["paused"].ToString() == "true",
        int.TryParse(form["priority"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var priority) ? priority : -1,
        form["channel"].ToString() is { Length: > 0 } channel ? channel : null,
        double.TryParse(form["holdout"], NumberStyles.Float, CultureInfo.InvariantCulture, out var holdout) ? holdout : 0,
        form["cooldown"].ToString());

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static JsonArray? Rules(string text)
    {
        try
        {
            return JsonNode.Parse(text, documentOptions: Lenient)?["rules"] as JsonArray;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
