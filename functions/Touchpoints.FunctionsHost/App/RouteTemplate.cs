using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Template;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using AspNetTemplate = Microsoft.AspNetCore.Routing.Template.RouteTemplate;

namespace Touchpoints.FunctionsHost.App;

/// <summary>
/// An HTTP trigger's <c>route</c>, parsed and matched by ASP.NET Core's own routing, as the Functions host's router does:
/// <see cref="TemplateParser"/>, <see cref="TemplateMatcher"/> (literals case-insensitive, optional and default values,
/// catch-alls, complex segments) and every inline constraint ASP.NET Core knows (<c>int</c>, <c>length(1)</c>,
/// <c>regex(…)</c>, …) through its <see cref="DefaultInlineConstraintResolver"/>.
/// </summary>
public sealed class RouteTemplate
{
    private static readonly DefaultInlineConstraintResolver Constraints = new(Options.Create(RouteOptions()), new ServiceCollection().BuildServiceProvider());

    // As AddRouting configures them: the built-in constraints, regex included (left out of the defaults for trimming only).
    private static RouteOptions RouteOptions()
    {
        var options = new RouteOptions();
        options.SetParameterPolicy<Microsoft.AspNetCore.Routing.Constraints.RegexInlineRouteConstraint>("regex");
        return options;
    }

    private readonly TemplateMatcher matcher;
    private readonly IReadOnlyList<(string Name, IRouteConstraint Constraint)> constraints;

    private RouteTemplate(string text, AspNetTemplate template, IReadOnlyList<(string, IRouteConstraint)> constraints)
    {
        Text = text;
        Template = template;
        this.constraints = constraints;
        matcher = new TemplateMatcher(template, Defaults(template));
    }

    public string Text { get; }

    private AspNetTemplate Template { get; }

    /// <summary>
    /// The order in which routes are tried, more specific first: ASP.NET Core's inbound precedence (literal segments before
    /// constrained parameters before plain ones before catch-alls), negated so that a larger value is tried earlier.
    /// </summary>
    public decimal Precedence => -RoutePrecedence.ComputeInbound(Template);

    public IEnumerable<string> ParameterNames => Template.Parameters.Select(p => p.Name!);

    /// <exception cref="FormatException">Malformed template, or a constraint ASP.NET Core does not know.</exception>
    public static RouteTemplate Parse(string template)
    {
        ArgumentNullException.ThrowIfNull(template);
        AspNetTemplate parsed;
        try
        {
            parsed = TemplateParser.Parse(template.Trim('/'));
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"route \"{template}\": {e.Message}", e);
        }

        var constraints = new List<(string, IRouteConstraint)>();
        foreach (var parameter in parsed.Parameters)
        {
            foreach (var inline in parameter.InlineConstraints)
            {
                IRouteConstraint? constraint;
                try
                {
                    constraint = Constraints.ResolveConstraint(inline.Constraint);
                }
                catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or RouteCreationException)
                {
                    throw new FormatException($"route \"{template}\": constraint \"{inline.Constraint}\" of {{{parameter.Name}}}: {e.Message}", e);
                }
                constraints.Add((parameter.Name!, constraint ?? throw new FormatException($"route \"{template}\": unknown constraint \"{inline.Constraint}\" of {{{parameter.Name}}}")));
            }
        }

        return new RouteTemplate(template, parsed, constraints);
    }

    /// <summary>Matches a request path relative to the route prefix (no leading slash needed); the route values on success.</summary>
    public bool TryMatch(string path, out Dictionary<string, string> values)
    {
        values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var routeValues = new RouteValueDictionary();
        // Decoded as Kestrel decodes a request path before routing it: all but an encoded slash, which stays inside its
        // segment (and is decoded in the value).
        var decoded = Uri.UnescapeDataString(("/" + path.TrimStart('/')).Replace("%2F", "%252F", StringComparison.OrdinalIgnoreCase));
        if (!matcher.TryMatch(new PathString(decoded), routeValues)) return false;
        foreach (var (name, constraint) in constraints)
        {
            if (!routeValues.ContainsKey(name)) continue; // an optional parameter left out has nothing to check
            if (!constraint.Match(null, null, name, routeValues, RouteDirection.IncomingRequest)) return false;
        }

        foreach (var (key, value) in routeValues)
        {
            if (value is not null) values[key] = Uri.UnescapeDataString(Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)!);
        }

        return true;
    }

    private static RouteValueDictionary Defaults(AspNetTemplate template)
    {
        var defaults = new RouteValueDictionary();
        foreach (var parameter in template.Parameters.Where(p => p.DefaultValue is not null)) defaults[parameter.Name!] = parameter.DefaultValue;
        return defaults;
    }
}
