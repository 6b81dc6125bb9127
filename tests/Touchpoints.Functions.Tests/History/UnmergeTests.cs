using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Touchpoints.Core.Identity;
using Touchpoints.Functions.Ingestion;
using Touchpoints.Functions.Storage;
using Touchpoints.Functions.Tests.Ingestion.Concurrency;

namespace Touchpoints.Functions.Tests.History;

/// <summary>
/// Ann and Bob share the family e-mail: each identifies with it on their own device, and ingestion rightly merges them into
/// one customer. The unmerge through the admin API splits them from history into two views equal to what each would have
/// been alone, re-points the identifiers, and keeps them apart when a later event links them again — also when ingestion
/// writes the customer while the unmerge is under way.
/// </summary>
[Collection(GatedCollection.Name)]
public sealed class UnmergeTests(GatedHandlerFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly string[] Someone = ["anonymousId:x"];

    private static string Run() => Guid.NewGuid().ToString("N")[..8];

    private static string Page(string run, string who, int i) => $$"""
        {"type":"page","messageId":"p-{{run}}-{{who}}-{{i}}","anonymousId":"a-{{run}}-{{who}}","properties":{"path":"/{{who}}/{{i}}"},"timestamp":"2026-11-20T10:{{i:00}}:00Z"}
        """;

    private static string Identify(string run, string who, string name, int i) => $$"""
        {"type":"identify","messageId":"i-{{run}}-{{who}}-{{i}}","anonymousId":"a-{{run}}-{{who}}","traits":{"email":"family-{{run}}@example.com","firstName":"{{name}}"},"timestamp":"2026-11-20T11:{{i:00}}:00Z"}
        """;

    private static string Order(string run, string who, int i) => $$"""
        {"type":"track","event":"Order Completed","messageId":"o-{{run}}-{{who}}-{{i}}","anonymousId":"a-{{run}}-{{who}}","properties":{"order_id":"ord-{{run}}-{{i}}","total":{{40 + i}}.50,"currency":"EUR"},"timestamp":"2026-11-21T12:{{i:00}}:00Z"}
        """;

    private static string[] Ann(string run) => [Page(run, "ann", 1), Page(run, "ann", 2), Identify(run, "ann", "Ann", 3), Page(run, "ann", 4)];

    private static string[] Bob(string run) => [Page(run, "bob", 5), Identify(run, "bob", "Bob", 6), Order(run, "bob", 7), Page(run, "bob", 8)];

    private async Task<string> CustomerOfAsync(string key) =>
        (await fixture.ResolveAsync(key)).Customer ?? throw new InvalidOperationException($"{key} resolves to nobody");

    private async Task<HttpResponseMessage> UnmergeAsync(string id, object body, bool dryRun = false, string? author = "dana@marketing")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/manage/customers/{id}/unmerge?dryRun={(dryRun ? "true" : "false")}")
        {
            Content = JsonContent.Create(body),
        };
        if (author is not null) request.Headers.Add("X-Author", author);
        return await fixture.Host.SendAsync(request);
    }

    /// <summary>What the projection derives, with this run's names made neutral: what "the same view" means across runs.</summary>
    private async Task<JsonObject> ProjectedAsync(string customer, string run)
    {
        var view = (await fixture.ReadAsync(Containers.Customers, customer))!;
        var text = view.ToJsonString().Replace(run, "RUN", StringComparison.Ordinal);
        var projected = JsonNode.Parse(text)!.AsObject();
        // Decided by identity resolution or by the store, not by the projection: compared separately, or not comparable.
        foreach (var name in new[] { "id", "updatedAt", "version", "mergedFrom", "identities", "conflicts", "separations", "history", "applied" })
            projected.Remove(name);
        foreach (var name in projected.Select(p => p.Key).Where(k => k.StartsWith('_')).ToList()) projected.Remove(name);
        return projected;
    }

    [Fact]
    public async Task Unmerging_two_people_behind_one_family_email_restores_the_views_each_would_have_had_alone()
    {
        // Alone: Ann in one run, Bob in another (each run has its own family e-mail).
        var (annRun, bobRun, run) = (Run(), Run(), Run());
        await fixture.IngestAsync(Hubs.WebEvents, Ann(annRun));
        await fixture.IngestAsync(Hubs.WebEvents, Bob(bobRun));
        // Together: the family e-mail merges them.
        await fixture.IngestAsync(Hubs.WebEvents, Ann(run));
        await fixture.IngestAsync(Hubs.WebEvents, Bob(run));
        var merged = await CustomerOfAsync($"email:family-{run}@example.com");
        Assert.Equal(merged, await CustomerOfAsync($"anonymousId:a-{run}-bob"));

        using var planned = await UnmergeAsync(merged, new { identifiers = new[] { $"anonymousId:a-{run}-bob" } }, dryRun: true);
        Assert.Equal(HttpStatusCode.OK, planned.StatusCode);
        Assert.Equal("planned", (await planned.Content.ReadFromJsonAsync<JsonObject>())!["outcome"]!.GetValue<string>());
        Assert.Equal(merged, await CustomerOfAsync($"anonymousId:a-{run}-bob"));

        using var response = await UnmergeAsync(merged, new { identifiers = new[] { $"anonymousId:a-{run}-bob" } });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal("unmerged", report["outcome"]!.GetValue<string>());
        Assert.Equal(4, report["keptEvents"]!.GetValue<int>());
        Assert.Equal(4, report["detachedEvents"]!.GetValue<int>());
        Assert.Equal("dana@marketing", report["by"]!.GetValue<string>());
        var bob = report["detached"]!.GetValue<string>();

        // Every identifier where it belongs, in one hop; each view what it would have been alone.
        Assert.Equal((bob, 0), await fixture.ResolveAsync($"anonymousId:a-{run}-bob"));
        Assert.Equal((merged, 0), await fixture.ResolveAsync($"anonymousId:a-{run}-ann"));
        Assert.Equal((merged, 0), await fixture.ResolveAsync($"email:family-{run}@example.com"));
        Assert.Equal((await ProjectedAsync(await CustomerOfAsync($"anonymousId:a-{annRun}-ann"), annRun)).ToJsonString(),
            (await ProjectedAsync(merged, run)).ToJsonString());
        Assert.Equal((await ProjectedAsync(await CustomerOfAsync($"anonymousId:a-{bobRun}-bob"), bobRun)).ToJsonString(),
            (await ProjectedAsync(bob, run)).ToJsonString());

        // The rebuild from history reproduces both; a later event linking them again keeps them apart and goes to Bob.
        foreach (var id in new[] { merged, bob })
        {
            using var rebuilt = await fixture.Host.PostAsync($"/api/manage/customers/{id}/rebuild?dryRun=true", null);
            Assert.Equal("unchanged", (await rebuilt.Content.ReadFromJsonAsync<JsonObject>())!["outcome"]!.GetValue<string>());
        }
        await fixture.IngestAsync(Hubs.WebEvents, [Identify(run, "bob", "Bob", 9), Page(run, "bob", 10)]);
        Assert.Equal((bob, 0), await fixture.ResolveAsync($"anonymousId:a-{run}-bob"));
        Assert.Equal((merged, 0), await fixture.ResolveAsync($"email:family-{run}@example.com"));
        var bobView = (await fixture.ReadAsync(Containers.Customers, bob))!;
        Assert.Null(bobView["mergedInto"]);
        Assert.Equal(3, bobView["touchpoints"]!["web"]!["pageViews"]!.GetValue<int>());
        Assert.Equal(merged, Assert.Single(bobView["separations"]!.AsArray())!["other"]!.GetValue<string>());
        Assert.Null((await fixture.ReadAsync(Containers.Customers, merged))!["mergedInto"]);
    }

    [Fact]
    public async Task An_unmerge_that_races_ingestion_of_the_detached_person_starts_again_and_loses_no_event()
    {
        var run = Run();
        await fixture.IngestAsync(Hubs.WebEvents, Ann(run));
        await fixture.IngestAsync(Hubs.WebEvents, Bob(run));
        var merged = await CustomerOfAsync($"anonymousId:a-{run}-ann");

        // The unmerge is held at its commit (the kept customer's replace) while a page of Bob's is ingested: it still goes
        // to the merged customer, so the commit fails and the unmerge starts again from what is stored now.
        var held = fixture.Gate.HoldNext(r => r.Method == "PUT" && r.Container == Containers.Customers && r.DocumentId == merged);
        var unmerge = UnmergeAsync(merged, new { identifiers = new[] { $"anonymousId:a-{run}-bob" } });
        await held.Reached;
        await fixture.IngestAsync(Hubs.WebEvents, [Page(run, "bob", 11)], partition: "3");
        held.Release();
        using var response = await unmerge;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        Assert.Equal(5, report["detachedEvents"]!.GetValue<int>());
        var bob = report["detached"]!.GetValue<string>();

        Assert.Equal((bob, 0), await fixture.ResolveAsync($"anonymousId:a-{run}-bob"));
        Assert.Equal(3, (await fixture.ReadAsync(Containers.Customers, bob))!["touchpoints"]!["web"]!["pageViews"]!.GetValue<int>());
        Assert.Equal(3, (await fixture.ReadAsync(Containers.Customers, merged))!["touchpoints"]!["web"]!["pageViews"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_recorded_merge_is_undone_by_naming_the_profile_merged_away()
    {
        // Bob's device is a profile of its own before his identify merges it into Ann's (known, so the survivor).
        var run = Run();
        await fixture.IngestAsync(Hubs.WebEvents, [Page(run, "bob", 1)]);
        await fixture.IngestAsync(Hubs.WebEvents, Ann(run));
        await fixture.IngestAsync(Hubs.WebEvents, Bob(run));
        var merged = await CustomerOfAsync($"anonymousId:a-{run}-ann");
        var loser = Assert.Single((await fixture.ReadAsync(Containers.Customers, merged))!["mergedFrom"]!.AsArray())!.GetValue<string>();

        using var response = await UnmergeAsync(merged, new { mergedFrom = loser });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        var detached = report["detached"]!.GetValue<string>();
        var moved = report["identifiers"]!.AsArray().Select(k => k!.GetValue<string>()).ToArray();
        Assert.NotEmpty(moved);
        foreach (var key in moved) Assert.Equal((detached, 0), await fixture.ResolveAsync(key));
        // The history the merge folded in is gone with the chains that replaced it: the detached profile's is its own.
        Assert.Empty(await fixture.Services.GetRequiredService<HistoryStore>().SegmentsAsync(new CustomerId(loser), CancellationToken.None));
    }

    [Fact]
    public async Task A_batch_that_meets_a_detached_identifier_before_its_document_is_re_pointed_follows_the_separation()
    {
        var run = Run();
        await fixture.IngestAsync(Hubs.WebEvents, Ann(run));
        await fixture.IngestAsync(Hubs.WebEvents, Bob(run));
        var merged = await CustomerOfAsync($"anonymousId:a-{run}-bob");

        // The unmerge has committed but not yet re-pointed Bob's device when a page of Bob's arrives: the batch finds the
        // separation on the customer the device's document still names, goes to Bob and re-points the document itself.
        var device = IdentityDocument.IdFor($"anonymousId:a-{run}-bob");
        var held = fixture.Gate.HoldNext(r => r.Method == "PUT" && r.Container == Containers.Identities && r.DocumentId == device);
        var unmerge = UnmergeAsync(merged, new { identifiers = new[] { $"anonymousId:a-{run}-bob" } });
        await held.Reached;
        var bob = (await fixture.ReadAsync(Containers.Customers, merged))!["separations"]!.AsArray().Single()!["other"]!.GetValue<string>();
        await fixture.IngestAsync(Hubs.WebEvents, [Page(run, "bob", 12)], partition: "2");
        Assert.Equal((bob, 0), await fixture.ResolveAsync($"anonymousId:a-{run}-bob"));
        held.Release();
        using var response = await unmerge;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        Assert.Equal((bob, 0), await fixture.ResolveAsync($"anonymousId:a-{run}-bob"));
        Assert.Equal(3, (await fixture.ReadAsync(Containers.Customers, bob))!["touchpoints"]!["web"]!["pageViews"]!.GetValue<int>());
        Assert.Equal(3, (await fixture.ReadAsync(Containers.Customers, merged))!["touchpoints"]!["web"]!["pageViews"]!.GetValue<int>());
    }

    [Fact]
    public async Task Unmerging_a_customer_of_hundreds_of_events_splits_every_one_and_reports_its_time()
    {
        var run = Run();
        const int batches = 10, perBatch = 30;
        for (var b = 0; b < batches; b++)
        {
            await fixture.IngestAsync(Hubs.WebEvents, [.. Enumerable.Range(0, perBatch / 2).Select(i => Page(run, "ann", (b * perBatch + i) % 60))
                .Select((body, i) => body.Replace($"p-{run}-ann-", $"p-{run}-ann-{b}-{i}-", StringComparison.Ordinal))]);
            await fixture.IngestAsync(Hubs.WebEvents, [.. Enumerable.Range(0, perBatch / 2).Select(i => Page(run, "bob", (b * perBatch + i) % 60))
                .Select((body, i) => body.Replace($"p-{run}-bob-", $"p-{run}-bob-{b}-{i}-", StringComparison.Ordinal))]);
        }
        await fixture.IngestAsync(Hubs.WebEvents, [Identify(run, "ann", "Ann", 1), Identify(run, "bob", "Bob", 2)]);
        var merged = await CustomerOfAsync($"anonymousId:a-{run}-bob");

        var watch = System.Diagnostics.Stopwatch.StartNew();
        using var response = await UnmergeAsync(merged, new { identifiers = new[] { $"anonymousId:a-{run}-bob" } });
        watch.Stop();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var report = (await response.Content.ReadFromJsonAsync<JsonObject>())!;
        var events = report["keptEvents"]!.GetValue<int>() + report["detachedEvents"]!.GetValue<int>();
        Assert.Equal(batches * perBatch + 2, events);
        output.WriteLine($"unmerged a customer of {events} events ({report["keptEvents"]} kept, {report["detachedEvents"]} detached) in {watch.ElapsedMilliseconds} ms");
    }

    [Theory]
    [InlineData("{\"identifiers\":[]}", 400)]
    [InlineData("{\"identifiers\":[\"not a key\"]}", 400)]
    [InlineData("{}", 400)]
    [InlineData("{\"identifiers\":[\"anonymousId:x\"],\"mergedFrom\":\"c-1\"}", 400)]
    [InlineData("[1,2", 400)]
    [InlineData("{\"identifiers\":[\"anonymousId:held-by-nobody\"]}", 409)]
    [InlineData("{\"mergedFrom\":\"c-not-merged-here\"}", 409)]
    public async Task A_bad_unmerge_is_refused_and_changes_nothing(string body, int status)
    {
        var run = Run();
        await fixture.IngestAsync(Hubs.WebEvents, Ann(run));
        var ann = await CustomerOfAsync($"anonymousId:a-{run}-ann");
        var before = (await fixture.ReadAsync(Containers.Customers, ann))!["_etag"]!.GetValue<string>();

        using var request = new HttpRequestMessage(HttpMethod.Post, $"/api/manage/customers/{ann}/unmerge")
        {
            Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Author", "dana@marketing");
        using var response = await fixture.Host.SendAsync(request);

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(before, (await fixture.ReadAsync(Containers.Customers, ann))!["_etag"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_unmerge_without_an_author_or_of_an_unknown_customer_is_refused()
    {
        using var anonymous = await UnmergeAsync("c-whoever", new { identifiers = Someone }, author: null);
        Assert.Equal(HttpStatusCode.BadRequest, anonymous.StatusCode);
        using var unknown = await UnmergeAsync($"c-{Run()}", new { identifiers = Someone });
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
    }
}
