using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Touchpoints.Core.Rules;
using Touchpoints.Core;
using Touchpoints.FunctionsHost;
using Touchpoints.FunctionsHost.App;
using Touchpoints.LocalHost.Destination;

namespace Touchpoints.LocalHost.Demo;

/// <summary>What an extension of the demo summary can look at once the traffic has been sent and drained.</summary>
/// <param name="Host">The running local host (its hubs, e.g. <c>Host.ReadEvents("…")</c>, its settings, its status).</param>
/// <param name="Http">A client for the local host's address (HTTP functions under <c>api/</c>, the runtime API).</param>
public sealed record DemoContext(LocalFunctionsHost Host, HttpClient Http, DemoScenario Scenario, IReadOnlyList<DemoCustomer> Customers, TimeProvider Clock);

/// <summary>
/// THE EXTENSION POINT of the demo summary. The summary prints the traffic, the customers, their touch points, lifecycle
/// stages, merges and rejections; whatever this returns is printed after that, one titled block per section, and kept in
/// <see cref="DemoReport.Extensions"/> for tests.
/// </summary>
public static class DemoExtensions
{
    public const string DeliveryTitle = "Communications and alerts delivered";
    public const string SuppressedTitle = "Suppressed and held out";
    public const string StatsTitle = "Rule statistics";
    public const string HistoryTitle = "History";

    private const int Samples = 3;
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>
    /// Collects the extra summary sections: runs the scheduled rules now (the timer's function, through the admin API) so
    /// that schedules that came due are decided, then reads what the rules produced for the demo's customers — the queues
    /// (<see cref="QueuesTitle"/>), the decision ledger (<see cref="SuppressedTitle"/>) — and the management API's
    /// statistics of every rule of the active document (<see cref="StatsTitle"/>).
    /// </summary>
    public static async Task<IReadOnlyList<SummarySection>> CollectAsync(DemoContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        // The demo's customers, and the profiles merged into them (whose ledger stays under their own id).
        var ids = context.Customers.SelectMany(c => c.MergedFrom.Prepend(c.Id)).ToHashSet(StringComparer.Ordinal);
        var scheduled = await DemoRules.RunScheduledRulesAsync(context.Host, context.Http, ids, context.Clock, cancellationToken).ConfigureAwait(false);
        // The last day's messages waited; customers and a marketer change things before they go out.
        var scene = await DemoGuard.PlayAsync(context, scheduled.Ledger, cancellationToken).ConfigureAwait(false);
        // Some of those the rules reached come back and order (more often than those held out): conversions and an uplift.
        var wave = await DemoConversions.SendAsync(context, scheduled, cancellationToken).ConfigureAwait(false);
        scheduled = await DemoRules.RunScheduledRulesAsync(context.Host, context.Http, ids, context.Clock, cancellationToken).ConfigureAwait(false);
        // The delivery functions take the messages off the queues, check each against the customer as it is now, and post
        // it to the destination (locally, the local host's own, which verifies every signature).
        scheduled = scheduled with { Ledger = await DemoRules.WaitForDeliveriesAsync(context.Host, ids, context.Clock, TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false) };
        var (delivered, destination) = await DemoRules.ReadDeliveredAsync(context.Http, context.Host.Settings, scheduled.Ledger, cancellationToken).ConfigureAwait(false);
        var today = DateOnly.FromDateTime(context.Clock.GetUtcNow().UtcDateTime);
        var first = DateOnly.FromDateTime(context.Scenario.Start.UtcDateTime);
        var (version, stats) = await DemoRules.ReadRuleStatsAsync(context.Http, first < today ? first : today, today, cancellationToken).ConfigureAwait(false);
        // Every view rebuilt from its history (a dry run: nothing written) must equal the view ingestion wrote.
        var history = await HistoryRebuilds.RebuildAllAsync(context.Http, dryRun: true, pageSize: 100, onPage: null, cancellationToken).ConfigureAwait(false);

        var people = new Dictionary<string, DemoCustomer>(StringComparer.Ordinal);
        foreach (var customer in context.Customers)
            foreach (var id in customer.MergedFrom.Prepend(customer.Id))
                people.TryAdd(id, customer);
        return
        [
            new SummarySection(DeliveryTitle, DeliveryLines(delivered, destination, context.Host.Settings, scheduled, scene, ids, people, context.Clock.GetUtcNow())),
            new SummarySection(SuppressedTitle, LedgerLines(scheduled)),
            new SummarySection(StatsTitle, [.. StatsLines(version, first, today, stats), ConversionLine(wave), OrderedAgainLine + string.Join(", ", wave.Ordered)]),
            new SummarySection(HistoryTitle,
            [
                "every customer rebuilt from its history (POST api/manage/customers/rebuild?dryRun=true): " + history.Describe(dryRun: true),
                .. history.Refusals.Take(Samples).Select(r => "!! cannot be rebuilt: " + r),
            ]),
        ];
    }

    // ------------------------------------------------------------------ delivery

    /// <summary>The start of the line that counts sales alerts per owner.</summary>
    public const string AlertsPerOwnerLine = "sales alerts per owner";

    /// <summary>The start of the line that tells what changed while the last day's messages waited.</summary>
    public const string HeldLine = "deliveries held during the last day";

    /// <summary>The start of the line that counts messages dropped at send time, by reason.</summary>
    public const string DroppedLine = "dropped at send time";

    private static List<string> DeliveryLines(IReadOnlyList<QueuedMessage> received, DestinationLog? destination, AppSettings settings, ScheduledRulesRun scheduled,
        GuardScene scene, HashSet<string> ids, Dictionary<string, DemoCustomer> people, DateTimeOffset now)
    {
        var lines = new List<string>
        {
            string.Create(Invariant,
                $"RunScheduledRules ran through the host's admin API (complete minutes only); POST api/manage/rules/schedules/run then decided {scheduled.DueNow} wake-ups due by now in the open minute, without waiting for it to end"),
        };
        if (scheduled.Overdue > 0)
        {
            var examples = scheduled.Ledger.SelectMany(l => l.Armed.Where(a => a.DueAt <= scheduled.CheckedAt).Select(a => $"{a.RuleId} of {l.CustomerId} due {a.DueAt:HH:mm:ss}"));
            lines.Add(string.Create(Invariant, $"!! {scheduled.Overdue} schedules are still armed although due before the run: their wake-ups were not processed ({string.Join("; ", examples.Take(5))})"));
        }

        // Each queued decision once: an alert folded into another one's digest travels in that message.
        var queued = scheduled.Ledger.SelectMany(l => l.Decisions)
            .Where(d => d.Queue is not null && d.Outcome is DecisionOutcome.Queued or DecisionOutcome.Deferred && d.DigestedInto is null).ToList();
        var mine = received.Where(m => ids.Contains(m.CustomerId)).OrderBy(m => m.CreatedAt).ThenBy(m => m.Id, StringComparer.Ordinal).ToList();
        var url = settings[SettingNames.DeliveryDestination(LocalDestination.Name, "Url")];
        lines.Add(destination is null
            ? "the app delivers to destinations of its own settings (Delivery__Destinations__*), not to the local destination: the ledger says what became of each message"
            : string.Create(Invariant,
                $"{mine.Count} messages of the demo's customers reached the local destination {url}: signed Standard Webhooks, every signature verified ({destination.Refused} refused), each kept once ({destination.Redelivered} redeliveries recognised by webhook-id)"));

        if (scene.Waiting > 0)
            lines.Add(string.Create(Invariant,
                $"{HeldLine}: {scene.Waiting} messages waited on their queues; meanwhile {scene.Revoked.Count} customers with an email waiting denied email consent through the CRM ({string.Join(", ", scene.Revoked)}){(scene.PausedRule is { } paused ? $" and a marketer paused {paused} ({scene.PausedWaiting} waiting; resumed once delivered)" : "")}"));
        lines.Add(string.Create(Invariant, $"{"queue",-24} {"delivered",9} {"held",5} {"waiting",8} {"dropped",8} {"failed",7}   (the ledger's delivery outcome of each queued message)"));
        foreach (var queue in Queues.Messages)
        {
            var these = queued.Where(d => d.Queue == queue).ToList();
            int Count(DeliveryStatus status) => these.Count(d => d.Delivery?.Status == status);
            var waiting = these.Count(d => d.Delivery is null);
            lines.Add(string.Create(Invariant,
                $"{queue,-24} {Count(DeliveryStatus.Delivered),9} {Count(DeliveryStatus.Held),5} {waiting,8} {Count(DeliveryStatus.Dropped),8} {Count(DeliveryStatus.Failed),7}"));
        }
        var late = queued.Count(d => DemoRules.AwaitsDelivery(d, now));
        if (late > 0) lines.Add(string.Create(Invariant, $"!! {late} messages due by now have no delivery outcome in the ledger"));

        var dropped = queued.Where(d => d.Delivery is { Status: DeliveryStatus.Dropped }).GroupBy(d => JsonNamingPolicy.CamelCase.ConvertName((d.Delivery!.Reason ?? DropReason.Unrecorded).ToString()), StringComparer.Ordinal)
            .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        lines.Add(dropped.Count == 0
            ? $"{DroppedLine}: none (every message still held when it was taken off its queue)"
            : $"{DroppedLine}: " + string.Join(", ", dropped.Select(g => string.Create(Invariant, $"{Words(g.Key)} {g.Count()} ({PerRule(g)})"))));
        foreach (var group in dropped.Take(Samples))
            if (group.Select(d => d.Delivery!.Explanation).OfType<string>().FirstOrDefault() is { } why) lines.Add($"    e.g. \"{why}\"");

        if (destination is not null)
        {
            var deliveredIds = queued.Where(d => d.Delivery?.Status == DeliveryStatus.Delivered).Select(d => d.Id).ToHashSet(StringComparer.Ordinal);
            var receivedIds = mine.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
            var notReceived = deliveredIds.Count(id => !receivedIds.Contains(id));
            var notDelivered = receivedIds.Count(id => !deliveredIds.Contains(id));
            lines.Add(notReceived == 0 && notDelivered == 0
                ? "every message received carries a distinct ledger id whose entry says delivered, and every entry that says delivered was received"
                : string.Create(Invariant, $"!! {notReceived} entries say delivered but were not received; {notDelivered} messages were received whose entry does not say delivered"));
        }

        // One alert per owner: what the owners got, and what the digests and updates saved them.
        var alerts = mine.Where(m => m.Queue == Queues.SalesAlerts || m.Channel is null).ToList();
        var owners = alerts.GroupBy(m => (string?)m.Body["owner"] ?? "(unassigned)", StringComparer.Ordinal).ToList();
        var folded = alerts.Sum(m => (m.Body["digest"] as JsonArray)?.Count ?? 0);
        var updates = alerts.Count(m => m.Body["updates"] is JsonObject);
        lines.Add(owners.Count == 0 ? $"{AlertsPerOwnerLine}: none" : string.Create(Invariant,
            $"{AlertsPerOwnerLine}: {alerts.Count} alerts to {owners.Count(g => g.Key != "(unassigned)")} owners and the unassigned queue, mean {alerts.Count / (double)owners.Count:0.0}, most {owners.Max(g => g.Count())}; {folded} further rules' alerts folded into a digest, {updates} sent as updates of an open alert"));

        foreach (var queue in Queues.Messages)
        {
            var these = mine.Where(m => m.Queue == queue).ToList();
            lines.Add("");
            lines.Add(string.Create(Invariant, $"{queue}: {these.Count} delivered — {PerTemplate(these)}"));
            foreach (var message in Pick(these))
            {
                if (queue == Queues.SalesAlerts) AlertLines(lines, message, people);
                else CommunicationLines(lines, message, people);
            }
        }

        return lines;
    }

    private static string PerTemplate(IEnumerable<QueuedMessage> messages)
    {
        var groups = messages.GroupBy(m => m.Template, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        return groups.Count == 0 ? "none" : string.Join(", ", groups.Select(g => string.Create(Invariant, $"{g.Key} {g.Count()}")));
    }

    /// <summary>Up to <see cref="Samples"/> messages, one per template first (the most frequent templates), oldest first.</summary>
    private static IEnumerable<QueuedMessage> Pick(IReadOnlyList<QueuedMessage> messages)
    {
        var firsts = messages.GroupBy(m => m.Template, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.First()).ToList();
        return firsts.Concat(messages.Except(firsts)).Take(Samples);
    }

    private static void CommunicationLines(List<string> lines, QueuedMessage message, Dictionary<string, DemoCustomer> people)
    {
        var b = message.Body;
        var recipient = b["recipient"] as JsonObject;
        var to = string.Join(" ", new[] { (string?)recipient?["name"], (string?)recipient?["address"] is { } a ? $"<{a}>" : null }.OfType<string>());
        var where = string.Join(", ", new[] { (string?)recipient?["locale"], (string?)recipient?["timezone"] }.OfType<string>());
        lines.Add($"  • {message.Template} by {message.Channel ?? "?"} to {(to.Length > 0 ? to : "(no name or address)")}{(where.Length > 0 ? $" ({where})" : "")}, rule {message.RuleId}");
        lines.Add($"      who: {Who(message.CustomerId, people)}");
        lines.Add($"      why: {string.Join("; ", message.Reasons)}");
        var notBefore = DemoRules.Time(b["notBefore"]);
        var expires = DemoRules.Time(b["expiresAt"]);
        lines.Add($"      id {message.Id}, deliver from {Time(notBefore)}{(expires is null ? "" : $" until {Time(expires)}")}");
    }

    private static void AlertLines(List<string> lines, QueuedMessage message, Dictionary<string, DemoCustomer> people)
    {
        var b = message.Body;
        var customer = b["customer"] as JsonObject;
        var who = string.Join(" ", new[] { (string?)customer?["name"], (string?)customer?["address"] is { } a ? $"<{a}>" : null }.OfType<string>());
        if (who.Length == 0 && people.TryGetValue(message.CustomerId, out var known))
        {
            // Known only on social networks: the handle is what the salesperson has.
            who = string.Join(", ", (known.Section("social")?["handles"] as JsonArray ?? []).OfType<JsonObject>()
                .Select(h => $"@{(string?)h["handle"]} on {(string?)h["network"]}"));
        }

        var owner = (string?)b["owner"] ?? "unassigned (no owner in the CRM)";
        lines.Add($"  • {message.Template} about {(who.Length > 0 ? who : "(no name, address or handle)")}, rule {message.RuleId} — owner {owner}, due {Time(DemoRules.Time(b["due"]))}");
        lines.Add($"      who: {Who(message.CustomerId, people)}");
        lines.Add($"      why: {string.Join("; ", message.Reasons)}");
        if ((string?)b["nextStep"] is { } next) lines.Add($"      next step: {next}");
        var activity = (b["recentActivity"] as JsonArray ?? []).OfType<JsonObject>().Take(3)
            .Select(e => $"{Time(DemoRules.Time(e["at"]))} {(string?)e["touchpoint"]}: {(string?)e["summary"]}").ToList();
        lines.Add("      recent activity: " + (activity.Count > 0 ? string.Join(" | ", activity) : "none"));
        var marketing = (b["recentMarketing"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(m => $"{(string?)m["template"]} by {(string?)m["channel"]} {Time(DemoRules.Time(m["at"]))}").ToList();
        lines.Add("      marketing sent recently: " + (marketing.Count > 0 ? string.Join(", ", marketing) : "nothing in the last 30 days"));
    }

    private static string Who(string customerId, Dictionary<string, DemoCustomer> people) =>
        people.TryGetValue(customerId, out var customer)
            ? $"{customerId}: " + string.Join("; ", customer.People.Select(p => $"#{p.Index} {p.Name}, {p.Story}"))
            : customerId;

    // ------------------------------------------------------------------ ledger

    private static readonly string[] ReasonOrder = ["consent", "noAddress", "cooldown", "frequencyCap", "spacing", "salesOwned", "expired", "audience"];

    /// <summary>The start of the spacing line: marketing messages per customer and day, by when they go out.</summary>
    public const string PerDayLine = "marketing messages per customer and day";

    private static List<string> LedgerLines(ScheduledRulesRun scheduled)
    {
        var decisions = scheduled.Ledger.SelectMany(l => l.Decisions).ToList();
        int Count(DecisionOutcome outcome) => decisions.Count(d => d.Outcome == outcome);
        var lines = new List<string>
        {
            string.Create(Invariant,
                $"{decisions.Count} decisions in the ledger of {scheduled.Ledger.Count(l => l.Decisions.Count > 0)} of the demo's customers: {Count(DecisionOutcome.Queued)} queued, {Count(DecisionOutcome.Deferred)} deferred (quiet hours), {Count(DecisionOutcome.Suppressed)} suppressed, {Count(DecisionOutcome.HeldOut)} held out"),
            string.Create(Invariant, $"{"suppressed because",-20} {"decisions",9}   rules"),
        };
        var suppressed = decisions.Where(d => d.Outcome == DecisionOutcome.Suppressed)
            .GroupBy(d => d.SuppressedBecause is { } reason ? JsonNamingPolicy.CamelCase.ConvertName(reason.ToString()) : "?", StringComparer.Ordinal)
            .OrderBy(g => ReasonRank(g.Key)).ThenBy(g => g.Key, StringComparer.Ordinal).ToList();
        if (suppressed.Count == 0) lines.Add("(nothing suppressed)");
        foreach (var group in suppressed)
        {
            lines.Add(string.Create(Invariant, $"{Words(group.Key),-20} {group.Count(),9}   {PerRule(group)}"));
            if (group.Select(d => d.Explanation).OfType<string>().GroupBy(e => e, StringComparer.Ordinal).OrderByDescending(e => e.Count()).FirstOrDefault() is { } example)
                lines.Add($"{"",-20} {"",9}   e.g. \"{example.Key}\"");
        }

        // What a customer receives: marketing messages (queued or deferred) per customer and calendar day of delivery.
        var perDay = decisions.Where(d => d.Kind == RuleKind.Marketing && d.Outcome is DecisionOutcome.Queued or DecisionOutcome.Deferred)
            .GroupBy(d => (d.CustomerId, Day: DateOnly.FromDateTime(d.NotBefore.UtcDateTime))).Select(g => g.Count()).ToList();
        var spaced = decisions.Count(d => d.Explanation?.StartsWith("spaced: ", StringComparison.Ordinal) == true);
        // Bursts: customers sent two marketing messages (of any rules, exempt ones included) within an hour of each other.
        var bursts = decisions.Where(d => d.Kind == RuleKind.Marketing && d.Outcome is DecisionOutcome.Queued or DecisionOutcome.Deferred)
            .GroupBy(d => d.CustomerId).Count(g => g.OrderBy(d => d.NotBefore).Zip(g.OrderBy(d => d.NotBefore).Skip(1)).Any(p => p.Second.NotBefore - p.First.NotBefore < TimeSpan.FromHours(1)));
        lines.Add(perDay.Count == 0 ? $"{PerDayLine}: none" : string.Create(Invariant,
            $"{PerDayLine}: mean {perDay.Average():0.00}, most {perDay.Max()} ({perDay.Count} customer-days); {bursts} customers got two within an hour; {spaced} spaced to a later slot, {decisions.Count(d => d.SuppressedBecause == SuppressionReason.Spacing)} dropped for want of one"));

        var heldOut = decisions.Where(d => d.Outcome == DecisionOutcome.HeldOut).ToList();
        lines.Add(string.Create(Invariant, $"{"held out",-20} {heldOut.Count,9}   {(heldOut.Count > 0 ? PerRule(heldOut) : "-")}"));
        if (heldOut.Count > 0) lines.Add($"{"",-20} {"",9}   (the rule's hold-out group: decided, counted, not sent, so that conversion can be compared)");

        var armed = scheduled.Ledger.SelectMany(l => l.Armed).ToList();
        if (armed.Count > 0)
        {
            lines.Add(string.Create(Invariant, $"{"still armed",-20} {armed.Count,9}   ") + string.Join(", ", armed.GroupBy(a => a.RuleId, StringComparer.Ordinal)
                .OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => string.Create(Invariant, $"{g.Key} {g.Count()} (due {Time(g.Min(a => a.DueAt))} … {Time(g.Max(a => a.DueAt))})"))));
        }

        return lines;
    }

    private static int ReasonRank(string reason)
    {
        var i = Array.IndexOf<string>(ReasonOrder, reason);
        return i >= 0 ? i : ReasonOrder.Length;
    }

    private static string PerRule(IEnumerable<Decision> decisions) =>
        string.Join(", ", decisions.GroupBy(d => d.RuleId, StringComparer.Ordinal).OrderByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => string.Create(Invariant, $"{g.Key} {g.Count()}")));

    // ------------------------------------------------------------------ rule statistics

    private static List<string> StatsLines(string version, DateOnly from, DateOnly to, IReadOnlyList<RuleStatistics> rules)
    {
        var lines = new List<string>
        {
            string.Create(Invariant,
                $"rules {version}; GET api/manage/rules/{{id}}/stats?from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd} (counted per UTC day of the decision: the demo's all fall today)"),
            string.Create(Invariant,
                $"{"rule",-22} {"eval",5} {"queued",6} {"defer",5} {"suppr",5} {"held",5} {"conv",5}  {"treated conv.",-15} {"hold-out conv.",-15} {"uplift",-10} suppressed by"),
        };
        foreach (var rule in rules)
        {
            var uplift = rule.Uplift;
            var suppressedBy = rule.Totals["suppressedBy"] as JsonObject ?? [];
            var by = string.Join(", ", suppressedBy.Where(p => ((long?)p.Value ?? 0) > 0).OrderByDescending(p => (long?)p.Value)
                .Select(p => string.Create(Invariant, $"{Words(p.Key)} {(long?)p.Value}")));
            var low = (bool?)uplift["lowSample"] == true;
            var holdout = (long?)uplift["holdout"] ?? 0;
            var upliftText = (double?)uplift["absolute"] is { } absolute
                ? string.Create(Invariant, $"{absolute * 100:+0.0;-0.0;0.0} pts{(low ? "*" : "")}")
                : holdout == 0 ? "no hold-out" : "-";
            lines.Add(string.Create(Invariant,
                $"{Clip(rule.RuleId, 22),-22} {rule.Total("evaluated"),5} {rule.Total("queued"),6} {rule.Total("deferred"),5} {rule.Total("suppressed"),5} {rule.Total("heldOut"),5} {rule.Total("converted"),5}  {Rate(uplift, "treatedConverted", "treated", "treatedRate"),-15} {Rate(uplift, "holdoutConverted", "holdout", "holdoutRate"),-15} {upliftText,-10} {(by.Length > 0 ? by : "-")}"));
        }

        var queued = rules.Where(r => r.Total("queued") > 0).Select(r => r.RuleId).ToList();
        lines.Add(string.Create(Invariant, $"{queued.Count} of {rules.Count} rules queued something{(queued.Count > 0 ? ": " + string.Join(", ", queued) : "")}"));
        lines.Add("conv.: the rule's goal event within its attribution window; uplift = treated rate − hold-out rate, in percentage points");
        if (rules.Any(r => (bool?)r.Uplift["lowSample"] == true && r.Uplift["absolute"] is not null))
            lines.Add("* low sample: fewer than 100 treated or held out (or 10 conversions): noise, not a result");
        return lines;
    }

    /// <summary>The start of the conversion wave's line in the statistics.</summary>
    public const string ConversionWaveLine = "conversion wave (simulated)";

    /// <summary>The start of the line naming the customers who ordered again in the conversion wave.</summary>
    public const string OrderedAgainLine = "ordered again: ";

    private static string ConversionLine(ConversionWave wave) => string.Create(Invariant,
        $"{ConversionWaveLine}: {wave.TreatedOrdered} of {wave.Treated} customers a rule with an order goal reached ordered again ({DemoConversions.TreatedRate:P0} chance), {wave.HeldOutOrdered} of {wave.HeldOut} held out only ({DemoConversions.HeldOutRate:P0}); the rules count them as conversions above");

    private static string Rate(JsonObject uplift, string converted, string of, string rate)
    {
        var n = (long?)uplift[of] ?? 0;
        if (n == 0) return "-";
        return string.Create(Invariant, $"{(long?)uplift[converted] ?? 0}/{n} = {((double?)uplift[rate] ?? 0) * 100:0.0}%");
    }

    private static string Clip(string text, int width) => text.Length <= width ? text : text[..(width - 1)] + "…";

    /// <summary>camelCase as words: <c>noAddress</c> → "no address".</summary>
    private static string Words(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) && i > 0 ? " " + char.ToLowerInvariant(c) : c.ToString()));

    private static string Time(DateTimeOffset? at) =>
        at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", Invariant) : "?";
}
