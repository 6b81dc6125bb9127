using Touchpoints.Core;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Views;
using Touchpoints.Functions.Hosting;
using Touchpoints.Functions.Storage;

namespace Touchpoints.Functions.Views;

/// <summary>
/// The view API: pure HTTP functions, so the host forwards the original request here (<c>enableForwardingHttpRequest</c>)
/// and relays the response as is. Authorization is the host's (function keys in Azure).
/// </summary>
public static class ViewEndpoints
{
    public static IEndpointRouteBuilder MapViews(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/customers/{id}", async (string id, CustomerStore customers, CancellationToken ct) =>
            await customers.ReadCurrentAsync(new CustomerId(id), ct) is { } view
                ? Results.Json(view, CoreJsonContext.Default.CustomerView)
                : NotFound($"no customer '{id}'"));

        app.MapGet("/api/customers", async (string? identity, CustomerStore customers, IdentityStore identities, CancellationToken ct) =>
        {
            if (string.IsNullOrWhiteSpace(identity)) return BadRequest("give ?identity={type}:{value}, e.g. email:ann@example.com");
            if (Identifier.TryParseKey(identity.Trim()) is not { } identifier)
                return BadRequest($"'{identity}' is not an identifier: use anonymousId:, userId:, email:, phone:, crm.{{system}}: or social.{{network}}:");
            var owners = await identities.LookupAsync([identifier.Key], ct).ConfigureAwait(false);
            return owners.TryGetValue(identifier.Key, out var owner) && await customers.ReadCurrentAsync(owner.CustomerId, ct) is { } view
                ? Results.Json(view, CoreJsonContext.Default.CustomerView)
                : NotFound($"no customer with {identifier.Key}");
        });

        app.MapGet("/api/customers/{id}/views/{touchpoint}", async (string id, string touchpoint, CustomerStore customers, CancellationToken ct) =>
        {
            if (!TouchpointViews.TryParse(touchpoint, out var which))
                return NotFound($"no touch point '{touchpoint}': use {string.Join(", ", Enum.GetNames<Core.Events.Touchpoint>().Select(JsonName))}");
            return await customers.ReadCurrentAsync(new CustomerId(id), ct) is { } view
                ? Results.Json(TouchpointViews.For(which, view), CoreJsonContext.Default.TouchpointView)
                : NotFound($"no customer '{id}'");
        });
        return app;
    }

    private static string JsonName(string name) => char.ToLowerInvariant(name[0]) + name[1..];

    private static IResult NotFound(string message) => Results.Json(new ApiError("not_found", message), ApiJsonContext.Default.ApiError, statusCode: 404);

    private static IResult BadRequest(string message) => Results.Json(new ApiError("bad_request", message), ApiJsonContext.Default.ApiError, statusCode: 400);
}
