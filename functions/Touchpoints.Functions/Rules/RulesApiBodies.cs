using System.Text.Json;
using System.Text.Json.Nodes;
using Touchpoints.Core.Rules;
using Touchpoints.Functions.Storage;

namespace Touchpoints.Functions.Rules;

/// <summary>
/// What <c>POST manage/rules/schedules/run</c> did: the buckets read (<c>{minute}|{shard}</c> of the first and last), the
/// wake-ups taken, the customers evaluated, the messages queued, and the wake-ups dropped (their evaluation failed for good).
/// </summary>
public sealed record ScheduleRunBody(string? From, string? To, int Buckets, int WakeUps, int Customers, int Sent, int Dropped);

// The management API's request and response bodies.

public sealed record RuleErrorBody(string Path, int? Line, int? Column, string Message)
{
    public static RuleErrorBody From(RuleError e) => new(e.Path, e.Line, e.Column, e.Message);
}

public sealed record RulesInvalidBody(string Error, string Message, IReadOnlyList<RuleErrorBody> Errors);

public sealed record RulesValidBody(bool Valid, int Rules, int Segments);

public sealed record ActiveRulesBody(
    int? Version, string Source, string? Author, string? Comment, DateTimeOffset? CreatedAt, int? RolledBackFrom, JsonNode? Document, string Text);

public sealed record RulesVersionsBody(int? Active, IReadOnlyList<RulesVersionSummary> Versions);

/// <summary>A line of a diff between two versions' texts: <c>=</c> in both, <c>-</c> only in the older, <c>+</c> only in the newer.</summary>
public sealed record RulesDiffLine(string Op, string Text);

/// <summary>What changed from one version to another, line by line, and the same as a unified-style text.</summary>
public sealed record RulesDiffBody(int From, int To, int Added, int Removed, IReadOnlyList<RulesDiffLine> Lines, string Text);

/// <summary>Every active rule's stats over one range of days: what <c>GET …/{id}/stats</c> answers, for all of them at once.</summary>
public sealed record AllStatsBody(string RulesVersion, string From, string To, IReadOnlyList<StatsBody> Rules);

/// <param name="Seed">Draws the same sample again (the answer names the seed it used).</param>
public sealed record PreviewRequest(JsonElement? Document, IReadOnlyList<string>? CustomerIds, int? Sample, int? Seed = null);

public sealed record PreviewCustomer(
    string CustomerId, string? Note, IReadOnlyList<Decision> Decisions, IReadOnlyList<CommunicationMessage> Communications,
    IReadOnlyList<SalesAlertMessage> SalesAlerts, DateTimeOffset? NextWakeUp);

/// <param name="Customers">Examples: every customer named, or the first of a sample with a decision (at most 25).</param>
/// <param name="Audience">For a sample: how many customers there are, and per rule how many of them would get what, and why not.</param>
public sealed record PreviewBody(
    string RulesVersion, DateTimeOffset At, IReadOnlyList<PreviewCustomer> Customers, PreviewSummary Summary, string? Note, PreviewAudience? Audience = null);

/// <summary>
/// A sampled preview scaled to every live customer: <paramref name="Population"/> is estimated from the sample (exact when
/// the sample holds all of them), each rule's counts are the sample's scaled by population / sample.
/// </summary>
public sealed record PreviewAudience(int Seed, int Sampled, long? Population, bool Exact, IReadOnlyList<RuleAudience> Rules);

/// <summary>
/// One rule over a sample: of <c>Sampled</c> customers, how many its trigger and conditions select, and of those how many
/// would be sent to (queued now or deferred to a later slot), held out, or suppressed and why; <c>Estimated…</c> scale the
/// sample to the population, with the 95 % margin of the share that would be reached.
/// </summary>
public sealed record RuleAudience(
    string RuleId, string? Channel, bool Paused, int Selected, int WouldReceive, int Deferred, int HeldOut, int Suppressed,
    IReadOnlyDictionary<string, int> SuppressedBy, long? EstimatedSelected, long? EstimatedReceive, double ReceiveShare, double ReceiveShareMargin);

public sealed record PreviewSummary(int Customers, int Queued, int Deferred, int Suppressed, int HeldOut, IReadOnlyDictionary<string, int> SuppressedBy);

public sealed record StatsBody(string RuleId, string From, string To, IReadOnlyList<StatsDay> Days, StatsDay Totals, StatsUplift Uplift);
