using System.Text.Json.Serialization;
using Touchpoints.Core;
using Touchpoints.Core.Identity;
using Touchpoints.Functions.Hosting;

namespace Touchpoints.Functions.Ingestion;

/// <summary>
/// The history's admin operations, forwarded HTTP functions (admin key in Azure):
/// <list type="bullet">
/// <item><c>RebuildCustomer</c>: <c>POST /api/manage/customers/{id}/rebuild[?dryRun=true]</c>, one customer;</item>
/// <item><c>RebuildCustomers</c>: <c>POST /api/manage/customers/rebuild[?continuation=…&amp;pageSize=50&amp;dryRun=true]</c>,
/// every customer a page at a time, with the continuation of the next page (null when the pass is complete).</item>
/// </list>
/// </summary>
public static class HistoryEndpoints
{
    public const string RebuildOneRoute = "/api/manage/customers/{id}/rebuild";
    public const string RebuildAllRoute = "/api/manage/customers/rebuild";

    public static IServiceCollection AddHistory(this IServiceCollection services)
    {
        services.AddSingleton<HistoryRebuild>();
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
        app.MapPost(RebuildAllRoute, async (string? continuation, int? pageSize, bool? dryRun, HistoryRebuild rebuild, CancellationToken ct) =>
        {
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
        return app;
    }
}

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, Converters = [typeof(CamelCaseEnumConverter<RebuildOutcome>)])]
[JsonSerializable(typeof(RebuildResult))]
[JsonSerializable(typeof(RebuildReport))]
public sealed partial class RebuildJsonContext : JsonSerializerContext;
