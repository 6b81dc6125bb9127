using Touchpoints.Functions.Hosting;

namespace Touchpoints.Functions.Rules;

/// <summary>
/// The rules feature: the two triggered functions (<c>EvaluateCustomerChanges</c>, <c>RunScheduledRules</c>) invoked by the
/// host at <c>POST /{FunctionName}</c>, and the admin API (<see cref="RulesAdminEndpoints"/>).
/// </summary>
public static partial class RulesEndpoints
{
    /// <summary>The trigger bindings' names in function.json.</summary>
    public const string ChangesTrigger = "changes";
    public const string TimerTrigger = "timer";

    public const string EvaluateFunction = "EvaluateCustomerChanges";
    public const string ScheduleFunction = "RunScheduledRules";

    public static IServiceCollection AddRules(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RulesOptions>().Bind(configuration.GetSection(RulesOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<RulesStore>();
        services.AddSingleton<RulesProvider>();
        services.AddSingleton<RuleStateStore>();
        services.AddSingleton<LedgerStore>();
        services.AddSingleton<RuleStatsStore>();
        services.AddSingleton<WakeUpStore>();
        services.AddSingleton<SchedulerCursorStore>();
        services.AddSingleton<CommunicationQueues>();
        services.AddSingleton<RuleRunner>();
        services.AddSingleton<ChangeEvaluator>();
        services.AddSingleton<ScheduledRules>();
        services.AddHostedService<QueueResources>();
        return services;
    }

    public static IEndpointRouteBuilder MapRules(this IEndpointRouteBuilder app)
    {
        app.MapPost("/" + EvaluateFunction, async (InvocationRequest request, ChangeEvaluator evaluator, ILoggerFactory logs, CancellationToken ct) =>
        {
            var bodies = HostValue.Bodies(request.DataOf(ChangesTrigger));
            return await Invoke(EvaluateFunction, bodies.Count, logs, async () =>
            {
                var o = await evaluator.EvaluateAsync(bodies, ct).ConfigureAwait(false);
                return $"{EvaluateFunction}: {o.Messages} messages ({o.Ignored} ignored), {o.Customers} customers, {o.Evaluated} evaluated, {o.Sent} queued, {o.Replayed} decisions already recorded";
            }, ct).ConfigureAwait(false);
        });
        app.MapPost("/" + ScheduleFunction, async (InvocationRequest request, ScheduledRules scheduler, ILoggerFactory logs, CancellationToken ct) =>
            await Invoke(ScheduleFunction, 1, logs, async () =>
            {
                var o = await scheduler.RunAsync(ct).ConfigureAwait(false);
                return $"{ScheduleFunction}: buckets {o.From}..{o.To} ({o.Buckets}), {o.WakeUps} wake-ups, {o.Customers} customers evaluated, {o.Sent} queued, {o.Dropped} dropped";
            }, ct).ConfigureAwait(false));
        app.MapRulesAdmin();
        return app;
    }

    /// <summary>
    /// Runs one invocation: 200 with a log line, or 500 on a failure (Cosmos DB or storage unavailable, throttled beyond the
    /// SDKs' retries), so the Event Hubs retry policy replays the batch (every step is idempotent) or the next timer run
    /// starts again from the cursor.
    /// </summary>
    private static async Task<IResult> Invoke(string function, int count, ILoggerFactory logs, Func<Task<string>> work, CancellationToken ct)
    {
        try
        {
            var line = await work().ConfigureAwait(false);
            return Results.Json(new InvocationResponse { Logs = { line } }, HostJsonContext.Default.InvocationResponse);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            LogFailed(logs.CreateLogger(typeof(RulesEndpoints)), function, count, e);
            return Results.Json(new InvocationResponse { Logs = { $"{function} failed: {e.Message}" } }, HostJsonContext.Default.InvocationResponse,
                statusCode: StatusCodes.Status500InternalServerError);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "{Function} failed on {Count} items; it will be retried")]
    private static partial void LogFailed(ILogger logger, string function, int count, Exception exception);
}
