using Touchpoints.FunctionsHost.App;

namespace Touchpoints.LocalHost.Tests;

public sealed class RouteTemplateTests
{
    [Theory]
    [InlineData("customers", "customers", "")]
    [InlineData("customers", "/Customers/", "")]
    [InlineData("customers/{id}", "customers/c-1", "id=c-1")]
    [InlineData("customers/{id}/views/{touchpoint}", "customers/c-1/views/web", "id=c-1;touchpoint=web")]
    [InlineData("items/{id:int}/{name?}", "items/5", "id=5")]
    [InlineData("items/{id:int}/{name?}", "items/5/x", "id=5;name=x")]
    [InlineData("pages/{name=home}", "pages", "name=home")]
    [InlineData("files/{*path}", "files/a/b/c.txt", "path=a/b/c.txt")]
    [InlineData("v1/{call:length(1)}", "v1/t", "call=t")]
    [InlineData("webhooks/{source}", "webhooks/stripe%20live", "source=stripe live")]
    [InlineData("things/{id:guid}", "things/6f1c2b6e-8a1f-4a43-9df0-7f1f6b0f4e11", "id=6f1c2b6e-8a1f-4a43-9df0-7f1f6b0f4e11")]
    [InlineData("n/{n:range(1,10)}", "n/10", "n=10")]
    // As ASP.NET Core's routing reads them (the Functions host's): complex segments, regex constraints, an encoded slash.
    [InlineData("a/b{x}", "a/bfoo", "x=foo")]
    [InlineData("order/{id:regex(^o-\\d+$)}", "order/o-42", "id=o-42")]
    [InlineData("files/{name}", "files/a%2Fb", "name=a/b")]
    public void A_route_matches_and_yields_its_values(string template, string path, string expected)
    {
        Assert.True(RouteTemplate.Parse(template).TryMatch(path, out var values));
        Assert.Equal(expected, string.Join(';', values.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => $"{v.Key}={v.Value}")));
    }

    [Theory]
    [InlineData("customers", "customers/c-1")]
    [InlineData("customers/{id}", "customers")]
    [InlineData("customers/{id}", "customers/a/b")]
    [InlineData("items/{id:int}", "items/abc")]
    [InlineData("v1/{call:length(1)}", "v1/track")]
    [InlineData("n/{n:range(1,10)}", "n/11")]
    [InlineData("things/{id:guid}", "things/not-a-guid")]
    [InlineData("order/{id:regex(^o-\\d+$)}", "order/x-42")]
    public void A_route_does_not_match_other_paths(string template, string path) =>
        Assert.False(RouteTemplate.Parse(template).TryMatch(path, out _));

    [Theory]
    [InlineData("a/{x")]
    [InlineData("a/{x}/{x}")]
    [InlineData("a/{*x}/b")]
    [InlineData("a//b")]
    [InlineData("a/{x:nosuchconstraint}")]
    public void A_malformed_route_is_refused(string template) =>
        Assert.Throws<FormatException>(() => RouteTemplate.Parse(template));

    [Fact]
    public void Literal_routes_take_precedence_over_parameters()
    {
        var literal = RouteTemplate.Parse("v1/track");
        var parameter = RouteTemplate.Parse("v1/{call}");

        Assert.True(literal.Precedence.CompareTo(parameter.Precedence) > 0);
    }
}
