using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Touchpoints.Core.Identity;
using Xunit.Abstractions;

namespace Touchpoints.Functions.Tests.Ingestion.Concurrency;

/// <summary>
/// Many batches from all three hubs sharing identifiers (anonymous ids, user ids, e-mails, CRM ids, handles), with
/// resends, replays and the odd shared device, run all at once while a <see cref="SeededScheduler"/> reorders the store
/// requests. After each schedule: every identifier resolves in at most one hop to a live customer; each person's
/// identifiers to the same one; no customer holds two user ids; every event is counted exactly once, in exactly one live
/// view; no live profile is orphaned. A failure names its seed; <c>TOUCHPOINTS_FUZZ_SEED=n</c> replays that one schedule,
/// <c>TOUCHPOINTS_FUZZ_SCHEDULES</c> and <c>TOUCHPOINTS_FUZZ_FIRST_SEED</c> explore further.
/// </summary>
[Collection(GatedCollection.Name)]
[Trait("Category", "Slow")]
public sealed class InterleavingFuzzer(GatedHandlerFixture fixture, ITestOutputHelper output)
{
    private const int FirstSeed = 20261130;

    [Fact]
    public async Task Any_interleaving_of_batches_from_all_three_hubs_converges_to_one_exact_view_per_person()
    {
        var replay = Environment.GetEnvironmentVariable("TOUCHPOINTS_FUZZ_SEED");
        var count = int.Parse(Environment.GetEnvironmentVariable("TOUCHPOINTS_FUZZ_SCHEDULES") ?? "200", CultureInfo.InvariantCulture);
        var first = int.Parse(Environment.GetEnvironmentVariable("TOUCHPOINTS_FUZZ_FIRST_SEED") ?? FirstSeed.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        int[] seeds = replay is null ? [.. Enumerable.Range(first, count)] : [int.Parse(replay, CultureInfo.InvariantCulture)];
        var clock = Stopwatch.StartNew();
        int batches = 0, held = 0;
        foreach (var seed in seeds)
        {
            var schedule = Schedule.Generate(seed);
            var scheduler = new SeededScheduler(seed);
            fixture.Gate.Scheduler = scheduler;
            try
            {
                await Task.WhenAll(schedule.Deliveries.Select(d => fixture.IngestAsync(d.Hub, d.Bodies, d.Partition, d.FirstSequence)));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                Assert.Fail($"Schedule {seed} left a batch failing: {e.Message}\n{schedule}\nReplay: TOUCHPOINTS_FUZZ_SEED={seed} dotnet test tests/Touchpoints.Functions.Tests --filter {nameof(InterleavingFuzzer)}");
            }
            finally
            {
                fixture.Gate.Scheduler = null;
            }
            batches += schedule.Deliveries.Count;
            held += scheduler.Held;
            var failure = await CheckAsync(schedule);
            Assert.True(failure is null,
                $"Schedule {seed} broke an invariant: {failure}\n{schedule}\nReplay: TOUCHPOINTS_FUZZ_SEED={seed} dotnet test tests/Touchpoints.Functions.Tests --filter {nameof(InterleavingFuzzer)}");
        }
        output.WriteLine($"{seeds.Length} schedules (seeds {seeds[0]}…{seeds[^1]}), {batches} deliveries, {held} store requests held back, in {clock.Elapsed.TotalSeconds:0.0} s");
    }

    private async Task<string?> CheckAsync(Schedule schedule)
    {
        var customers = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        var ownerOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in schedule.Keys)
        {
            var (customer, hops) = await fixture.ResolveAsync(key);
            if (customer is null) return hops < 0 ? $"{key} sits in a loop of tombstones" : $"{key} resolves to no live customer";
            if (hops > 1) return $"{key} is {hops} hops from its customer";
            ownerOf[key] = customer;
            if (!customers.ContainsKey(customer)) customers[customer] = (await fixture.ReadAsync("customers", customer))!;
        }

        // A serial run gives each group of identifiers that events link (one person's, unless a device is shared) one
        // customer counting exactly that group's events, and keeps groups that nothing links apart.
        foreach (var person in schedule.People.Where(p => !p.Tainted))
        {
            var groups = Groups(schedule.Events.Where(e => e.Person == person).Select(e => e.Keys));
            var customersOfGroups = new HashSet<string>(StringComparer.Ordinal);
            foreach (var group in groups)
            {
                var owners = group.Select(k => ownerOf[k]).Distinct().ToArray();
                if (owners.Length != 1) return $"person {person.Name} is split over {string.Join(", ", owners)} ({string.Join(", ", group.Select(k => $"{k} → {ownerOf[k]}"))})";
                if (!customersOfGroups.Add(owners[0])) return $"person {person.Name}: identifiers no event links were merged into {owners[0]}";
                var events = schedule.Events.Count(e => e.Person == person && group.Overlaps(e.Keys));
                var counted = Counted(customers[owners[0]]);
                if (counted != events) return $"person {person.Name}: {events} events name {string.Join(", ", group)}; their view counts {counted}";
            }
        }

        foreach (var (id, view) in customers)
        {
            var keys = view["identities"]!.AsArray().Select(k => k!.GetValue<string>()).ToArray();
            var exclusive = keys.Where(k => k.StartsWith("userId:", StringComparison.Ordinal) || k.StartsWith("crm.", StringComparison.Ordinal))
                .GroupBy(k => k[..k.IndexOf(':', StringComparison.Ordinal)]).FirstOrDefault(g => g.Count() > 1);
            if (exclusive is not null) return $"{id} holds {string.Join(" and ", exclusive)}";
        }

        var total = customers.Values.Sum(Counted);
        if (total != schedule.DistinctEvents) return $"{schedule.DistinctEvents} distinct events, the live views count {total}";
        var journaled = customers.Values.SelectMany(v => v["journal"]!.AsArray().Select(j => j!["eventId"]!.GetValue<string>())).GroupBy(e => e).FirstOrDefault(g => g.Count() > 1);
        if (journaled is not null) return $"{journaled.Key} is in {journaled.Count()} live views";

        // Every profile a batch could have created has a deterministic id from one of the identifiers: none may be live and unreachable.
        foreach (var key in schedule.Keys)
        {
            var candidate = IdentityResolver.NewCustomerId(Identifier.TryParseKey(key)!);
            if (customers.ContainsKey(candidate)) continue;
            if (await fixture.ReadAsync("customers", candidate) is { } doc && doc["mergedInto"] is null)
                return $"{candidate} is live but no identifier resolves to it (counts {Counted(doc)} events)";
        }
        return null;
    }

    /// <summary>The connected groups of identifiers that events name together.</summary>
    private static List<HashSet<string>> Groups(IEnumerable<string[]> events)
    {
        var groups = new List<HashSet<string>>();
        foreach (var keys in events)
        {
            var joined = groups.Where(g => g.Overlaps(keys)).ToList();
            var merged = new HashSet<string>(keys, StringComparer.Ordinal);
            foreach (var g in joined) { merged.UnionWith(g); groups.Remove(g); }
            groups.Add(merged);
        }
        return groups;
    }

    private static long Counted(JsonObject view) => view["counters"]!.AsObject().Sum(c => c.Value!.GetValue<long>());

    private sealed record Delivery(string Hub, string Partition, long FirstSequence, IReadOnlyList<string> Bodies);

    private sealed class Person(string name)
    {
        public string Name => name;
        public string? UserId { get; init; }
        public required string[] Anons { get; init; }
        public string? Email { get; init; }
        public string? Hubspot { get; init; }
        public string? Stripe { get; init; }
        public string? Handle { get; init; }
        /// <summary>Shares a device with another person: which of them an event goes to depends on order, so only the global invariants apply.</summary>
        public bool Tainted { get; set; }

        public IEnumerable<string> Keys =>
            Anons.Select(a => $"anonymousId:{a}")
                .Concat(new[] { UserId is null ? null : $"userId:{UserId}", Email is null ? null : $"email:{Email}", Hubspot is null ? null : $"crm.hubspot:{Hubspot}",
                    Stripe is null ? null : $"crm.stripe:{Stripe}", Handle is null ? null : $"social.x:{Handle}" }.OfType<string>());
    }

    private sealed class Schedule
    {
        public required int Seed { get; init; }
        public required List<Person> People { get; init; }
        public required List<Delivery> Deliveries { get; init; }
        public required HashSet<string> Keys { get; init; }
        public required List<(Person Person, string[] Keys)> Events { get; init; }
        public required int DistinctEvents { get; init; }

        public static Schedule Generate(int seed)
        {
            var random = new Random(seed);
            var ns = $"z{seed}{Guid.NewGuid().ToString("N")[..4]}";
            var people = Enumerable.Range(0, random.Next(2, 6)).Select(i => new Person($"{ns}p{i}")
            {
                UserId = random.NextDouble() < 0.7 ? $"{ns}-u{i}" : null,
                Anons = [.. Enumerable.Range(0, random.Next(1, 3)).Select(a => $"{ns}-a{i}{a}")],
                Email = random.NextDouble() < 0.8 ? $"{ns}.e{i}@example.com" : null,
                Hubspot = random.NextDouble() < 0.5 ? $"{ns}h{i}" : null,
                Stripe = random.NextDouble() < 0.4 ? $"cus_{ns}{i}" : null,
                Handle = random.NextDouble() < 0.4 ? $"{ns}x{i}" : null,
            }).ToList();

            var events = new List<(string Hub, string Body)>();
            var keys = new HashSet<string>(StringComparer.Ordinal);
            var named = new List<(Person, string[])>();
            var total = random.Next(10, 25);
            for (var n = 0; n < total; n++)
            {
                var p = people[random.Next(people.Count)];
                var eventKeys = new List<string>();
                void Key(string k) { keys.Add(k); eventKeys.Add(k); }
                var id = $"{ns}-ev{n}";
                var at = new DateTimeOffset(2026, 11, 20, 8, 0, 0, TimeSpan.Zero).AddMinutes(random.Next(0, 600)).ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);
                bool Maybe() => random.NextDouble() < 0.5;
                string anon = p.Anons[random.Next(p.Anons.Length)];
                var kind = random.Next(4);
                var sharedDevice = random.NextDouble() < 0.08 ? people.FirstOrDefault(o => o != p && o.UserId is not null && p.UserId is not null) : null;
                if (sharedDevice is not null)
                {
                    // Someone else's visitor id with this person's user id: the device is shared.
                    var other = sharedDevice.Anons[0];
                    events.Add((Hubs.WebEvents, $$"""{"type":"page","messageId":"{{id}}","anonymousId":"{{other}}","userId":"{{p.UserId}}","timestamp":"{{at}}"}"""));
                    Key($"anonymousId:{other}"); Key($"userId:{p.UserId}");
                    p.Tainted = sharedDevice.Tainted = true;
                    named.Add((p, [.. eventKeys]));
                    continue;
                }
                switch (kind)
                {
                    case 0:
                        {
                            var user = p.UserId is not null && Maybe() ? $",\"userId\":\"{p.UserId}\"" : "";
                            events.Add((Hubs.WebEvents, $$"""{"type":"page","messageId":"{{id}}","anonymousId":"{{anon}}"{{user}},"timestamp":"{{at}}"}"""));
                            Key($"anonymousId:{anon}");
                            if (user.Length > 0) Key($"userId:{p.UserId}");
                            break;
                        }
                    case 1:
                        {
                            var withUser = p.UserId is not null && Maybe();
                            var withAnon = !withUser || Maybe();
                            var email = p.Email is not null && Maybe() ? $"\"email\":\"{p.Email}\"" : "";
                            var ids = (withUser ? $",\"userId\":\"{p.UserId}\"" : "") + (withAnon ? $",\"anonymousId\":\"{anon}\"" : "");
                            events.Add((Hubs.WebEvents, $$$"""{"type":"identify","messageId":"{{{id}}}"{{{ids}}},"traits":{{{{email}}}},"timestamp":"{{{at}}}"}"""));
                            if (withUser) Key($"userId:{p.UserId}");
                            if (withAnon) Key($"anonymousId:{anon}");
                            if (email.Length > 0) Key($"email:{p.Email}");
                            break;
                        }
                    case 2 when p.Hubspot is not null || p.Stripe is not null:
                        {
                            var (system, crmId) = p.Hubspot is not null && (p.Stripe is null || Maybe()) ? ("hubspot", p.Hubspot) : ("stripe", p.Stripe!);
                            var email = p.Email is not null && Maybe() ? $",\"email\":\"{p.Email}\"" : "";
                            var user = p.UserId is not null && random.NextDouble() < 0.3 ? $",\"userId\":\"{p.UserId}\"" : "";
                            events.Add((Hubs.CrmEvents, $$$"""{"eventId":"{{{id}}}","type":"contact.updated","occurredAt":"{{{at}}}","customer":{"system":"{{{system}}}","crmId":"{{{crmId}}}"{{{email}}}{{{user}}}}}"""));
                            Key($"crm.{system}:{crmId}");
                            if (email.Length > 0) Key($"email:{p.Email}");
                            if (user.Length > 0) Key($"userId:{p.UserId}");
                            break;
                        }
                    case 3 when p.Handle is not null:
                        {
                            var email = p.Email is not null && Maybe() ? $",\"email\":\"{p.Email}\"" : "";
                            events.Add((Hubs.SocialEvents, $$"""{"eventId":"{{id}}","type":"social.mention","network":"x","handle":"{{p.Handle}}"{{email}},"text":"hello","occurredAt":"{{at}}"}"""));
                            Key($"social.x:{p.Handle}");
                            if (email.Length > 0) Key($"email:{p.Email}");
                            break;
                        }
                    default:
                        events.Add((Hubs.WebEvents, $$"""{"type":"track","event":"Product Viewed","messageId":"{{id}}","anonymousId":"{{anon}}","timestamp":"{{at}}"}"""));
                        Key($"anonymousId:{anon}");
                        break;
                }
                named.Add((p, [.. eventKeys]));
            }

            // Producers resend some events (in another batch, another partition); the hub redelivers some batches.
            var sent = events.Concat(events.Where(_ => random.NextDouble() < 0.15)).OrderBy(_ => random.Next()).ToList();
            var deliveries = new List<Delivery>();
            var sequences = new Dictionary<(string, string), long>();
            foreach (var hub in sent.GroupBy(e => e.Hub))
            {
                var bodies = hub.Select(e => e.Body).ToList();
                for (var i = 0; i < bodies.Count;)
                {
                    var size = Math.Min(random.Next(1, 5), bodies.Count - i);
                    var partition = random.Next(4).ToString(CultureInfo.InvariantCulture);
                    var first = sequences.GetValueOrDefault((hub.Key, partition), seed * 1000L);
                    sequences[(hub.Key, partition)] = first + size;
                    var delivery = new Delivery(hub.Key, partition, first, bodies.GetRange(i, size));
                    deliveries.Add(delivery);
                    if (random.NextDouble() < 0.2) deliveries.Add(delivery);
                    i += size;
                }
            }
            return new Schedule { Seed = seed, People = people, Deliveries = [.. deliveries.OrderBy(_ => random.Next())], Keys = keys, Events = named, DistinctEvents = events.Count };
        }

        public override string ToString() =>
            string.Join("\n", Deliveries.Select(d => $"  {d.Hub}/{d.Partition}@{d.FirstSequence}: {string.Join(" | ", d.Bodies)}"));
    }
}
