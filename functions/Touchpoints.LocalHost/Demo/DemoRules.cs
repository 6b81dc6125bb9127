using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Azure.Storage.Queues.Models;
using Microsoft.Azure.Cosmos;
using Touchpoints.Core;
using Touchpoints.Core.Rules;
using Touchpoints.FunctionsHost;
using Touchpoints.FunctionsHost.App;
using Touchpoints.FunctionsHost.Emulators;
using Touchpoints.LocalHost.Destination;

namespace Touchpoints.LocalHost.Demo;

/// <summary>The messages of one queue, read without consuming them.</summary>
/// <param name="Approximate">What the queue reports as its approximate message count (visible and invisible); null when the queue does not exist.</param>
/// <param name="Messages">Every visible message, decoded (base64 JSON, as the Functions queue trigger expects).</param>
public sealed record QueueContents(string Queue, int? Approximate, IReadOnlyList<QueuedMessage> Messages);

/// <summary>A message on a queue: its storage id and its JSON body (a communication or a sales alert).</summary>
public sealed record QueuedMessage(string Queue, string MessageId, JsonObject Body)
{
    /// <summary>The ledger id the message carries (consumers deduplicate on it).</summary>
    public string Id => (string?)Body["id"] ?? "";

    public string CustomerId => (string?)Body["customerId"] ?? "";

    public string Template => (string?)Body["template"] ?? "?";

    public string RuleId => (string?)Body["ruleId"] ?? "?";

    public string? Channel => (string?)Body["channel"];

    public IReadOnlyList<string> Reasons => Strings(Body["reasons"]);

    public DateTimeOffset? CreatedAt => DemoRules.Time(Body["createdAt"]);

    internal static IReadOnlyList<string> Strings(JsonNode? node) => node is JsonArray a ? [.. a.Select(x => (string?)x).OfType<string>()] : [];
}

/// <summary>One customer's part of the decision ledger (<c>communications</c>, partition key <c>/customerId</c>).</summary>
/// <param name="Decisions">Every decision recorded for the customer, as the rules wrote it (<see cref="DecisionsJsonContext"/>).</param>
/// <param name="State">The rules' state of the customer (id <c>state</c>): what was sent, what is armed; null when never evaluated.</param>
public sealed record CustomerLedger(string CustomerId, IReadOnlyList<Decision> Decisions, RuleState? State)
{
    /// <summary>
    /// Schedules armed and waiting for their time. None for a profile merged away whose state was handed over
    /// (<see cref="RuleState.MergedInto"/>): its schedules are its survivor's now.
    /// </summary>
    public IReadOnlyList<ArmedSchedule> Armed => State is null || State.MergedInto is not null ? [] : State.Armed;
}

/// <summary>A rule of the active document and its statistics over the demo's days.</summary>
/// <param name="Stats">The body of <c>GET api/manage/rules/{id}/stats</c>: days, totals, uplift.</param>
public sealed record RuleStatistics(string RuleId, string? Kind, string? Description, JsonObject Stats)
{
    public JsonObject Totals => Stats["totals"] as JsonObject ?? [];

    public JsonObject Uplift => Stats["uplift"] as JsonObject ?? [];

    public long Total(string name) => (long?)Totals[name] ?? 0;
}

/// <summary>What running the scheduled rules at the end of the demo did.</summary>
/// <param name="DueNow">Wake-ups due by then but filed in a minute not complete yet, decided at once by <c>POST api/manage/rules/schedules/run</c>.</param>
/// <param name="Overdue">Schedules still armed and due before the run after all that: their wake-ups were not processed.</param>
public sealed record ScheduledRulesRun(int DueNow, int Overdue, IReadOnlyList<CustomerLedger> Ledger)
{
    /// <summary>When the run began: every schedule due by then should have been decided.</summary>
    public DateTimeOffset CheckedAt { get; init; }
}

/// <summary>
/// Reads what the rules functions produced, as a consumer or an operator would: the storage queues (without consuming
/// them), the decision ledger per customer (single-partition queries), the rules management API; and runs the timer's
/// function through the admin API.
/// </summary>
public static class DemoRules
{
    /// <summary>Queue storage peeks at most this many messages at once.</summary>
    private const int PeekLimit = 32;

    private const string ScheduledFunction = "RunScheduledRules";

    private const int LedgerConcurrency = 8;

    /// <summary>
    /// Runs the scheduled rules as the timer does (<c>RunScheduledRules</c> through the host's admin API: complete minutes
    /// only), waits for the settle windows of the newest profiles to end, then decides what is due by now at once (<c>POST api/manage/rules/schedules/run</c>): a schedule due now
    /// (e.g. a cart left days ago in simulated time) is filed in a minute not complete yet, which the timer would read only
    /// once the minute is over. Returns the ledger of <paramref name="customerIds"/> as it is afterwards.
    /// </summary>
    public static async Task<ScheduledRulesRun> RunScheduledRulesAsync(LocalFunctionsHost host, HttpClient http, IReadOnlyCollection<string> customerIds,
        TimeProvider clock, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(customerIds);
        ArgumentNullException.ThrowIfNull(clock);
        await InvokeAsync(host, http, cancellationToken).ConfigureAwait(false);
        // A new profile's change decisions wait out its settle window (Rules__SettleWindow), so that a profile merged away
        // moments later gets nothing of its own: the demo's newest profiles are still settling when its traffic ends. Those
        // windows are real time; the run waits for the last of them to end (at most the window), no longer.
        var settling = (await ReadLedgerAsync(host.Settings, customerIds, cancellationToken).ConfigureAwait(false))
            .SelectMany(l => l.Armed).Where(a => a.Settling).Select(a => a.DueAt).DefaultIfEmpty(DateTimeOffset.MinValue).Max();
        if (settling - clock.GetUtcNow() is { Ticks: > 0 } wait) await Task.Delay(wait, clock, cancellationToken).ConfigureAwait(false);
        var checkedAt = clock.GetUtcNow();
        var text = await RunDueNowAsync(host, http, cancellationToken).ConfigureAwait(false);
        var dueNow = (int?)JsonNode.Parse(text)?["wakeUps"] ?? 0;
        var ledger = await ReadLedgerAsync(host.Settings, customerIds, cancellationToken).ConfigureAwait(false);
        var overdue = ledger.Sum(l => l.Armed.Count(a => a.DueAt <= checkedAt));
        return new ScheduledRulesRun(dueNow, overdue, ledger) { CheckedAt = checkedAt };
    }

    /// <summary>
    /// <c>POST api/manage/rules/schedules/run</c>. A 409 means the timer ran at the same time and moved the cursor: what it
    /// did is done, and the operation asks to be run again, so it is, once the host is idle (a few times at most).
    /// </summary>
    private static async Task<string> RunDueNowAsync(LocalFunctionsHost host, HttpClient http, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var response = await http.PostAsync(new Uri("api/manage/rules/schedules/run", UriKind.Relative), null, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode) return text;
            if (response.StatusCode != HttpStatusCode.Conflict || attempt == 5)
                throw new InvalidOperationException($"POST api/manage/rules/schedules/run answered {(int)response.StatusCode}: {text}");
            await host.WaitForIdleAsync(TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary><c>POST admin/functions/RunScheduledRules</c> with <c>{"input": ""}</c>, then waits until the host is idle.</summary>
    public static async Task InvokeAsync(LocalFunctionsHost host, HttpClient http, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(http);
        using var content = new StringContent("""{"input": ""}""", Encoding.UTF8, "application/json");
        using var response = await http.PostAsync(new Uri("admin/functions/" + ScheduledFunction, UriKind.Relative), content, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode != HttpStatusCode.Accepted)
            throw new InvalidOperationException(
                $"POST admin/functions/{ScheduledFunction} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
        await host.WaitForIdleAsync(TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Every visible message of every rules queue, without consuming any: a peek when the queue holds at most 32 visible
    /// messages (the most a peek returns); otherwise each is received with a short visibility timeout and made visible again
    /// at once. Messages deferred to the end of quiet hours are invisible and so not here (the ledger has them).
    /// </summary>
    public static async Task<IReadOnlyList<QueueContents>> ReadQueuesAsync(AppSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var connection = settings.Get(SettingNames.Storage) ?? throw new InvalidOperationException($"The settings have no {SettingNames.Storage} connection string.");
        var service = new QueueServiceClient(connection, new QueueClientOptions { MessageEncoding = QueueMessageEncoding.Base64 });
        var contents = new List<QueueContents>();
        foreach (var name in Queues.Messages)
            contents.Add(await ReadQueueAsync(service.GetQueueClient(name), cancellationToken).ConfigureAwait(false));
        return contents;
    }

    /// <summary>One queue's visible messages, without consuming them (see <see cref="ReadQueuesAsync"/>).</summary>
    public static async Task<QueueContents> ReadQueueAsync(QueueClient queue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(queue);
        if (!await queue.ExistsAsync(cancellationToken).ConfigureAwait(false)) return new QueueContents(queue.Name, null, []);
        var approximate = (await queue.GetPropertiesAsync(cancellationToken).ConfigureAwait(false)).Value.ApproximateMessagesCount;
        var peeked = (await queue.PeekMessagesAsync(PeekLimit, cancellationToken).ConfigureAwait(false)).Value;
        if (peeked.Length < PeekLimit)
            return new QueueContents(queue.Name, approximate, [.. peeked.Select(m => Message(queue.Name, m.MessageId, m.Body))]);

        // More than a peek shows: receive them all, each hidden for a moment, then make each visible again.
        var received = new List<QueueMessage>();
        try
        {
            while (true)
            {
                var page = (await queue.ReceiveMessagesAsync(PeekLimit, TimeSpan.FromSeconds(60), cancellationToken).ConfigureAwait(false)).Value;
                if (page.Length == 0) break;
                received.AddRange(page);
            }
        }
        finally
        {
            await Parallel.ForEachAsync(received, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = CancellationToken.None }, async (m, ct) =>
                await queue.UpdateMessageAsync(m.MessageId, m.PopReceipt, message: null, visibilityTimeout: TimeSpan.Zero, ct).ConfigureAwait(false))
                .ConfigureAwait(false);
        }

        return new QueueContents(queue.Name, approximate, [.. received.Select(m => Message(queue.Name, m.MessageId, m.Body))]);
    }

    private static QueuedMessage Message(string queue, string messageId, BinaryData body)
    {
        JsonObject json;
        try
        {
            json = JsonNode.Parse(body.ToString()) as JsonObject ?? [];
        }
        catch (JsonException)
        {
            json = new JsonObject { ["unreadable"] = body.ToString() };
        }

        return new QueuedMessage(queue, messageId, json);
    }

    /// <summary>
    /// What the local destination received (<c>GET</c> on its URL, from the app's settings) as messages, each on the queue its
    /// ledger entry names (messages of customers outside <paramref name="ledger"/> on the queue of their route's tier, unknown
    /// here: <c>?</c>). Empty when the app delivers elsewhere.
    /// </summary>
    public static async Task<(IReadOnlyList<QueuedMessage> Messages, DestinationLog? Log)> ReadDeliveredAsync(HttpClient http, AppSettings settings,
        IReadOnlyList<CustomerLedger> ledger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(ledger);
        if (settings[SettingNames.DeliveryDestination(LocalDestination.Name, "Url")] is not { } url) return ([], null);
        var log = await LocalDestination.ReadAsync(http, new Uri(url), cancellationToken).ConfigureAwait(false);
        var queues = ledger.SelectMany(l => l.Decisions).Where(d => d.Queue is not null).GroupBy(d => d.Id, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().Queue!, StringComparer.Ordinal);
        return ([.. log.Messages.Select(m => new QueuedMessage(queues.GetValueOrDefault(m.Id, "?"), m.Id, m.Body))], log);
    }

    /// <summary>
    /// Waits (up to <paramref name="timeout"/>) until every message the ledger of <paramref name="customerIds"/> says was queued
    /// for now has a delivery outcome — delivered, dropped, held or failed: a message that reached its delivery function
    /// before its decision was recorded waits a few seconds on its queue, invisible, and the host counts as idle meanwhile.
    /// Returns the ledger as it is then.
    /// </summary>
    public static async Task<IReadOnlyList<CustomerLedger>> WaitForDeliveriesAsync(LocalFunctionsHost host, IReadOnlyCollection<string> customerIds,
        TimeProvider clock, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(clock);
        var deadline = clock.GetUtcNow() + timeout;
        while (true)
        {
            await host.WaitForIdleAsync(TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);
            var ledger = await ReadLedgerAsync(host.Settings, customerIds, cancellationToken).ConfigureAwait(false);
            var now = clock.GetUtcNow();
            var waiting = ledger.SelectMany(l => l.Decisions).Count(d => AwaitsDelivery(d, now));
            if (waiting == 0 || now >= deadline) return ledger;
            await Task.Delay(TimeSpan.FromMilliseconds(500), clock, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A decision whose message was queued for now and has no delivery outcome yet (a digested alert travels in its lead).</summary>
    public static bool AwaitsDelivery(Decision decision, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(decision);
        return decision.Queue is not null && decision.Outcome is DecisionOutcome.Queued or DecisionOutcome.Deferred && decision.DigestedInto is null
            && decision.NotBefore <= now && decision.Delivery is null && (decision.ExpiresAt is null || decision.ExpiresAt > now);
    }

    /// <summary>
    /// The ledger of each customer: one single-partition query per customer (<c>WHERE c.customerId = @id</c>, the partition
    /// key in the options too), which the emulator can run and which is what a production read of one customer costs.
    /// </summary>
    public static async Task<IReadOnlyList<CustomerLedger>> ReadLedgerAsync(AppSettings settings, IReadOnlyCollection<string> customerIds,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(customerIds);
        using var database = DemoDatabase.Open(settings);
        if (database is null) return [];
        var container = database.Container(Containers.Communications);
        var ledgers = new ConcurrentBag<CustomerLedger>();
        await Parallel.ForEachAsync(customerIds.Distinct(StringComparer.Ordinal),
            new ParallelOptions { MaxDegreeOfParallelism = LedgerConcurrency, CancellationToken = cancellationToken }, async (id, ct) =>
            {
                var decisions = new List<Decision>();
                RuleState? state = null;
                using var query = container.GetItemQueryStreamIterator(
                    new QueryDefinition("SELECT * FROM c WHERE c.customerId = @id").WithParameter("@id", id),
                    requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(id) });
                while (query.HasMoreResults)
                {
                    using var page = await query.ReadNextAsync(ct).ConfigureAwait(false);
                    if (page.StatusCode == HttpStatusCode.NotFound) break;
                    page.EnsureSuccessStatusCode();
                    var node = await JsonNode.ParseAsync(page.Content, cancellationToken: ct).ConfigureAwait(false);
                    foreach (var item in (node?["Documents"] as JsonArray ?? []).OfType<JsonObject>())
                    {
                        // The container holds a customer's rule state (id "state", the state under "state") and its decisions.
                        if ((string?)item["id"] == RuleState.DocumentId) state = item["state"].Deserialize(DecisionsJsonContext.Default.RuleState);
                        else if (item["outcome"] is not null) decisions.Add(item.Deserialize(DecisionsJsonContext.Default.Decision)!);
                    }
                }

                ledgers.Add(new CustomerLedger(id, [.. decisions.OrderBy(d => d.CreatedAt).ThenBy(d => d.Id, StringComparer.Ordinal)], state));
            }).ConfigureAwait(false);
        return [.. ledgers.OrderBy(l => l.CustomerId, StringComparer.Ordinal)];
    }

    /// <summary>
    /// The rules of the active document (<c>GET api/manage/rules</c>) and, for each, <c>GET api/manage/rules/{id}/stats</c>
    /// from <paramref name="from"/> to <paramref name="to"/>.
    /// </summary>
    public static async Task<(string Version, IReadOnlyList<RuleStatistics> Rules)> ReadRuleStatsAsync(HttpClient http, DateOnly from, DateOnly to,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        var active = await GetJsonAsync(http, "api/manage/rules", cancellationToken).ConfigureAwait(false);
        var version = active["version"] is JsonValue v ? "v" + v.ToJsonString() : (string?)active["source"] ?? "?";
        var rules = (active["document"]?["rules"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        var range = string.Create(CultureInfo.InvariantCulture, $"from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}");
        var stats = new List<RuleStatistics>();
        foreach (var rule in rules)
        {
            var id = (string?)rule["id"];
            if (id is null) continue;
            var body = await GetJsonAsync(http, $"api/manage/rules/{Uri.EscapeDataString(id)}/stats?{range}", cancellationToken).ConfigureAwait(false);
            stats.Add(new RuleStatistics(id, (string?)rule["kind"], (string?)rule["description"], body));
        }

        return (version, stats);
    }

    private static async Task<JsonObject> GetJsonAsync(HttpClient http, string path, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative), cancellationToken).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"GET {path} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text) as JsonObject ?? throw new InvalidOperationException($"GET {path} answered with no JSON object: {text}");
    }

    internal static DateTimeOffset? Time(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var s)
        && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t) ? t : null;

}
