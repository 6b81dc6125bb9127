using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Touchpoints.Core.Rules;
using Touchpoints.FunctionsHost;

namespace Touchpoints.LocalHost.Demo;

/// <summary>What changed between decision and delivery in the demo's last scene, and what the send-time guard made of it.</summary>
/// <param name="Waiting">Messages held on their queues when the scene began.</param>
/// <param name="PausedRule">The rule a marketer paused meanwhile (null: none had a message waiting), and how many of its messages waited.</param>
/// <param name="Revoked">Customers who denied email consent meanwhile, with an email waiting.</param>
public sealed record GuardScene(int Waiting, string? PausedRule, int PausedWaiting, IReadOnlyList<string> Revoked);

/// <summary>
/// The demo's last scene: the delivery functions were held during the last simulated day (as a night's messages wait for
/// the morning); before they run, two customers deny email consent through the CRM and a marketer pauses a rule through
/// the management API. Then delivery resumes, and the send-time guard drops exactly those messages, each with its reason
/// in the ledger; the rest go to the destination. The rule is resumed afterwards.
/// </summary>
public static class DemoGuard
{
    public const string Author = "demo-marketer";

    /// <summary>Holds (or releases) every queue-triggered function that delivers the rules' messages.</summary>
    public static void HoldDeliveries(LocalFunctionsHost host, bool hold)
    {
        ArgumentNullException.ThrowIfNull(host);
        foreach (var (function, queue) in host.QueueTriggers)
            if (Queues.Messages.Contains(queue)) host.Pause(function, hold);
    }

    /// <summary>
    /// Plays the scene on the ledger of the demo's customers as it stands (messages waiting: queued for now, no delivery
    /// outcome); when nothing waits (deliveries were not held), it only releases them.
    /// </summary>
    public static async Task<GuardScene> PlayAsync(DemoContext context, IReadOnlyList<CustomerLedger> ledger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(ledger);
        var now = context.Clock.GetUtcNow();
        var waiting = ledger.SelectMany(l => l.Decisions).Where(d => DemoRules.AwaitsDelivery(d, now)).ToList();
        var byId = context.Customers.SelectMany(c => c.MergedFrom.Prepend(c.Id).Select(id => (id, c))).GroupBy(p => p.id, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.First().c, StringComparer.Ordinal);

        // Two customers known to the CRM, each with an email waiting, deny email consent.
        var revoked = new List<string>();
        var client = new DemoClient(context.Http, DemoSources.From(context.Host.Settings), context.Clock);
        foreach (var decision in waiting.Where(d => d.Channel == Channel.Email).OrderBy(d => d.Id, StringComparer.Ordinal))
        {
            if (revoked.Count == 2) break;
            if (revoked.Contains(decision.CustomerId.Value) || !byId.TryGetValue(decision.CustomerId.Value, out var customer) || Crm(customer) is not { } crm) continue;
            var body = new JsonObject
            {
                ["eventId"] = "guard-" + decision.Id,
                ["type"] = "consent.changed",
                ["occurredAt"] = context.Clock.GetUtcNow().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                ["customer"] = new JsonObject { ["system"] = crm.System, ["crmId"] = crm.Id },
                ["channel"] = "email",
                ["status"] = "denied",
                ["subject"] = "Unsubscribed from all email",
            };
            await client.SendCrmAsync(body, cancellationToken).ConfigureAwait(false);
            revoked.Add(decision.CustomerId.Value);
        }

        // A marketer pauses the least important campaign with messages waiting for the other customers (never a transactional one).
        var rules = await ActiveRulesAsync(context.Http, cancellationToken).ConfigureAwait(false);
        var rule = waiting.Where(d => d.Kind == RuleKind.Marketing && !revoked.Contains(d.CustomerId.Value) && rules.GetValueOrDefault(d.RuleId) != "transactional")
            .GroupBy(d => d.RuleId, StringComparer.Ordinal).OrderBy(g => g.First().Priority).ThenByDescending(g => g.Count()).ThenBy(g => g.Key, StringComparer.Ordinal)
            .FirstOrDefault();
        if (rule is not null) await PauseAsync(context.Http, rule.Key, pause: true, cancellationToken).ConfigureAwait(false);
        await context.Host.WaitForIdleAsync(TimeSpan.FromMinutes(2), cancellationToken).ConfigureAwait(false);

        HoldDeliveries(context.Host, hold: false);
        var ids = context.Customers.SelectMany(c => c.MergedFrom.Prepend(c.Id)).ToHashSet(StringComparer.Ordinal);
        await DemoRules.WaitForDeliveriesAsync(context.Host, ids, context.Clock, TimeSpan.FromMinutes(1), cancellationToken).ConfigureAwait(false);
        if (rule is not null) await PauseAsync(context.Http, rule.Key, pause: false, cancellationToken).ConfigureAwait(false);
        return new GuardScene(waiting.Count, rule?.Key, rule?.Count() ?? 0, revoked);
    }

    /// <summary>The active document's rules and their categories (<c>GET api/manage/rules</c>).</summary>
    private static async Task<Dictionary<string, string?>> ActiveRulesAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var active = await http.GetFromJsonAsync<JsonObject>(new Uri("api/manage/rules", UriKind.Relative), cancellationToken).ConfigureAwait(false);
        return (active?["document"]?["rules"] as JsonArray ?? []).OfType<JsonObject>().Where(r => (string?)r["id"] is not null)
            .ToDictionary(r => (string)r["id"]!, r => (string?)r["category"], StringComparer.Ordinal);
    }

    /// <summary>The customer's CRM identity (<c>crm.{system}:{id}</c>), if it has one.</summary>
    private static (string System, string Id)? Crm(DemoCustomer customer)
    {
        foreach (var key in customer.View["identities"] as JsonArray ?? [])
        {
            if ((string?)key is not { } text || !text.StartsWith("crm.", StringComparison.Ordinal)) continue;
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            if (colon > 4) return (text[4..colon], text[(colon + 1)..]);
        }
        return null;
    }

    private static async Task PauseAsync(HttpClient http, string ruleId, bool pause, CancellationToken cancellationToken)
    {
        var reason = pause ? "the offer is being reworked" : "the offer is back";
        using var request = new HttpRequestMessage(HttpMethod.Post,
            new Uri($"api/manage/rules/{Uri.EscapeDataString(ruleId)}/{(pause ? "pause" : "resume")}?reason={Uri.EscapeDataString(reason)}", UriKind.Relative));
        request.Headers.Add("X-Author", Author);
        using var response = await http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"{request.RequestUri} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)}");
    }
}
