using System.Text.Json;
using System.Text.Json.Serialization;
using Touchpoints.Core;
using Touchpoints.Core.Events;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Views;

namespace Touchpoints.Functions.Rules;

/// <summary>
/// The rules functions' documents, queue messages and API bodies: camelCase, enums as camelCase strings, nulls omitted.
/// Combined into <see cref="Cosmos.CosmosRegistration.DocumentOptions"/>, with <see cref="Converters"/> added to its options.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [
        typeof(CamelCaseEnumConverter<Channel>), typeof(CamelCaseEnumConverter<RuleKind>), typeof(CamelCaseEnumConverter<DecisionOutcome>),
        typeof(CamelCaseEnumConverter<SuppressionReason>), typeof(CamelCaseEnumConverter<Touchpoint>), typeof(CamelCaseEnumConverter<LifecycleStage>),
    ])]
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
[JsonSerializable(typeof(RulesInvalidBody))]
[JsonSerializable(typeof(RulesValidBody))]
[JsonSerializable(typeof(ActiveRulesBody))]
[JsonSerializable(typeof(RulesVersionsBody))]
[JsonSerializable(typeof(PreviewRequest))]
[JsonSerializable(typeof(PreviewBody))]
[JsonSerializable(typeof(StatsBody))]
public sealed partial class RulesJsonContext : JsonSerializerContext
{
    /// <summary>The enum converters of this context, for options that combine it with others.</summary>
    public static IEnumerable<JsonConverter> Converters =>
    [
        new CamelCaseEnumConverter<Channel>(), new CamelCaseEnumConverter<RuleKind>(), new CamelCaseEnumConverter<DecisionOutcome>(),
        new CamelCaseEnumConverter<SuppressionReason>(),
    ];
}
