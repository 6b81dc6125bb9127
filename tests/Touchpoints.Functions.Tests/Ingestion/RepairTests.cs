using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Azure.Cosmos;
using Touchpoints.Functions.Ingestion;

namespace Touchpoints.Functions.Tests.Ingestion;

/// <summary>
/// The repair heals what earlier versions of ingestion wrote, with no new traffic: each test writes the damaged documents
/// as they were found, runs a full repair pass through the management route, and checks every identifier resolves in at
/// most one hop to one live customer that holds all the data. Its own Cosmos DB server: a pass scans every customer.
/// </summary>
public sealed class RepairTests(HandlerFixture fixture) : IClassFixture<HandlerFixture>
{
    private readonly string run = Guid.NewGuid().ToString("N")[..8];

    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 9, 0, 0, TimeSpan.Zero);

    private string Id(string name) => $"c-{name}-{run}";
    private string Key(string key) => $"{key}-{run}";

    private async Task CustomerAsync(string name, string[] keys, int pages, string? mergedInto = null, string[]? mergedFrom = null, int ageDays = 1)
    {
        var doc = new JsonObject
        {
            ["id"] = Id(name),
            ["createdAt"] = T0.AddDays(-ageDays),
            ["updatedAt"] = T0,
            ["version"] = 3,
            ["identities"] = new JsonArray([.. keys.Select(k => JsonValue.Create(Key(k)))]),
            ["counters"] = new JsonObject { ["web.page"] = pages },
            ["journal"] = new JsonArray([.. Enumerable.Range(0, pages).Select(i => new JsonObject
            {
                ["at"] = T0.AddMinutes(i), ["touchpoint"] = "web", ["summary"] = $"page {i}", ["eventId"] = $"web:{name}-{i}-{run}",
            })]),
        };
        if (mergedInto is not null) doc["mergedInto"] = Id(mergedInto);
        if (mergedFrom is not null) doc["mergedFrom"] = new JsonArray([.. mergedFrom.Select(m => JsonValue.Create(Id(m)))]);
        await UpsertAsync("customers", doc);
    }

    private async Task IdentityAsync(string key, string customer)
    {
        var id = IdentityDocument.IdFor(Key(key));
        await UpsertAsync("identities", new JsonObject { ["id"] = id, ["key"] = Key(key), ["customerId"] = Id(customer), ["claimedAt"] = T0 });
    }

    private async Task UpsertAsync(string container, JsonObject doc)
    {
        using var body = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(doc.ToJsonString()));
        using var response = await Container(container).UpsertItemStreamAsync(body, new PartitionKey(doc["id"]!.GetValue<string>()));
        response.EnsureSuccessStatusCode();
    }

    private Container Container(string name) => fixture.Client.GetContainer(fixture.Database, name);

    /// <summary>A whole pass, page by page, as an operator runs it; the reports of every page.</summary>
    private async Task<List<JsonObject>> RepairAsync()
    {
        var reports = new List<JsonObject>();
        string? continuation = null;
        do
        {
            var url = RepairEndpoints.Route + "?pageSize=3" + (continuation is null ? "" : "&continuation=" + Uri.EscapeDataString(continuation));
            using var response = await fixture.Host.PostAsync(url, null);
            Assert.Equal(200, (int)response.StatusCode);
            var report = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
            reports.Add(report);
            continuation = report["continuation"]?.GetValue<string>();
        }
        while (continuation is not null && reports.Count < 1000);
        return reports;
    }

    private static int Sum(List<JsonObject> reports, string field) => reports.Sum(r => r[field]!.GetValue<int>());

    private Task<(string? Customer, int Hops)> ResolveAsync(string key) =>
        Resolution.ResolveAsync((container, id) => fixture.ReadAsync(container, id, id), Key(key));

    [Theory]
    [InlineData("0207946", "+44207946")] // national, as the website form stored it before E.164; the default region (GB) reads it
    [InlineData("+440207946", "+44207946")] // international with its trunk 0, as the earlier normaliser kept it
    public async Task A_phone_key_stored_before_e164_is_claimed_in_e164_for_its_customer_and_the_old_key_still_finds_him(string oldPrefix, string newPrefix)
    {
        var digits = (Math.Abs(run.GetHashCode(StringComparison.Ordinal)) % 1000).ToString("000", System.Globalization.CultureInfo.InvariantCulture);
        var (legacy, current) = ($"phone:{oldPrefix}0{digits}", $"phone:{newPrefix}0{digits}");
        var customer = Id("phone");
        await UpsertAsync("customers", new JsonObject
        {
            ["id"] = customer, ["createdAt"] = T0, ["updatedAt"] = T0, ["version"] = 1,
            ["identities"] = new JsonArray(JsonValue.Create(legacy)), ["counters"] = new JsonObject { ["crm.call.logged"] = 1 },
        });
        var id = IdentityDocument.IdFor(legacy);
        await UpsertAsync("identities", new JsonObject { ["id"] = id, ["key"] = legacy, ["customerId"] = customer, ["claimedAt"] = T0 });

        var reports = await RepairAsync();

        Assert.True(Sum(reports, "identifiersRekeyed") >= 1);
        Assert.Equal(customer, (await Resolution.ResolveAsync((container, key) => fixture.ReadAsync(container, key, key), current)).Customer);
        Assert.Equal(customer, (await Resolution.ResolveAsync((container, key) => fixture.ReadAsync(container, key, key), legacy)).Customer);
        Assert.Contains(current, (await fixture.ReadAsync("customers", customer, customer))!["identities"]!.AsArray().Select(k => (string)k!));
    }

    private async Task<JsonObject> OneCustomerAsync(long pages, params string[] keys)
    {
        var resolved = new List<(string Key, string? Customer, int Hops)>();
        foreach (var key in keys) { var (c, h) = await ResolveAsync(key); resolved.Add((key, c, h)); }
        var described = string.Join("; ", resolved.Select(r => $"{r.Key} → {r.Customer ?? "nothing"} in {r.Hops}"));
        Assert.True(resolved.All(r => r.Customer is not null && r.Hops == 0), described);
        var id = Assert.Single(resolved.Select(r => r.Customer).Distinct());
        var view = (await fixture.CustomerAsync(id!))!;
        Assert.Equal(pages, view["counters"]!["web.page"]!.GetValue<long>());
        return view;
    }

    [Fact]
    public async Task A_crm_id_left_on_its_own_profile_by_a_withdrawn_claim_joins_its_person()
    {
        // The split the demo showed: Q owns U, E and A; P holds the Stripe id and lists U, E, A, which resolve to Q.
        await CustomerAsync("q", ["userId:u", "email:e@example.com", "anonymousId:a"], pages: 4, ageDays: 2);
        await CustomerAsync("p", ["crm.stripe:cus", "userId:u", "email:e@example.com", "anonymousId:a"], pages: 1);
        foreach (var key in new[] { "userId:u", "email:e@example.com", "anonymousId:a" }) await IdentityAsync(key, "q");
        await IdentityAsync("crm.stripe:cus", "p");

        var reports = await RepairAsync();

        Assert.True(Sum(reports, "splitsResolved") >= 1);
        var view = await OneCustomerAsync(5, "userId:u", "email:e@example.com", "anonymousId:a", "crm.stripe:cus");
        Assert.Equal(Id("q"), view["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_tombstone_its_survivor_never_folded_in_is_folded_and_its_identifiers_point_at_the_survivor()
    {
        await CustomerAsync("r", ["userId:u"], pages: 2, ageDays: 3);
        await CustomerAsync("t", ["anonymousId:a"], pages: 3, mergedInto: "r");
        await IdentityAsync("userId:u", "r");
        await IdentityAsync("anonymousId:a", "t");

        var reports = await RepairAsync();

        Assert.Equal(1, Sum(reports, "unfoldedTombstones"));
        var view = await OneCustomerAsync(5, "userId:u", "anonymousId:a");
        Assert.Contains(Id("t"), view["mergedFrom"]!.AsArray().Select(m => m!.GetValue<string>()));
        var again = await RepairAsync();
        Assert.Equal(0, Sum(again, "unfoldedTombstones"));
    }

    [Fact]
    public async Task A_redirect_chain_is_compressed_to_one_hop()
    {
        await CustomerAsync("c", ["anonymousId:a1", "anonymousId:a2", "anonymousId:a3"], pages: 3, mergedFrom: ["b", "a"], ageDays: 5);
        await CustomerAsync("b", ["anonymousId:a2", "anonymousId:a1"], pages: 0, mergedInto: "c", mergedFrom: ["a"]);
        await CustomerAsync("a", ["anonymousId:a1"], pages: 0, mergedInto: "b");
        await IdentityAsync("anonymousId:a1", "a");
        await IdentityAsync("anonymousId:a2", "b");
        await IdentityAsync("anonymousId:a3", "c");

        var reports = await RepairAsync();

        Assert.True(Sum(reports, "identifiersCompressed") >= 2);
        await OneCustomerAsync(3, "anonymousId:a1", "anonymousId:a2", "anonymousId:a3");
    }

    [Fact]
    public async Task A_loop_of_tombstones_becomes_one_live_customer_with_both_profiles_data()
    {
        await CustomerAsync("l", ["anonymousId:a"], pages: 2, mergedInto: "v", ageDays: 4);
        await CustomerAsync("v", ["userId:u"], pages: 3, mergedInto: "l", ageDays: 2);
        await IdentityAsync("anonymousId:a", "l");
        await IdentityAsync("userId:u", "v");

        var reports = await RepairAsync();

        Assert.Equal(1, Sum(reports, "cyclesBroken"));
        await OneCustomerAsync(5, "anonymousId:a", "userId:u");
    }

    [Fact]
    public async Task An_identifier_a_profile_lists_but_nothing_owns_is_claimed_for_it_again()
    {
        await CustomerAsync("p", ["userId:u", "email:lost@example.com"], pages: 2);
        await IdentityAsync("userId:u", "p");

        var reports = await RepairAsync();

        Assert.Equal(1, Sum(reports, "identifiersReclaimed"));
        await OneCustomerAsync(2, "userId:u", "email:lost@example.com");
    }

    [Fact]
    public async Task A_profile_nothing_resolves_to_is_merged_into_the_customer_its_identifiers_name()
    {
        await CustomerAsync("q", ["anonymousId:a", "email:e@example.com"], pages: 2, ageDays: 2);
        await CustomerAsync("orphan", ["email:e@example.com"], pages: 3);
        await IdentityAsync("anonymousId:a", "q");
        await IdentityAsync("email:e@example.com", "q");

        var reports = await RepairAsync();

        Assert.Equal(1, Sum(reports, "orphansMerged"));
        await OneCustomerAsync(5, "anonymousId:a", "email:e@example.com");
        Assert.Equal(Id("q"), (await fixture.CustomerAsync(Id("orphan")))!["mergedInto"]!.GetValue<string>());
    }

    [Fact]
    public async Task Profiles_of_two_different_users_are_left_apart()
    {
        await CustomerAsync("u1", ["userId:u1", "anonymousId:shared"], pages: 2, ageDays: 2);
        await CustomerAsync("u2", ["userId:u2", "anonymousId:shared"], pages: 3);
        await IdentityAsync("userId:u1", "u1");
        await IdentityAsync("anonymousId:shared", "u1");
        await IdentityAsync("userId:u2", "u2");

        await RepairAsync();

        Assert.Equal((Id("u1"), 0), await ResolveAsync("userId:u1"));
        Assert.Equal((Id("u2"), 0), await ResolveAsync("userId:u2"));
        Assert.Null((await fixture.CustomerAsync(Id("u2")))!["mergedInto"]);
    }
}
