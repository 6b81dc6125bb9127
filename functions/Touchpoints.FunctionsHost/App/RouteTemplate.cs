using System.Globalization;

namespace Touchpoints.FunctionsHost.App;

/// <summary>
/// An HTTP trigger's <c>route</c>, matched the way the host's router does for the usual forms: literal segments
/// (case-insensitive), <c>{name}</c>, optional <c>{name?}</c>, defaults <c>{name=value}</c>, a trailing catch-all
/// <c>{*rest}</c>, and the common inline constraints (<c>int</c>, <c>long</c>, <c>bool</c>, <c>guid</c>, <c>alpha</c>,
/// <c>double</c>, <c>decimal</c>; others are accepted and not checked).
/// </summary>
public sealed class RouteTemplate
{
    private readonly IReadOnlyList<Segment> segments;

    private RouteTemplate(string text, IReadOnlyList<Segment> segments)
    {
        Text = text;
        this.segments = segments;
    }

    public string Text { get; }

    /// <summary>Literal segments first, then fewer parameters: the order in which routes are tried.</summary>
    public (int Literals, int Parameters) Precedence =>
        (segments.Count(s => s.Literal is not null), -segments.Count(s => s.Literal is null));

    public IEnumerable<string> ParameterNames => segments.Where(s => s.Name is not null).Select(s => s.Name!);

    private sealed record Segment(string? Literal, string? Name, bool Optional, bool CatchAll, string? Constraint, string? Default);

    /// <exception cref="FormatException">Malformed template.</exception>
    public static RouteTemplate Parse(string template)
    {
        var parts = template.Trim('/').Split('/', StringSplitOptions.None);
        var segments = new List<Segment>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            if (part.Length == 0)
            {
                if (parts.Length == 1) break;
                throw new FormatException($"route \"{template}\" has an empty segment");
            }

            if (!part.StartsWith('{'))
            {
                if (part.Contains('{', StringComparison.Ordinal) || part.Contains('}', StringComparison.Ordinal))
                    throw new FormatException($"route \"{template}\": a parameter must be a whole segment (\"{part}\")");
                segments.Add(new Segment(part, null, false, false, null, null));
                continue;
            }

            if (!part.EndsWith('}'))
                throw new FormatException($"route \"{template}\": unterminated parameter \"{part}\"");
            var body = part[1..^1];
            var catchAll = body.StartsWith('*');
            body = body.TrimStart('*');
            // {name[:constraint[:constraint…]][?][=default]}: the name ends at the first ':', '?' or '='.
            var nameEnd = body.IndexOfAny([':', '?', '=']);
            var rest = nameEnd < 0 ? "" : body[nameEnd..];
            body = nameEnd < 0 ? body : body[..nameEnd];
            string? defaultValue = null;
            string? constraint = null;
            var optional = false;
            if (rest.StartsWith(':'))
            {
                var end = ConstraintEnd(rest);
                constraint = rest[1..end];
                rest = rest[end..];
            }

            if (rest.StartsWith('?'))
            {
                optional = true;
                rest = rest[1..];
            }

            if (rest.StartsWith('='))
                defaultValue = rest[1..];
            else if (rest.Length > 0)
                throw new FormatException($"route \"{template}\": cannot read the parameter \"{part}\"");

            if (body.Length == 0 || !body.All(c => char.IsLetterOrDigit(c) || c == '_'))
                throw new FormatException($"route \"{template}\": invalid parameter name in \"{part}\"");
            if (!names.Add(body))
                throw new FormatException($"route \"{template}\": parameter \"{body}\" appears twice");
            if (catchAll && i != parts.Length - 1)
                throw new FormatException($"route \"{template}\": a catch-all parameter must be the last segment");
            segments.Add(new Segment(null, body, optional || defaultValue is not null || catchAll, catchAll, constraint, defaultValue));
        }

        for (var i = 0; i < segments.Count - 1; i++)
        {
            if (segments[i].Optional && !segments[i + 1].Optional)
                throw new FormatException($"route \"{template}\": an optional parameter may only be followed by optional parameters");
        }

        return new RouteTemplate(template, segments);
    }

    /// <summary>Matches a request path relative to the route prefix (no leading slash needed); the route values on success.</summary>
    public bool TryMatch(string path, out Dictionary<string, string> values)
    {
        values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var parts = path.Trim('/').Length == 0 ? [] : path.Trim('/').Split('/');
        var p = 0;
        foreach (var segment in segments)
        {
            if (segment.CatchAll)
            {
                var rest = string.Join('/', parts.Skip(p));
                if (rest.Length > 0) values[segment.Name!] = Uri.UnescapeDataString(rest);
                else if (segment.Default is not null) values[segment.Name!] = segment.Default;
                p = parts.Length;
                continue;
            }

            if (p >= parts.Length)
            {
                if (!segment.Optional) return false;
                if (segment.Default is not null) values[segment.Name!] = segment.Default;
                continue;
            }

            var part = Uri.UnescapeDataString(parts[p]);
            if (segment.Literal is not null)
            {
                if (!string.Equals(segment.Literal, part, StringComparison.OrdinalIgnoreCase)) return false;
            }
            else
            {
                if (!Satisfies(segment.Constraint, part)) return false;
                values[segment.Name!] = part;
            }

            p++;
        }

        return p == parts.Length;
    }

    private static bool Satisfies(string? constraint, string value)
    {
        if (constraint is null) return true;
        foreach (var c in SplitConstraints(constraint))
        {
            var open = c.IndexOf('(', StringComparison.Ordinal);
            var name = (open < 0 ? c : c[..open]).ToLowerInvariant();
            var args = open < 0 || !c.EndsWith(')') ? [] : c[(open + 1)..^1].Split(',', StringSplitOptions.TrimEntries);
            long Arg(int i) => long.Parse(args[i], NumberStyles.Integer, CultureInfo.InvariantCulture);
            var ok = name switch
            {
                "int" => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
                "long" => long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out _),
                "bool" => bool.TryParse(value, out _),
                "guid" => Guid.TryParse(value, out _),
                "alpha" => value.All(char.IsAsciiLetter),
                "double" => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _),
                "decimal" => decimal.TryParse(value, NumberStyles.Number, CultureInfo.InvariantCulture, out _),
                "length" when args.Length == 1 => value.Length == Arg(0),
                "length" when args.Length == 2 => value.Length >= Arg(0) && value.Length <= Arg(1),
                "minlength" when args.Length == 1 => value.Length >= Arg(0),
                "maxlength" when args.Length == 1 => value.Length <= Arg(0),
                "min" when args.Length == 1 => long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= Arg(0),
                "max" when args.Length == 1 => long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n <= Arg(0),
                "range" when args.Length == 2 => long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= Arg(0) && n <= Arg(1),
                "regex" when open >= 0 => System.Text.RegularExpressions.Regex.IsMatch(value, c[(open + 1)..^1],
                    System.Text.RegularExpressions.RegexOptions.IgnoreCase | System.Text.RegularExpressions.RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)),
                _ => true,
            };
            if (!ok) return false;
        }

        return true;
    }

    /// <summary>Where the constraints of <c>:c1:c2(x)?=d</c> end: at a '?' or '=' outside parentheses.</summary>
    private static int ConstraintEnd(string rest)
    {
        var depth = 0;
        for (var i = 1; i < rest.Length; i++)
        {
            switch (rest[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case '?' or '=' when depth == 0:
                    return i;
            }
        }

        return rest.Length;
    }

    /// <summary>Splits <c>int:min(1)</c> at the colons that are not inside parentheses (a regex may hold colons).</summary>
    private static List<string> SplitConstraints(string constraint)
    {
        var result = new List<string>();
        var depth = 0;
        var start = 0;
        for (var i = 0; i < constraint.Length; i++)
        {
            switch (constraint[i])
            {
                case '(':
                    depth++;
                    break;
                case ')':
                    depth--;
                    break;
                case ':' when depth == 0:
                    result.Add(constraint[start..i]);
                    start = i + 1;
                    break;
            }
        }

        result.Add(constraint[start..]);
        return result;
    }
}
