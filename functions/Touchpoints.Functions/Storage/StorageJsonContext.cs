using System.Text.Json;
using System.Text.Json.Serialization;
using Touchpoints.Core;
using Touchpoints.Core.Events;
using Touchpoints.Core.Ingestion;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Views;

namespace Touchpoints.Functions.Storage;

/// <summary>
/// Everything the app writes outside itself, but for the views (<see cref="CoreJsonContext"/>) and webhook deliveries (their
/// own contract): Cosmos documents, the <c>customer-changes</c> hub's messages and the queues' messages. camelCase, enums as
/// camelCase strings, nulls omitted. Combined with the core's context into <see cref="StorageRegistration.DocumentOptions"/>,
/// with <see cref="Converters"/> added to its options.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [
        typeof(CamelCaseEnumConverter<Channel>), typeof(CamelCaseEnumConverter<RuleKind>), typeof(CamelCaseEnumConverter<DecisionOutcome>),
        typeof(CamelCaseEnumConverter<SuppressionReason>), typeof(CamelCaseEnumConverter<Touchpoint>), typeof(CamelCaseEnumConverter<LifecycleStage>),
    ])]
[JsonSerializable(typeof(IdentityDocument))]
[JsonSerializable(typeof(RejectionDocument))]
[JsonSerializable(typeof(CustomerChanged))]
[JsonSerializable(typeof(IReadOnlyList<CustomerChanged>))]
[JsonSerializable(typeof(RulesVersionDocument))]
[JsonSerializable(typeof(ActiveRulesDocument))]
[JsonSerializable(typeof(SchedulerCursorDocument))]
[JsonSerializable(typeof(WakeUpDocument))]
[JsonSerializable(typeof(WakeUpDocument[]))]
[JsonSerializable(typeof(RuleStatsDocument))]
[JsonSerializable(typeof(RuleStatsDocument[]))]
[JsonSerializable(typeof(RuleStateDocument))]
[JsonSerializable(typeof(Decision))]
[JsonSerializable(typeof(CommunicationMessage))]
[JsonSerializable(typeof(SalesAlertMessage))]
public sealed partial class StorageJsonContext : JsonSerializerContext
{
    /// <summary>The enum converters of this context, for options that combine it with others.</summary>
    public static IEnumerable<JsonConverter> Converters =>
    [
        new CamelCaseEnumConverter<Channel>(), new CamelCaseEnumConverter<RuleKind>(), new CamelCaseEnumConverter<DecisionOutcome>(),
        new CamelCaseEnumConverter<SuppressionReason>(),
    ];
}
