using System.Text.Json.Serialization;
using Touchpoints.Core;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Views;
using Touchpoints.Functions.Hosting;

namespace Touchpoints.Functions.Ingestion;

/// <summary>
/// The history's admin operations, forwarded HTTP functions (admin key in Azure):
/// <list type="bullet">
/// <item><c>RebuildCustomer</c>: <c>POST /api/manage/customers/{id}/rebuild[?dryRun=true]</c>, one customer;</item>
/// <item><c>RebuildCustomers</c>: <c>POST /api/manage/customers/rebuild[?continuation=…&amp;pageSize=50&amp;dryRun=true]</c>,
/// every customer a page at a time, with the continuation of the next page (null when the pass is complete); with a body
/// <c>{"customers": ["c-…", …]}</c>, those customers only;</item>
/// <item><c>UnmergeCustomer</c>: <c>POST /api/manage/customers/{id}/unmerge[?dryRun=true]</c> with
/// <c>{"identifiers": ["anonymousId:…", …]}</c> or <c>{"mergedFrom": "c-…"}</c> (undo one recorded merge): splits the customer
/// in two from history (<see cref="Unmerging"/>); audited: who (<c>X-Author</c>, required), when, what.</item>
/// </list>
/// </summary>
public static class HistoryEndpoints
{
    public const string RebuildOneRoute = "/api/manage/customers/{id}/rebuild";
    public const string RebuildAllRoute = "/api/manage/customers/rebuild";
    public const string UnmergeRoute = "/api/manage/customers/{id}/unmerge";

    /// <summary>At most this many customers in one listed rebuild (a page's worth of work per request, as a page of all).</summary>
    public const int MaxListed = 1000;

    public static IServiceCollection AddHistory(this IServiceCollection services)
    {
        services.AddSingleton<HistoryRebuild>();
        services.AddSingleton<Unmerging>();
        return services;
    }

    public static IEndpointRouteBuilder MapHistory(this IEndpointRouteBuilder app)
    {
        app.MapPost(RebuildOneRoute, async (string id, bool? dryRun, HistoryRebuild rebuild, CancellationToken ct) =>
        {
            var result = await rebuild.RebuildAsync(new CustomerId(id), dryRun ?? false, ct).ConfigureAwait(false);
            return result.Outcome == RebuildOutcome.NotFound
                ? Results.Json(new ApiError("not_found", $"no customer '{id}'"), ApiJsonContext.Default.ApiError, statusCode: 404)
                : Results.Json(result, RebuildJsonContext.Default.RebuildResult);
        });
        app.MapPost(RebuildAllRoute, async (string? continuation, int? pageSize, bool? dryRun, HttpRequest request, HistoryRebuild rebuild, CancellationToken ct) =>
        {
            if (request.HasJsonContentType())
            {
                // A list of customers: {"customers": ["c-…", …]}.
                RebuildList? list;
                try
                {
                    list = await request.ReadFromJsonAsync(RebuildJsonContext.Default.RebuildList, ct).ConfigureAwait(false);
                }
                catch (System.Text.Json.JsonException)
                {
                    list = null;
                }
                if (list?.Customers is not { Count: > 0 and <= MaxListed } ids || !ids.All(Storage.CustomerStore.IsPossibleId))
                    return Error(400, "bad_request", $"the body must be {{\"customers\": [\"c-…\", …]}}: 1 to {MaxListed} customer ids");
                var listed = await rebuild.RebuildListAsync([.. ids.Distinct(StringComparer.Ordinal).Select(i => new CustomerId(i))], dryRun ?? false, ct).ConfigureAwait(false);
                return Results.Json(listed, RebuildJsonContext.Default.RebuildReport);
            }
            if (pageSize is < 1 or > 1000)
                return Results.Json(new ApiError("bad_request", "pageSize must be between 1 and 1000"), ApiJsonContext.Default.ApiError, statusCode: 400);
            try
            {
                var report = await rebuild.RebuildPageAsync(string.IsNullOrEmpty(continuation) ? null : continuation,
                    pageSize ?? HistoryRebuild.DefaultPageSize, dryRun ?? false, ct).ConfigureAwait(false);
                return Results.Json(report, RebuildJsonContext.Default.RebuildReport);
            }
            catch (Microsoft.Azure.Cosmos.CosmosException e) when (e.StatusCode == System.Net.HttpStatusCode.BadRequest)
            {
                return Results.Json(new ApiError("bad_request", "continuation is not one a rebuild page answered"), ApiJsonContext.Default.ApiError, statusCode: 400);
            }
        });
        app.MapPost(UnmergeRoute, async (string id, bool? dryRun, HttpRequest request, Unmerging unmerging, CancellationToken ct) =>
        {
            if (request.Headers["X-Author"].ToString() is not { Length: > 0 and <= 200 } author)
                return Error(400, "bad_request", "say who asks for this unmerge: an X-Author header");
            UnmergeRequest? body;
            try
            {
                body = await request.ReadFromJsonAsync(RebuildJsonContext.Default.UnmergeRequest, ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException)
            {
                return Error(400, "bad_request", "the body must be {\"identifiers\": [\"type:value\", …]} or {\"mergedFrom\": \"c-…\"}");
            }
            if (body is null || (body.Identifiers is null) == (body.MergedFrom is null))
                return Error(400, "bad_request", "name either identifiers to detach or the merged profile (mergedFrom) to undo");
            if (body.Identifiers is { } keys && (keys.Count is 0 or > CustomerView.AnonymousIdLimit * 2 || keys.Any(k => Identifier.TryParseKey(k) is null)))
                return Error(400, "bad_request", "identifiers must be 1 to 200 keys of the form type:value, as the customer's view lists them");
            // Written as ingestion writes them: an e-mail in any case, a phone in any format, names the stored identifier.
            if (body.Identifiers is { } named) body = body with { Identifiers = [.. named.Select(k => Identifier.TryParseKey(k)!.Key)] };
            var report = await unmerging.UnmergeAsync(new CustomerId(id), body, author, dryRun ?? false, ct).ConfigureAwait(false);
            return report.Outcome switch
            {
                UnmergeOutcome.NotFound => Error(404, "not_found", $"no customer '{id}'"),
                UnmergeOutcome.Refused => Error(409, "cannot_unmerge", report.Reason ?? "refused"),
                _ => Results.Json(report, RebuildJsonContext.Default.UnmergeReport),
            };
        });
        return app;
    }

    private static IResult Error(int status, string code, string message) => Results.Json(new ApiError(code, message), ApiJsonContext.Default.ApiError, statusCode: status);
}

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web,
    Converters = [typeof(CamelCaseEnumConverter<RebuildOutcome>), typeof(CamelCaseEnumConverter<UnmergeOutcome>)])]
[JsonSerializable(typeof(RebuildResult))]
[JsonSerializable(typeof(UnmergeRequest))]
[JsonSerializable(typeof(RebuildList))]
[JsonSerializable(typeof(UnmergeReport))]
[JsonSerializable(typeof(RebuildReport))]
public sealed partial class RebuildJsonContext : JsonSerializerContext;
