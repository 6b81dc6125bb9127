using System.Text.Json;
using System.Text.Json.Serialization;
using Touchpoints.Core;
using Touchpoints.Core.Events;
using Touchpoints.Core.Ingestion;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Views;

namespace Touchpoints.Functions.Storage;

/// <summary>
/// The documents of the handler's stores and the <c>customer-changes</c> hub's messages; the views
/// (<see cref="CoreJsonContext"/>), the rules' decisions, state and queue messages (<see cref="DecisionsJsonContext"/>) have
/// their shape in the core, and webhook deliveries their own contract. camelCase, enums as camelCase strings, nulls omitted.
/// Combined with the core's contexts into <see cref="StorageRegistration.DocumentOptions"/>.
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
[JsonSerializable(typeof(ErasureDocument))]
[JsonSerializable(typeof(SuppressionDocument))]
public sealed partial class StorageJsonContext : JsonSerializerContext;
