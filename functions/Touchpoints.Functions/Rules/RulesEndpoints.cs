using Touchpoints.Functions.Hosting;

namespace Touchpoints.Functions.Rules;

/// <summary>
/// The rules feature: the two triggered functions (<c>EvaluateCustomerChanges</c>, <c>RunScheduledRules</c>) invoked by the
/// host at <c>POST /{FunctionName}</c>, and the admin API (<see cref="RulesAdminEndpoints"/>).
/// </summary>
public static class RulesEndpoints
{
    /// <summary>The trigger bindings' names in function.json.</summary>
    public const string ChangesTrigger = "changes";
    public const string TimerTrigger = "timer";

    public const string EvaluateFunction = "EvaluateCustomerChanges";
    public const string ScheduleFunction = "RunScheduledRules";

    public static IServiceCollection AddRules(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RulesOptions>().Bind(configuration.GetSection(RulesOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<RulesProvider>();
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
            return await Invocations.RunAsync(EvaluateFunction, bodies.Count, logs.CreateLogger(typeof(RulesEndpoints)), async () =>
            {
                var o = await evaluator.EvaluateAsync(bodies, ct).ConfigureAwait(false);
                return new InvocationResponse { Logs = { $"{EvaluateFunction}: {o.Messages} messages ({o.Ignored} ignored), {o.Customers} customers, {o.Evaluated} evaluated, {o.Sent} queued, {o.Replayed} decisions already recorded" } };
            }, ct).ConfigureAwait(false);
        });
        app.MapPost("/" + ScheduleFunction, async (InvocationRequest request, ScheduledRules scheduler, ILoggerFactory logs, CancellationToken ct) =>
            await Invocations.RunAsync(ScheduleFunction, 1, logs.CreateLogger(typeof(RulesEndpoints)), async () =>
            {
                var o = await scheduler.RunAsync(ct).ConfigureAwait(false);
                return new InvocationResponse { Logs = { $"{ScheduleFunction}: buckets {o.From}..{o.To} ({o.Buckets}), {o.WakeUps} wake-ups, {o.Customers} customers evaluated, {o.Sent} queued, {o.Dropped} dropped" } };
            }, ct).ConfigureAwait(false));
        app.MapRulesAdmin();
        return app;
    }
}
