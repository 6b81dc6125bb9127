using System.Globalization;
using System.Text.Json.Nodes;
using Touchpoints.Core.Rules;
using Touchpoints.FunctionsHost;

namespace Touchpoints.LocalHost.Demo;

/// <summary>How many customers the conversion wave made order, out of how many, treated and held out.</summary>
/// <param name="Ordered">The customers who ordered again in the wave.</param>
public sealed record ConversionWave(int Treated, int TreatedOrdered, int HeldOut, int HeldOutOrdered, IReadOnlyList<string> Ordered);

/// <summary>
/// After the rules decided, some customers come back and order — more often those a rule sent something to than those it
/// held out (a simulated effect: 30 % against 12 %, seeded), so that the rule statistics show conversions of both groups
/// and an uplift, as a marketer would read them after a campaign. The orders go through the collector like any other
/// event; the rules count them as conversions of the goals awaiting them.
/// </summary>
public static class DemoConversions
{
    public const double TreatedRate = 0.30;
    public const double HeldOutRate = 0.12;
    private const string Goal = "web.track.Order Completed";

    public static async Task<ConversionWave> SendAsync(DemoContext context, ScheduledRulesRun scheduled, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(scheduled);
        var owners = new Dictionary<string, DemoCustomer>(StringComparer.Ordinal);
        foreach (var customer in context.Customers)
            foreach (var id in customer.MergedFrom.Prepend(customer.Id))
                owners.TryAdd(id, customer);
        // Per customer: treated by some rule with this goal, or only held out.
        var awaiting = scheduled.Ledger.SelectMany(l => l.Decisions)
            .Where(d => d.Goal == Goal && d.Outcome is DecisionOutcome.Queued or DecisionOutcome.Deferred or DecisionOutcome.HeldOut && owners.ContainsKey(d.CustomerId))
            .GroupBy(d => owners[d.CustomerId].Id, StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (Customer: owners[g.Key], Treated: g.Any(d => d.Outcome != DecisionOutcome.HeldOut)))
            .ToList();
        var random = new Random(context.Scenario.People.Count * 7919 + context.Scenario.Days);
        var now = context.Clock.GetUtcNow();
        var orders = new List<JsonObject>();
        var ordered = new List<string>();
        int treated = 0, treatedOrdered = 0, heldOut = 0, heldOutOrdered = 0;
        foreach (var (customer, isTreated) in awaiting)
        {
            var person = customer.People[0];
            var orders_ = random.NextDouble() < (isTreated ? TreatedRate : HeldOutRate);
            // Under an identifier the customer already has, so the order links nothing new.
            var keys = customer.View["identities"] is JsonArray a ? a.Select(k => (string?)k).OfType<string>().ToArray() : [];
            var (field, value) = keys.FirstOrDefault(k => k.StartsWith("userId:", StringComparison.Ordinal)) is { } user ? ("userId", user["userId:".Length..])
                : keys.FirstOrDefault(k => k.StartsWith("anonymousId:", StringComparison.Ordinal)) is { } anonymous ? ("anonymousId", anonymous["anonymousId:".Length..])
                : (null, null);
            if (field is null) continue;
            ordered.Add(customer.Id);
            if (isTreated) { treated++; if (orders_) treatedOrdered++; }
            else { heldOut++; if (orders_) heldOutOrdered++; }
            if (!orders_) continue;
            var total = 40 + random.Next(0, 160);
            orders.Add(new JsonObject
            {
                ["type"] = "track",
                ["event"] = "Order Completed",
                ["messageId"] = $"demo-conversion-{customer.Id}",
                [field] = value,
                ["timestamp"] = now.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
                ["properties"] = new JsonObject { ["order_id"] = $"ord-again-{person.Index:0000}", ["total"] = total, ["currency"] = "EUR" },
            });
        }
        var client = new DemoClient(context.Http, DemoSources.From(context.Host.Settings), context.Clock);
        foreach (var chunk in orders.Chunk(DemoClient.MaxSegmentBatch))
            await client.SendSegmentBatchAsync(chunk, cancellationToken).ConfigureAwait(false);
        await context.Host.WaitForIdleAsync(TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);
        return new ConversionWave(treated, treatedOrdered, heldOut, heldOutOrdered, ordered);
    }
}
