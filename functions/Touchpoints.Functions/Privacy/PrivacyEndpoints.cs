using System.Text.Json;
using Touchpoints.Core.Identity;
using Touchpoints.Functions.Hosting;
using Touchpoints.Functions.Storage;

namespace Touchpoints.Functions.Privacy;

/// <summary>
/// A data subject's rights, as admin operations (forwarded HTTP functions, admin key in Azure; the identifier travels in the
/// body, never in a URL that logs keep):
/// <list type="bullet">
/// <item><c>ErasePerson</c>: <c>POST /api/manage/people/erasures</c> <c>{"identifier": "email:ann@example.com"}</c> → 202 and
/// the request; <c>GetErasure</c>: <c>GET /api/manage/people/erasures/{id}</c>, its status and receipt;</item>
/// <item><c>ExportPerson</c>: <c>POST /api/manage/people/export</c> → everything stored about the person, one JSON document;</item>
/// <item><c>UnsuppressPerson</c>: <c>POST /api/manage/people/unsuppress</c> → the identifier leaves the suppression list.</item>
/// </list>
/// <c>ErasePeople</c> (queue <c>erasures</c>) carries erasures out. Requests are audited: who (<c>X-Author</c>), when, what.
/// </summary>
public static partial class PrivacyEndpoints
{
    public const string ErasureFunction = "ErasePeople";
    public const string ErasureTrigger = "request";

    public static IServiceCollection AddPrivacy(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PrivacyOptions>().Bind(configuration.GetSection(PrivacyOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<PersonalData>();
        services.AddSingleton<Erasures>();
        return services;
    }

    public static IEndpointRouteBuilder MapPrivacy(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var audit = app.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(PrivacyEndpoints));
        app.MapPost("/api/manage/people/erasures", async (HttpRequest request, Erasures erasures, CancellationToken ct) =>
        {
            if (await IdentifierAsync(request, ct).ConfigureAwait(false) is not { } key) return BadIdentifier();
            var author = Author(request);
            var erasure = await erasures.RequestAsync(key, author, ct).ConfigureAwait(false);
            LogAudit(audit, "erasure", author, erasure.Id);
            return Results.Json(erasure, PrivacyJsonContext.Default.ErasureDocument, statusCode: StatusCodes.Status202Accepted);
        });
        app.MapGet("/api/manage/people/erasures/{id}", async (string id, PrivacyStore privacy, CancellationToken ct) =>
            await privacy.ReadErasureAsync(id, ct).ConfigureAwait(false) is { } erasure
                ? Results.Json(erasure, PrivacyJsonContext.Default.ErasureDocument)
                : Results.Json(new ApiError("not_found", $"no erasure '{id}'"), ApiJsonContext.Default.ApiError, statusCode: 404));
        app.MapPost("/api/manage/people/export", async (HttpRequest request, PersonalData data, CancellationToken ct) =>
        {
            if (await IdentifierAsync(request, ct).ConfigureAwait(false) is not { } key) return BadIdentifier();
            var author = Author(request);
            LogAudit(audit, "export", author, "-");
            return await data.FindAsync(key, [], ct).ConfigureAwait(false) is { } person
                ? Results.Text((await data.ExportAsync(person, ct).ConfigureAwait(false)).ToJsonString(), "application/json")
                : Results.Json(new ApiError("not_found", "no customer has that identifier"), ApiJsonContext.Default.ApiError, statusCode: 404);
        });
        app.MapPost("/api/manage/people/unsuppress", async (HttpRequest request, PrivacyStore privacy, CancellationToken ct) =>
        {
            if (await IdentifierAsync(request, ct).ConfigureAwait(false) is not { } key) return BadIdentifier();
            var author = Author(request);
            LogAudit(audit, "unsuppress", author, "-");
            return await privacy.UnsuppressAsync(key, ct).ConfigureAwait(false)
                ? Results.Json(new SuppressionStatus(key, false), PrivacyJsonContext.Default.SuppressionStatus)
                : Results.Json(new ApiError("not_found", "that identifier is not suppressed"), ApiJsonContext.Default.ApiError, statusCode: 404);
        });
        app.MapPost("/" + ErasureFunction, async (InvocationRequest request, Erasures erasures, ILoggerFactory logs, CancellationToken ct) =>
            await Invocations.RunAsync(ErasureFunction, 1, logs.CreateLogger(typeof(PrivacyEndpoints)), async () =>
            {
                var text = HostValue.Bodies(request.DataOf(ErasureTrigger)) is [var body] ? body : "";
                ErasureMessage? message;
                try
                {
                    message = JsonSerializer.Deserialize(text, PrivacyJsonContext.Default.ErasureMessage);
                }
                catch (JsonException)
                {
                    message = null;
                }
                // A message that is not one this app wrote can never succeed: logged and dropped, not retried into the poison queue.
                if (message is null) return new InvocationResponse { Logs = { $"{ErasureFunction}: not an erasure message; dropped" } };
                await erasures.RunAsync(message, ct).ConfigureAwait(false);
                return new InvocationResponse { Logs = { $"{ErasureFunction}: {message.RequestId} pass {message.Pass}" } };
            }, ct).ConfigureAwait(false));
        return app;
    }

    private static async Task<string?> IdentifierAsync(HttpRequest request, CancellationToken ct)
    {
        try
        {
            var body = await JsonSerializer.DeserializeAsync(request.Body, PrivacyJsonContext.Default.ErasureRequestBody, ct).ConfigureAwait(false);
            return body?.Identifier is { } text && Identifier.TryParseKey(text.Trim()) is { } identifier ? identifier.Key : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string Author(HttpRequest request) => request.Headers["X-Author"].ToString() is { Length: > 0 and <= 200 } a ? a : "unknown";

    private static IResult BadIdentifier() => Results.Json(new ApiError("bad_request",
        "give {\"identifier\": \"{type}:{value}\"}, e.g. email:ann@example.com: anonymousId:, userId:, email:, phone:, crm.{system}: or social.{network}:"),
        ApiJsonContext.Default.ApiError, statusCode: 400);

    [LoggerMessage(Level = LogLevel.Information, Message = "Audit: {Operation} requested by {Author} ({Reference})")]
    private static partial void LogAudit(ILogger logger, string operation, string author, string reference);
}
