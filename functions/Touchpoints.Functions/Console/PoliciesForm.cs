using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Touchpoints.Functions.Console;

/// <summary>One frequency cap as the form shows it: at most <see cref="Max"/> per <see cref="Per"/>, on a channel or across all.</summary>
public sealed record CapField(string? Channel, int Max, string Per);

/// <summary>
/// The document-wide limits a marketer adjusts most — quiet hours and the frequency caps' maxima — as a form: read from a
/// rules document's text and written back into it, everything else kept. Like <see cref="RuleForm"/>, the result goes to
/// the editor to be checked, compared and published.
/// </summary>
public sealed record PoliciesForm(string? QuietStart, string? QuietEnd, IReadOnlyList<CapField> Caps)
{
    private static readonly JsonDocumentOptions Lenient = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static PoliciesForm? Read(string text)
    {
        JsonObject? policies;
        try
        {
            policies = JsonNode.Parse(text, documentOptions: Lenient)?["policies"] as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
        if (policies is null) return null;
        var quiet = policies["quietHours"] as JsonObject;
        var caps = (policies["frequencyCaps"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(c => new CapField((string?)c["channel"], (int?)c["max"] ?? 0, (string?)c["per"] ?? "")).ToList();
        return new PoliciesForm((string?)quiet?["start"], (string?)quiet?["end"], caps);
    }

    /// <summary>The document with these quiet hours (both empty: none) and caps' maxima, matched to the caps in order.</summary>
    public string? WriteInto(string text)
    {
        if (JsonNode.Parse(text, documentOptions: Lenient) is not JsonObject document || document["policies"] is not JsonObject policies) return null;
        if (string.IsNullOrWhiteSpace(QuietStart) && string.IsNullOrWhiteSpace(QuietEnd)) policies.Remove("quietHours");
        else
        {
            var quiet = policies["quietHours"] as JsonObject ?? new JsonObject();
            quiet["start"] = QuietStart?.Trim();
            quiet["end"] = QuietEnd?.Trim();
            policies["quietHours"] = quiet;
        }
        var caps = (policies["frequencyCaps"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        for (var i = 0; i < caps.Count && i < Caps.Count; i++) caps[i]["max"] = Caps[i].Max;
        return document.ToJsonString(Indented);
    }

    public static PoliciesForm From(IFormCollection form)
    {
        var caps = new List<CapField>();
        for (var i = 0; form.ContainsKey($"cap{i.ToString(CultureInfo.InvariantCulture)}"); i++)
            caps.Add(new CapField(null, int.TryParse(form[$"cap{i.ToString(CultureInfo.InvariantCulture)}"], NumberStyles.Integer, CultureInfo.InvariantCulture, out var max) ? max : -1, ""));
        return new PoliciesForm(form["quietStart"].ToString(), form["quietEnd"].ToString(), caps);
    }
}
