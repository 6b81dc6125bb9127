using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Touchpoints.Core.Collection;

namespace Touchpoints.Benchmarks.Cost;

/// <summary>One event as a producer publishes it: its hub, the partition its key hashes to, and its body.</summary>
internal sealed record PublishedEvent(string Hub, int Partition, string Body, string Kind);

/// <summary>
/// The cost meter's traffic, deterministic for a seed: customers drawn by Zipf(<see cref="ZipfExponent"/>) over
/// <c>customers</c> (a few produce most of the traffic, as on a real site), each with two devices, and over time a user id,
/// an e-mail, a CRM contact, a Stripe customer and a social handle. The mix per event:
/// <list type="bullet">
/// <item>65 % web (analytics.js): pages and tracks (product viewed and added, checkout, order completed with products) from
/// either device, with the user id once the customer signed in on it;</item>
/// <item>5 % identify: a device signs in (user id and e-mail traits) — the first time on a device, its anonymous profile
/// merges into the customer's;</item>
/// <item>13 % CRM and billing (canonical events on <c>crm-events</c>): lead status, calls, tickets opened and closed, paid
/// invoices, consent; keyed by the CRM id as <see cref="CanonicalCrm.PartitionKey"/> keys them;</item>
/// <item>5 % social (<c>social-events</c>): mentions, reviews and follows by a handle, half of them with the e-mail;</item>
/// <item>12 % resends: an earlier event again, byte for byte (an SDK's retry, a replayed partition).</item>
/// </list>
/// Partitions are chosen as Event Hubs does for a partition key: a stable hash of the key, modulo the partition count.
/// </summary>
internal sealed class CostWorkload
{
    public const double ZipfExponent = 1.1;

    private readonly Random random;
    private readonly int customers;
    private readonly int partitions;
    private readonly double[] cumulative;
    private readonly DateTimeOffset start;
    private readonly Dictionary<int, CustomerState> state = [];
    private readonly List<PublishedEvent> sent = [];
    private int counter;

    public CostWorkload(int seed, int customers, int partitions, DateTimeOffset start)
    {
        random = new Random(seed);
        this.customers = customers;
        this.partitions = partitions;
        this.start = start;
        // Zipf: weight of rank k is 1 / k^s; customers are shuffled so that rank does not follow the id.
        cumulative = new double[customers];
        var sum = 0.0;
        for (var k = 0; k < customers; k++) cumulative[k] = sum += 1.0 / Math.Pow(k + 1, ZipfExponent);
        for (var k = 0; k < customers; k++) cumulative[k] /= sum;
    }

    private sealed class CustomerState
    {
        public bool[] SignedIn { get; } = new bool[2];
        public bool Lead { get; set; }
    }

    /// <summary>The next <paramref name="count"/> events, in publishing order.</summary>
    public IReadOnlyList<PublishedEvent> Next(int count)
    {
        var events = new List<PublishedEvent>(count);
        for (var i = 0; i < count; i++) events.Add(NextEvent());
        return events;
    }

    private PublishedEvent NextEvent()
    {
        var n = counter++;
        var at = start.AddSeconds(n * 0.05);
        var roll = random.NextDouble();
        if (roll < 0.12 && sent.Count > 0) return Remember(sent[random.Next(sent.Count)] with { Kind = "resend" }, remember: false);
        var c = Draw();
        if (!state.TryGetValue(c, out var s)) state[c] = s = new CustomerState();
        return roll switch
        {
            < 0.77 => Remember(Web(c, s, at, n)),
            < 0.82 => Remember(Identify(c, s, at, n)),
            < 0.95 => Remember(Crm(c, s, at, n)),
            _ => Remember(Social(c, at, n)),
        };
    }

    private PublishedEvent Remember(PublishedEvent e, bool remember = true)
    {
        if (remember) sent.Add(e);
        return e;
    }

    private int Draw()
    {
        var index = Array.BinarySearch(cumulative, random.NextDouble());
        var rank = index < 0 ? ~index : index;
        // A fixed permutation of ranks to customer numbers (multiplicative hash), so hot customers are spread over partitions.
        return (int)((Math.Min(rank, customers - 1) * 2654435761L) % customers);
    }

    private static string Anonymous(int c, int device) => $"anon-{c:x6}-{device}";

    private static string User(int c) => $"user-{c:x6}";

    private static string Email(int c) => $"customer{c}@example.com";

    private static readonly string[] Paths = ["/", "/pricing", "/shoes/trail-runner-3", "/shoes/road-glide", "/jackets/storm-shell", "/blog/how-to-choose", "/cart", "/account"];
    private static readonly string[] Products = ["trail-runner-3", "road-glide", "storm-shell", "merino-tee", "summit-pack"];

    private PublishedEvent Web(int c, CustomerState s, DateTimeOffset at, int n)
    {
        var device = random.NextDouble() < 0.2 ? 1 : 0;
        var roll = random.NextDouble();
        var (type, name) = roll switch
        {
            < 0.55 => ("page", (string?)null),
            < 0.75 => ("track", "Product Viewed"),
            < 0.85 => ("track", "Product Added"),
            < 0.90 => ("track", "Checkout Started"),
            < 0.95 => ("track", "Order Completed"),
            _ => ("track", "Newsletter Opened"),
        };
        var path = Paths[random.Next(Paths.Length)];
        var e = Segment(type, n, c, device, s.SignedIn[device], at);
        if (type == "page")
        {
            e["name"] = path == "/" ? "Home" : path.Trim('/');
            e["properties"] = new JsonObject
            {
                ["path"] = path, ["url"] = "https://shop.example.com" + path, ["title"] = "Acme Outdoor – " + path.Trim('/'),
                ["referrer"] = random.NextDouble() < 0.3 ? "https://www.google.com/" : "",
                ["search"] = random.NextDouble() < 0.2 ? "?utm_source=newsletter&utm_medium=email&utm_campaign=weekly_digest_23" : "",
            };
        }
        else
        {
            e["event"] = name;
            var product = Products[random.Next(Products.Length)];
            var properties = new JsonObject { ["product_id"] = product, ["price"] = 49.0 + random.Next(150), ["currency"] = "EUR" };
            if (name == "Order Completed")
            {
                properties = new JsonObject
                {
                    ["order_id"] = $"o-{n}", ["total"] = 80.0 + random.Next(400), ["currency"] = "EUR",
                    ["products"] = new JsonArray(new JsonObject { ["product_id"] = product, ["quantity"] = 1, ["price"] = 89.0 }),
                };
            }
            e["properties"] = properties;
        }
        return Keyed(e);
    }

    private PublishedEvent Identify(int c, CustomerState s, DateTimeOffset at, int n)
    {
        var device = random.NextDouble() < 0.3 ? 1 : 0;
        var e = Segment("identify", n, c, device, signedIn: true, at);
        s.SignedIn[device] = true;
        e["traits"] = new JsonObject { ["email"] = Email(c), ["name"] = $"Customer {c}", ["plan"] = random.NextDouble() < 0.2 ? "pro" : "free" };
        return Keyed(e);
    }

    private static JsonObject Segment(string type, int n, int c, int device, bool signedIn, DateTimeOffset at)
    {
        var e = new JsonObject
        {
            ["type"] = type,
            ["messageId"] = $"ajs-next-{n:x8}-{c:x6}",
            ["anonymousId"] = Anonymous(c, device),
            ["timestamp"] = Time(at),
            ["sentAt"] = Time(at.AddMilliseconds(40)),
            ["receivedAt"] = Time(at.AddMilliseconds(90)),
            ["context"] = new JsonObject
            {
                ["library"] = new JsonObject { ["name"] = "analytics.js", ["version"] = "next-1.70.0" },
                ["userAgent"] = device == 0
                    ? "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36"
                    : "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
                ["locale"] = "en-GB",
                ["timezone"] = "Europe/London",
                ["page"] = new JsonObject { ["path"] = "/", ["url"] = "https://shop.example.com/", ["title"] = "Acme Outdoor" },
            },
        };
        if (signedIn) e["userId"] = User(c);
        return e;
    }

    private PublishedEvent Keyed(JsonObject e) =>
        new(Touchpoints.Core.Resources.Hubs.WebEvents, PartitionOf(SegmentIntake.PartitionKey(e)), e.ToJsonString(), "web." + (string?)e["type"]);

    private PublishedEvent Crm(int c, CustomerState s, DateTimeOffset at, int n)
    {
        var billing = random.NextDouble() < 0.35;
        var customer = billing
            ? new JsonObject { ["system"] = "stripe", ["crmId"] = $"cus_{c:x8}", ["email"] = Email(c) }
            : new JsonObject { ["system"] = "hubspot", ["crmId"] = $"{900000 + c}", ["email"] = Email(c), ["name"] = $"Customer {c}" };
        var e = new JsonObject { ["eventId"] = $"crm-{n:x8}", ["occurredAt"] = Time(at), ["customer"] = customer };
        if (billing)
        {
            e["type"] = "invoice.paid";
            e["amount"] = 19.0 + random.Next(200);
            e["currency"] = "EUR";
            e["objectId"] = $"in_{n:x8}";
        }
        else
        {
            switch (random.Next(5))
            {
                case 0 when !s.Lead:
                    e["type"] = "lead.status_changed"; e["status"] = "mql"; e["owner"] = "sam@corp.example"; s.Lead = true;
                    break;
                case 1:
                    e["type"] = "call.logged"; e["subject"] = "Sizing question"; e["owner"] = "sam@corp.example";
                    break;
                case 2:
                    e["type"] = "ticket.opened"; e["objectId"] = $"T-{n}"; e["subject"] = "Parcel arrived damaged"; e["cost"] = 4.5;
                    break;
                case 3:
                    e["type"] = "ticket.closed"; e["objectId"] = $"T-{n - 7}"; e["cost"] = 2.0;
                    break;
                default:
                    e["type"] = "contact.updated"; e["consent"] = new JsonObject { ["email"] = random.NextDouble() < 0.9 ? "granted" : "denied" };
                    break;
            }
        }
        return new PublishedEvent(Touchpoints.Core.Resources.Hubs.CrmEvents, PartitionOf(CanonicalCrm.PartitionKey(e)), e.ToJsonString(), "crm." + (string?)e["type"]);
    }

    private PublishedEvent Social(int c, DateTimeOffset at, int n)
    {
        var types = new[] { "social.mention", "social.review", "social.follow" };
        var e = new JsonObject
        {
            ["eventId"] = $"soc-{n:x8}",
            ["type"] = types[random.Next(types.Length)],
            ["network"] = "x",
            ["handle"] = $"@fan{c:x6}",
            ["followers"] = random.Next(50, 50000),
            ["text"] = "Loving my new trail runners from @acme",
            ["sentiment"] = 0.6,
            ["occurredAt"] = Time(at),
        };
        if (random.NextDouble() < 0.5) e["email"] = Email(c);
        return new PublishedEvent(Touchpoints.Core.Resources.Hubs.SocialEvents, PartitionOf($"social:@fan{c:x6}"), e.ToJsonString(), "social");
    }

    private int PartitionOf(string? key)
    {
        if (key is null) return random.Next(partitions);
        // FNV-1a over the key's UTF-8: stable across runs, as Event Hubs' own hash of a partition key is.
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(key)) hash = (hash ^ b) * 16777619u;
        return (int)(hash % (uint)partitions);
    }

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
