using System.Collections.Immutable;
using System.Globalization;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Rules;

namespace Touchpoints.Functions.Storage;

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
public sealed record WakeUpDocument(string Id, string Bucket, CustomerId CustomerId, DateTimeOffset DueAt, DateTimeOffset WrittenAt, int Ttl);

/// <summary>Per rule and day (id <c>{ruleId}:{yyyy-MM-dd}</c>, partition key <c>/ruleId</c>): counters patched by increments.</summary>
public sealed record RuleStatsDocument(string Id, string RuleId, string Day, Dictionary<string, long> Counters)
{
    public static string IdFor(string ruleId, DateOnly day) => $"{ruleId}:{DayName(day)}";

    public static string DayName(DateOnly day) => day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture);
}

/// <summary>
/// A customer's <see cref="RuleState"/> in <c>communications</c> (id <c>state</c>, partition key <c>/customerId</c>). It never
/// expires (<c>ttl</c> -1: caps, cooldowns and decided ids hold for the customer's life), while the ledger entries beside
/// it do, after the container's default time to live.
/// </summary>
public sealed record RuleStateDocument(string Id, CustomerId CustomerId, RuleState State)
{
    public int Ttl { get; init; } = -1;
}
