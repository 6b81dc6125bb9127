using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Touchpoints.Core.Rules;
using Touchpoints.LocalHost.Demo;
using Xunit.Abstractions;

namespace Touchpoints.EndToEnd.Tests;

/// <summary>
/// What the rules made of the demo's traffic (the small scenario, fixed seed), read as the receivers and the marketers
/// read it: the messages delivered to the local destination, the decision ledger, the rules management API, and the demo's
/// summary of them.
/// </summary>
[Collection(LocalHostCollection.Name)]
public sealed class DemoRulesTests(LocalHostFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task A_person_who_left_a_cart_gets_a_cart_reminder_by_email_whose_reasons_name_the_cart()
    {
        var (run, messages, ledger) = await OutcomeAsync();

        // Decided for the person (the demo's last scene may pause the rule before its last reminders go out: the guard drops those).
        var reminders = ledger.SelectMany(l => l.Decisions).Where(d => d.RuleId == "abandoned-cart" && d.Outcome is DecisionOutcome.Queued or DecisionOutcome.Deferred).ToList();
        Assert.NotEmpty(reminders);
        Assert.All(reminders, d =>
        {
            Assert.Contains(d.Queue, Queues.Communications);
            Assert.Equal("cart-reminder", d.Template);
            Assert.Equal(Channel.Email, d.Channel);
        });
        bool LeftACart(string customerId) => run.CustomersById.TryGetValue(customerId, out var c) && c.People.Any(p => p.Story.Contains("left a cart", StringComparison.Ordinal));
        var forCartLeavers = reminders.Where(d => LeftACart(d.CustomerId.Value)).ToList();
        Assert.True(forCartLeavers.Count > 0,
            "no cart reminder for a person whose story is 'left a cart'; reminders went to: " + string.Join("; ", reminders.Select(d => $"{d.CustomerId} {string.Join("; ", d.Reasons)}")));
        Assert.Contains(forCartLeavers, d =>
            d.Reasons.Any(r => r.Contains("cart", StringComparison.OrdinalIgnoreCase)) && d.Reasons.Any(r => r.Contains("Product Added", StringComparison.Ordinal)));
        // What was delivered went to the person's address.
        Assert.All(messages.Where(m => m.RuleId == "abandoned-cart" && LeftACart(m.CustomerId)), m =>
            Assert.Contains(People(run, m), p => p.Email == (string?)m.Body["recipient"]?["address"]));
    }

    [Fact]
    public async Task A_buyer_gets_an_order_thank_you_by_email_on_the_high_priority_queue()
    {
        var (run, messages, _) = await OutcomeAsync();

        var thanks = messages.Where(m => m.Template == "order-thank-you").ToList();
        Assert.True(thanks.Count > 0, "no order-thank-you delivered; stories of the demo: "
            + string.Join("; ", run.Report.Scenario.People.Where(p => p.Story.Contains("bought", StringComparison.Ordinal)).Select(p => $"#{p.Index} {p.Story}")));
        Assert.All(thanks, m =>
        {
            Assert.Equal(Queues.CommunicationsHigh, m.Queue);
            Assert.Equal("email", m.Channel);
            // A buyer of the scenario, or a customer who ordered again in the conversion wave at its end.
            Assert.True(People(run, m).Any(p => p.Story.Contains("bought", StringComparison.Ordinal)) || OrderedAgain(run).Contains(m.CustomerId), Describe(run, m));
            Assert.Contains(m.Reasons, r => r.Contains("Order Completed", StringComparison.Ordinal) || r.Contains("order", StringComparison.OrdinalIgnoreCase));
        });
    }

    [Fact]
    public async Task A_detractor_or_a_hot_lead_raises_a_sales_alert_with_an_owner_or_none_a_due_time_and_recent_activity()
    {
        var (run, messages, _) = await OutcomeAsync();

        var alerts = messages.Where(m => m.Queue == Queues.SalesAlerts).ToList();
        Assert.All(alerts, m => Assert.Null(m.Channel));
        var raised = alerts.Where(m => m.RuleId is "detractor-alert" or "hot-lead").ToList();
        Assert.True(raised.Count > 0, "no detractor or hot-lead alert on sales-alerts; alerts: " + string.Join("; ", alerts.Select(m => Describe(run, m))));
        foreach (var alert in raised)
        {
            var customer = run.CustomersById[alert.CustomerId];
            Assert.Contains(customer.People, p => p.Story.Contains(alert.RuleId == "hot-lead" ? "back on pricing" : "detractor", StringComparison.Ordinal));
            // The owner is the CRM's owner of the customer; a customer nobody owns goes to the unassigned queue (no owner).
            var owner = (string?)customer.View["touchpoints"]?["sales"]?["owner"]?["value"];
            Assert.Equal(owner, (string?)alert.Body["owner"]);
            if (alert.RuleId == "hot-lead") Assert.NotNull(owner);
            var created = DateTimeOffset.Parse((string)alert.Body["createdAt"]!, CultureInfo.InvariantCulture);
            var due = DateTimeOffset.Parse((string)alert.Body["due"]!, CultureInfo.InvariantCulture);
            Assert.Equal(alert.RuleId == "hot-lead" ? TimeSpan.FromDays(1) : TimeSpan.FromHours(4), due - created);
            Assert.False(string.IsNullOrWhiteSpace((string?)alert.Body["nextStep"]));
            var activity = Assert.IsType<JsonArray>(alert.Body["recentActivity"]);
            Assert.InRange(activity.Count, 1, 5);
            Assert.All(activity, e => Assert.False(string.IsNullOrWhiteSpace((string?)e?["summary"])));
            Assert.IsType<JsonArray>(alert.Body["recentMarketing"]);
            Assert.NotEmpty(alert.Reasons);
        }
    }

    [Fact]
    public async Task No_email_goes_to_a_person_once_their_email_consent_was_denied()
    {
        var (run, messages, ledger) = await OutcomeAsync();
        var report = run.Report;

        // Each person's email consent changes, in the order of the events' times; the last one decides.
        var denials = report.Scenario.Deliveries
            .Where(d => d.Kind == DeliveryKind.Crm && (string?)d.Body["type"] == "consent.changed" && (string?)d.Body["channel"] == "email" && d.Person is not null)
            .GroupBy(d => d.Person!.Value)
            .Select(g => g.OrderBy(d => d.At).Last())
            .Where(d => (string?)d.Body["status"] == "denied")
            .ToList();
        Assert.True(denials.Count > 0, "the scenario must hold a person whose email consent ends denied");
        var decisions = ledger.SelectMany(l => l.Decisions).ToList();
        foreach (var denial in denials)
        {
            var person = report.Scenario.People[denial.Person!.Value];
            var customers = report.Customers.Where(c => c.People.Contains(person)).ToList();
            Assert.Contains(customers, c => (string?)c.View["consent"]?["email"]?["status"] == "denied");
            // Everything decided after the day of the denial was processed knows of it.
            var knownFrom = report.Days[report.Scenario.DayOf(denial)].DrainedAt;
            var ids = customers.SelectMany(c => c.MergedFrom.Prepend(c.Id)).ToHashSet(StringComparer.Ordinal);
            var emailed = messages.Where(m => ids.Contains(m.CustomerId) && m.Channel == "email" && m.CreatedAt > knownFrom).ToList();
            Assert.True(emailed.Count == 0, $"#{person.Index} {person.Name} ({person.Story}) denied email consent, yet got: {string.Join("; ", emailed.Select(m => Describe(run, m)))}");
            Assert.DoesNotContain(decisions, d => ids.Contains(d.CustomerId) && d.Channel == Channel.Email && d.CreatedAt > knownFrom && d.Outcome is DecisionOutcome.Queued or DecisionOutcome.Deferred);
        }

        // And the ledger says why: at least one email the rules wanted to send was suppressed for consent.
        Assert.Contains(decisions, d => d.Outcome == DecisionOutcome.Suppressed && d.SuppressedBecause == SuppressionReason.Consent && d.Explanation == "email consent is denied");
    }

    [Fact]
    public async Task Every_message_delivered_has_a_distinct_id_whose_ledger_entry_says_delivered_and_every_queued_decision_has_its_delivery_outcome()
    {
        var (run, messages, ledger) = await OutcomeAsync();

        Assert.NotEmpty(messages);
        Assert.Equal(0, fixture.Destination.Log.Refused);
        var duplicates = messages.GroupBy(m => m.Id, StringComparer.Ordinal).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicates.Count == 0, "ids on more than one message: " + string.Join(", ", duplicates));
        Assert.Equal(messages.Count, messages.Select(m => m.MessageId).Distinct(StringComparer.Ordinal).Count());
        var decisions = ledger.SelectMany(l => l.Decisions).ToDictionary(d => d.Id, StringComparer.Ordinal);
        foreach (var message in messages)
        {
            Assert.Matches("^d-[0-9a-f]{24}$", message.Id);
            Assert.True(decisions.TryGetValue(message.Id, out var decision), $"no ledger entry for {Describe(run, message)}");
            Assert.Equal(message.CustomerId, decision.CustomerId);
            Assert.Equal(message.Queue, decision.Queue);
            Assert.Equal(message.RuleId, decision.RuleId);
            Assert.Equal(message.Template, decision.Template);
            Assert.True(decision.Outcome is DecisionOutcome.Queued or DecisionOutcome.Deferred, $"{message.Id} is {decision.Outcome} in the ledger");
            Assert.True(decision.Delivery?.Status == DeliveryStatus.Delivered, $"{message.Id} was received, but its entry says {decision.Delivery}");
        }

        // The other way round: what the ledger says was queued for now was delivered (and received), or dropped or held with
        // its reason (deferred ones wait on their queue, invisible until their time). An alert folded into another one's
        // digest (one alert per owner) travels in that message.
        var now = DateTimeOffset.UtcNow;
        var received = messages.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        var due = decisions.Values.Where(d => d.Queue is not null && d.Outcome is DecisionOutcome.Queued or DecisionOutcome.Deferred && d.DigestedInto is null && d.NotBefore <= now).ToList();
        var missing = due.Where(d => d.Delivery is null && (d.ExpiresAt is null || d.ExpiresAt > now)).ToList();
        Assert.True(missing.Count == 0, "queued in the ledger, with no delivery outcome: " + string.Join("; ", missing.Select(d => $"{d.Id} {d.RuleId} {d.Queue} {d.Outcome}")));
        var lost = due.Where(d => d.Delivery?.Status == DeliveryStatus.Delivered && !received.Contains(d.Id)).ToList();
        Assert.True(lost.Count == 0, "delivered in the ledger, never received: " + string.Join("; ", lost.Select(d => $"{d.Id} {d.RuleId}")));
        Assert.All(due.Where(d => d.Delivery?.Status == DeliveryStatus.Dropped), d => Assert.False(string.IsNullOrWhiteSpace(d.Delivery!.Explanation)));
    }

    [Fact]
    public async Task The_summary_shows_the_deliveries_the_suppressions_and_statistics_of_every_rule()
    {
        var run = await fixture.DemoAsync();
        var summary = run.Summary;

        foreach (var title in new[] { DemoExtensions.DeliveryTitle, DemoExtensions.SuppressedTitle, DemoExtensions.StatsTitle })
        {
            Assert.Contains($"── {title} ", summary, StringComparison.Ordinal);
            Assert.NotEmpty(run.Section(title).Lines);
        }

        var delivery = run.Section(DemoExtensions.DeliveryTitle).Lines;
        foreach (var queue in Queues.Messages)
            Assert.Contains(delivery, l => l.StartsWith(queue + ": ", StringComparison.Ordinal));
        Assert.Contains(delivery, l => l.Contains("every signature verified (0 refused)", StringComparison.Ordinal));
        Assert.Contains(delivery, l => l.Contains("why: ", StringComparison.Ordinal));
        Assert.Contains(delivery, l => l.Contains("next step: ", StringComparison.Ordinal));
        Assert.Contains(delivery, l => l.Contains("marketing sent recently: ", StringComparison.Ordinal));
        Assert.Contains(delivery, l => l.Contains("every message received carries a distinct ledger id whose entry says delivered", StringComparison.Ordinal));
        // The last day's messages waited; a marketer paused a rule meanwhile, and the guard dropped its messages at send time.
        Assert.Contains(delivery, l => l.StartsWith(DemoExtensions.HeldLine, StringComparison.Ordinal) && l.Contains("a marketer paused", StringComparison.Ordinal));
        Assert.Contains(delivery, l => l.StartsWith(DemoExtensions.DroppedLine, StringComparison.Ordinal) && l.Contains("rule paused", StringComparison.Ordinal));
        Assert.Contains(delivery, l => l.StartsWith(DemoExtensions.AlertsPerOwnerLine, StringComparison.Ordinal));
        Assert.DoesNotContain(delivery, l => l.StartsWith("!!", StringComparison.Ordinal));
        Assert.Contains(run.Section(DemoExtensions.SuppressedTitle).Lines, l => l.TrimStart().StartsWith("consent ", StringComparison.Ordinal));

        // Every rule of the active document has a row, and the figures are the management API's.
        var stats = run.Section(DemoExtensions.StatsTitle).Lines;
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var (_, rules) = await DemoRules.ReadRuleStatsAsync(fixture.Http, DateOnly.FromDateTime(run.Report.Scenario.Start.UtcDateTime), today, CancellationToken.None);
        Assert.True(rules.Count >= 10, $"{rules.Count} rules in the active document");
        foreach (var rule in rules) Assert.Contains(stats, l => l.StartsWith(rule.RuleId.Length > 22 ? rule.RuleId[..21] : rule.RuleId + " ", StringComparison.Ordinal));
        Assert.Contains(rules, r => r.Total("queued") > 0);
        // The conversion wave: customers who ordered again after a rule reached them (or held them out) are conversions.
        Assert.Contains(stats, l => l.StartsWith(DemoExtensions.ConversionWaveLine, StringComparison.Ordinal));
        Assert.Contains(rules, r => r.Total("converted") > 0);
        Assert.Contains(run.Section(DemoExtensions.SuppressedTitle).Lines, l => l.StartsWith(DemoExtensions.PerDayLine, StringComparison.Ordinal));
        Assert.Contains(rules, r => r.RuleId == "abandoned-cart" && r.Total("evaluated") > 0 && r.Total("queued") + r.Total("heldOut") > 0);
        Assert.Contains(stats, l => l.StartsWith("abandoned-cart ", StringComparison.Ordinal) && l.Contains('%', StringComparison.Ordinal));
    }

    [Fact]
    public async Task Replaying_the_customer_changes_hub_delivers_nothing_new()
    {
        await fixture.DemoAsync();
        var hub = JsonNode.Parse(await fixture.Http.GetStringAsync(new Uri("runtime/hubs/" + Hubs.CustomerChanges, UriKind.Relative)))!.AsArray().OfType<JsonObject>().ToList();
        Assert.NotEmpty(hub);
        // Every customer the hub names (the demo's and the other tests'): their schedules that came due are decided first.
        var customers = hub.Select(e => (string?)JsonNode.Parse((string)e["body"]!)?["customerId"]).OfType<string>().ToHashSet(StringComparer.Ordinal);
        var before = await SnapshotAsync(customers, settle: true);

        foreach (var group in hub.GroupBy(e => (string?)e["partitionKey"]))
        {
            var bodies = new JsonArray([.. group.Select(e => (JsonNode)JsonValue.Create((string)e["body"]!))]);
            var path = "runtime/hubs/" + Hubs.CustomerChanges + (group.Key is null ? "" : "?partitionKey=" + Uri.EscapeDataString(group.Key));
            using var content = new StringContent(bodies.ToJsonString(), Encoding.UTF8, "application/json");
            using var response = await fixture.Http.PostAsync(new Uri(path, UriKind.Relative), content);
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        await fixture.IdleAsync();
        Assert.Equal(2 * hub.Count, await fixture.HubCountAsync(Hubs.CustomerChanges));
        var after = await SnapshotAsync(customers, settle: true);

        output.WriteLine($"replayed {hub.Count} customer-changes of {customers.Count} customers; {before.Messages.Count} messages and {before.Decisions.Count} decisions before and after");
        Assert.NotEmpty(before.Messages);
        Assert.Equal(before.Counts, after.Counts);
        Assert.Equal(before.Messages, after.Messages);
        Assert.Equal(before.Decisions, after.Decisions);
    }

    private sealed record Snapshot(IReadOnlyList<string> Counts, IReadOnlyList<string> Messages, IReadOnlyList<string> Decisions);

    private async Task<Snapshot> SnapshotAsync(IReadOnlyCollection<string> customers, bool settle)
    {
        IReadOnlyList<CustomerLedger> ledger = settle
            ? (await DemoRules.RunScheduledRulesAsync(fixture.Host, fixture.Http, customers, TimeProvider.System, CancellationToken.None)).Ledger
            : await DemoRules.ReadLedgerAsync(fixture.Host.Settings, customers, CancellationToken.None);
        ledger = await DemoRules.WaitForDeliveriesAsync(fixture.Host, customers, TimeProvider.System, TimeSpan.FromMinutes(1), CancellationToken.None);
        var queues = await DemoRules.ReadQueuesAsync(fixture.Host.Settings, CancellationToken.None);
        var (delivered, log) = await DemoRules.ReadDeliveredAsync(fixture.Http, fixture.Host.Settings, ledger, CancellationToken.None);
        return new Snapshot(
            [.. queues.Select(q => $"{q.Queue}: {q.Messages.Count} visible"), $"redelivered {log!.Redelivered}"],
            [.. delivered.Select(m => $"{m.Queue} {m.Id}").Order(StringComparer.Ordinal)],
            [.. ledger.SelectMany(l => l.Decisions).Select(d => $"{d.Id} {d.Outcome} {d.Delivery?.Status}").Order(StringComparer.Ordinal)]);
    }

    /// <summary>The shared demo run, the messages of its customers delivered to the local destination, and their ledger.</summary>
    private async Task<(DemoRun Run, IReadOnlyList<QueuedMessage> Messages, IReadOnlyList<CustomerLedger> Ledger)> OutcomeAsync()
    {
        var run = await fixture.DemoAsync();
        var ledger = await DemoRules.WaitForDeliveriesAsync(fixture.Host, [.. run.CustomersById.Keys], TimeProvider.System, TimeSpan.FromMinutes(1), CancellationToken.None);
        var (delivered, _) = await DemoRules.ReadDeliveredAsync(fixture.Http, fixture.Host.Settings, ledger, CancellationToken.None);
        var messages = delivered.Where(m => run.CustomersById.ContainsKey(m.CustomerId)).ToList();
        output.WriteLine(string.Join(Environment.NewLine, run.Report.Extensions.SelectMany(s => s.Lines.Prepend("── " + s.Title))));
        return (run, messages, ledger);
    }

    private static HashSet<string> OrderedAgain(DemoRun run) =>
        [.. run.Section(DemoExtensions.StatsTitle).Lines.Single(l => l.StartsWith(DemoExtensions.OrderedAgainLine, StringComparison.Ordinal))
            [DemoExtensions.OrderedAgainLine.Length..].Split(", ", StringSplitOptions.RemoveEmptyEntries)];

    private static IReadOnlyList<DemoPerson> People(DemoRun run, QueuedMessage message) =>
        run.CustomersById.TryGetValue(message.CustomerId, out var customer) ? customer.People : [];

    private static string Describe(DemoRun run, QueuedMessage m) =>
        $"{m.Template} ({m.RuleId}) on {m.Queue} to {m.CustomerId} [{string.Join(", ", People(run, m).Select(p => $"#{p.Index} {p.Story}"))}]: {string.Join("; ", m.Reasons)}";
}

/// <summary>Reading a queue for the summary and the tests must leave it as it was: consumers come after.</summary>
[Collection(LocalHostCollection.Name)]
public sealed class QueueReadingTests(LocalHostFixture fixture)
{
    [Fact]
    public async Task A_queue_of_more_than_a_peek_is_read_whole_and_every_message_stays_visible_and_intact()
    {
        var options = new Azure.Storage.Queues.QueueClientOptions { MessageEncoding = Azure.Storage.Queues.QueueMessageEncoding.Base64 };
        var queue = new Azure.Storage.Queues.QueueClient(fixture.Setting(SettingNames.Storage), "demo-read-" + Guid.NewGuid().ToString("N")[..8], options);
        await queue.CreateAsync();
        try
        {
            var sent = Enumerable.Range(0, 75).Select(i => new JsonObject { ["id"] = $"d-{i:x24}", ["customerId"] = "c-test", ["template"] = "t" + (i % 3) }.ToJsonString()).ToList();
            foreach (var body in sent) await queue.SendMessageAsync(body);
            // One invisible message (a deferred one): not read, not disturbed.
            await queue.SendMessageAsync(new JsonObject { ["id"] = "d-deferred" }.ToJsonString(), TimeSpan.FromHours(1));

            var first = await DemoRules.ReadQueueAsync(queue, CancellationToken.None);
            var second = await DemoRules.ReadQueueAsync(queue, CancellationToken.None);

            Assert.Equal(76, first.Approximate);
            Assert.Equal(sent.Order(StringComparer.Ordinal), first.Messages.Select(m => m.Body.ToJsonString()).Order(StringComparer.Ordinal));
            Assert.Equal(first.Messages.Select(m => m.Body.ToJsonString()).Order(StringComparer.Ordinal), second.Messages.Select(m => m.Body.ToJsonString()).Order(StringComparer.Ordinal));
            Assert.Equal(32, (await queue.PeekMessagesAsync(32)).Value.Length);
            Assert.Equal(76, (await queue.GetPropertiesAsync()).Value.ApproximateMessagesCount);
        }
        finally
        {
            await queue.DeleteAsync();
        }
    }
}
