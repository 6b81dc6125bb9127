using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Touchpoints.Core;
using Touchpoints.Core.Rules;
using Touchpoints.Functions.Hosting;

namespace Touchpoints.Functions.Delivery;

/// <summary>
/// The queue-triggered delivery functions, one per queue (each function.json names one queue): the three communication
/// tiers and the sales alerts. A failed send fails the invocation; the host retries it after the queue's visibility timeout
/// and, after <see cref="DeliveryOptions.MaxDequeueCount"/> invocations, moves it to <c>{queue}-poison</c>.
/// </summary>
public static class DeliveryEndpoints
{
    /// <summary>The trigger's binding name in every delivery function.json.</summary>
    public const string Trigger = "message";

    public static readonly IReadOnlyDictionary<string, string> Functions = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["DeliverHighPriority"] = Queues.CommunicationsHigh,
        ["DeliverNormalPriority"] = Queues.CommunicationsNormal,
        ["DeliverLowPriority"] = Queues.CommunicationsLow,
        ["DeliverSalesAlerts"] = Queues.SalesAlerts,
    };

    public static IServiceCollection AddDelivery(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<DeliveryOptions>().Bind(configuration.GetSection(DeliveryOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.AddSingleton<IValidateOptions<DeliveryOptions>, ExplainedDeliveryOptions>();
        services.AddSingleton<Destinations>();
        services.AddSingleton<MessageDelivery>();
        // The retry settings as configured now (validated with the rest at start).
        var settings = configuration.GetSection(DeliveryOptions.Section).Get<DeliveryOptions>() ?? new DeliveryOptions();
        services.AddHttpClient(Destinations.HttpClientName).AddStandardResilienceHandler(resilience => Destinations.Configure(resilience, settings));
        return services;
    }

    public static IEndpointRouteBuilder MapDelivery(this IEndpointRouteBuilder app)
    {
        foreach (var (function, queue) in Functions)
        {
            app.MapPost("/" + function, async (InvocationRequest request, MessageDelivery delivery, ILoggerFactory logs, CancellationToken ct) =>
                await Invocations.RunAsync(function, 1, logs.CreateLogger(typeof(DeliveryEndpoints)), async () =>
                {
                    var text = HostValue.Bodies(request.DataOf(Trigger)) is [var body] ? body : "";
                    var dequeueCount = DequeueCount(request.MetadataOf("DequeueCount"));
                    var record = queue == Queues.SalesAlerts
                        ? await delivery.DeliverSalesAlertAsync(text, dequeueCount, ct).ConfigureAwait(false)
                        : await delivery.DeliverCommunicationAsync(queue, text, dequeueCount, ct).ConfigureAwait(false);
                    return new InvocationResponse { Logs = { $"{function}: {(record is null ? "not a message of this app; dropped" : Names.CamelCase(record.Status))}" } };
                }, ct).ConfigureAwait(false));
        }
        return app;
    }

    /// <summary>The host's <c>DequeueCount</c> metadata (a number, or a string holding one); 1 when absent.</summary>
    private static int DequeueCount(JsonElement? value)
    {
        if (value is not { } v) return 1;
        var e = HostValue.Unwrap(v);
        return e.ValueKind switch
        {
            JsonValueKind.Number when e.TryGetInt32(out var n) => n,
            JsonValueKind.String when int.TryParse(e.GetString(), System.Globalization.CultureInfo.InvariantCulture, out var n) => n,
            _ => 1,
        };
    }
}

/// <summary>Names each problem of the delivery settings at start, instead of one generic message.</summary>
internal sealed class ExplainedDeliveryOptions : IValidateOptions<DeliveryOptions>
{
    public ValidateOptionsResult Validate(string? name, DeliveryOptions options) =>
        options.Problems().ToArray() is { Length: > 0 } problems ? ValidateOptionsResult.Fail(problems) : ValidateOptionsResult.Success;
}

/// <summary>The webhook bodies, in the rules' JSON shape (the same enum names as the queues and the ledger).</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [
        typeof(CamelCaseEnumConverter<Channel>), typeof(CamelCaseEnumConverter<RuleKind>), typeof(CamelCaseEnumConverter<Core.Events.Touchpoint>),
    ])]
[JsonSerializable(typeof(CommunicationWebhook))]
[JsonSerializable(typeof(SalesAlertWebhook))]
public sealed partial class OutboundJsonContext : JsonSerializerContext;
