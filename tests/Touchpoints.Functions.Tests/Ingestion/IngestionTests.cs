using System.Text.Json.Nodes;
using Touchpoints.Core.Identity;

namespace Touchpoints.Functions.Tests.Ingestion;

[Collection(HandlerCollection.Name)]
public sealed class IngestionTests(HandlerFixture fixture)
{
    private readonly string run = Guid.NewGuid().ToString("N")[..8];

    private string Anon => $"anon-{run}";
    private string User => $"user-{run}";
    private string Email => $"ann.{run}@example.com";
    // London's range kept for drama (020 7946 0000–0999): valid to libphonenumber, never anyone's number.
    private string Phone => $"+44 20 7946 0{Math.Abs(run.GetHashCode(StringComparison.Ordinal)) % 1000:000}";
    private string PhoneKey => "phone:+4420" + Phone[7..].Replace(" ", "", StringComparison.Ordinal);

    private static string Customer(string key) => IdentityResolver.NewCustomerId(Identifier.TryParseKey(key)!);

    private string Page(string id, string path, string at, string? userId = null) => $$"""
        {"type":"page","messageId":"{{id}}-{{run}}","anonymousId":"{{Anon}}"{{(userId is null ? "" : $",\"userId\":\"{userId}\"")}},
         "name":"{{path}}","properties":{"path":"{{path}}","title":"Title of {{path}}","url":"https://shop.example.com{{path}}"},
         "context":{"campaign":{"source":"newsletter","medium":"email","name":"autumn"},"userAgent":"Mozilla/5.0","ip":"203.0.113.9","locale":"en-GB"},
         "originalTimestamp":"{{at}}","sentAt":"{{at}}","receivedAt":"{{at}}"}
        """;

    private string Identify(string id, string at) => $$"""
        {"type":"identify","messageId":"{{id}}-{{run}}","anonymousId":"{{Anon}}","userId":"{{User}}",
         "traits":{"email":"  {{Email.ToUpperInvariant()}} ","name":"Ann Example","phone":"{{Phone}}","company":{"name":"Example Ltd"},"title":"CTO"},
         "context":{"timezone":"Europe/London","locale":"en-GB"},"timestamp":"{{at}}"}
        """;

    private string Order(string id, string at) => $$"""
        {"type":"track","event":"Order Completed","messageId":"{{id}}-{{run}}","userId":"{{User}}",
         "properties":{"order_id":"o-{{run}}","total":129.5,"currency":"EUR","products":[{"product_id":"p1"},{"product_id":"p2"}]},
         "originalTimestamp":"{{at}}","sentAt":"{{at}}","receivedAt":"{{at}}"}
        """;

    [Fact]
    public async Task A_batch_in_the_hosts_encoding_becomes_one_customer_view_and_one_change()
    {
        var batch = HostPayloads.EventHubBatch(Hubs.WebEvents, "0", 100,
        [
            Page("p1", "/", "2026-11-20T10:00:00Z"),
            Page("p2", "/pricing", "2026-11-20T10:05:00Z"),
            Identify("i1", "2026-11-20T10:06:00Z"),
            Order("o1", "2026-11-20T10:09:00Z"),
        ]);

        var (status, body) = await fixture.InvokeAsync("IngestWebEvents", batch);

        Assert.Equal(200, status);
        // A profile's id derives from the first identifier it was seen with: here the anonymous visitor's.
        var id = Customer($"anonymousId:{Anon}");
        var changes = body["Outputs"]!["changes"]!.AsArray();
        var change = Assert.Single(changes)!;
        Assert.Equal(id, change["customerId"]!.GetValue<string>());
        Assert.Equal(1, change["version"]!.GetValue<long>());
        Assert.Contains("web.track.Order Completed", change["causes"]!.AsArray().Select(c => c!.GetValue<string>()));

        var view = (await fixture.CustomerAsync(id))!;
        Assert.Equal(
            new[] { $"anonymousId:{Anon}", $"email:{Email}", PhoneKey, $"userId:{User}" },
            view["identities"]!.AsArray().Select(i => i!.GetValue<string>()));
        Assert.Equal("Ann Example", view["traits"]!["name"]!["value"]!.GetValue<string>());
        Assert.Equal("Europe/London", view["traits"]!["timezone"]!["value"]!.GetValue<string>());
        var web = view["touchpoints"]!["web"]!;
        Assert.Equal(2, web["pageViews"]!.GetValue<long>());
        Assert.Equal(1, web["pricingViews"]!.GetValue<long>());
        Assert.Equal(4, web["activity"]!["count"]!.GetValue<long>());
        Assert.Equal("newsletter", web["firstUtm"]!["value"]!["source"]!.GetValue<string>());
        var billing = view["touchpoints"]!["billing"]!;
        Assert.Equal(1, billing["orders"]!.GetValue<long>());
        Assert.Equal(129.5m, billing["revenue"]!.GetValue<decimal>());
        Assert.Equal("customer", view["lifecycle"]!.GetValue<string>());
        Assert.Equal(4, AppliedCount(view));
        Assert.Equal(3, view["journal"]!.AsArray().Count);
        Assert.StartsWith("Completed order", view["journal"]![0]!["summary"]!.GetValue<string>());

        foreach (var key in new[] { $"anonymousId:{Anon}", $"email:{Email}", $"userId:{User}" })
            Assert.Equal(id, await fixture.OwnerOfAsync(key));
    }

    [Fact]
    public async Task Replaying_a_batch_changes_nothing()
    {
        var bodies = new[] { Page("p1", "/", "2026-11-20T10:00:00Z"), Identify("i1", "2026-11-20T10:01:00Z") };
        var first = await fixture.InvokeAsync("IngestWebEvents", HostPayloads.EventHubBatch(Hubs.WebEvents, "1", 7, bodies));
        Assert.Equal(200, first.Status);
        var id = Customer($"anonymousId:{Anon}");
        var before = (await fixture.CustomerAsync(id))!;

        var replay = await fixture.InvokeAsync("IngestWebEvents", HostPayloads.EventHubBatch(Hubs.WebEvents, "1", 7, bodies));
        // The same events again with new sequence numbers (a producer's retry) are caught by their ids.
        var resent = await fixture.InvokeAsync("IngestWebEvents", HostPayloads.EventHubBatch(Hubs.WebEvents, "1", 50, bodies));
        // And a part of the batch, without any metadata at all.
        var part = await fixture.InvokeAsync("IngestWebEvents", HostPayloads.EventHubBatch(Hubs.WebEvents, "1", 8, bodies[1..], plain: true));

        foreach (var (status, body) in new[] { replay, resent, part })
        {
            Assert.Equal(200, status);
            Assert.True(body["Outputs"]!["changes"]!.AsArray().Count == 0, body.ToJsonString());
        }
        var after = (await fixture.CustomerAsync(id))!;
        Assert.Equal(before["_etag"]!.GetValue<string>(), after["_etag"]!.GetValue<string>());
        Assert.Equal(1, after["version"]!.GetValue<long>());
    }

    [Fact]
    public async Task The_plain_encoding_is_accepted_too()
    {
        var (status, body) = await fixture.InvokeAsync("IngestWebEvents",
            HostPayloads.EventHubBatch(Hubs.WebEvents, "2", 1, [Page("p1", "/docs", "2026-11-20T10:00:00Z", userId: User)], plain: true));

        Assert.Equal(200, status);
        Assert.Single(body["Outputs"]!["changes"]!.AsArray());
        var view = (await fixture.CustomerAsync(Customer($"userId:{User}")))!;
        Assert.Equal("/docs", view["touchpoints"]!["web"]!["lastPages"]![0]!["path"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_bad_event_is_kept_in_rejected_while_the_rest_of_the_batch_is_applied()
    {
        var bodies = new[]
        {
            Page("p1", "/", "2026-11-20T10:00:00Z", userId: User),
            "{ not json",
            $$"""{"type":"track","messageId":"t-{{run}}","userId":"{{User}}"}""",
            $$"""{"type":"page","messageId":"n-{{run}}","userId":"undefined","anonymousId":"null"}""",
            Page("p2", "/about", "2026-11-20T10:02:00Z", userId: User),
        };
        var (status, body) = await fixture.InvokeAsync("IngestWebEvents", HostPayloads.EventHubBatch(Hubs.WebEvents, $"r{run}", 10, bodies));

        Assert.Equal(200, status);
        Assert.Single(body["Outputs"]!["changes"]!.AsArray());
        var view = (await fixture.CustomerAsync(Customer($"userId:{User}")))!;
        Assert.Equal(2, view["touchpoints"]!["web"]!["pageViews"]!.GetValue<long>());

        var rejected = await fixture.QueryAsync("rejected", "web", $"c.partition = 'web-events/r{run}'");
        Assert.Equal(3, rejected.Count);
        var reasons = rejected.OrderBy(r => r["sequenceNumber"]!.GetValue<long>()).Select(r => r["reason"]!.GetValue<string>()).ToArray();
        Assert.Contains("malformed JSON", reasons[0]);
        Assert.Contains("$.event: is required for track", reasons[1]);
        Assert.Contains("no usable identifier", reasons[2]);
        Assert.Equal("{ not json", rejected.Single(r => r["sequenceNumber"]!.GetValue<long>() == 11)["body"]!.GetValue<string>());

        // Replaying the batch neither duplicates the rejections nor applies anything twice.
        await fixture.InvokeAsync("IngestWebEvents", HostPayloads.EventHubBatch(Hubs.WebEvents, $"r{run}", 10, bodies));
        Assert.Equal(3, (await fixture.QueryAsync("rejected", "web", $"c.partition = 'web-events/r{run}'")).Count);
    }

    [Fact]
    public async Task A_phone_number_written_nationally_in_the_crm_finds_the_customer_the_website_knows_by_its_international_form()
    {
        var identify = await fixture.InvokeAsync("IngestWebEvents", HostPayloads.EventHubBatch(Hubs.WebEvents, "2", 1, [Identify("i1", "2026-11-20T10:06:00Z")]));
        Assert.Equal(200, identify.Status);
        var customer = await fixture.OwnerOfAsync(PhoneKey);
        Assert.NotNull(customer);

        // The CRM writes the same number as a Londoner would, and says the customer's locale: en-GB reads it as +44.
        var national = "0" + Phone[4..]; // "020 7946 0…"
        var call = $$"""
            {"eventId":"call-{{run}}","type":"call.logged","occurredAt":"2026-11-20T11:00:00Z","subject":"Delivery question","owner":"sam@corp.example",
             "customer":{"system":"zendesk","crmId":"z-{{run}}","phone":"{{national}} ext. 12","locale":"en-GB"} }
            """;
        var (status, _) = await fixture.InvokeAsync("IngestCrmEvents", HostPayloads.EventHubBatch(Hubs.CrmEvents, "0", 1, [call]));

        Assert.Equal(200, status);
        Assert.Equal(customer, await fixture.OwnerOfAsync($"crm.zendesk:z-{run}"));
        Assert.Null(await fixture.OwnerOfAsync("phone:" + national.Replace(" ", "", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task An_anonymous_visitor_merges_into_the_known_customer_the_crm_created()
    {
        await fixture.InvokeAsync("IngestWebEvents", HostPayloads.EventHubBatch(Hubs.WebEvents, "3", 1,
            [Page("p1", "/pricing", "2026-11-18T09:00:00Z"), Page("p2", "/features", "2026-11-18T09:03:00Z")]));
        var anonymous = Customer($"anonymousId:{Anon}");
        Assert.NotNull(await fixture.CustomerAsync(anonymous));

        var lead = $$"""
            {"eventId":"crm-1-{{run}}","type":"lead.status_changed","occurredAt":"2026-11-19T12:00:00Z","status":"mql","owner":"sam@corp.example",
             "customer":{"system":"hubspot","crmId":"901-{{run}}","email":"{{Email}}","name":"Ann Example"} }
            """;
        await fixture.InvokeAsync("IngestCrmEvents", HostPayloads.EventHubBatch(Hubs.CrmEvents, "0", 1, [lead]));
        var known = Customer($"crm.hubspot:901-{run}");
        Assert.NotEqual(anonymous, known);

        // The visitor signs in: the event names the anonymous id and the email, which belong to two profiles.
        var signIn = $$"""
            {"type":"identify","messageId":"s-{{run}}","anonymousId":"{{Anon}}","traits":{"email":"{{Email}}"},"timestamp":"2026-11-20T08:00:00Z"}
            """;
        var (status, body) = await fixture.InvokeAsync("IngestWebEvents", HostPayloads.EventHubBatch(Hubs.WebEvents, "3", 3, [signIn]));

        Assert.Equal(200, status);
        var change = Assert.Single(body["Outputs"]!["changes"]!.AsArray())!;
        Assert.Equal(known, change["customerId"]!.GetValue<string>());
        Assert.Contains("identity.merged", change["causes"]!.AsArray().Select(c => c!.GetValue<string>()));

        var survivor = (await fixture.CustomerAsync(known))!;
        Assert.Equal(2, survivor["touchpoints"]!["web"]!["pageViews"]!.GetValue<long>());
        Assert.Equal("mql", survivor["touchpoints"]!["sales"]!["leadStatus"]!["value"]!.GetValue<string>());
        Assert.Equal("marketingQualified", survivor["lifecycle"]!.GetValue<string>());
        Assert.Contains(anonymous, survivor["mergedFrom"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Contains($"anonymousId:{Anon}", survivor["identities"]!.AsArray().Select(m => m!.GetValue<string>()));

        var tombstone = (await fixture.CustomerAsync(anonymous))!;
        Assert.Equal(known, tombstone["mergedInto"]!.GetValue<string>());
        Assert.Equal(known, await fixture.OwnerOfAsync($"anonymousId:{Anon}"));

        // The next page view of the visitor lands on the survivor directly.
        await fixture.InvokeAsync("IngestWebEvents", HostPayloads.EventHubBatch(Hubs.WebEvents, "3", 4, [Page("p3", "/checkout", "2026-11-20T08:05:00Z")]));
        Assert.Equal(3, (await fixture.CustomerAsync(known))!["touchpoints"]!["web"]!["pageViews"]!.GetValue<long>());
    }

    [Fact]
    public async Task Two_profiles_with_different_user_ids_are_never_merged()
    {
        var other = $"other-{run}";
        await fixture.InvokeAsync("IngestWebEvents", HostPayloads.EventHubBatch(Hubs.WebEvents, "4", 1, [Page("p1", "/", "2026-11-20T10:00:00Z", userId: User)]));
        var shared = $$"""
            {"type":"page","messageId":"x-{{run}}","anonymousId":"{{Anon}}","userId":"{{other}}","properties":{"path":"/"},"timestamp":"2026-11-20T11:00:00Z"}
            """;
        await fixture.InvokeAsync("IngestWebEvents", HostPayloads.EventHubBatch(Hubs.WebEvents, "4", 2, [shared]));

        var first = (await fixture.CustomerAsync(Customer($"userId:{User}")))!;
        var second = (await fixture.CustomerAsync(Customer($"userId:{other}")))!;
        Assert.Null(first["mergedInto"]);
        Assert.Null(second["mergedInto"]);
        Assert.Contains($"anonymousId:{Anon}", first["identities"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.DoesNotContain($"anonymousId:{Anon}", second["identities"]!.AsArray().Select(m => m!.GetValue<string>()));
        Assert.Equal($"anonymousId:{Anon}", second["conflicts"]![0]!["identifier"]!.GetValue<string>());
    }

    [Fact]
    public async Task Concurrent_writers_to_one_customer_lose_no_update()
    {
        const int writers = 6, perWriter = 8;
        var batches = Enumerable.Range(0, writers).Select(w => HostPayloads.EventHubBatch(Hubs.WebEvents, $"c{w}-{run}", 1,
            [.. Enumerable.Range(0, perWriter).Select(i => Page($"w{w}-{i}", $"/page/{i}", $"2026-11-20T10:{w:00}:{i:00}Z", userId: User))]));

        var results = await Task.WhenAll(batches.Select(b => fixture.InvokeAsync("IngestWebEvents", b)));

        Assert.All(results, r => Assert.Equal(200, r.Status));
        var view = (await fixture.CustomerAsync(Customer($"userId:{User}")))!;
        Assert.Equal(writers * perWriter, view["touchpoints"]!["web"]!["pageViews"]!.GetValue<long>());
        Assert.Equal(writers * perWriter, AppliedCount(view));
    }

    [Fact]
    public async Task Concurrent_batches_on_two_hubs_naming_the_same_new_people_lose_nothing()
    {
        const int people = 24, batches = 4;
        string Mail(int i) => $"p{i}.{run}@example.com";
        var crm = Enumerable.Range(0, people).Select(i => $$"""
            {"eventId":"c{{i}}-{{run}}","type":"contact.updated","occurredAt":"2026-11-20T09:00:00Z","customer":{"system":"hubspot","crmId":"h{{i}}-{{run}}","email":"{{Mail(i)}}"} }
            """).ToArray();
        var web = Enumerable.Range(0, people).Select(i => $$"""
            {"type":"identify","messageId":"w{{i}}-{{run}}","userId":"w{{i}}-{{run}}","traits":{"email":"{{Mail(i)}}"},"timestamp":"2026-11-20T09:00:00Z"}
            """).ToArray();
        var invocations = Enumerable.Range(0, batches).SelectMany(b => new[]
        {
            fixture.InvokeAsync("IngestCrmEvents", HostPayloads.EventHubBatch(Hubs.CrmEvents, $"k{b}-{run}", 1, [.. crm.Where((_, i) => i % batches == b)])),
            fixture.InvokeAsync("IngestWebEvents", HostPayloads.EventHubBatch(Hubs.WebEvents, $"k{b}-{run}", 1, [.. web.Where((_, i) => (i + 1) % batches == b)])),
        });

        var results = await Task.WhenAll(invocations);

        Assert.All(results, r => Assert.True(r.Status == 200, r.Body.ToJsonString()));
        for (var i = 0; i < people; i++)
        {
            var owner = await fixture.OwnerOfAsync($"email:{Mail(i)}");
            Assert.NotNull(owner);
            Assert.Equal(owner, await fixture.OwnerOfAsync($"crm.hubspot:h{i}-{run}"));
            Assert.Equal(owner, await fixture.OwnerOfAsync($"userId:w{i}-{run}"));
            var view = (await fixture.CustomerAsync(owner!))!;
            Assert.Null(view["mergedInto"]);
            Assert.Equal(3, view["identities"]!.AsArray().Count);
            Assert.NotNull(view["touchpoints"]!["sales"]);
            Assert.NotNull(view["touchpoints"]!["web"]);
        }
    }

    [Fact]
    public async Task A_shopper_seen_at_once_by_the_website_and_by_billing_becomes_one_customer()
    {
        const int people = 24, batches = 4;
        string Mail(int i) => $"s{i}.{run}@example.com";
        string[] Web(int i) =>
        [
            $$"""{"type":"page","messageId":"sp{{i}}-{{run}}","anonymousId":"sa{{i}}-{{run}}","properties":{"path":"/"},"timestamp":"2026-11-20T09:00:00Z"}""",
            $$"""{"type":"identify","messageId":"si{{i}}-{{run}}","anonymousId":"sa{{i}}-{{run}}","userId":"su{{i}}-{{run}}","traits":{"email":"{{Mail(i)}}"},"timestamp":"2026-11-20T09:01:00Z"}""",
            $$"""{"type":"track","event":"Order Completed","messageId":"so{{i}}-{{run}}","anonymousId":"sa{{i}}-{{run}}","userId":"su{{i}}-{{run}}","properties":{"order_id":"o{{i}}-{{run}}","total":10},"timestamp":"2026-11-20T09:02:00Z"}""",
        ];
        string Billing(int i) => $$"""
            {"eventId":"sb{{i}}-{{run}}","type":"order.placed","occurredAt":"2026-11-20T09:03:00Z","objectId":"o{{i}}-{{run}}","amount":10,"customer":{"system":"stripe","crmId":"cus{{i}}-{{run}}","email":"{{Mail(i)}}"} }
            """;
        var invocations = Enumerable.Range(0, batches).SelectMany(b => new[]
        {
            fixture.InvokeAsync("IngestWebEvents", HostPayloads.EventHubBatch(Hubs.WebEvents, $"s{b}-{run}", 1,
                [.. Enumerable.Range(0, people).Where(i => i % batches == b).SelectMany(Web)])),
            fixture.InvokeAsync("IngestCrmEvents", HostPayloads.EventHubBatch(Hubs.CrmEvents, $"s{b}-{run}", 1,
                [.. Enumerable.Range(0, people).Where(i => (i + 1) % batches == b).Select(Billing)])),
        });

        var results = await Task.WhenAll(invocations);

        Assert.All(results, r => Assert.True(r.Status == 200, r.Body.ToJsonString()));
        var split = new List<string>();
        for (var i = 0; i < people; i++)
        {
            var owners = new[] { $"email:{Mail(i)}", $"crm.stripe:cus{i}-{run}", $"userId:su{i}-{run}", $"anonymousId:sa{i}-{run}" };
            var found = new List<string?>();
            foreach (var key in owners) found.Add(await fixture.OwnerOfAsync(key));
            if (found.Distinct().Count() != 1) split.Add($"#{i}: " + string.Join(", ", owners.Zip(found, (k, o) => $"{k} → {o}")));
        }
        Assert.True(split.Count == 0, string.Join(Environment.NewLine, split));
    }

    [Fact]
    public async Task Social_and_crm_events_fill_their_sections()
    {
        var social = $$"""
            {"eventId":"soc-{{run}}","type":"social.review","network":"Trustpilot","handle":"@Ann_{{run}}","followers":12000,
             "text":"Lovely shop, fast delivery","sentiment":0.9,"rating":5,"occurredAt":"2026-11-20T09:00:00Z","email":"{{Email}}"}
            """;
        var ticket = $$"""
            {"eventId":"tk-{{run}}","type":"ticket.opened","occurredAt":"2026-11-20T09:30:00Z","objectId":"T-1","subject":"Parcel arrived damaged",
             "cost":4.5,"customer":{"email":"{{Email}}"} }
            """;
        Assert.Equal(200, (await fixture.InvokeAsync("IngestSocialEvents", HostPayloads.EventHubBatch(Hubs.SocialEvents, "0", 1, [social]))).Status);
        Assert.Equal(200, (await fixture.InvokeAsync("IngestCrmEvents", HostPayloads.EventHubBatch(Hubs.CrmEvents, "1", 1, [ticket]))).Status);

        var owner = await fixture.OwnerOfAsync($"email:{Email}");
        var view = (await fixture.CustomerAsync(owner!))!;
        Assert.Equal($"social.trustpilot:ann_{run}", view["identities"]!.AsArray().Select(i => i!.GetValue<string>()).Single(i => i.StartsWith("social.", StringComparison.Ordinal)));
        Assert.Equal(1, view["touchpoints"]!["social"]!["positiveReviews"]!.GetValue<long>());
        Assert.Equal(12000, view["touchpoints"]!["social"]!["handles"]![0]!["followers"]!.GetValue<long>());
        Assert.Equal("T-1", view["touchpoints"]!["support"]!["openTickets"]![0]!["id"]!.GetValue<string>());
        Assert.Equal(4.5m, view["touchpoints"]!["billing"]!["costToServe"]!.GetValue<decimal>());
        Assert.Equal(2, view["journal"]!.AsArray().Count);
    }

    /// <summary>How many events the view's dedup record holds: 8 bytes of hash each, per day.</summary>
    internal static int AppliedCount(JsonObject view) =>
        view["applied"]!["days"]!.AsObject().Sum(d => Convert.FromBase64String(d.Value!.GetValue<string>()).Length / 8);
}
