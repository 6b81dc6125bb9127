using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Azure.Cosmos;
using Touchpoints.FunctionsHost;
using Touchpoints.FunctionsHost.Emulators;

namespace Touchpoints.LocalHost.Demo;

/// <summary>
/// Runs the demo against a started <see cref="LocalFunctionsHost"/>: generates the scenario, sends it day by day through
/// the real endpoints (waiting for the pipeline to go idle after each simulated day, so that a later day's events meet
/// the profiles an earlier day made and merges happen as they would), then reads the outcome back through the view API.
/// </summary>
public static class DemoRunner
{
    private const int ResolveConcurrency = 4;

    public static async Task<DemoReport> RunAsync(LocalFunctionsHost host, DemoOptions options, Action<DayProgress>? onDay = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(options);
        var end = options.End ?? options.Clock.GetUtcNow();
        var scenario = DemoTraffic.Generate(options.People, new DateTimeOffset(end.Ticks - (end.Ticks % TimeSpan.TicksPerSecond), TimeSpan.Zero), options.Days,
            options.Seed);
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromSeconds(30) })
        {
            BaseAddress = host.BaseAddress,
            Timeout = TimeSpan.FromMinutes(2),
        };
        var client = new DemoClient(http, DemoSources.From(host.Settings), options.Clock);

        var before = await host.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        var channels = Enum.GetValues<DeliveryKind>().ToDictionary(k => k, _ => SendOutcome.Empty);
        var days = new List<DayProgress>();
        var total = Stopwatch.StartNew();
        foreach (var (day, from, deliveries) in scenario.DaysInOrder())
        {
            if (options.HoldLastDay && day == scenario.Days - 1) DemoGuard.HoldDeliveries(host, hold: true);
            var sending = Stopwatch.StartNew();
            var (requests, outcome) = await SendDayAsync(client, deliveries, channels, options.WebhookConcurrency,
                options.SettleBetweenDoors ? ct => host.WaitForIdleAsync(options.IdleTimeout, ct) : null, cancellationToken).ConfigureAwait(false);
            sending.Stop();
            var draining = Stopwatch.StartNew();
            await host.WaitForIdleAsync(options.IdleTimeout, cancellationToken).ConfigureAwait(false);
            draining.Stop();
            var progress = new DayProgress(day, scenario.Days, from, deliveries.Count, requests, outcome, sending.Elapsed, draining.Elapsed, total.Elapsed,
                options.Clock.GetUtcNow());
            days.Add(progress);
            onDay?.Invoke(progress);
        }

        var sendingTime = total.Elapsed;
        var after = await host.GetStatusAsync(cancellationToken).ConfigureAwait(false);
        var summarising = Stopwatch.StartNew();
        var (customers, problems) = await ResolveAsync(http, scenario, cancellationToken).ConfigureAwait(false);
        var rejections = await IngestionRejectionsAsync(host, scenario, cancellationToken).ConfigureAwait(false);
        var extensions = await DemoExtensions.CollectAsync(new DemoContext(host, http, scenario, customers, options.Clock), cancellationToken).ConfigureAwait(false);
        summarising.Stop();
        return new DemoReport
        {
            Options = options,
            Scenario = scenario,
            Days = days,
            Channels = channels,
            IngestionRejections = rejections,
            Customers = customers,
            ResolutionProblems = problems,
            Featured = Feature(customers),
            Extensions = extensions,
            Invocations = after.Invocations - before.Invocations,
            FailedInvocations = after.Failed - before.Failed,
            SendingTime = sendingTime,
            SummarisingTime = summarising.Elapsed,
        };
    }

    /// <summary>
    /// One day's deliveries in time order, as runs of one door: consecutive Segment calls become batches of up to
    /// <see cref="DemoClient.MaxSegmentBatch"/>, consecutive social events one publish, consecutive webhooks are delivered
    /// a few at a time.
    /// </summary>
    private static async Task<(int Requests, SendOutcome Outcome)> SendDayAsync(DemoClient client, IReadOnlyList<Delivery> deliveries,
        Dictionary<DeliveryKind, SendOutcome> channels, int webhookConcurrency, Func<CancellationToken, Task>? settle, CancellationToken cancellationToken)
    {
        var requests = 0;
        var day = SendOutcome.Empty;
        void Count(DeliveryKind kind, SendOutcome outcome)
        {
            lock (channels)
            {
                channels[kind] = channels[kind].Add(outcome);
                day = day.Add(outcome);
                requests++;
            }
        }

        static int Door(DeliveryKind kind) => kind switch { DeliveryKind.Segment => 0, DeliveryKind.Social => 1, _ => 2 };
        for (var i = 0; i < deliveries.Count;)
        {
            var door = Door(deliveries[i].Kind);
            var run = new List<Delivery>();
            while (i < deliveries.Count && Door(deliveries[i].Kind) == door && (door != 0 || run.Count < DemoClient.MaxSegmentBatch))
                run.Add(deliveries[i++]);
            switch (door)
            {
                case 0:
                    Count(DeliveryKind.Segment, await client.SendSegmentBatchAsync([.. run.Select(d => d.Body)], cancellationToken).ConfigureAwait(false));
                    break;
                case 1:
                    Count(DeliveryKind.Social, await client.PublishSocialAsync([.. run.Select(d => d.Body)], cancellationToken).ConfigureAwait(false));
                    break;
                default:
                    await Parallel.ForEachAsync(run, new ParallelOptions { MaxDegreeOfParallelism = webhookConcurrency, CancellationToken = cancellationToken },
                        async (delivery, ct) => Count(delivery.Kind, delivery.Kind == DeliveryKind.Stripe
                            ? await client.SendStripeAsync(delivery.Body, ct).ConfigureAwait(false)
                            : await client.SendCrmAsync(delivery.Body, ct).ConfigureAwait(false))).ConfigureAwait(false);
                    break;
            }
            if (settle is not null) await settle(cancellationToken).ConfigureAwait(false);
        }

        return (requests, day);
    }

    /// <summary>
    /// Finds each person's customer through <c>GET /api/customers?identity=…</c> under every identifier their traffic
    /// revealed (the view API follows merges to the survivor), exactly as a touch point would find them.
    /// </summary>
    private static async Task<(IReadOnlyList<DemoCustomer>, IReadOnlyList<ResolutionProblem>)> ResolveAsync(HttpClient http, DemoScenario scenario,
        CancellationToken cancellationToken)
    {
        var views = new ConcurrentDictionary<string, JsonObject>(StringComparer.Ordinal);
        var found = new ConcurrentDictionary<int, Dictionary<string, string?>>();
        await Parallel.ForEachAsync(scenario.People.Where(p => p.Identities.Count > 0),
            new ParallelOptions { MaxDegreeOfParallelism = ResolveConcurrency, CancellationToken = cancellationToken }, async (person, ct) =>
            {
                var byIdentity = new Dictionary<string, string?>(StringComparer.Ordinal);
                foreach (var identity in person.Identities)
                {
                    var view = await FindAsync(http, identity, ct).ConfigureAwait(false);
                    var id = (string?)view?["id"];
                    byIdentity[identity] = id;
                    if (id is not null) views[id] = view!;
                }

                found[person.Index] = byIdentity;
            }).ConfigureAwait(false);

        var problems = new List<ResolutionProblem>();
        var people = new Dictionary<string, List<DemoPerson>>(StringComparer.Ordinal);
        foreach (var person in scenario.People.Where(p => found.ContainsKey(p.Index)))
        {
            var byIdentity = found[person.Index];
            // Each group of linked identifiers must be exactly one customer, and every identifier must be known.
            if (byIdentity.Values.Any(v => v is null)
                || person.IdentityGroups.Any(g => g.Select(i => byIdentity[i]).Distinct(StringComparer.Ordinal).Count() > 1))
                problems.Add(new ResolutionProblem(person, byIdentity));
            foreach (var customer in byIdentity.Values.OfType<string>().Distinct(StringComparer.Ordinal))
            {
                if (!people.TryGetValue(customer, out var list)) people[customer] = list = [];
                list.Add(person);
            }
        }

        IReadOnlyList<DemoCustomer> customers = [.. people.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => new DemoCustomer(p.Key, views[p.Key], p.Value))];
        return (customers, problems);
    }

    private static async Task<JsonObject?> FindAsync(HttpClient http, string identity, CancellationToken cancellationToken)
    {
        using var response = await http.GetAsync("api/customers?identity=" + Uri.EscapeDataString(identity), cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return null;
        var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw new InvalidOperationException($"GET api/customers?identity={identity} answered {(int)response.StatusCode}: {text}");
        return JsonNode.Parse(text) as JsonObject;
    }

    /// <summary>
    /// The demo's events that ingestion refused: the <c>rejected</c> container, read one source partition at a time
    /// (single-partition queries are what the emulator, and a cheap production query, can do), kept to this scenario's ids.
    /// </summary>
    private static async Task<IReadOnlyList<IngestionRejection>> IngestionRejectionsAsync(LocalFunctionsHost host, DemoScenario scenario,
        CancellationToken cancellationToken)
    {
        using var database = DemoDatabase.Open(host.Settings);
        if (database is null) return [];
        var ids = scenario.Deliveries.Select(d => d.EventId).ToHashSet(StringComparer.Ordinal);
        var container = database.Container(Containers.Rejected);
        var found = new List<IngestionRejection>();
        foreach (var source in new[] { "web", "social", "crm" })
        {
            // The emulator wants the partition key in the WHERE clause as well as in the options.
            using var query = container.GetItemQueryStreamIterator(new QueryDefinition("SELECT * FROM c WHERE c.source = @source").WithParameter("@source", source),
                requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(source) });
            while (query.HasMoreResults)
            {
                using var page = await query.ReadNextAsync(cancellationToken).ConfigureAwait(false);
                if (page.StatusCode == HttpStatusCode.NotFound) break;
                page.EnsureSuccessStatusCode();
                using var document = await JsonDocument.ParseAsync(page.Content, cancellationToken: cancellationToken).ConfigureAwait(false);
                if (!document.RootElement.TryGetProperty("Documents", out var documents)) continue;
                foreach (var item in documents.EnumerateArray())
                {
                    var eventId = item.TryGetProperty("eventId", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
                    if (eventId is null || !ids.Contains(eventId)) continue;
                    var reason = item.TryGetProperty("reason", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
                    found.Add(new IngestionRejection(source, eventId, reason ?? "refused"));
                }
            }
        }

        return found;
    }

    /// <summary>Three customers worth reading in full: a merged visitor turned customer, an influencer, a lead with an open opportunity.</summary>
    internal static IReadOnlyList<FeaturedCustomer> Feature(IReadOnlyList<DemoCustomer> customers)
    {
        var chosen = new List<FeaturedCustomer>();
        void Pick(string title, Func<DemoCustomer, bool> fits, Func<DemoCustomer, double> interest)
        {
            var best = customers.Where(c => chosen.All(f => f.Customer.Id != c.Id) && fits(c))
                .OrderByDescending(interest).ThenBy(c => c.Id, StringComparer.Ordinal).FirstOrDefault();
            if (best is not null) chosen.Add(new FeaturedCustomer(title, best));
        }

        static double Richness(DemoCustomer c) => c.Touchpoints.Count * 10 + ((c.View["journal"] as JsonArray)?.Count ?? 0) / 10.0;
        static long Followers(DemoCustomer c) =>
            c.Section("social")?["followers"] is JsonValue f && f.TryGetValue<long>(out var n) ? n
            : (c.Section("social")?["handles"] as JsonArray ?? []).Select(h => (long?)h?["followers"] ?? 0).DefaultIfEmpty(0).Max();

        Pick("An anonymous visitor, merged into a known profile, now a customer",
            c => c.MergedFrom.Count > 0 && c.Lifecycle == "customer" && c.Section("web") is not null, Richness);
        Pick("An influencer", c => Followers(c) >= 10_000, c => Richness(c) + Math.Log10(Followers(c)));
        Pick("A lead with an open opportunity",
            c => c.Section("sales")?["opportunity"]?["open"] is JsonValue open && open.TryGetValue<bool>(out var isOpen) && isOpen,
            c => Richness(c) + (c.MergedFrom.Count > 0 ? 5 : 0));
        return chosen;
    }
}
