using System.Text.Json;
using System.Text.Json.Serialization;
using Touchpoints.Core;
using Touchpoints.Core.Events;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Views;
using Touchpoints.Functions.Storage;

namespace Touchpoints.Functions.Rules;

/// <summary>
/// The bodies of the rules' admin API: camelCase, enums as camelCase strings, nulls omitted, as the documents they show
/// (<see cref="StorageJsonContext"/>).
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [
        typeof(CamelCaseEnumConverter<Channel>), typeof(CamelCaseEnumConverter<RuleKind>), typeof(CamelCaseEnumConverter<DecisionOutcome>),
        typeof(CamelCaseEnumConverter<SuppressionReason>), typeof(CamelCaseEnumConverter<Touchpoint>), typeof(CamelCaseEnumConverter<LifecycleStage>),
    ])]
[JsonSerializable(typeof(RulesInvalidBody))]
[JsonSerializable(typeof(RulesValidBody))]
[JsonSerializable(typeof(ActiveRulesBody))]
[JsonSerializable(typeof(RulesVersionsBody))]
[JsonSerializable(typeof(RulesDiffBody))]
[JsonSerializable(typeof(AllStatsBody))]
[JsonSerializable(typeof(PreviewRequest))]
[JsonSerializable(typeof(PreviewBody))]
[JsonSerializable(typeof(StatsBody))]
[JsonSerializable(typeof(ScheduleRunBody))]
public sealed partial class RulesJsonContext : JsonSerializerContext;
