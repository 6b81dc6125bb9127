using Touchpoints.Core.Identity;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Nodes;
using Touchpoints.Core.Events;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Views;

namespace Touchpoints.Benchmarks;

/// <summary>
/// A deterministic rules workload: customer views shaped like a shop's (most visitors anonymous and light, a few heavy;
/// some identified, some leads with owners, some customers with orders, refunds and tickets, a few social voices), scored
/// and segmented by the default rules; and rules documents with varied conditions over the whole fact catalog.
/// </summary>
internal static class RulesWorkload
{
    public static readonly DateTimeOffset Now = new(2025, 6, 2, 12, 0, 0, TimeSpan.Zero);

    private static readonly string[] Statuses = ["New", "Open", "Working", "MQL", "SQL", "Customer", "Unqualified"];
    private static readonly string[] Owners = ["maria", "li", "sam", "priya"];
    private static readonly string[] Searches = ["tent", "sleeping bag", "walking boots", "rain jacket", "stove", "head torch"];
    private static readonly string[] Titles = ["Head of Buying", "Mountain Guide", "Store Manager", "Student", "Teacher", "Outdoor Instructor"];
    private static readonly string[] Companies = ["Peak Outfitters", "Fell Runners Club", "Northern Schools Trust", "Summit Guides"];
    private static readonly string[] Sources = ["google", "newsletter", "instagram", "facebook"];
    private static readonly string[] Segments = ["influential", "advocate", "profitable", "costly", "high-value"];

    public static CustomerView[] Views(int count, int seed = 7)
    {
        var random = new Random(seed);
        var rules = DefaultRules.Compiled;
        var views = new CustomerView[count];
        for (var i = 0; i < count; i++)
        {
            var view = View(random, i);
            view = CustomerProjection.Derive(view);
            views[i] = Segmentation.Derive(view, rules, Now).View;
        }
        return views;
    }

    private static DateTimeOffset Ago(Random random, double maxDays) => Now.AddMinutes(-random.NextDouble() * maxDays * 24 * 60);

    private static Activity Activity(Random random, long count, double maxDays)
    {
        var last = Ago(random, maxDays);
        return new Activity(last.AddDays(-random.NextDouble() * 90), last, count);
    }

    private static long Heavy(Random random, int light, int heavy) => random.NextDouble() < 0.1 ? random.Next(light, heavy) : random.Next(0, light);

    private static CustomerView View(Random random, int index)
    {
        var created = Ago(random, 400);
        var known = random.NextDouble() < 0.45;
        var lead = known && random.NextDouble() < 0.35;
        var customer = known && random.NextDouble() < 0.4;
        var social = random.NextDouble() < 0.15;
        var pageViews = 1 + Heavy(random, 8, 120);
        var counters = ImmutableSortedDictionary.CreateBuilder<string, long>(StringComparer.Ordinal);
        counters["web.page"] = pageViews;
        var productViews = Heavy(random, 4, 40);
        if (productViews > 0) counters["web.track.Product Viewed"] = productViews;
        var cart = random.NextDouble() < 0.2 ? new Cart(Math.Round((decimal)(random.NextDouble() * 400), 2), random.Next(1, 5), "GBP", Ago(random, 10)) : null;
        if (cart is not null) counters["web.track.Product Added"] = cart.Items;
        if (cart is not null && random.NextDouble() < 0.3) counters["web.track.Checkout Started"] = 1;

        var identities = ImmutableArray.Create($"anonymousId:a-{index}");
        var traits = CustomerTraits.Empty;
        var consent = ConsentBook.Empty;
        if (known)
        {
            identities = identities.Add($"email:c{index}@example.com");
            traits = new CustomerTraits
            {
                Name = new Stamped<string>($"Customer {index}", created),
                Email = new Stamped<string>($"c{index}@example.com", created),
                Phone = random.NextDouble() < 0.4 ? new Stamped<string>($"+4477009{index:00000}", created) : null,
                Company = random.NextDouble() < 0.3 ? new Stamped<string>(Companies[random.Next(Companies.Length)], created) : null,
                Title = random.NextDouble() < 0.3 ? new Stamped<string>(Titles[random.Next(Titles.Length)], created) : null,
                Locale = new Stamped<string>(random.NextDouble() < 0.7 ? "en-GB" : "de-DE", created),
            };
            consent = consent
                .With(ConsentChannel.Email, new ConsentState(random.NextDouble() < 0.7 ? ConsentStatus.Granted : ConsentStatus.Denied, "crm", created))
                .With(ConsentChannel.Sms, new ConsentState(random.NextDouble() < 0.3 ? ConsentStatus.Granted : ConsentStatus.Unknown, "crm", created));
        }

        var sections = new TouchpointSections
        {
            Web = new WebSection
            {
                Activity = Activity(random, pageViews + productViews, 60),
                Sessions = 1 + pageViews / 5,
                PageViews = pageViews,
                ProductViews = productViews,
                PricingViews = Heavy(random, 2, 12),
                Cart = cart,
                LastSearch = random.NextDouble() < 0.3 ? new Stamped<string>(Searches[random.Next(Searches.Length)], Ago(random, 30)) : null,
                FirstUtm = random.NextDouble() < 0.4 ? new Stamped<Campaign>(new Campaign(Sources[random.Next(Sources.Length)], "cpc", "summer", null, null), created) : null,
            },
            Email = known && random.NextDouble() < 0.6 ? new InteractionSection(Activity(random, random.Next(1, 30), 30), new LastInteraction(Ago(random, 30), "Opened newsletter")) : null,
            Social = social ? new SocialSection
            {
                Activity = Activity(random, random.Next(1, 20), 90),
                Handles = [new SocialHandle("instagram", $"h{index}", null, random.NextDouble() < 0.1 ? random.Next(10_000, 500_000) : random.Next(0, 3_000), Ago(random, 90))],
                Mentions = random.Next(0, 6),
                Shares = random.Next(0, 8),
                Reviews = random.Next(0, 3),
                PositiveReviews = random.Next(0, 2),
                SentimentSum = random.NextDouble() * 4 - 1.5,
                SentimentCount = 3,
            } : null,
            Sales = lead ? new SalesSection
            {
                Activity = Activity(random, random.Next(1, 10), 60),
                Owner = new Stamped<string>(Owners[random.Next(Owners.Length)], created),
                LeadStatus = new Stamped<string>(Statuses[random.Next(Statuses.Length)], Ago(random, 60)),
                Opportunity = random.NextDouble() < 0.3 ? new Opportunity("opp", "Proposal", random.Next(500, 20_000), "GBP", true, Ago(random, 30)) : null,
                LastContactAt = random.NextDouble() < 0.5 ? Ago(random, 20) : null,
            } : null,
            Support = customer && random.NextDouble() < 0.3 ? new SupportSection
            {
                Activity = Activity(random, random.Next(1, 5), 120),
                OpenTickets = random.NextDouble() < 0.3 ? [new Ticket("T1", "Tent pole snapped", Ago(random, 10))] : [],
                TicketsOpened = random.Next(1, 5),
                LastTicketSubject = new Stamped<string>("Tent pole snapped", Ago(random, 60)),
            } : null,
            Billing = customer ? Billing(random) : null,
        };
        return new CustomerView
        {
            Id = new CustomerId($"c-{index}"),
            CreatedAt = created,
            UpdatedAt = Now,
            Identities = identities,
            Traits = traits,
            Consent = consent,
            Touchpoints = sections,
            Counters = counters.ToImmutable(),
            Segments = [.. Segments.Where(_ => random.NextDouble() < 0.1)],
        };
    }

    private static BillingSection Billing(Random random)
    {
        var orders = random.Next(1, 8);
        var revenue = Math.Round((decimal)(orders * (40 + random.NextDouble() * 200)), 2);
        var refunds = random.NextDouble() < 0.2 ? Math.Round(revenue * (decimal)random.NextDouble(), 2) : 0;
        var last = Ago(random, 200);
        return new BillingSection
        {
            Activity = new Activity(last.AddDays(-random.Next(0, 300)), last, orders),
            Orders = orders,
            Revenue = revenue,
            Refunds = refunds,
            RefundCount = refunds > 0 ? 1 : 0,
            CostToServe = Math.Round((decimal)(random.NextDouble() * 30), 2),
            LastOrder = new Order("o", Math.Round(revenue / orders, 2), "GBP", last),
            Currency = "GBP",
        };
    }

    /// <summary>A rules document of <paramref name="count"/> rules whose conditions are varied trees over the fact catalog.</summary>
    public static string Document(int count, int seed = 11)
    {
        var random = new Random(seed);
        var facts = Facts.Catalog.Values.OrderBy(f => f.Path, StringComparer.Ordinal)
            .Append(Facts.Find("counters.web.track.Product Viewed")!).Append(Facts.Find("counters.web.track.Checkout Started")!).ToArray();
        var document = JsonNode.Parse(DefaultRules.Json)!.AsObject();
        var rules = new JsonArray();
        for (var i = 0; i < count; i++)
        {
            rules.Add(new JsonObject
            {
                ["id"] = $"rule-{i}",
                ["kind"] = "marketing",
                ["channel"] = "email",
                ["template"] = $"template-{i}",
                ["priority"] = random.Next(0, 101),
                ["trigger"] = new JsonObject { ["on"] = "change" },
                ["conditions"] = Condition(random, facts, depth: 2),
            });
        }
        document["rules"] = rules;
        return document.ToJsonString();
    }

    private static JsonObject Condition(Random random, Fact[] facts, int depth)
    {
        var roll = random.NextDouble();
        if (depth <= 0 || roll < 0.35) return Predicate(random, facts[random.Next(facts.Length)]);
        if (roll < 0.9)
        {
            var parts = new JsonArray();
            for (var i = random.Next(2, 5); i > 0; i--) parts.Add(Condition(random, facts, depth - 1));
            return new JsonObject { [roll < 0.65 ? "all" : "any"] = parts };
        }
        return new JsonObject { ["not"] = Condition(random, facts, depth - 1) };
    }

    private static JsonObject Predicate(Random random, Fact fact)
    {
        var ops = ConditionCompiler.Fits(fact.Type).Where(op => op != "changed").ToArray();
        var op = ops[random.Next(ops.Length)];
        var node = new JsonObject { ["fact"] = fact.Path, ["op"] = op };
        JsonNode? value = (fact.Type, op) switch
        {
            (_, "exists") => null,
            (FactType.Number, "in" or "notIn") => new JsonArray(random.Next(0, 5), random.Next(5, 20)),
            (FactType.Number, _) => random.Next(0, 4) switch { 0 => 0, 1 => random.Next(1, 10), 2 => random.Next(10, 100), _ => random.Next(100, 20_000) },
            (FactType.Text, "in" or "notIn") => new JsonArray(Text(random, fact), Text(random, fact)),
            (FactType.Text, _) => Text(random, fact),
            (FactType.Time, "withinLast" or "olderThan") => new[] { "4h", "1d", "7d", "30d", "P90D" }[random.Next(5)],
            (FactType.Time, _) => Now.AddDays(-random.Next(0, 200)).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
            (FactType.Flag, _) => random.NextDouble() < 0.5,
            (_, "in" or "notIn") => new JsonArray(Segments[random.Next(Segments.Length)], Segments[random.Next(Segments.Length)]),
            _ => Segments[random.Next(Segments.Length)],
        };
        if (value is not null) node["value"] = value;
        return node;
    }

    private static string Text(Random random, Fact fact) => fact.Path switch
    {
        "lifecycle" => new[] { "anonymous", "known", "lead", "customer" }[random.Next(4)],
        var p when p.StartsWith("consent.", StringComparison.Ordinal) => new[] { "granted", "denied", "unknown" }[random.Next(3)],
        "touchpoints.sales.leadStatus" => Statuses[random.Next(Statuses.Length)],
        "touchpoints.sales.owner" => Owners[random.Next(Owners.Length)],
        "touchpoints.web.lastSearch" => Searches[random.Next(Searches.Length)],
        "traits.title" => new[] { "Buying", "Guide", "Manager" }[random.Next(3)],
        "traits.locale" => new[] { "en-GB", "GB", "de" }[random.Next(3)],
        "traits.email" => "example.com",
        _ => Sources[random.Next(Sources.Length)],
    };
}
