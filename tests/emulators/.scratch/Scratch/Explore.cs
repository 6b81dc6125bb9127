using System.Diagnostics;
using System.Net;
using Microsoft.Azure.Cosmos;
using Touchpoints.Functions.Tests.Emulators;
using Xunit.Abstractions;

namespace Scratch;

[Collection(CosmosServerCollectionDefinition.Name)]
public sealed class Explore(CosmosServerFixture fixture, ITestOutputHelper output)
{
    public sealed record Doc(string Id, string Source, int Count = 0, string? Status = null);

    private async Task Try(string name, Func<Task<object?>> action)
    {
        try { var r = await action(); output.WriteLine($"{name}: OK {r}"); }
        catch (CosmosException e) { output.WriteLine($"{name}: CosmosException {(int)e.StatusCode} {e.StatusCode} {e.Message.Split('\n')[0]}"); }
        catch (Exception e) { output.WriteLine($"{name}: {e.GetType().Name} {e.Message.Split('\n')[0]}"); }
    }

    private static async Task<List<T>> All<T>(FeedIterator<T> it) { var l = new List<T>(); while (it.HasMoreResults) l.AddRange(await it.ReadNextAsync()); return l; }

    [Fact]
    public async Task Gaps()
    {
        var c = await fixture.ContainerAsync("explore", "/source");
        var a = new Doc("1", "a", 1, "x"); var b = new Doc("2", "a", 2, "y"); var d = new Doc("1", "b", 3, "x");
        foreach (var doc in new[] { a, b, d }) await c.CreateItemAsync(doc, new PartitionKey(doc.Source));
        await Try("same id other partition read", async () => (await c.ReadItemAsync<Doc>("1", new PartitionKey("b"))).Resource);
        await Try("read wrong pk", async () => (await c.ReadItemAsync<Doc>("2", new PartitionKey("b"))).Resource);
        await Try("query pk option, no pk filter", async () => string.Join(",", await All(c.GetItemQueryIterator<Doc>("SELECT * FROM c WHERE c.status = 'x'", requestOptions: new() { PartitionKey = new PartitionKey("a") }))));
        await Try("query pk option, SELECT * FROM c", async () => string.Join(",", await All(c.GetItemQueryIterator<Doc>("SELECT * FROM c", requestOptions: new() { PartitionKey = new PartitionKey("a") }))));
        await Try("query cross partition", async () => string.Join(",", await All(c.GetItemQueryIterator<Doc>("SELECT * FROM c WHERE c.status = 'x'"))));
        await Try("query order by top", async () => string.Join(",", await All(c.GetItemQueryIterator<Doc>("SELECT TOP 1 * FROM c WHERE c.source = 'a' ORDER BY c.count DESC", requestOptions: new() { PartitionKey = new PartitionKey("a") }))));
        await Try("query count", async () => string.Join(",", await All(c.GetItemQueryIterator<int>("SELECT VALUE COUNT(1) FROM c WHERE c.source = 'a'", requestOptions: new() { PartitionKey = new PartitionKey("a") }))));
        await Try("query paging", async () => string.Join(",", await All(c.GetItemQueryIterator<Doc>("SELECT * FROM c WHERE c.source = 'a'", requestOptions: new() { PartitionKey = new PartitionKey("a"), MaxItemCount = 1 }))));
        await Try("linq", async () => string.Join(",", await All(Microsoft.Azure.Cosmos.Linq.CosmosLinqExtensions.ToFeedIterator(c.GetItemLinqQueryable<Doc>(requestOptions: new() { PartitionKey = new PartitionKey("a") }).Where(x => x.Source == "a" && x.Count > 1)))));
        await Try("delete", async () => (await c.DeleteItemAsync<Doc>("2", new PartitionKey("a"))).StatusCode);
        await Try("delete missing", async () => (await c.DeleteItemAsync<Doc>("2", new PartitionKey("a"))).StatusCode);
        await Try("replace missing", async () => (await c.ReplaceItemAsync(b, "2", new PartitionKey("a"))).StatusCode);
        await Try("patch missing", async () => (await c.PatchItemAsync<Doc>("2", new PartitionKey("a"), [PatchOperation.Set("/status", "z")])).StatusCode);
        var cur = await c.ReadItemAsync<Doc>("1", new PartitionKey("a"));
        await Try("patch stale etag", async () => (await c.PatchItemAsync<Doc>("1", new PartitionKey("a"), [PatchOperation.Set("/status", "z")], new() { IfMatchEtag = "\"nope\"" })).StatusCode);
        await Try("upsert stale etag", async () => (await c.UpsertItemAsync(a, new PartitionKey("a"), new() { IfMatchEtag = "\"nope\"" })).StatusCode);
        await Try("read IfNoneMatch current", async () => (await c.ReadItemAsync<Doc>("1", new PartitionKey("a"), new() { IfNoneMatchEtag = cur.ETag })).StatusCode);
        await Try("etag format", () => Task.FromResult<object?>(cur.ETag));
        await Try("patch pk change", async () => (await c.PatchItemAsync<Doc>("1", new PartitionKey("a"), [PatchOperation.Set("/source", "q")])).StatusCode);
        await Try("patch remove/add/replace", async () => (await c.PatchItemAsync<Doc>("1", new PartitionKey("a"), [PatchOperation.Remove("/status"), PatchOperation.Add("/status", "n"), PatchOperation.Replace("/count", 9)])).Resource);
        await Try("patch conditional false", async () => (await c.PatchItemAsync<Doc>("1", new PartitionKey("a"), [PatchOperation.Set("/status", "z")], new() { FilterPredicate = "FROM c WHERE c.count = 1000" })).StatusCode);
        await Try("batch", async () => { var r = await c.CreateTransactionalBatch(new PartitionKey("a")).CreateItem(new Doc("5", "a")).UpsertItem(new Doc("6", "a")).ExecuteAsync(); return $"{r.StatusCode} {r.IsSuccessStatusCode} {r.Count}"; });
        await Try("batch conflict rollback", async () => { var r = await c.CreateTransactionalBatch(new PartitionKey("a")).CreateItem(new Doc("7", "a")).CreateItem(new Doc("5", "a")).ExecuteAsync(); var seven = await c.ReadItemStreamAsync("7", new PartitionKey("a")); return $"{r.StatusCode} 7:{seven.StatusCode}"; });
        await Try("readmany", async () => string.Join(",", (await c.ReadManyItemsAsync<Doc>([("1", new PartitionKey("a")), ("1", new PartitionKey("b"))])).Resource));
        await Try("stream read missing", async () => (await c.ReadItemStreamAsync("nope", new PartitionKey("a"))).StatusCode);
        await Try("ttl container", async () => (await (await fixture.Client.CreateDatabaseIfNotExistsAsync("emulator-tests")).Database.CreateContainerIfNotExistsAsync(new ContainerProperties("ttl", "/id") { DefaultTimeToLive = 1 })).StatusCode);
        await Try("change feed", async () => { var it = c.GetChangeFeedIterator<Doc>(ChangeFeedStartFrom.Beginning(), ChangeFeedMode.LatestVersion); var r = await it.ReadNextAsync(); return $"{r.StatusCode} {r.Count}"; });
        await Try("delete database", async () => (await fixture.Client.GetDatabase("nope").DeleteAsync()).StatusCode);
    }

    [Fact]
    public async Task PointReadLoop()
    {
        var c = await fixture.ContainerAsync("perf", "/id");
        await c.UpsertItemAsync(new Doc("p", "s"), new PartitionKey("p"));
        for (var i = 0; i < 20; i++) await c.ReadItemAsync<Doc>("p", new PartitionKey("p"));
        var times = new List<long>();
        for (var round = 0; round < 15; round++)
        {
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < 200; i++) await c.ReadItemAsync<Doc>("p", new PartitionKey("p"));
            times.Add(sw.ElapsedMilliseconds);
        }
        times.Sort();
        output.WriteLine($"200 point reads: median {times[times.Count / 2]} ms, min {times[0]} ms, max {times[^1]} ms");
    }
}
