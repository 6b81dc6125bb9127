using System.Text.Json;
using System.Text.Json.Serialization;
using Touchpoints.Core.Events;
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

/// <summary>The incoming wire formats; lenient where producers are (trailing commas, comments).</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    AllowTrailingCommas = true,
    AllowDuplicateProperties = false,
    ReadCommentHandling = JsonCommentHandling.Skip,
    Converters = [typeof(UtcTimestampConverter)])]
[JsonSerializable(typeof(SegmentMessage))]
[JsonSerializable(typeof(SocialMessage))]
[JsonSerializable(typeof(CrmMessage))]
internal sealed partial class WireJsonContext : JsonSerializerContext;

/// <summary>Enums as camelCase strings (<c>marketingQualified</c>), like every other name in the documents.</summary>
public sealed class CamelCaseEnumConverter<T>() : JsonStringEnumConverter<T>(JsonNamingPolicy.CamelCase) where T : struct, Enum;
