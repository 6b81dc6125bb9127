using System.Net;
using Microsoft.Azure.Cosmos;

namespace Touchpoints.Functions.Tests.Emulators;

/// <summary>Pins the cosmosdb-server behaviour our Cosmos code relies on, so an emulator upgrade or patch loss shows up here.</summary>
[Collection(CosmosServerCollectionDefinition.Name)]
public sealed class CosmosServerBehaviourTests(CosmosServerFixture fixture)
{
    public sealed record Doc(string Id, string Source, int Count = 0, string? Status = null);

    private static readonly int[] UnsortedCounts = [2, 3, 1];

    private static string NewId() => Guid.NewGuid().ToString("N");

    [Fact]
    public async Task CreateIfNotExistsCreatesThenFindsDatabaseAndContainers()
    {
        var databaseId = NewId();
        var created = await fixture.Client.CreateDatabaseIfNotExistsAsync(databaseId);
        var existing = await fixture.Client.CreateDatabaseIfNotExistsAsync(databaseId);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, existing.StatusCode);

        foreach (var partitionKeyPath in new[] { "/id", "/source" })
        {
            var containerId = NewId();
            var first = await existing.Database.CreateContainerIfNotExistsAsync(containerId, partitionKeyPath);
            var second = await existing.Database.CreateContainerIfNotExistsAsync(containerId, partitionKeyPath);
            Assert.Equal(HttpStatusCode.Created, first.StatusCode);
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
            Assert.Equal(partitionKeyPath, second.Resource.PartitionKeyPath);
        }
    }

    [Fact]
    public async Task A_malformed_percent_escape_in_a_url_is_a_400_and_the_server_keeps_serving()
    {
        // Patched: the server used to die of the URIError. Raw HTTP, as a buggy or hostile client would send it.
        using var http = new HttpClient { BaseAddress = fixture.Server.Endpoint };
        using var request = new HttpRequestMessage(HttpMethod.Get, "dbs/touchpoints/colls/customers/docs/%ff%fe");
        request.Headers.TryAddWithoutValidation("x-ms-date", DateTimeOffset.UtcNow.ToString("r", System.Globalization.CultureInfo.InvariantCulture));

        using var response = await http.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var databases = await fixture.Client.CreateDatabaseIfNotExistsAsync(NewId());
        Assert.Equal(HttpStatusCode.Created, databases.StatusCode);
    }

    [Theory]
    [InlineData("/id")]
    [InlineData("/source")]
    public async Task ReadingAMissingItemThrowsNotFound(string partitionKeyPath)
    {
        var container = await fixture.ContainerAsync("items-" + partitionKeyPath.TrimStart('/'), partitionKeyPath);
        var id = NewId();

        var error = await Assert.ThrowsAsync<CosmosException>(
            () => container.ReadItemAsync<Doc>(id, new PartitionKey(partitionKeyPath == "/id" ? id : "nowhere")));

        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task CreatingAnExistingIdThrowsConflict()
    {
        var container = await fixture.ContainerAsync("items-source", "/source");
        var doc = new Doc(NewId(), "s1");
        await container.CreateItemAsync(doc, new PartitionKey(doc.Source));

        var error = await Assert.ThrowsAsync<CosmosException>(() => container.CreateItemAsync(doc, new PartitionKey(doc.Source)));

        Assert.Equal(HttpStatusCode.Conflict, error.StatusCode);
    }

    [Fact]
    public async Task ReplaceHonoursIfMatchEtag()
    {
        var container = await fixture.ContainerAsync("items-id", "/id");
        var doc = new Doc(NewId(), "s1");
        var partitionKey = new PartitionKey(doc.Id);
        var created = await container.CreateItemAsync(doc, partitionKey);
        var current = await container.ReplaceItemAsync(doc with { Count = 1 }, doc.Id, partitionKey);
        Assert.NotEqual(created.ETag, current.ETag);

        var stale = await Assert.ThrowsAsync<CosmosException>(() => container.ReplaceItemAsync(
            doc with { Count = 2 }, doc.Id, partitionKey, new ItemRequestOptions { IfMatchEtag = created.ETag }));
        Assert.Equal(HttpStatusCode.PreconditionFailed, stale.StatusCode);

        var replaced = await container.ReplaceItemAsync(
            doc with { Count = 3 }, doc.Id, partitionKey, new ItemRequestOptions { IfMatchEtag = current.ETag });
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.False(string.IsNullOrEmpty(replaced.ETag));
        Assert.NotEqual(current.ETag, replaced.ETag);
        Assert.Equal(3, (await container.ReadItemAsync<Doc>(doc.Id, partitionKey)).Resource.Count);
    }

    [Fact]
    public async Task UpsertCreatesThenReplaces()
    {
        var container = await fixture.ContainerAsync("items-source", "/source");
        var doc = new Doc(NewId(), "s1");

        var created = await container.UpsertItemAsync(doc, new PartitionKey(doc.Source));
        var replaced = await container.UpsertItemAsync(doc with { Status = "done" }, new PartitionKey(doc.Source));

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.OK, replaced.StatusCode);
        Assert.NotEqual(created.ETag, replaced.ETag);
        Assert.Equal("done", (await container.ReadItemAsync<Doc>(doc.Id, new PartitionKey(doc.Source))).Resource.Status);
    }

    [Fact]
    public async Task PatchSetsAndIncrements()
    {
        var container = await fixture.ContainerAsync("items-source", "/source");
        var doc = new Doc(NewId(), "s1", Count: 5);
        var created = await container.CreateItemAsync(doc, new PartitionKey(doc.Source));

        var patched = await container.PatchItemAsync<Doc>(
            doc.Id,
            new PartitionKey(doc.Source),
            [PatchOperation.Set("/status", "seen"), PatchOperation.Increment("/count", 2)],
            new PatchItemRequestOptions { IfMatchEtag = created.ETag });

        Assert.Equal(HttpStatusCode.OK, patched.StatusCode);
        Assert.Equal(doc with { Count = 7, Status = "seen" }, patched.Resource);
        Assert.NotEqual(created.ETag, patched.ETag);
    }

    [Fact]
    public async Task SinglePartitionQueryReturnsThatPartitionOnly()
    {
        var container = await fixture.ContainerAsync("items-source", "/source");
        var source = NewId();
        var ours = new[] { new Doc(NewId(), source), new Doc(NewId(), source) };
        foreach (var doc in ours.Append(new Doc(NewId(), NewId())))
        {
            await container.CreateItemAsync(doc, new PartitionKey(doc.Source));
        }

        var query = new QueryDefinition("SELECT * FROM c WHERE c.source = @source").WithParameter("@source", source);
        using var iterator = container.GetItemQueryIterator<Doc>(
            query, requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(source) });
        var found = new List<Doc>();
        while (iterator.HasMoreResults)
        {
            found.AddRange(await iterator.ReadNextAsync());
        }

        Assert.Equal(ours.OrderBy(d => d.Id), found.OrderBy(d => d.Id));
    }

    [Fact]
    public async Task CrossPartitionQueryWithTopAndValueReturnsThatManyMatchingValues()
    {
        // The SDK first asks the gateway for a query plan (unpatched, the server answers 400 or a body the SDK cannot read).
        var container = await fixture.ContainerAsync("items-source", "/source");
        var status = NewId();
        var matching = Enumerable.Range(0, 4).Select(_ => new Doc(NewId(), NewId(), Status: status)).ToArray();
        foreach (var doc in matching.Append(new Doc(NewId(), NewId(), Status: NewId())))
        {
            await container.CreateItemAsync(doc, new PartitionKey(doc.Source));
        }

        var query = new QueryDefinition("SELECT TOP @n VALUE c.source FROM c WHERE c.status = @status")
            .WithParameter("@n", 3).WithParameter("@status", status);
        using var iterator = container.GetItemQueryIterator<string>(query, requestOptions: new QueryRequestOptions { MaxItemCount = 3 });
        var found = new List<string>();
        while (iterator.HasMoreResults)
        {
            found.AddRange(await iterator.ReadNextAsync());
        }

        Assert.Equal(3, found.Count);
        Assert.Equal(3, found.Distinct(StringComparer.Ordinal).Count());
        Assert.Subset(matching.Select(d => d.Source).ToHashSet(), found.ToHashSet());
    }

    [Fact]
    public async Task CrossPartitionQueryWithAWhereReturnsEveryMatchAcrossPages()
    {
        var container = await fixture.ContainerAsync("items-source", "/source");
        var status = NewId();
        var matching = Enumerable.Range(0, 5).Select(_ => new Doc(NewId(), NewId(), Status: status)).ToArray();
        foreach (var doc in matching.Append(new Doc(NewId(), matching[0].Source, Status: NewId())))
        {
            await container.CreateItemAsync(doc, new PartitionKey(doc.Source));
        }

        var query = new QueryDefinition("SELECT * FROM c WHERE c.status = @status").WithParameter("@status", status);
        using var iterator = container.GetItemQueryIterator<Doc>(query, requestOptions: new QueryRequestOptions { MaxItemCount = 2 });
        var found = new List<Doc>();
        var pages = 0;
        while (iterator.HasMoreResults)
        {
            found.AddRange(await iterator.ReadNextAsync());
            pages++;
        }

        Assert.Equal(matching.OrderBy(d => d.Id), found.OrderBy(d => d.Id));
        Assert.True(pages >= 3, $"{pages} pages");
    }

    [Fact]
    public async Task CrossPartitionOrderByAndCountRunOnTheOnePartitionKeyRange()
    {
        var container = await fixture.ContainerAsync("items-source", "/source");
        var status = NewId();
        var matching = UnsortedCounts.Select(count => new Doc(NewId(), NewId(), count, status)).ToArray();
        foreach (var doc in matching)
        {
            await container.CreateItemAsync(doc, new PartitionKey(doc.Source));
        }

        async Task<List<T>> QueryAsync<T>(string sql)
        {
            using var iterator = container.GetItemQueryIterator<T>(new QueryDefinition(sql).WithParameter("@status", status));
            var found = new List<T>();
            while (iterator.HasMoreResults)
            {
                found.AddRange(await iterator.ReadNextAsync());
            }
            return found;
        }

        Assert.Equal(
            matching.Select(d => d.Count).OrderDescending(),
            await QueryAsync<int>("SELECT VALUE c.count FROM c WHERE c.status = @status ORDER BY c.count DESC"));
        Assert.Equal(matching.Length, Assert.Single(await QueryAsync<int>("SELECT VALUE COUNT(1) FROM c WHERE c.status = @status")));
    }

    [Fact]
    public async Task ResponsesKeepTheConnectionAlive()
    {
        // Unpatched, every response says "connection: close", which makes each SDK call open a new TCP connection.
        using var http = new HttpClient();
        using var response = await http.GetAsync(fixture.Server.Endpoint);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.NotEqual(true, response.Headers.ConnectionClose);
    }
}
