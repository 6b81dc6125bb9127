using System.Text.Json.Serialization;
using Touchpoints.Functions.Storage;

namespace Touchpoints.Functions.Ingestion;

/// <summary>
/// <c>RepairIdentities</c>: <c>POST /api/manage/identities/repair[?continuation=…&amp;pageSize=100]</c> (admin key in Azure)
/// repairs one page of customer documents and answers what it found and did, with the continuation of the next page
/// (null when the pass is complete). A forwarded HTTP function.
/// </summary>
public static class RepairEndpoints
{
    public const string Route = "/api/manage/identities/repair";

    public static IEndpointRouteBuilder MapRepair(this IEndpointRouteBuilder app)
    {
        app.MapPost(Route, async (string? continuation, int? pageSize, IdentityRepair repair, CancellationToken ct) =>
        {
            if (pageSize is < 1 or > 1000) return Results.Json(new RepairError("pageSize must be between 1 and 1000"), RepairJsonContext.Default.RepairError, statusCode: 400);
            try
            {
                var report = await repair.RepairPageAsync(string.IsNullOrEmpty(continuation) ? null : continuation, pageSize ?? IdentityRepair.DefaultPageSize, ct)
                    .ConfigureAwait(false);
                return Results.Json(report, RepairJsonContext.Default.RepairReport);
            }
            catch (Microsoft.Azure.Cosmos.CosmosException e) when (e.StatusCode == System.Net.HttpStatusCode.BadRequest)
            {
                // A continuation that is not one this operation gave out.
                return Results.Json(new RepairError("continuation is not one a repair page answered"), RepairJsonContext.Default.RepairError, statusCode: 400);
            }
        });
        return app;
    }
}

public sealed record RepairError(string Error);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(RepairReport))]
[JsonSerializable(typeof(RepairError))]
public sealed partial class RepairJsonContext : JsonSerializerContext;
