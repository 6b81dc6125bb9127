using System.Globalization;
using System.Text.Json.Nodes;

namespace Touchpoints.LocalHost.Demo;

/// <summary>How a piece of demo traffic reaches the local host: through the same doors as production traffic.</summary>
public enum DeliveryKind
{
    /// <summary>A Segment track/identify/page call, sent in batches to the collector with the website's write key.</summary>
    Segment,

    /// <summary>A canonical CRM event, signed as a Standard Webhook.</summary>
    Crm,

    /// <summary>A Stripe event, signed as Stripe signs them.</summary>
    Stripe,

    /// <summary>A social-listening event, published to the social-events hub.</summary>
    Social,
}

/// <param name="Person">Index of the <see cref="DemoPerson"/> it is about; null for traffic from no one in particular (bots).</param>
/// <param name="Flaw">Set on deliberately flawed traffic: what is wrong with it, and so why the pipeline must refuse or ignore it.</param>
public sealed record Delivery(DateTimeOffset At, DeliveryKind Kind, JsonObject Body, int? Person = null, string? Flaw = null)
{
    /// <summary>The sender's id of the event: Segment's messageId, the CRM or social eventId, the Stripe event id.</summary>
    public string EventId => (string?)Body[Kind == DeliveryKind.Segment ? "messageId" : Kind == DeliveryKind.Stripe ? "id" : "eventId"] ?? "";
}

/// <summary>Someone the demo invents.</summary>
/// <param name="Story">What the traffic makes of them (marked when the end of the simulated period cuts it short).</param>
/// <param name="IdentityGroups">
/// Every identifier the traffic reveals for this person, as <c>{type}:{value}</c> keys of the view API (<c>userId:…</c>,
/// <c>email:…</c>, <c>crm.hubspot:…</c>, <c>social.x:…</c>, <c>anonymousId:…</c>), grouped by what their events link:
/// each group must resolve to one customer; two groups are two profiles until an event links them (an anonymous visit
/// by someone who has not identified themselves yet, say).
/// </param>
public sealed record DemoPerson(int Index, string Name, string Email, string UserId, string AnonymousId, string Story, IReadOnlyList<IReadOnlyList<string>> IdentityGroups)
{
    /// <summary>Every identifier of every group, strongest group first.</summary>
    public IReadOnlyList<string> Identities => [.. IdentityGroups.SelectMany(g => g)];
}

/// <summary>The people and everything they do, in time order, over <see cref="Days"/> simulated days ending at <see cref="End"/>.</summary>
public sealed record DemoScenario(IReadOnlyList<DemoPerson> People, IReadOnlyList<Delivery> Deliveries, DateTimeOffset Start, DateTimeOffset End, int Days)
{
    /// <summary>The simulated day (0 … <see cref="Days"/> − 1) a delivery falls on.</summary>
    public int DayOf(Delivery delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return Math.Clamp((int)Math.Floor((delivery.At - Start).TotalDays), 0, Days - 1);
    }

    /// <summary>Every simulated day, in order, with its deliveries in time order (a day without traffic is listed, empty).</summary>
    public IReadOnlyList<(int Day, DateTimeOffset From, IReadOnlyList<Delivery> Deliveries)> DaysInOrder()
    {
        var byDay = Deliveries.GroupBy(DayOf).ToDictionary(g => g.Key, g => (IReadOnlyList<Delivery>)[.. g.OrderBy(d => d.At)]);
        return [.. Enumerable.Range(0, Days).Select(d => (d, Start.AddDays(d), byDay.TryGetValue(d, out var list) ? list : []))];
    }
}

/// <summary>
/// Realistic, deterministic traffic for a few hundred people over simulated days: anonymous visitors who later sign up,
/// CRM leads who visit the site and are recognised (their anonymous profile merged into the CRM's), newsletter readers and
/// shoppers with carts, orders, Stripe checkouts, invoices and refunds, influencers, advocates and detractors on social
/// networks, tickets, calls, meetings, mail and consent changes — plus a little deliberately broken traffic (a bot without
/// a usable id, a listening tool that lost the handle, an unmapped Stripe event type, a CRM event without its status) so
/// that every refusal path shows up in the summary. The same seed, people and days give the same traffic, shifted to end.
/// </summary>
public static class DemoTraffic
{
    public const int DefaultSeed = 20261122;

    /// <summary>The CRM system the Standard Webhooks source speaks for (its ids are <c>crm.hubspot:…</c>).</summary>
    public const string CrmSystem = "hubspot";

    private static readonly string[] FirstNames = ["Ann", "Ben", "Chloé", "Dev", "Emma", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Lars", "Maya", "Noor", "Omar", "Priya", "Quinn", "Rosa", "Sven", "Tara", "Uma", "Victor", "Wen", "Yusuf", "Zoe"];
    private static readonly string[] LastNames = ["Adams", "Berg", "Costa", "Dubois", "Eze", "Fischer", "García", "Haddad", "Ito", "Jensen", "Kowalski", "Larsen", "Müller", "Nakamura", "O'Brien", "Patel", "Rossi", "Silva", "Tanaka", "Novak"];
    private static readonly string[] Companies = ["Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware", "Adventure Works", "Wide World Importers", "Proseware"];
    private static readonly string[] Titles = ["CTO", "Head of Marketing", "Buyer", "Operations Manager", "Founder", "Engineer", "CFO"];
    private static readonly string[] Zones = ["Europe/London", "Europe/Paris", "America/New_York", "America/Los_Angeles", "Asia/Tokyo", "Australia/Sydney"];
    private static readonly string[] Locales = ["en-GB", "fr-FR", "en-US", "en-US", "ja-JP", "en-AU"];
    private static readonly string[] Owners = ["sam@touchpoints.example", "lea@touchpoints.example", "raj@touchpoints.example"];
    private static readonly (string Id, string Name, decimal Price)[] Products =
    [
        ("sku-101", "Trail Runner 3", 129m), ("sku-204", "Merino Base Layer", 69m), ("sku-330", "Ultralight Tent", 349m),
        ("sku-412", "Headlamp Pro", 45m), ("sku-518", "Down Jacket", 259m), ("sku-620", "Water Filter", 39m),
    ];
    private static readonly string[] Pages = ["/", "/pricing", "/blog/packing-light", "/stores", "/about", "/help/returns"];
    private static readonly (string Source, string Medium, string Campaign)[] Campaigns =
        [("newsletter", "email", "autumn-sale"), ("google", "cpc", "tents"), ("instagram", "social", "trail-week"), ("partner", "referral", "outdoors-mag")];

    /// <param name="people">How many people (each gets one story).</param>
    /// <param name="end">The end of the simulated period: nothing happens after it (stories that would are cut short).</param>
    /// <param name="days">Length of the simulated period.</param>
    public static DemoScenario Generate(int people, DateTimeOffset end, int days = 14, int seed = DefaultSeed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(people);
        ArgumentOutOfRangeException.ThrowIfLessThan(days, 1);
        var random = new Random(seed);
        var start = end.AddDays(-days);
        var deliveries = new List<Delivery>();
        var persons = new List<DemoPerson>();
        for (var i = 0; i < people; i++)
        {
            var first = FirstNames[random.Next(FirstNames.Length)];
            var last = LastNames[random.Next(LastNames.Length)];
            var zone = random.Next(Zones.Length);
            var person = new Person(
                i, $"{first} {last}", $"{Ascii(first)}.{Ascii(last)}.{i}@mail.example".ToLowerInvariant(), $"user-{i:0000}",
                $"anon-{random.Next():x8}-{i:x4}", Zones[zone], Locales[zone], new Random(random.Next()), deliveries);
            var roll = random.NextDouble();
            var story = roll switch
            {
                < 0.30 => Visitor(person, start, end),
                < 0.50 => CrmLead(person, start, end),
                < 0.82 => Shopper(person, start, end),
                _ => SocialVoice(person, start, end),
            };
            if (person.EmailKnown) Consent(person, start, end);
            persons.Add(new DemoPerson(i, person.Name, person.Email, person.UserId, person.AnonymousId, story, []));
        }

        Noise(random, people, start, days, deliveries);
        // Whatever a story planned after the end of the period has not happened yet.
        List<Delivery> kept = [.. deliveries.Where(d => d.At <= end).OrderBy(d => d.At).ThenBy(d => d.EventId, StringComparer.Ordinal)];
        var cut = deliveries.Where(d => d.At > end && d.Person is not null).Select(d => d.Person!.Value).ToHashSet();
        var linked = kept.Where(d => d.Person is not null && d.Flaw is null).GroupBy(d => d.Person!.Value)
            .ToDictionary(g => g.Key, g => IdentityGroups(g.Select(d => IdentitiesOf(d).ToList())));
        return new DemoScenario(
            [.. persons.Select(p => p with
            {
                Story = cut.Contains(p.Index) ? p.Story + " (the rest is yet to come)" : p.Story,
                IdentityGroups = linked.TryGetValue(p.Index, out var groups) ? groups : [],
            })],
            kept, start, end, days);
    }

    /// <summary>
    /// A person's identifiers, grouped by what their events link: identifiers sent together in one event belong to one
    /// profile, and so, transitively, do the groups they join. Strongest identifier first within a group, and the group
    /// with the strongest identifier first.
    /// </summary>
    private static IReadOnlyList<IReadOnlyList<string>> IdentityGroups(IEnumerable<List<(int Rank, string Key)>> events)
    {
        var parent = new Dictionary<string, string>(StringComparer.Ordinal);
        var rank = new Dictionary<string, int>(StringComparer.Ordinal);
        string Find(string key)
        {
            while (parent[key] != key) key = parent[key] = parent[parent[key]];
            return key;
        }

        foreach (var keys in events)
        {
            foreach (var (r, key) in keys)
            {
                parent.TryAdd(key, key);
                rank[key] = r;
            }

            for (var i = 1; i < keys.Count; i++)
                parent[Find(keys[i].Key)] = Find(keys[0].Key);
        }

        return [.. parent.Keys.GroupBy(Find)
            .Select(g => (IReadOnlyList<string>)[.. g.OrderBy(k => rank[k]).ThenBy(k => k, StringComparer.Ordinal)])
            .OrderBy(g => rank[g[0]]).ThenBy(g => g[0], StringComparer.Ordinal)];
    }

    /// <summary>
    /// The identifiers a delivery reveals, as view API keys with a rank (0 strongest): what resolving a person tries.
    /// Values are given as sent; the view API normalises them as ingestion does.
    /// </summary>
    public static IEnumerable<(int Rank, string Key)> IdentitiesOf(Delivery delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var b = delivery.Body;
        static string? S(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && !string.IsNullOrWhiteSpace(s) ? s : null;
        var found = new List<(int, string)>();
        void Add(int rank, string type, string? value)
        {
            if (value is not null) found.Add((rank, $"{type}:{value}"));
        }

        switch (delivery.Kind)
        {
            case DeliveryKind.Segment:
                Add(0, "userId", S(b["userId"]));
                Add(1, "email", S(b["traits"]?["email"]));
                Add(4, "anonymousId", S(b["anonymousId"]));
                break;
            case DeliveryKind.Crm:
                Add(0, "userId", S(b["customer"]?["userId"]));
                Add(1, "email", S(b["customer"]?["email"]));
                if (S(b["customer"]?["system"]) is { } system) Add(2, "crm." + system.ToLowerInvariant(), S(b["customer"]?["crmId"]));
                break;
            case DeliveryKind.Stripe:
                var o = b["data"]?["object"];
                Add(1, "email", S(o?["customer_email"]) ?? S(o?["customer_details"]?["email"]) ?? S(o?["billing_details"]?["email"]) ?? S(o?["receipt_email"]));
                Add(2, "crm.stripe", S(o?["customer"]));
                break;
            case DeliveryKind.Social:
                Add(1, "email", S(b["email"]));
                if (S(b["network"]) is { } network) Add(3, "social." + network.ToLowerInvariant(), S(b["handle"])?.TrimStart('@').ToLowerInvariant());
                break;
        }

        return found;
    }

    private sealed class Person(int index, string name, string email, string userId, string anonymousId, string zone, string locale, Random random,
        List<Delivery> deliveries)
    {
        private int messageCount;

        public int Index { get; } = index;
        public string Name { get; } = name;
        public string Email { get; } = email;
        public string UserId { get; } = userId;
        public string AnonymousId { get; } = anonymousId;
        public string Zone { get; } = zone;
        public string Locale { get; } = locale;
        public Random Random { get; } = random;
        public List<Delivery> Deliveries { get; } = deliveries;
        public string CrmId => $"{9000 + Index}";
        public string StripeCustomer => $"cus_{Index:0000}";

        /// <summary>Some system knows their email (consent changes are only recorded for such people).</summary>
        public bool EmailKnown { get; set; }

        public string NextId(string prefix) => $"{prefix}-{Index:0000}-{++messageCount:000}";

        public int MessageCount => messageCount;
    }

    /// <summary>Browses anonymously over a few sessions; most sign up a day or two later (the anonymous profile just gains their ids).</summary>
    private static string Visitor(Person p, DateTimeOffset start, DateTimeOffset end)
    {
        var at = RandomTime(p.Random, start, end.AddDays(-3));
        Browse(p, ref at, sessions: 1 + p.Random.Next(3), identified: false);
        if (p.Random.NextDouble() < 0.6)
        {
            at = at.AddDays(p.Random.Next(1, 3));
            Web(p, at, Identify(p, at));
            Web(p, at.AddSeconds(5), Track(p, at.AddSeconds(5), "Signed Up", new JsonObject { ["plan"] = "free" }, identified: true));
            Browse(p, ref at, sessions: 1, identified: true);
            return "visited anonymously, then signed up";
        }

        return "anonymous visitor";
    }

    /// <summary>
    /// A contact in the CRM who looks around the site anonymously and, the next day, leaves their email on a form: the
    /// anonymous profile merges into the CRM's. Then calls, an opportunity, a meeting, a letter, sometimes a won deal; or,
    /// without an opportunity, some come back to pricing on the last day.
    /// </summary>
    private static string CrmLead(Person p, DateTimeOffset start, DateTimeOffset end)
    {
        var at = RandomTime(p.Random, start, end.AddDays(-6));
        var owner = Owners[p.Random.Next(Owners.Length)];
        var company = Companies[p.Random.Next(Companies.Length)];
        Crm(p, at, "contact.updated", new JsonObject { ["owner"] = owner }, traits: new JsonObject
        {
            ["company"] = company, ["title"] = Titles[p.Random.Next(Titles.Length)], ["name"] = p.Name, ["locale"] = p.Locale,
        });
        Crm(p, at.AddMinutes(1), "lead.status_changed", new JsonObject { ["status"] = "new", ["owner"] = owner });

        // They look around before anyone calls: an anonymous profile of its own, for now.
        var visit = at.AddHours(p.Random.Next(2, 12));
        Browse(p, ref visit, sessions: 1, identified: false, pricing: true);
        // A day later or more, they download the price list with their email: the anonymous profile merges into the CRM's.
        var form = visit.AddDays(1).AddHours(p.Random.Next(0, 5));
        Web(p, form, Page(p, form, "/pricing", default, identified: false));
        Web(p, form.AddMinutes(1), Identify(p, form.AddMinutes(1), withUserId: false));
        Web(p, form.AddMinutes(2), Track(p, form.AddMinutes(2), "Price List Downloaded", new JsonObject { ["format"] = "pdf" }, identified: false));

        var status = form.AddHours(2);
        Crm(p, status, "lead.status_changed", new JsonObject { ["status"] = "mql", ["owner"] = owner });
        Crm(p, status.AddHours(2), "call.logged", new JsonObject { ["owner"] = owner, ["subject"] = "Discovery call", ["cost"] = 12, ["currency"] = "EUR" });
        if (p.Random.NextDouble() >= 0.65)
        {
            // Some come back days after the call, on the last day, and look at pricing again and again: a hot lead.
            var back = RandomTime(p.Random, end.AddHours(-20), end.AddHours(-1));
            if (p.Random.NextDouble() >= 0.6 || back < status.AddDays(2).AddHours(3)) return "CRM lead who visited the site";
            for (var i = 0; i < 3; i++)
            {
                var view = back.AddMinutes(20 * i);
                Web(p, view, Page(p, view, "/pricing", default, identified: false));
            }

            return "CRM lead who visited the site, back on pricing today";
        }

        var deal = $"deal-{p.Index:0000}";
        var value = p.Random.Next(5, 60) * 100m;
        Crm(p, status.AddDays(1), "lead.status_changed", new JsonObject { ["status"] = "sql", ["owner"] = owner });
        Crm(p, status.AddDays(1).AddHours(1), "opportunity.stage_changed",
            new JsonObject { ["objectId"] = deal, ["stage"] = "Proposal", ["amount"] = value, ["currency"] = "EUR", ["owner"] = owner });
        Crm(p, status.AddDays(2), "meeting.logged",
            new JsonObject { ["owner"] = owner, ["subject"] = $"Proposal review at {company}", ["cost"] = 40, ["currency"] = "EUR" });
        Crm(p, status.AddDays(2).AddHours(3), "mail.sent", new JsonObject { ["owner"] = owner, ["subject"] = "Contract and price list", ["channel"] = "post" });
        if (p.Random.NextDouble() >= 0.5) return "CRM lead with an open opportunity";

        Crm(p, status.AddDays(3), "opportunity.stage_changed",
            new JsonObject { ["objectId"] = deal, ["stage"] = "Closed Won", ["amount"] = value, ["currency"] = "EUR", ["owner"] = owner });
        Stripe(p, status.AddDays(3).AddHours(2), "invoice.paid", new JsonObject
        {
            ["id"] = $"in_{p.Index:0000}", ["object"] = "invoice", ["customer"] = p.StripeCustomer, ["customer_email"] = p.Email,
            ["customer_name"] = p.Name, ["amount_paid"] = (long)(value * 100), ["currency"] = "eur",
        });
        return "CRM lead who visited the site and became a customer";
    }

    /// <summary>
    /// Browses, adds to the cart, sometimes leaves it; most check out (the website and Stripe both report the order, which
    /// counts once). Some were newsletter readers first: their anonymous browsing merges into the newsletter profile at checkout.
    /// Some open a ticket afterwards, and some of those get a refund. Some shop on the last day.
    /// </summary>
    private static string Shopper(Person p, DateTimeOffset start, DateTimeOffset end)
    {
        var reader = p.Random.NextDouble() < 0.45;
        // Some shop on the last day, in its last hours: recent enough for what is decided now (a thank-you for an order of
        // the last 6 hours, a cart reminder 4 hours after the cart) — the rest of the traffic is history by then.
        var today = !reader && p.Random.NextDouble() < 0.3;
        var at = today ? RandomTime(p.Random, end.AddHours(-10), end.AddHours(-1)) : RandomTime(p.Random, start, end.AddDays(-3));
        if (reader)
        {
            // Subscribed to the newsletter (email and CRM id only), and read it before ever visiting the shop.
            Crm(p, at, "consent.changed", new JsonObject { ["channel"] = "email", ["status"] = "granted", ["subject"] = "Newsletter sign-up" });
            Crm(p, at.AddHours(1), "mail.sent", new JsonObject { ["channel"] = "email", ["subject"] = "Autumn sale: 20% off tents" });
            at = at.AddDays(1).AddHours(p.Random.Next(1, 8));
            Browse(p, ref at, sessions: 1, identified: false, campaign: Campaigns[0]);
            at = at.AddDays(1).AddHours(p.Random.Next(0, 6));
        }
        else
        {
            Browse(p, ref at, sessions: 1, identified: false);
        }

        // Checking out means logging in: the anonymous id meets the user id and the email.
        Web(p, at, Identify(p, at));
        var (id, name, price) = Products[p.Random.Next(Products.Length)];
        var quantity = 1 + p.Random.Next(2);
        Web(p, at.AddMinutes(1), Track(p, at.AddMinutes(1), "Product Viewed", Product(id, name, price, 1), identified: true));
        Web(p, at.AddMinutes(2), Track(p, at.AddMinutes(2), "Product Added", Product(id, name, price, quantity), identified: true));
        var total = price * quantity;
        if (p.Random.NextDouble() < 0.25)
            return reader ? "newsletter reader who left a cart" : today ? "left a cart today" : "left a cart";

        Web(p, at.AddMinutes(4), Track(p, at.AddMinutes(4), "Checkout Started", new JsonObject { ["value"] = total, ["currency"] = "EUR" }, identified: true));
        var order = $"ord-{p.Index:0000}";
        Web(p, at.AddMinutes(6), Track(p, at.AddMinutes(6), "Order Completed", new JsonObject
        {
            ["order_id"] = order, ["total"] = total, ["currency"] = "EUR", ["products"] = new JsonArray(Product(id, name, price, quantity)),
        }, identified: true));
        Stripe(p, at.AddMinutes(7), "checkout.session.completed", new JsonObject
        {
            ["id"] = order, ["object"] = "checkout.session", ["customer"] = p.StripeCustomer, ["amount_total"] = (long)(total * 100),
            ["currency"] = "eur", ["customer_details"] = new JsonObject { ["email"] = p.Email, ["name"] = p.Name },
        });
        var bought = reader ? "newsletter reader who browsed anonymously, then bought" : today ? "bought today" : "bought";
        if (p.Random.NextDouble() >= 0.35) return bought;

        var opened = at.AddDays(1);
        var ticket = $"T-{p.Index:0000}";
        Crm(p, opened, "ticket.opened", new JsonObject { ["objectId"] = ticket, ["subject"] = $"{name}: wrong size", ["cost"] = 8, ["currency"] = "EUR" });
        Crm(p, opened.AddHours(3), "call.logged", new JsonObject { ["subject"] = "Exchange or refund", ["cost"] = 6, ["currency"] = "EUR" });
        if (p.Random.NextDouble() >= 0.5) return bought + ", has an open ticket";

        Stripe(p, opened.AddHours(5), "charge.refunded", new JsonObject
        {
            ["id"] = $"ch_{p.Index:0000}", ["object"] = "charge", ["customer"] = p.StripeCustomer, ["amount"] = (long)(total * 100),
            ["amount_refunded"] = (long)(total * 100), ["currency"] = "eur", ["receipt_email"] = p.Email,
            ["billing_details"] = new JsonObject { ["email"] = p.Email, ["name"] = p.Name },
        });
        Crm(p, opened.AddHours(6), "ticket.closed", new JsonObject { ["objectId"] = ticket, ["subject"] = "Refunded" });
        return bought + ", then was refunded";
    }

    /// <summary>Someone heard on social networks: an influencer or not, an advocate or a detractor, a customer or a stranger.</summary>
    private static string SocialVoice(Person p, DateTimeOffset start, DateTimeOffset end)
    {
        var at = RandomTime(p.Random, start, end.AddDays(-2));
        var network = p.Random.NextDouble() < 0.5 ? "x" : "instagram";
        var handle = Ascii(p.Name.Replace(" ", "_", StringComparison.Ordinal)).ToLowerInvariant() + p.Index;
        var influencer = p.Random.NextDouble() < 0.4;
        var followers = influencer ? p.Random.Next(20_000, 400_000) : p.Random.Next(50, 3_000);
        var customer = p.Random.NextDouble() < 0.5;
        if (customer)
        {
            // A customer already: logged in, bought, and the listening tool knows their email (a lead form, a review platform).
            Web(p, at, Identify(p, at));
            at = at.AddSeconds(20);
            Browse(p, ref at, sessions: 1, identified: true);
            var (id, name, price) = Products[p.Random.Next(Products.Length)];
            Stripe(p, at.AddMinutes(-20), "checkout.session.completed", new JsonObject
            {
                ["id"] = $"ord-{p.Index:0000}", ["object"] = "checkout.session", ["customer"] = p.StripeCustomer, ["amount_total"] = (long)(price * 100),
                ["currency"] = "eur", ["customer_details"] = new JsonObject { ["email"] = p.Email, ["name"] = p.Name },
            });
            Web(p, at.AddMinutes(-21), Track(p, at.AddMinutes(-21), "Order Completed", new JsonObject
            {
                ["order_id"] = $"ord-{p.Index:0000}", ["total"] = price, ["currency"] = "EUR", ["products"] = new JsonArray(Product(id, name, price, 1)),
            }, identified: true));
            at = at.AddHours(p.Random.Next(4, 30));
        }

        var positive = p.Random.NextDouble() < 0.7;
        Social(p, at, "social.mention", network, handle, followers, customer,
            positive ? "Just did a 3-day hike in my new Trail Runners, not a blister." : "Still waiting for my refund, two weeks now.",
            positive ? 0.8 : -0.7);
        if (!positive)
        {
            Social(p, at.AddHours(3), "social.message", network, handle, followers, customer, "Is anyone there? Order number in my last post.", -0.5);
            return influencer ? "influential detractor" : "detractor";
        }

        Social(p, at.AddHours(5), "social.share", network, handle, followers, customer, "Their packing-light guide is the best.", 0.6);
        Social(p, at.AddHours(6), "social.follow", network, handle, followers, customer, null, null);
        Social(p, at.AddDays(1), "social.review", network, handle, followers, customer, "Great gear and quick delivery.", 0.9, rating: 5);
        return (influencer ? "influencer and advocate" : "advocate") + (customer ? " (a customer)" : "");
    }

    private static void Consent(Person p, DateTimeOffset start, DateTimeOffset end)
    {
        var roll = p.Random.NextDouble();
        if (roll > 0.4) return;
        var at = RandomTime(p.Random, start, end);
        Crm(p, at, "consent.changed", new JsonObject { ["channel"] = "email", ["status"] = roll < 0.3 ? "granted" : "denied" });
        if (roll < 0.12) Crm(p, at.AddMinutes(1), "consent.changed", new JsonObject { ["channel"] = "sms", ["status"] = "granted" });
    }

    /// <summary>
    /// Deliberately broken traffic, a little every day: a bot whose tracker has no usable id (the collector refuses that
    /// event and keeps the rest of its batch), a listening tool that lost the author's handle (ingestion refuses it and
    /// keeps it in <c>rejected</c>), a Stripe event type that is not mapped (acknowledged and ignored), and a CRM event
    /// without its status (the webhook refuses the delivery with a 400).
    /// </summary>
    private static void Noise(Random random, int people, DateTimeOffset start, int days, List<Delivery> d)
    {
        var perDay = Math.Max(1, people / 150);
        var n = 0;
        for (var day = 0; day < days; day++)
        {
            for (var i = 0; i < perDay; i++, n++)
            {
                var at = start.AddDays(day).AddMinutes(60 + random.Next(22 * 60));
                d.Add(new Delivery(at, DeliveryKind.Segment, new JsonObject
                {
                    ["type"] = "page", ["messageId"] = $"bot-{n:0000}", ["anonymousId"] = "undefined", ["timestamp"] = Iso(at), ["name"] = "Home",
                    ["properties"] = new JsonObject { ["path"] = "/", ["url"] = "https://shop.touchpoints.example/" },
                    ["context"] = new JsonObject { ["userAgent"] = "python-requests/2.32", ["ip"] = "198.51.100.7" },
                }, Flaw: "a page view without a usable identifier (anonymousId 'undefined')"));

                if ((day + i) % 2 == 0)
                {
                    at = at.AddMinutes(random.Next(60));
                    d.Add(new Delivery(at, DeliveryKind.Social, new JsonObject
                    {
                        ["eventId"] = $"listening-{n:0000}", ["type"] = "social.mention", ["network"] = "x", ["handle"] = "unknown",
                        ["text"] = "Anyone tried the Ultralight Tent?", ["sentiment"] = 0.1, ["occurredAt"] = Iso(at),
                    }, Flaw: "a mention whose author the listening tool lost (handle 'unknown')"));
                }

                if ((day + i) % 3 == 0)
                {
                    at = at.AddMinutes(random.Next(60));
                    d.Add(new Delivery(at, DeliveryKind.Stripe, new JsonObject
                    {
                        ["id"] = $"evt_pi_{n:0000}", ["object"] = "event", ["type"] = "payment_intent.created", ["created"] = at.ToUnixTimeSeconds(),
                        ["livemode"] = false, ["data"] = new JsonObject { ["object"] = new JsonObject { ["id"] = $"pi_{n:0000}", ["object"] = "payment_intent", ["amount"] = 12900 } },
                    }, Flaw: "a Stripe event type the app does not map (payment_intent.created)"));
                }

                if ((day + i) % 4 == 1)
                {
                    at = at.AddMinutes(random.Next(60));
                    d.Add(new Delivery(at, DeliveryKind.Crm, new JsonObject
                    {
                        ["eventId"] = $"crm-broken-{n:0000}", ["type"] = "lead.status_changed", ["occurredAt"] = Iso(at),
                        ["customer"] = new JsonObject { ["system"] = CrmSystem, ["crmId"] = $"{8000 + n}" },
                    }, Flaw: "a lead status change without its status"));
                }
            }
        }
    }

    private static void Browse(Person p, ref DateTimeOffset at, int sessions, bool identified, bool pricing = false,
        (string Source, string Medium, string Campaign) campaign = default)
    {
        for (var s = 0; s < sessions; s++)
        {
            var utm = campaign.Source is not null ? campaign : p.Random.NextDouble() < 0.5 ? Campaigns[p.Random.Next(Campaigns.Length)] : default;
            var pages = 2 + p.Random.Next(4);
            for (var i = 0; i < pages; i++)
            {
                var path = pricing && i == 1 ? "/pricing" : Pages[p.Random.Next(Pages.Length)];
                Web(p, at, Page(p, at, path, i == 0 ? utm : default, identified));
                if (p.Random.NextDouble() < 0.35)
                {
                    var (id, name, price) = Products[p.Random.Next(Products.Length)];
                    at = at.AddSeconds(40 + p.Random.Next(60));
                    Web(p, at, Track(p, at, "Product Viewed", Product(id, name, price, 1), identified));
                }

                at = at.AddSeconds(30 + p.Random.Next(240));
            }

            if (s < sessions - 1) at = at.AddHours(6 + p.Random.Next(40));
        }
    }

    private static JsonObject Message(Person p, DateTimeOffset at, string type, bool identified)
    {
        var message = new JsonObject
        {
            ["type"] = type,
            ["messageId"] = p.NextId("msg"),
            ["anonymousId"] = p.AnonymousId,
        };
        if (identified) message["userId"] = p.UserId;
        // A historical event: its own time and no sentAt, so the collector's skew correction keeps the simulated time.
        message["timestamp"] = Iso(at);
        message["context"] = new JsonObject
        {
            ["userAgent"] = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
            ["ip"] = $"203.0.113.{p.Index % 250}",
            ["locale"] = p.Locale,
            ["timezone"] = p.Zone,
        };
        return message;
    }

    private static JsonObject Page(Person p, DateTimeOffset at, string path, (string Source, string Medium, string Campaign) campaign, bool identified)
    {
        var m = Message(p, at, "page", identified);
        var name = path == "/" ? "Home" : path.Trim('/').Replace('/', ' ');
        m["name"] = name;
        m["properties"] = new JsonObject { ["path"] = path, ["url"] = $"https://shop.touchpoints.example{path}", ["title"] = name };
        if (campaign.Source is not null)
            m["context"]!["campaign"] = new JsonObject { ["source"] = campaign.Source, ["medium"] = campaign.Medium, ["name"] = campaign.Campaign };
        return m;
    }

    private static JsonObject Track(Person p, DateTimeOffset at, string name, JsonObject properties, bool identified)
    {
        var m = Message(p, at, "track", identified);
        m["event"] = name;
        m["properties"] = properties;
        return m;
    }

    private static JsonObject Identify(Person p, DateTimeOffset at, bool withUserId = true)
    {
        p.EmailKnown = true;
        var m = Message(p, at, "identify", withUserId);
        m["traits"] = new JsonObject { ["email"] = p.Email, ["name"] = p.Name, ["timezone"] = p.Zone };
        return m;
    }

    private static JsonObject Product(string id, string name, decimal price, int quantity) =>
        new() { ["product_id"] = id, ["name"] = name, ["price"] = price, ["quantity"] = quantity, ["currency"] = "EUR" };

    private static void Web(Person p, DateTimeOffset at, JsonObject message) => p.Deliveries.Add(new Delivery(at, DeliveryKind.Segment, message, p.Index));

    private static void Crm(Person p, DateTimeOffset at, string type, JsonObject fields, JsonObject? traits = null)
    {
        p.EmailKnown = true;
        var customer = new JsonObject { ["system"] = CrmSystem, ["crmId"] = p.CrmId, ["email"] = p.Email };
        foreach (var (key, value) in traits ?? []) customer[key] = value?.DeepClone();
        var body = new JsonObject { ["eventId"] = p.NextId("crm"), ["type"] = type, ["occurredAt"] = Iso(at), ["customer"] = customer };
        foreach (var (key, value) in fields) body[key] = value?.DeepClone();
        p.Deliveries.Add(new Delivery(at, DeliveryKind.Crm, body, p.Index));
    }

    private static void Stripe(Person p, DateTimeOffset at, string type, JsonObject data)
    {
        p.EmailKnown = true;
        p.Deliveries.Add(new Delivery(at, DeliveryKind.Stripe, new JsonObject
        {
            ["id"] = "evt_" + p.NextId("demo").Replace('-', '_'), ["object"] = "event", ["api_version"] = "2024-06-20", ["type"] = type,
            ["created"] = at.ToUnixTimeSeconds(), ["livemode"] = false, ["data"] = new JsonObject { ["object"] = data },
        }, p.Index));
    }

    private static void Social(Person p, DateTimeOffset at, string type, string network, string handle, long followers,
        bool knownEmail, string? text, double? sentiment, double? rating = null)
    {
        var body = new JsonObject
        {
            ["eventId"] = p.NextId("soc"), ["type"] = type, ["network"] = network, ["handle"] = "@" + handle,
            ["profileUrl"] = $"https://{network}.example/{handle}", ["followers"] = followers, ["occurredAt"] = Iso(at),
        };
        if (text is not null) body["text"] = text;
        if (sentiment is not null) body["sentiment"] = sentiment;
        if (rating is not null) body["rating"] = rating;
        if (type != "social.follow") body["url"] = $"https://{network}.example/{handle}/posts/{p.MessageCount}";
        if (knownEmail) body["email"] = p.Email;
        p.Deliveries.Add(new Delivery(at, DeliveryKind.Social, body, p.Index));
    }

    private static DateTimeOffset RandomTime(Random random, DateTimeOffset from, DateTimeOffset to)
    {
        var span = Math.Max(1, (to - from).TotalMinutes);
        return from.AddMinutes(random.NextDouble() * span);
    }

    internal static string Iso(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    private static string Ascii(string s) =>
        new([.. s.Normalize(System.Text.NormalizationForm.FormD).Where(c => char.IsAsciiLetterOrDigit(c) || c == '_')]);
}
