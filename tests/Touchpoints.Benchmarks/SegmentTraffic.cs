using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Touchpoints.Core.Ingestion;
using Touchpoints.Core.Views;

namespace Touchpoints.Benchmarks;

/// <summary>
/// A deterministic, realistic batch of Segment Spec web events as analytics.js would send them (through a collector that
/// stamps <c>receivedAt</c>), serialised once to the strings the Event Hubs trigger hands the function.
/// </summary>
/// <remarks>
/// Traffic shape, per event: ~55% page, ~20% Product Viewed, ~8% Product Added, ~2% Checkout Started, ~2% Cart Viewed,
/// ~3% Order Completed (with order_id, total, currency and a products array), ~5% identify (email, name, phone, company)
/// and ~5% other tracks. Visitors are anonymous; about 40% of them identify at some point (with a userId and email
/// traits), and every later event of theirs carries the userId. A few visitors produce most of the traffic, as on a real
/// site. Device clocks are skewed by up to a few minutes, so the parser's skew correction does real work.
/// </remarks>
internal static class SegmentTraffic
{
    /// <summary>Event Hubs partitions of the <c>web</c> hub; events are partitioned by anonymousId, as the producer keys them.</summary>
    public const int Partitions = 4;

    // JSON.stringify escapes only what JSON requires: "–" and "ü" travel as UTF-8, not as \u escapes.
    private static readonly JsonSerializerOptions AsBrowserSends = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The clock the batch is parsed against: a second after the last event arrived.</summary>
    public static readonly DateTimeOffset Now = new(2025, 6, 2, 12, 0, 0, TimeSpan.Zero);

    private static readonly string[] UserAgents =
    [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.6422.113 Mobile Safari/537.36",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:126.0) Gecko/20100101 Firefox/126.0",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36 Edg/125.0.2535.67",
    ];

    private static readonly (string Locale, string Timezone)[] Places =
    [
        ("en-US", "America/New_York"), ("en-US", "America/Los_Angeles"), ("en-GB", "Europe/London"), ("de-DE", "Europe/Berlin"),
        ("fr-FR", "Europe/Paris"), ("nl-NL", "Europe/Amsterdam"), ("en-AU", "Australia/Sydney"), ("es-ES", "Europe/Madrid"),
    ];

    private static readonly (string Source, string Medium, string Name, string? Term, string? Content)[] Campaigns =
    [
        ("google", "cpc", "summer_sale_2025", "running shoes", "ad_variant_b"),
        ("facebook", "paid_social", "retargeting_q2", null, "carousel"),
        ("newsletter", "email", "weekly_digest_23", null, "hero_cta"),
        ("bing", "cpc", "brand_terms", "acme outdoor", null),
        ("instagram", "social", "influencer_may", null, "story_swipe"),
        ("partner_blog", "referral", "spring_review", null, null),
    ];

    private static readonly string[] Referrers =
    [
        "https://www.google.com/", "https://www.bing.com/", "https://t.co/", "https://www.facebook.com/", "https://duckduckgo.com/", "",
    ];

    private static readonly string[] Categories = ["Footwear", "Jackets", "Backpacks", "Tents", "Accessories"];

    private static readonly string[] Brands = ["Acme Outdoor", "Northpeak", "TrailCo"];

    private static readonly (string Path, string Title)[] ContentPages =
    [
        ("/", "Acme Outdoor – Gear for every trail"),
        ("/pricing", "Membership pricing – Acme Outdoor"),
        ("/blog/how-to-choose-hiking-boots", "How to choose hiking boots – Acme Outdoor Blog"),
        ("/blog/ultralight-packing-list", "The ultralight packing list – Acme Outdoor Blog"),
        ("/about", "About us – Acme Outdoor"),
        ("/stores", "Find a store – Acme Outdoor"),
        ("/help/returns", "Returns & exchanges – Acme Outdoor"),
        ("/account", "Your account – Acme Outdoor"),
    ];

    private static readonly string[] OtherTracks =
    [
        "Products Searched", "Signed Up", "Email Link Clicked", "Video Played", "Newsletter Subscribed", "Size Guide Opened",
        "Store Locator Used", "Wishlist Item Added",
    ];

    private static readonly string[] FirstNames = ["Ann", "Ben", "Chloé", "Dmitri", "Eva", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Lars"];

    private static readonly string[] LastNames = ["Smith", "Müller", "García", "Okafor", "Tanaka", "Dubois", "Jansen", "Rossi", "Novak", "Silva"];

    private static readonly string[] Companies = ["Globex", "Initech", "Umbrella Corp", "Hooli", "Stark Industries", "Wayne Enterprises"];

    private static readonly string[] Queries = ["waterproof jacket", "trail runners size 42", "2 person tent", "merino socks", "daypack 20l"];

    private sealed record Product(string Id, string Sku, string Name, string Brand, string Category, string Variant, decimal Price, string Slug);

    private sealed class Visitor
    {
        public required string AnonymousId { get; init; }
        public required int Partition { get; init; }
        public required string UserAgent { get; init; }
        public required string Ip { get; init; }
        public required string Locale { get; init; }
        public required string Timezone { get; init; }
        public required TimeSpan ClockSkew { get; init; }
        public required int? Campaign { get; init; }
        public required bool WillIdentify { get; init; }
        public required string FirstName { get; init; }
        public required string LastName { get; init; }
        public required int Number { get; init; }
        public string? UserId { get; set; }
        public string? CartId { get; set; }
        public List<(Product Product, int Quantity)> Cart { get; } = [];
        public string? LastUrl { get; set; }
    }

    /// <summary>A batch of <paramref name="count"/> events from <paramref name="visitors"/> visitors, the same for a given seed.</summary>
    public static IReadOnlyList<IncomingEvent> Batch(int count = 1000, int visitors = 100, int seed = 20250602)
    {
        var random = new Random(seed);
        var products = Catalogue(random);
        var people = Enumerable.Range(0, visitors).Select(i => NewVisitor(random, i)).ToArray();
        var sequences = new long[Partitions];
        for (var p = 0; p < Partitions; p++) sequences[p] = 1_000_000 + (p * 17_000);

        // Two hours of traffic ending just before Now, in arrival order.
        var start = Now - TimeSpan.FromHours(2);
        var step = TimeSpan.FromHours(2).Ticks / count;
        var batch = new List<IncomingEvent>(count);
        for (var i = 0; i < count; i++)
        {
            var occurred = start + TimeSpan.FromTicks((step * i) + random.NextInt64(step));
            // A few visitors produce most of the traffic (square of a uniform number skews towards index 0).
            var visitor = people[(int)(Math.Pow(random.NextDouble(), 2) * visitors)];
            var message = NextMessage(random, visitor, people, products, occurred);
            var body = message.ToJsonString(AsBrowserSends);

            var received = DateTimeOffset.Parse((string)message["receivedAt"]!, CultureInfo.InvariantCulture);
            var position = new EventPosition($"web/{visitor.Partition}", sequences[visitor.Partition]++);
            batch.Add(new IncomingEvent(body, position, received + TimeSpan.FromMilliseconds(random.Next(5, 40))));
        }
        return batch;
    }

    private static JsonObject NextMessage(Random random, Visitor visitor, Visitor[] people, Product[] products, DateTimeOffset occurred)
    {
        var roll = random.Next(100);
        // identify (5%) from someone who will sign in; anyone else's turn becomes a page view instead.
        if (roll >= 95)
        {
            var identifying = visitor.WillIdentify ? visitor : people.FirstOrDefault(p => p.WillIdentify && p.UserId is null) ?? visitor;
            return Identify(random, identifying, occurred);
        }
        return roll switch
        {
            < 55 => Page(random, visitor, products, occurred),
            < 75 => ProductViewed(random, visitor, products, occurred),
            < 83 => ProductAdded(random, visitor, products, occurred),
            < 85 => CheckoutStarted(random, visitor, products, occurred),
            < 87 => CartViewed(random, visitor, products, occurred),
            < 90 => OrderCompleted(random, visitor, products, occurred),
            _ => OtherTrack(random, visitor, products, occurred),
        };
    }

    private static JsonObject Page(Random random, Visitor visitor, Product[] products, DateTimeOffset occurred)
    {
        var (path, title, search) = random.Next(10) switch
        {
            < 4 => ContentPage(random),
            < 7 => ProductPage(Pick(random, products)),
            < 9 => ($"/c/{Pick(random, Categories).ToLowerInvariant()}", $"{Pick(random, Categories)} – Acme Outdoor", ""),
            _ => ("/search", "Search results – Acme Outdoor", $"?q={Uri.EscapeDataString(Pick(random, Queries))}"),
        };
        var page = PageBag(visitor, path, title, search);
        var message = Envelope(random, visitor, "page", occurred, page);
        message["name"] = title.Split(" – ")[0];
        message["properties"] = page.DeepClone();
        return message;
    }

    private static JsonObject ProductViewed(Random random, Visitor visitor, Product[] products, DateTimeOffset occurred)
    {
        var product = Pick(random, products);
        var (path, title, _) = ProductPage(product);
        var properties = ProductProperties(product, 1);
        properties["position"] = random.Next(1, 25);
        properties["url"] = Url(path);
        properties["image_url"] = $"https://cdn.acme-outdoor.example/img/{product.Slug}.jpg";
        return Track(random, visitor, "Product Viewed", occurred, PageBag(visitor, path, title, ""), properties);
    }

    private static JsonObject ProductAdded(Random random, Visitor visitor, Product[] products, DateTimeOffset occurred)
    {
        var product = Pick(random, products);
        var quantity = random.Next(10) < 8 ? 1 : random.Next(2, 4);
        visitor.CartId ??= Guid(random).ToString("N");
        visitor.Cart.Add((product, quantity));
        var (path, title, _) = ProductPage(product);
        var properties = ProductProperties(product, quantity);
        properties["cart_id"] = visitor.CartId;
        return Track(random, visitor, "Product Added", occurred, PageBag(visitor, path, title, ""), properties);
    }

    private static JsonObject CartViewed(Random random, Visitor visitor, Product[] products, DateTimeOffset occurred)
    {
        EnsureCart(random, visitor, products);
        var properties = new JsonObject { ["cart_id"] = visitor.CartId, ["products"] = CartProducts(visitor) };
        return Track(random, visitor, "Cart Viewed", occurred, PageBag(visitor, "/cart", "Your cart – Acme Outdoor", ""), properties);
    }

    private static JsonObject CheckoutStarted(Random random, Visitor visitor, Product[] products, DateTimeOffset occurred)
    {
        EnsureCart(random, visitor, products);
        var subtotal = visitor.Cart.Sum(c => c.Product.Price * c.Quantity);
        var properties = new JsonObject
        {
            ["order_id"] = $"ord_{random.Next(100_000, 999_999)}",
            ["affiliation"] = "Acme Online Store",
            ["value"] = subtotal,
            ["revenue"] = subtotal,
            ["shipping"] = 4.95m,
            ["tax"] = Math.Round(subtotal * 0.19m, 2),
            ["discount"] = 0,
            ["currency"] = "EUR",
            ["products"] = CartProducts(visitor),
        };
        return Track(random, visitor, "Checkout Started", occurred, PageBag(visitor, "/checkout", "Checkout – Acme Outdoor", ""), properties);
    }

    private static JsonObject OrderCompleted(Random random, Visitor visitor, Product[] products, DateTimeOffset occurred)
    {
        EnsureCart(random, visitor, products);
        var subtotal = visitor.Cart.Sum(c => c.Product.Price * c.Quantity);
        var discount = random.Next(4) == 0 ? Math.Round(subtotal * 0.1m, 2) : 0m;
        var tax = Math.Round((subtotal - discount) * 0.19m, 2);
        var properties = new JsonObject
        {
            ["checkout_id"] = Guid(random).ToString("N"),
            ["order_id"] = $"ord_{random.Next(100_000, 999_999)}",
            ["affiliation"] = "Acme Online Store",
            ["total"] = subtotal - discount + tax + 4.95m,
            ["subtotal"] = subtotal,
            ["revenue"] = subtotal - discount,
            ["shipping"] = 4.95m,
            ["tax"] = tax,
            ["discount"] = discount,
            ["coupon"] = discount > 0 ? "SUMMER10" : null,
            ["currency"] = "EUR",
            ["products"] = CartProducts(visitor),
        };
        var message = Track(random, visitor, "Order Completed", occurred,
            PageBag(visitor, "/checkout/confirmation", "Thank you for your order – Acme Outdoor", ""), properties);
        visitor.Cart.Clear();
        visitor.CartId = null;
        return message;
    }

    private static JsonObject OtherTrack(Random random, Visitor visitor, Product[] products, DateTimeOffset occurred)
    {
        var name = Pick(random, OtherTracks);
        var properties = name switch
        {
            "Products Searched" => new JsonObject { ["query"] = Pick(random, Queries) },
            "Email Link Clicked" => new JsonObject { ["email_id"] = $"em_{random.Next(1000, 9999)}", ["link_url"] = Url("/"), ["campaign_name"] = "weekly_digest_23" },
            "Video Played" => new JsonObject { ["video_id"] = "v_trail_2025", ["position"] = random.Next(0, 120), ["total_length"] = 184 },
            "Wishlist Item Added" => ProductProperties(Pick(random, products), 1),
            _ => [],
        };
        var (path, title) = Pick(random, ContentPages);
        return Track(random, visitor, name, occurred, PageBag(visitor, path, title, ""), properties);
    }

    private static JsonObject Identify(Random random, Visitor visitor, DateTimeOffset occurred)
    {
        visitor.UserId ??= $"usr_{visitor.Number + 4200:D6}";
        var email = $"{visitor.FirstName}.{visitor.LastName}{visitor.Number}@{(visitor.Number % 3 == 0 ? "gmail.com" : "example-mail.com")}"
            .ToLowerInvariant().Replace("é", "e", StringComparison.Ordinal).Replace("ü", "u", StringComparison.Ordinal);
        var company = Companies[visitor.Number % Companies.Length];
        var traits = new JsonObject
        {
            ["email"] = email,
            ["name"] = $"{visitor.FirstName} {visitor.LastName}",
            ["firstName"] = visitor.FirstName,
            ["lastName"] = visitor.LastName,
            ["phone"] = $"+49 30 {random.Next(1000000, 9999999)}",
            // Segment's reserved company trait is an object; many sites send just the name.
            ["company"] = visitor.Number % 2 == 0
                ? new JsonObject { ["name"] = company, ["id"] = $"co_{visitor.Number % Companies.Length}", ["industry"] = "Retail", ["employee_count"] = 250 }
                : company,
            ["title"] = "Buyer",
            ["createdAt"] = Stamp(occurred - TimeSpan.FromDays(random.Next(0, 400))),
        };
        var (path, title) = ContentPages[^1];
        var message = Envelope(random, visitor, "identify", occurred, PageBag(visitor, path, title, ""));
        message["traits"] = traits;
        return message;
    }

    private static JsonObject Track(Random random, Visitor visitor, string name, DateTimeOffset occurred, JsonObject page, JsonObject properties)
    {
        var message = Envelope(random, visitor, "track", occurred, page);
        message["event"] = name;
        message["properties"] = properties;
        return message;
    }

    /// <summary>The members every call has, in the order analytics.js writes them.</summary>
    private static JsonObject Envelope(Random random, Visitor visitor, string type, DateTimeOffset occurred, JsonObject page)
    {
        // analytics.js batches: sent a little after it happened, on a device clock that is off by ClockSkew.
        var sent = occurred + TimeSpan.FromMilliseconds(random.Next(20, 3000));
        var received = sent + TimeSpan.FromMilliseconds(random.Next(30, 400));
        var context = new JsonObject
        {
            ["ip"] = visitor.Ip,
            ["library"] = new JsonObject { ["name"] = "analytics.js", ["version"] = "npm:next-1.70.0" },
            ["locale"] = visitor.Locale,
            ["page"] = page,
            ["userAgent"] = visitor.UserAgent,
            ["timezone"] = visitor.Timezone,
        };
        // UTM parameters stick to the landing session; about half of a campaign visitor's events still carry them.
        if (visitor.Campaign is { } c && random.Next(2) == 0)
        {
            var campaign = Campaigns[c];
            context["campaign"] = new JsonObject
            {
                ["name"] = campaign.Name, ["source"] = campaign.Source, ["medium"] = campaign.Medium,
                ["term"] = campaign.Term, ["content"] = campaign.Content,
            };
        }
        visitor.LastUrl = (string?)page["url"];
        return new JsonObject
        {
            ["anonymousId"] = visitor.AnonymousId,
            ["channel"] = "client",
            ["context"] = context,
            ["integrations"] = new JsonObject(),
            ["messageId"] = Guid(random).ToString(),
            ["originalTimestamp"] = Stamp(occurred + visitor.ClockSkew),
            ["receivedAt"] = Stamp(received),
            ["sentAt"] = Stamp(sent + visitor.ClockSkew),
            ["type"] = type,
            ["userId"] = visitor.UserId,
        };
    }

    private static JsonObject PageBag(Visitor visitor, string path, string title, string search) => new()
    {
        ["path"] = path,
        ["referrer"] = visitor.LastUrl ?? "",
        ["search"] = search,
        ["title"] = title,
        ["url"] = Url(path) + search,
    };

    private static JsonObject ProductProperties(Product product, int quantity) => new()
    {
        ["product_id"] = product.Id,
        ["sku"] = product.Sku,
        ["category"] = product.Category,
        ["name"] = product.Name,
        ["brand"] = product.Brand,
        ["variant"] = product.Variant,
        ["price"] = product.Price,
        ["quantity"] = quantity,
        ["currency"] = "EUR",
    };

    private static JsonArray CartProducts(Visitor visitor)
    {
        var array = new JsonArray();
        foreach (var (product, quantity) in visitor.Cart)
        {
            var item = ProductProperties(product, quantity);
            item.Remove("currency");
            item["url"] = Url($"/p/{product.Slug}");
            item["image_url"] = $"https://cdn.acme-outdoor.example/img/{product.Slug}.jpg";
            array.Add(item);
        }
        return array;
    }

    private static void EnsureCart(Random random, Visitor visitor, Product[] products)
    {
        if (visitor.Cart.Count > 0) return;
        visitor.CartId = Guid(random).ToString("N");
        for (var n = random.Next(1, 4); n > 0; n--) visitor.Cart.Add((Pick(random, products), 1));
    }

    private static (string Path, string Title, string Search) ContentPage(Random random)
    {
        var (path, title) = Pick(random, ContentPages);
        return (path, title, "");
    }

    private static (string Path, string Title, string Search) ProductPage(Product product) =>
        ($"/p/{product.Slug}", $"{product.Name} – Acme Outdoor", "");

    private static Product[] Catalogue(Random random) =>
    [
        .. Enumerable.Range(0, 40).Select(i =>
        {
            var category = Categories[i % Categories.Length];
            var brand = Brands[i % Brands.Length];
            var name = $"{brand} {category.TrimEnd('s')} {(char)('A' + (i % 26))}{i}";
            return new Product(
                $"prod_{i + 1000}", $"SKU-{category[..3].ToUpperInvariant()}-{i:D4}", name, brand, category,
                Pick(random, ["Black", "Forest Green", "Slate", "Red", "Size M", "Size L"]),
                Math.Round((decimal)(9.99 + (random.NextDouble() * 290)), 2),
                name.ToLowerInvariant().Replace(' ', '-'));
        }),
    ];

    private static Visitor NewVisitor(Random random, int number)
    {
        var anonymousId = Guid(random).ToString();
        var (locale, timezone) = Pick(random, Places);
        return new Visitor
        {
            AnonymousId = anonymousId,
            // The producer keys events by anonymousId; which partition is what matters, not how it is hashed.
            Partition = number % Partitions,
            UserAgent = Pick(random, UserAgents),
            Ip = $"{random.Next(2, 223)}.{random.Next(0, 256)}.{random.Next(0, 256)}.{random.Next(1, 255)}",
            Locale = locale,
            Timezone = timezone,
            // Most clocks are close; some are minutes off, in either direction.
            ClockSkew = TimeSpan.FromMilliseconds(random.Next(10) < 7 ? random.Next(-2000, 2000) : random.Next(-600_000, 600_000)),
            Campaign = random.Next(2) == 0 ? random.Next(Campaigns.Length) : null,
            WillIdentify = random.Next(10) < 4,
            FirstName = Pick(random, FirstNames),
            LastName = Pick(random, LastNames),
            Number = number,
        };
    }

    /// <summary>A version-4 GUID drawn from the seeded generator, so that the batch is the same on every run.</summary>
    private static Guid Guid(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }

    private static string Stamp(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    private static string Url(string path) => "https://www.acme-outdoor.example" + path;

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];
}
