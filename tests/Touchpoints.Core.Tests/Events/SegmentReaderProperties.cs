using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Touchpoints.Core.Events;
using Touchpoints.Core.Tests.Support;

namespace Touchpoints.Core.Tests.Events;

/// <summary>
/// The one-pass Segment reader against the parser it replaced (<see cref="SegmentReferenceParser"/>), on messages built from
/// a seed: members in any order and case, ids as strings, numbers or wrong types, bags holding the members the view reads
/// beside others, numbers too large for a decimal, amounts as strings, arrays and objects nested, times in every writing
/// producers use and some they should not, comments, trailing commas, escapes, duplicates and broken JSON. Both must accept
/// the same messages with equal events, and refuse the same ones: with the same reasons where the message is well-formed
/// JSON, as malformed where it is not.
/// </summary>
public sealed class SegmentReaderProperties
{
    private static readonly DateTimeOffset Now = new(2025, 3, 3, 10, 5, 0, TimeSpan.Zero);
    private static readonly ArrivalContext Arrival = new(new DateTimeOffset(2025, 3, 3, 10, 0, 10, TimeSpan.Zero), Now, "GB");

    [Fact]
    public void The_one_pass_reader_accepts_and_refuses_exactly_what_the_deserializing_parser_did()
    {
        int valid = 0, invalid = 0, malformed = 0;
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3_000), Prop.ForAll(Arb.From(Gen.Choose(0, int.MaxValue)), seed =>
        {
            var body = new MessageWriter(new Random(seed)).Message();
            var expected = AssertSame(body, $"seed {seed}: {body}");
            if (expected.IsValid) valid++;
            else if (Malformed(expected)) malformed++;
            else invalid++;
        }));
        // The messages reach every outcome often enough to compare them.
        var total = valid + invalid + malformed;
        Assert.True(valid > total / 5 && invalid > total / 10 && malformed > total / 10, $"{valid} valid, {invalid} refused, {malformed} malformed");
    }

    [Theory]
    [InlineData("""{"type":"page","messageId":"m","userId":"u","foo":1,"foo":2}""")]
    [InlineData("""{"type":"page","messageId":"m","userId":"u","integrations":{"All":true,"All":false}}""")]
    [InlineData("""{"type":"page","messageId":"m","userId":"u","context":{"library":{"name":"a","name":"b"}}}""")]
    public void A_member_named_twice_anywhere_is_malformed(string body)
    {
        var result = SegmentParser.Parse(body, Arrival);
        Assert.False(result.IsValid);
        Assert.StartsWith("malformed JSON: duplicate member name", Assert.Single(result.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_hostile_object_of_a_hundred_thousand_members_is_read_in_linear_time()
    {
        var body = new StringBuilder("""{"type":"page","messageId":"m","userId":"u","properties":{""");
        for (var i = 0; i < 100_000; i++) body.Append(CultureInfo.InvariantCulture, $"\"k{i}\":{i},");
        body.Append("\"k0\":1}}");
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = SegmentParser.Parse(body.ToString(), Arrival);
        Assert.StartsWith("malformed JSON: duplicate member name 'k0'", Assert.Single(result.Errors).Message, StringComparison.Ordinal);
        // Quadratic would be 5·10⁹ comparisons (tens of seconds); linear is milliseconds. The bound only separates the two.
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(5), $"{watch.Elapsed}");
    }

    [Theory]
    [InlineData("2025-03-03T10:00:00Z")]
    [InlineData("2025-03-03T10:00:00")]
    [InlineData("2025-03-03T10:00:00.1234567+05:30")]
    [InlineData("2025-03-03T10:00:00.5-08:00")]
    [InlineData("2024-02-29T23:59:59.999+14:00")]
    [InlineData("0001-01-01T00:00:00Z")]
    [InlineData("9999-12-31T23:59:59.9999999Z")]
    public void Times_read_from_UTF_8_equal_the_general_parser(string text)
    {
        Assert.True(Utf8Time.TryParse(Encoding.UTF8.GetBytes(text), out var fast));
        var general = UtcTimestampConverter.Parse(text);
        Assert.Equal(general, fast);
        Assert.Equal(general.Offset, fast.Offset);
    }

    [Theory]
    [InlineData("2025-02-29T10:00:00Z")]
    [InlineData("2025-03-03T24:00:00Z")]
    [InlineData("2025-03-03T10:00:00.12345678Z")]
    [InlineData("2025-03-03t10:00:00z")]
    [InlineData("2025-03-03T10:00:00+15:00")]
    [InlineData("0001-01-01T00:00:00+01:00")]
    [InlineData("2025-03-03 10:00:00")]
    [InlineData("2025-03-03")]
    public void Times_outside_the_fast_path_are_left_to_the_general_parser(string text) =>
        Assert.False(Utf8Time.TryParse(Encoding.UTF8.GetBytes(text), out _));

    private static ParseResult AssertSame(string body, string because)
    {
        var expected = SegmentReferenceParser.Parse(body, Arrival);
        var actual = SegmentParser.Parse(body, Arrival);
        if (expected.Event is WebEvent e)
        {
            var a = Assert.IsType<WebEvent>(actual.Event, exactMatch: true);
            Assert.True(e with { Identifiers = [] } == a with { Identifiers = [] } && e.Identifiers.SequenceEqual(a.Identifiers),
                $"{because}\n expected {Step.Describe(e)}\n   actual {Step.Describe(a)}");
            return expected;
        }
        Assert.False(actual.IsValid, $"{because}\n accepted, refused before: {expected.Reason}");
        if (Malformed(expected)) Assert.True(Malformed(actual), $"{because}\n expected malformed, got {actual.Reason}");
        else Assert.True(expected.Reason == actual.Reason && expected.EventId == actual.EventId,
            $"{because}\n expected {expected.EventId}: {expected.Reason}\n   actual {actual.EventId}: {actual.Reason}");
        return expected;
    }

    private static bool Malformed(ParseResult result) => result.Errors is [var only]
        && (only.Message.StartsWith("malformed JSON", StringComparison.Ordinal) || only.Message is "the body is not a JSON object" or "the body is empty");

    /// <summary>Writes one message from a seed: mostly well-formed and plausible, sometimes not.</summary>
    private sealed class MessageWriter(Random random)
    {
        private readonly StringBuilder json = new();

        private bool Chance(double p) => random.NextDouble() < p;

        private T Pick<T>(params T[] items) => items[random.Next(items.Length)];

        public string Message()
        {
            var members = new List<Action>();
            void Member(string name, Action value) => members.Add(() => { Name(Case(name)); value(); });

            if (Chance(0.95)) Member("type", () => Str(Pick("track", "track", "page", "identify", "screen", "group", "alias", " Track ", "PAGE", "nonsense", "")));
            if (Chance(0.95)) Member("messageId", Id);
            if (Chance(0.7)) Member("userId", Id);
            if (Chance(0.7)) Member("anonymousId", Id);
            if (Chance(0.3)) Member("previousId", Id);
            if (Chance(0.2)) Member("groupId", Id);
            if (Chance(0.7)) Member("event", () => Str(Pick("Order Completed", "order_completed", "Product Viewed", "product-added", "Checkout Started",
                "Signed Up", "Email Opened", "Unsubscribed", "Products Searched", "Order Refunded", "Clicked CTA", "", "  ")));
            if (Chance(0.3)) Member("name", () => Str(Pick("Home", "Pricing", "")));
            if (Chance(0.6)) Member("properties", Properties);
            if (Chance(0.4)) Member("traits", Traits);
            if (Chance(0.6)) Member("context", Context);
            foreach (var time in (string[])["timestamp", "originalTimestamp", "sentAt", "receivedAt"])
                if (Chance(0.35)) Member(time, Time);
            if (Chance(0.2)) Member("_source", () => Str(Pick("website", "app")));
            if (Chance(0.3)) Member("integrations", () => Object(("All", () => Raw("true")), ("Mixpanel", () => Raw("false"))));
            if (Chance(0.2)) Member("version", () => Raw("2"));
            if (Chance(0.1)) Member("writeKey", () => Str("wk"));
            if (Chance(0.03)) members.Add(() => { Name("messageId"); Id(); }); // a duplicate of a known member
            if (Chance(0.03)) members.Add(() => { Name("USERID"); Id(); }); // a duplicate ignoring case, or a first userId

            Shuffle(members);
            json.Append('{');
            for (var i = 0; i < members.Count; i++)
            {
                if (i > 0) Comma();
                Space();
                members[i]();
            }
            if (members.Count > 0 && Chance(0.03)) json.Append(',');
            if (Chance(0.03)) json.Append("/* done */");
            json.Append('}');
            var text = json.ToString();
            // Sometimes broken: cut short, or followed by more.
            if (Chance(0.02)) return text[..random.Next(text.Length)];
            if (Chance(0.01)) return text + Pick("x", "{}", " // end", " ");
            return text;
        }

        private string Case(string name) => Chance(0.04) ? Pick(name.ToUpperInvariant(), char.ToUpperInvariant(name[0]) + name[1..]) : name;

        private void Shuffle(List<Action> items)
        {
            for (var i = items.Count - 1; i > 0; i--)
            {
                var j = random.Next(i + 1);
                (items[i], items[j]) = (items[j], items[i]);
            }
        }

        private void Space()
        {
            if (Chance(0.1)) json.Append(Pick(" ", "\n  ", "\t"));
        }

        private void Comma()
        {
            json.Append(',');
            if (Chance(0.02)) json.Append("/* c */");
        }

        private void Name(string name)
        {
            Str(name);
            json.Append(Chance(0.1) ? " : " : ":");
        }

        private void Raw(string text) => json.Append(text);

        private void Str(string text)
        {
            json.Append('"');
            foreach (var c in text)
            {
                if (c is '"' or '\\') json.Append('\\').Append(c);
                else if (c < ' ' || Chance(0.01)) json.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                else json.Append(c);
            }
            json.Append('"');
        }

        private void Id()
        {
            switch (random.Next(24))
            {
                case 0: Raw(Pick("42", "-7", "1.5", "1e3", "12345678901234567890")); break;
                case 1: Raw(Pick("null", "true", "{}", "[1]")); break;
                case 2 or 5: Str(Pick("", "  ", "undefined", "null", "anonymous")); break;
                case 3: Str("ü-" + random.Next(100) + "-😀"); break;
                case 4: Str("a/b#c?d\\e\"f"); break;
                default: Str(Pick("u-", "anon-", "ajs-") + random.Next(1000)); break;
            }
        }

        private void Time()
        {
            switch (random.Next(24))
            {
                case 0: Raw(Pick("null", "12", "true", "{}")); break;
                case 1: Str(Pick("yesterday", "", "2025-03-03", "2025-03-03 10:00:00", "2025-13-01T00:00:00Z", "2025-02-29T10:00:00Z")); break;
                case 2: Str(Pick("0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2099-01-01T00:00:00Z", "2025-03-03T10:00:00.123456789Z")); break;
                case 3: Str(Pick("2025-03-03t09:00:00z", "2025-03-03T09:00:00+15:00", "2025-03-03T09:00:00 +01:00", "2025-03-03T09:00")); break;
                case 4: Raw("\"\\u0032025-03-03T09:00:00Z\""); break;
                default:
                    var at = new DateTimeOffset(2025, 3, 3, 9, 0, 0, TimeSpan.Zero).AddSeconds(random.Next(-200_000, 4_000)).AddTicks(random.Next(10_000_000));
                    var offset = Pick(TimeSpan.Zero, TimeSpan.FromHours(2), TimeSpan.FromMinutes(-330), TimeSpan.FromHours(14));
                    var local = at.ToOffset(offset);
                    var fraction = Pick("", ".f", ".fff", ".ffffff", ".fffffff");
                    var zone = offset == TimeSpan.Zero ? Pick("Z", "", "+00:00") : "zzz";
                    Str(local.ToString("yyyy-MM-ddTHH:mm:ss" + fraction, CultureInfo.InvariantCulture) + (zone == "zzz" ? local.ToString("zzz", CultureInfo.InvariantCulture) : zone));
                    break;
            }
        }

        private void Object(params (string Name, Action Value)[] members)
        {
            json.Append('{');
            for (var i = 0; i < members.Length; i++)
            {
                if (i > 0) Comma();
                Space();
                Name(members[i].Name);
                members[i].Value();
            }
            if (members.Length > 0 && Chance(0.02)) json.Append(',');
            json.Append('}');
        }

        private void Bag(params string[] names)
        {
            if (Chance(0.02)) { Raw(Pick("null", "[]", "\"x\"", "3")); return; }
            var chosen = names.Where(_ => Chance(0.4)).Concat(Enumerable.Range(0, random.Next(3)).Select(i => Pick("colour", "sku", "plan", "nested", "tags") + i))
                .ToList();
            if (Chance(0.03) && chosen.Count > 0) chosen.Add(chosen[0]); // a duplicate in a bag
            if (Chance(0.05)) chosen.Add(Pick("Email", "PRICE", "Name")); // another case is another member in a bag
            Object([.. chosen.Select(n => (n, (Action)(() => BagValue(n))))]);
        }

        private void BagValue(string name)
        {
            switch (random.Next(16))
            {
                case 0: Raw(Pick("null", "true", "false")); break;
                case 1: Raw(Pick("1e40", "-1e40", "79228162514264337593543950336", "1e-30")); break;
                case 2: Raw(Pick("0", "12", "-3", "19.99", "1000000000001", "2.5e2", "1000001", "-1000001")); break;
                case 3: Str(Pick("12.50", "1,000.5", "abc", "", " 7 ", "1e3")); break;
                case 4: Raw("[1, {\"a\": [true, null]}, \"x\"]"); break;
                case 5: Raw("[]"); break;
                case 6: Object(("name", () => Pick<Action>(() => Str("Northwind"), () => Raw("7"), () => Raw("{}"), () => Str(""))()), ("id", () => Raw("9"))); break;
                case 7: Object(("deep", () => Object(("deeper", () => Raw("[[[]]]"))))); break;
                default:
                    Str(name switch
                    {
                        "email" => Pick("Ann@Example.com", "not-an-email", "ann@example.com "),
                        "phone" => Pick("+44 20 7946 0958", "020 7946 0958", "555", "+1 (415) 555-2671 ext. 9"),
                        "timezone" => Pick("Europe/London", "Mars/Olympus"),
                        _ => Pick("value", "Trail Runner 3", "/pricing", "https://shop.example/p?q=1", "ü😀", "EUR"),
                    });
                    break;
            }
        }

        private void Properties() => Bag("path", "url", "title", "referrer", "search", "name", "product_id", "productId", "price", "quantity",
            "cart_id", "cartId", "order_id", "orderId", "total", "revenue", "value", "currency", "products", "query");

        private void Traits() => Bag("name", "firstName", "first_name", "lastName", "last_name", "email", "phone", "company", "title", "timezone");

        private void Context()
        {
            if (Chance(0.03)) { Raw(Pick("null", "[]", "\"x\"")); return; }
            var members = new List<(string, Action)>();
            if (Chance(0.5)) members.Add((Case("page"), () => Bag("path", "url", "title", "referrer", "search")));
            if (Chance(0.3)) members.Add((Case("campaign"), () => Bag("source", "medium", "name", "term", "content")));
            if (Chance(0.3)) members.Add((Case("traits"), Traits));
            if (Chance(0.5)) members.Add((Case("userAgent"), () => Str("Mozilla/5.0")));
            if (Chance(0.3)) members.Add((Case("ip"), () => Pick<Action>(() => Str("203.0.113.9"), () => Raw("null"), () => Raw("7"))()));
            if (Chance(0.4)) members.Add((Case("locale"), () => Str(Pick("en-GB", "fr-FR", "de", "xx"))));
            if (Chance(0.3)) members.Add((Case("timezone"), () => Str("Europe/Paris")));
            if (Chance(0.3)) members.Add(("library", () => Object(("name", () => Str("analytics.js")), ("version", () => Str("2.0")))));
            Object([.. members]);
        }
    }
}
