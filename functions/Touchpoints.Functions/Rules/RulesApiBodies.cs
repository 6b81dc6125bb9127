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

public sealed record PreviewRequest(JsonElement? Document, IReadOnlyList<string>? CustomerIds, int? Sample);

public sealed record PreviewCustomer(
    string CustomerId, string? Note, IReadOnlyList<Decision> Decisions, IReadOnlyList<CommunicationMessage> Communications,
    IReadOnlyList<SalesAlertMessage> SalesAlerts, DateTimeOffset? NextWakeUp);

public sealed record PreviewBody(string RulesVersion, DateTimeOffset At, IReadOnlyList<PreviewCustomer> Customers, PreviewSummary Summary, string? Note);

public sealed record PreviewSummary(int Customers, int Queued, int Deferred, int Suppressed, int HeldOut, IReadOnlyDictionary<string, int> SuppressedBy);

public sealed record StatsBody(string RuleId, string From, string To, IReadOnlyList<StatsDay> Days, StatsDay Totals, StatsUplift Uplift);
