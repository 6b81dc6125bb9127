namespace Touchpoints.Core.Events;

/// <summary>
/// JSON text that System.Text.Json parses but cannot turn back into strings: a <c>\uD800</c>-style escape of half a
/// surrogate pair (or such a character itself). The parser accepts it and the failure comes later, when the value is read
/// or written — far from the door, as a 5xx or a failed batch. Every door checks the text first and refuses it as malformed.
/// </summary>
public static class JsonText
{
    public const string LoneSurrogateMessage = "malformed JSON: a string holds half of a surrogate pair (\\uD800–\\uDFFF without its partner)";

    public static bool HasLoneSurrogate(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        var text = json.AsSpan();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c))
            {
                if (i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
                return true;
            }
            if (char.IsLowSurrogate(c)) return true;
            if (c != '\\' || i + 1 >= text.Length) continue;
            if (text[i + 1] != 'u') { i++; continue; } // \" \\ \n …: skip the escaped character
            if (Escaped(text, i) is not { } unit) continue;
            if (char.IsHighSurrogate(unit))
            {
                if (i + 11 < text.Length + 0 && text[i + 6] == '\\' && Escaped(text, i + 6) is { } low && char.IsLowSurrogate(low)) { i += 11; continue; }
                return true;
            }
            if (char.IsLowSurrogate(unit)) return true;
            i += 5;
        }
        return false;
    }

    private static char? Escaped(ReadOnlySpan<char> text, int backslash) =>
        backslash + 5 < text.Length && text[backslash + 1] == 'u'
        && ushort.TryParse(text.Slice(backslash + 2, 4), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var code)
            ? (char)code
            : null;
}
