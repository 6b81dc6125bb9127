using System.Text.Json;
using System.Text.Json.Serialization;
using Touchpoints.Core.Events;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Views;

namespace Touchpoints.Core;

/// <summary>
/// Source-generated serialization of the documents the domain owns: no reflection on the hot path, and the document shape
/// (camelCase, enums as camelCase strings, nulls omitted to keep documents small) decided in one place.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [typeof(CamelCaseEnumConverter<LifecycleStage>), typeof(CamelCaseEnumConverter<Touchpoint>), typeof(CamelCaseEnumConverter<ConsentStatus>)])]
[JsonSerializable(typeof(CustomerView))]
[JsonSerializable(typeof(TouchpointView))]
public sealed partial class CoreJsonContext : JsonSerializerContext;

/// <summary>
/// The rules' records as stored and queued — decisions (the ledger), a customer's rule state, the communications and sales
/// alerts on the queues — in the shape of every other document. What reads them outside the handler (the demo's summary,
/// a consumer of the queues) reads them with this context, so the shape has one source.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    Converters = [
        typeof(CamelCaseEnumConverter<Channel>), typeof(CamelCaseEnumConverter<RuleKind>), typeof(CamelCaseEnumConverter<DecisionOutcome>),
        typeof(CamelCaseEnumConverter<SuppressionReason>), typeof(CamelCaseEnumConverter<Touchpoint>), typeof(CamelCaseEnumConverter<LifecycleStage>),
        typeof(CamelCaseEnumConverter<DeliveryStatus>), typeof(CamelCaseEnumConverter<DropReason>),
    ])]
[JsonSerializable(typeof(Decision))]
[JsonSerializable(typeof(DeliveryRecord))]
[JsonSerializable(typeof(RuleState))]
[JsonSerializable(typeof(CommunicationMessage))]
[JsonSerializable(typeof(SalesAlertMessage))]
public sealed partial class DecisionsJsonContext : JsonSerializerContext
{
    /// <summary>The rules' enum converters, for options that combine this context with others.</summary>
    public static IEnumerable<JsonConverter> Converters =>
    [
        new CamelCaseEnumConverter<Channel>(), new CamelCaseEnumConverter<RuleKind>(), new CamelCaseEnumConverter<DecisionOutcome>(),
        new CamelCaseEnumConverter<SuppressionReason>(), new CamelCaseEnumConverter<DeliveryStatus>(), new CamelCaseEnumConverter<DropReason>(),
    ];
}

/// <summary>The incoming wire formats; lenient where producers are (trailing commas, comments).</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    AllowTrailingCommas = true,
    AllowDuplicateProperties = false,
    ReadCommentHandling = JsonCommentHandling.Skip,
    Converters = [typeof(UtcTimestampConverter)])]
[JsonSerializable(typeof(SocialMessage))]
[JsonSerializable(typeof(CrmMessage))]
internal sealed partial class WireJsonContext : JsonSerializerContext;

/// <summary>Enums as camelCase strings (<c>marketingQualified</c>), like every other name in the documents.</summary>
public sealed class CamelCaseEnumConverter<T>() : JsonStringEnumConverter<T>(JsonNamingPolicy.CamelCase) where T : struct, Enum;
