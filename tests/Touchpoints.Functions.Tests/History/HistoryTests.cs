using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Touchpoints.Core.History;
using Touchpoints.Core.Identity;
using Touchpoints.Functions.Ingestion;
using Touchpoints.Functions.Tests.Ingestion.Concurrency;

namespace Touchpoints.Functions.Tests.History;

/// <summary>
/// Every accepted event lands in its customer's history (Azurite's Blob Storage) in the invocation that applies it, before
/// the view is written; replays append nothing; what a failed write appended is on no chain; views rebuilt from history,
/// merged-away profiles and all, equal the views ingestion wrote, and a damaged view is restored.
/// </summary>
[Collection(GatedCollection.Name)]
public sealed class HistoryTests(GatedHandlerFixture fixture)
{
    private readonly string run = Guid.NewGuid().ToString("N")[..8];

    private HistoryStore History => fixture.Services.GetRequiredService<HistoryStore>();

    private string Page(string anonymous, int i, string? user = null) => $$"""
        {"type":"page","messageId":"m-{{run}}-{{anonymous}}-{{i}}","anonymousId":"a-{{run}}-{{anonymous}}"{{(user is null ? "" : $",\"userId\":\"u-{run}-{user}\"")}},
         "properties":{"path":"/p/{{i}}"},"timestamp":"2026-11-20T10:{{i:00}}:00Z"}
        """;

    private string Order(string user, int i) => $$"""
        {"type":"track","event":"Order Completed","messageId":"o-{{run}}-{{user}}-{{i}}","userId":"u-{{run}}-{{user}}",
         "properties":{"order_id":"ord-{{run}}-{{i}}","total":{{40 + i}}.50,"currency":"EUR"},"timestamp":"2026-11-21T12:{{i:00}}:00Z"}
        """;

    private async Task<CustomerId> CustomerOfAsync(string key) =>
        new((await fixture.ResolveAsync(key)).Customer ?? throw new InvalidOperationException($"{key} resolves to nobody"));

    /// <summary>A customer document written straight to the store, as another writer (or a bug) would.</summary>
    private async Task UpsertAsync(JsonObject document)
    {
        foreach (var system in document.Select(p => p.Key).Where(k => k.StartsWith('_')).ToList()) document.Remove(system);
        using var body = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(document.ToJsonString()));
        using var response = await fixture.Client.GetContainer(fixture.Database, Containers.Customers)
            .UpsertItemStreamAsync(body, new Microsoft.Azure.Cosmos.PartitionKey(document["id"]!.GetValue<string>()));
        response.EnsureSuccessStatusCode();
    }

    /// <summary>What reached <c>customer-changes</c> so far.</summary>
    private IReadOnlyList<Touchpoints.Core.Ingestion.CustomerChanged> Announcements() =>
        [.. fixture.EventHubs.Hub(Hubs.CustomerChanges).Partitions.SelectMany(p => p.Read(0, int.MaxValue))
            .Select(e => JsonSerializer.Deserialize(e.Body.Span, Touchpoints.Functions.Storage.StorageJsonContext.Default.CustomerChanged)!)];

    private async Task<RebuildResult> RebuildAsync(CustomerId id, bool dryRun)
    {
        using var response = await fixture.Host.PostAsync($"/api/manage/customers/{id}/rebuild?dryRun={(dryRun ? "true" : "false")}", null);
        response.EnsureSuccessStatusCode();
        return (await response.Content.ReadFromJsonAsync(RebuildJsonContext.Default.RebuildResult))!;
    }

    [Fact]
    public async Task Each_write_appends_one_chunk_with_its_events_as_accepted_and_a_replay_appends_nothing()
    {
        var batch = new[] { Page("x", 1), Page("x", 2), Page("y", 1) };
        await fixture.IngestAsync(Hubs.WebEvents, batch, partition: "1", firstSequence: 500);
        var x = await CustomerOfAsync($"anonymousId:a-{run}-x");

        var chunks = await History.ReadAsync(x, CancellationToken.None);
        var chunk = Assert.Single(chunks.Values);
        Assert.Equal(1, chunk.Version);
        Assert.Equal(0, chunk.Base);
        Assert.Equal([batch[0], batch[1]], chunk.Events.Select(e => e.Body));
        Assert.Equal(["web-events/1", "web-events/1"], chunk.Events.Select(e => e.Partition));
        Assert.Equal([500L, 501L], chunk.Events.Select(e => e.Sequence));
        var view = (await fixture.ReadAsync(Containers.Customers, x))!;
        Assert.Equal(JsonSerializer.SerializeToNode(chunks.Keys.Single(), JsonSerializerOptions.Web)!.ToJsonString(), view["history"]!.ToJsonString());

        // The same batch again (Event Hubs replays): nothing applied, nothing appended.
        await fixture.IngestAsync(Hubs.WebEvents, batch, partition: "1", firstSequence: 500);
        Assert.Single(await History.ReadAsync(x, CancellationToken.None));
    }

    [Fact]
    public async Task A_chunk_appended_by_a_write_that_then_failed_is_on_no_chain_and_the_rebuild_equals_the_view()
    {
        await fixture.IngestAsync(Hubs.WebEvents, [Page("f", 1)]);
        var id = await CustomerOfAsync($"anonymousId:a-{run}-f");
        using (fixture.Gate.Fail(r => r.Method == "PUT" && r.Container == Containers.Customers && r.DocumentId == id))
            Assert.NotEqual(200, await fixture.InvokeOnceAsync(Hubs.WebEvents, "2", 9000, [Page("f", 2)]));
        await fixture.IngestAsync(Hubs.WebEvents, [Page("f", 2)], partition: "2", firstSequence: 9000);

        var chunks = await History.ReadAsync(id, CancellationToken.None);
        Assert.Equal(3, chunks.Count); // the first write, the orphan, the retry's
        var stored = (await fixture.ReadAsync(Containers.Customers, id))!;
        Assert.Equal(2, stored["version"]!.GetValue<long>());
        Assert.Equal(RebuildOutcome.Unchanged, (await RebuildAsync(id, dryRun: true)).Outcome);
    }

    [Fact]
    public async Task A_customer_merged_from_an_anonymous_profile_rebuilds_to_the_view_ingestion_wrote_from_both_histories()
    {
        await fixture.IngestAsync(Hubs.WebEvents, [Page("m", 1), Page("m", 2)]);
        await fixture.IngestAsync(Hubs.WebEvents, [Order("m", 1)]);
        var anonymous = await CustomerOfAsync($"anonymousId:a-{run}-m");
        var user = await CustomerOfAsync($"userId:u-{run}-m");
        Assert.NotEqual(anonymous, user);
        // Signing in on that device joins the two.
        await fixture.IngestAsync(Hubs.WebEvents, [Page("m", 3, user: "m"), Order("m", 2)]);
        var survivor = await CustomerOfAsync($"userId:u-{run}-m");
        Assert.Equal(survivor, await CustomerOfAsync($"anonymousId:a-{run}-m"));

        var result = await RebuildAsync(survivor, dryRun: false);
        Assert.Equal(RebuildOutcome.Unchanged, result.Outcome);
        Assert.Equal(5, result.Events);
    }

    [Fact]
    public async Task A_damaged_view_is_restored_from_history_and_announced_to_the_rules()
    {
        await fixture.IngestAsync(Hubs.WebEvents, [Page("d", 1, user: "d"), Order("d", 1), Order("d", 2)]);
        var id = await CustomerOfAsync($"userId:u-{run}-d");
        var before = (await fixture.ReadAsync(Containers.Customers, id))!;

        // A projection bug, say: the counters and the billing section lost.
        var damaged = before.DeepClone().AsObject();
        damaged["counters"] = new JsonObject();
        damaged["touchpoints"]!.AsObject().Remove("billing");
        damaged["version"] = before["version"]!.GetValue<long>() + 1;
        await UpsertAsync(damaged);

        Assert.Equal(RebuildOutcome.Differs, (await RebuildAsync(id, dryRun: true)).Outcome);
        Assert.DoesNotContain(Announcements(), c => c.CustomerId == id);
        Assert.Equal(RebuildOutcome.Rebuilt, (await RebuildAsync(id, dryRun: false)).Outcome);
        var announced = Assert.Single(Announcements(), c => c.CustomerId == id);
        Assert.Equal([HistoryRebuild.Cause], announced.Causes);
        var after = (await fixture.ReadAsync(Containers.Customers, id))!;
        Assert.Equal(before["version"]!.GetValue<long>() + 2, after["version"]!.GetValue<long>());
        foreach (var section in (string[])["counters", "touchpoints", "scores", "segments", "journal", "lifecycle"])
            Assert.True(JsonNode.DeepEquals(before[section], after[section]), $"{section}: {before[section]} != {after[section]}");
        Assert.Equal(RebuildOutcome.Unchanged, (await RebuildAsync(id, dryRun: false)).Outcome);
    }

    [Fact]
    public async Task A_view_written_before_history_was_kept_is_refused_with_its_reason_and_left_as_it_is()
    {
        var id = new CustomerId($"c-legacy-{run}");
        var legacy = new JsonObject
        {
            ["id"] = id.ToString(), ["createdAt"] = "2026-01-01T00:00:00Z", ["version"] = 7, ["counters"] = new JsonObject { ["web.page"] = 12 },
        };
        await UpsertAsync(legacy);
        // A first chunk on top of a view older than history.
        var written = await History.AppendAsync(id, new HistoryChunk { Version = 8, Base = 7, At = DateTimeOffset.UnixEpoch, CreatedAt = DateTimeOffset.UnixEpoch },
            CancellationToken.None);
        var stored = (await fixture.ReadAsync(Containers.Customers, id))!;
        stored["history"] = JsonSerializer.SerializeToNode(written, JsonSerializerOptions.Web);
        await UpsertAsync(stored);

        var result = await RebuildAsync(id, dryRun: false);
        Assert.Equal(RebuildOutcome.Refused, result.Outcome);
        Assert.Contains("before history was kept", result.Reason, StringComparison.Ordinal);
        Assert.Equal(12, (await fixture.ReadAsync(Containers.Customers, id))!["counters"]!["web.page"]!.GetValue<int>());
    }

    [Fact]
    public async Task A_write_larger_than_an_append_goes_in_parts_that_replay_as_one()
    {
        var big = new string('x', 600_000);
        string Bulky(int i) => $$"""
            {"type":"track","event":"Bulky","messageId":"b-{{run}}-{{i}}","userId":"u-{{run}}-bulky","properties":{"blob":"{{big}}"},"timestamp":"2026-11-20T10:00:0{{i}}Z"}
            """;
        await fixture.IngestAsync(Hubs.WebEvents, [.. Enumerable.Range(0, 7).Select(Bulky)]);
        var id = await CustomerOfAsync($"userId:u-{run}-bulky");
        var chunks = (await History.ReadAsync(id, CancellationToken.None)).Values.ToArray();
        Assert.Equal(2, chunks.Length);
        Assert.All(chunks, c => Assert.Equal(2, c.Parts));
        Assert.Equal(7, chunks.Sum(c => c.Events.Length));
        Assert.Equal(RebuildOutcome.Unchanged, (await RebuildAsync(id, dryRun: true)).Outcome);
    }

    [Fact]
    public async Task A_list_of_customers_is_rebuilt_together_and_an_unknown_one_is_reported_not_fatal()
    {
        await fixture.IngestAsync(Hubs.WebEvents, [Page("l1", 1), Page("l2", 1), Page("l2", 2)]);
        var (one, two) = (await CustomerOfAsync($"anonymousId:a-{run}-l1"), await CustomerOfAsync($"anonymousId:a-{run}-l2"));
        var damaged = (await fixture.ReadAsync(Containers.Customers, two))!;
        damaged["counters"] = new JsonObject();
        await UpsertAsync(damaged);

        using var response = await fixture.Host.PostAsync("/api/manage/customers/rebuild",
            JsonContent.Create(new { customers = new[] { one.Value, two.Value, $"c-{run}-nobody" } }));
        response.EnsureSuccessStatusCode();
        var report = (await response.Content.ReadFromJsonAsync(RebuildJsonContext.Default.RebuildReport))!;

        Assert.Equal((3, 1, 1, 1, 3), (report.Scanned, report.Rebuilt, report.Unchanged, report.Refused, report.Events));
        Assert.Equal($"c-{run}-nobody", Assert.Single(report.Refusals).CustomerId.Value);
        Assert.Null(report.Continuation);
        Assert.Equal(2, (await fixture.ReadAsync(Containers.Customers, two))!["counters"]!["web.page"]!.GetValue<int>());
        using var bad = await fixture.Host.PostAsync("/api/manage/customers/rebuild", JsonContent.Create(new { customers = Array.Empty<string>() }));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.StatusCode);
    }
}
