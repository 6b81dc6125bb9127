using System.Collections.Immutable;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Touchpoints.Core;
using Touchpoints.Core.Events;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Views;

namespace Touchpoints.Functions.Rules;

/// <summary>Settings <c>Rules__*</c>.</summary>
public sealed class RulesOptions
{
    public const string Section = "Rules";

    /// <summary>How long an instance keeps the active rules before it looks for a newer version (a new version is used within this).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long decisions of a new profile wait (processing time since its first evaluation), so that a profile merged away
    /// moments later — an anonymous visitor who identifies, a webhook racing the web events — never gets messages of its
    /// own: the survivor decides them, knowing the whole customer. Zero: decide at once.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan SettleWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Create the communication queues at start (locally); in Azure the infrastructure owns them.</summary>
    public bool CreateQueues { get; set; }
}

/// <summary>One version of the rules document in <c>config</c> (id <c>rules-v{n}</c>): immutable once written.</summary>
public sealed record RulesVersionDocument(
    string Id, int Version, string Author, string? Comment, DateTimeOffset CreatedAt, string Text, int? RolledBackFrom = null)
{
    public static string IdFor(int version) => "rules-v" + version.ToString(CultureInfo.InvariantCulture);

    public RulesVersionSummary Summary => new(Version, Author, Comment, CreatedAt, RolledBackFrom);
}

public sealed record RulesVersionSummary(int Version, string Author, string? Comment, DateTimeOffset CreatedAt, int? RolledBackFrom);

/// <summary>
/// The pointer to the active version (id <c>rules-active</c>), with the summaries of every version so that listing them is one
/// point read (the container is partitioned by id). Moved only with its ETag.
/// </summary>
public sealed record ActiveRulesDocument(string Id, int Version, int Latest, ImmutableArray<RulesVersionSummary> Versions, DateTimeOffset UpdatedAt)
{
    public const string DocumentId = "rules-active";

    /// <summary>The summaries kept in the pointer; older versions stay readable by number.</summary>
    public const int SummaryLimit = 1000;
}

/// <summary>The last wake-up bucket the timer finished (id <c>scheduler-cursor</c> in <c>config</c>).</summary>
public sealed record SchedulerCursorDocument(string Id, string LastBucket, DateTimeOffset UpdatedAt)
{
    public const string DocumentId = "scheduler-cursor";
}

/// <summary>A customer to evaluate at a due time, in <c>wakeups</c> (partition key <c>/bucket</c>: due minute and shard).</summary>
public sealed record WakeUpDocument(string Id, string Bucket, string CustomerId, DateTimeOffset DueAt, DateTimeOffset WrittenAt, int Ttl);

/// <summary>Per rule and day (id <c>{ruleId}:{yyyy-MM-dd}</c>, partition key <c>/ruleId</c>): counters patched by increments.</summary>
public sealed record RuleStatsDocument(string Id, string RuleId, string Day, Dictionary<string, long> Counters)
{
    public static string IdFor(string ruleId, DateOnly day) => $"{ruleId}:{DayName(day)}";

    public static string DayName(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

/// <summary>A customer's <see cref="RuleState"/> in <c>communications</c> (id <c>state</c>, partition key <c>/customerId</c>).</summary>
public sealed record RuleStateDocument(string Id, string CustomerId, RuleState State);

// ------------------------------------------------------------------ the admin API's shapes

public sealed record RuleErrorBody(string Path, int? Line, int? Column, string Message)
{
    public static RuleErrorBody From(RuleError e) => new(e.Path, e.Line, e.Column, e.Message);
}

public sealed record RulesInvalidBody(string Error, string Message, IReadOnlyList<RuleErrorBody> Errors);

public sealed record RulesValidBody(bool Valid, int Rules, int Segments);

public sealed record ActiveRulesBody(
    int? Version, string Source, string? Author, string? Comment, DateTimeOffset? CreatedAt, int? RolledBackFrom, JsonNode? Document, string Text);

public sealed record RulesVersionsBody(int? Active, IReadOnlyList<RulesVersionSummary> Versions);

public sealed record PreviewRequest(JsonElement? Document, IReadOnlyList<string>? CustomerIds, int? Sample);

public sealed record PreviewCustomer(
    string CustomerId, string? Note, IReadOnlyList<Decision> Decisions, IReadOnlyList<CommunicationMessage> Communications,
    IReadOnlyList<SalesAlertMessage> SalesAlerts, DateTimeOffset? NextWakeUp);

public sealed record PreviewBody(string RulesVersion, DateTimeOffset At, IReadOnlyList<PreviewCustomer> Customers, PreviewSummary Summary, string? Note);

public sealed record PreviewSummary(int Customers, int Queued, int Deferred, int Suppressed, int HeldOut, IReadOnlyDictionary<string, int> SuppressedBy);

public sealed record StatsBody(string RuleId, string From, string To, IReadOnlyList<StatsDay> Days, StatsDay Totals, StatsUplift Uplift);

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
