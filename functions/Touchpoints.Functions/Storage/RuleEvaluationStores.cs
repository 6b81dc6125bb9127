using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Touchpoints.Core;
using Microsoft.Azure.Cosmos;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Rules;

namespace Touchpoints.Functions.Storage;

/// <summary>Per customer, the rules' <see cref="RuleState"/> (<c>communications</c>, id <c>state</c>): point read, write on ETag.</summary>
public sealed class RuleStateStore(Database database)
{
    private readonly Container container = database.GetContainer(Containers.Communications);

    public async Task<Versioned<RuleState>?> ReadAsync(CustomerId customerId, CancellationToken ct)
    {
        try
        {
            var response = await container.ReadItemAsync<RuleStateDocument>(RuleState.DocumentId, new PartitionKey(customerId), cancellationToken: ct)
                .ConfigureAwait(false);
            return new Versioned<RuleState>(response.Resource.State, response.ETag);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Creates the state when <paramref name="etag"/> is null, else replaces it if still at that ETag; returns the new ETag.</summary>
    public async Task<string> WriteAsync(RuleState state, string? etag, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(state);
        var document = new RuleStateDocument(RuleState.DocumentId, state.CustomerId, state);
        try
        {
            var response = etag is null
                ? await container.CreateItemAsync(document, new PartitionKey(state.CustomerId), Quiet, ct).ConfigureAwait(false)
                : await container.ReplaceItemAsync(document, document.Id, new PartitionKey(state.CustomerId),
                    new ItemRequestOptions { IfMatchEtag = etag, EnableContentResponseOnWrite = false }, ct).ConfigureAwait(false);
            return response.ETag;
        }
        catch (CosmosException e) when (e.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.PreconditionFailed)
        {
            throw new ConcurrentUpdateException($"{state.CustomerId}/{RuleState.DocumentId}");
        }
    }

    private static readonly ItemRequestOptions Quiet = new() { EnableContentResponseOnWrite = false };
}

/// <summary>
/// The ledger (<c>communications</c>, partition key <c>/customerId</c>): every decision under its deterministic id. Recording
/// is a conditional create, so a replayed decision is recognised (409) and counted once.
/// </summary>
public sealed class LedgerStore(Database database)
{
    private readonly Container container = database.GetContainer(Containers.Communications);

    /// <summary>True when recorded now, false when it was recorded before.</summary>
    public async Task<bool> RecordAsync(Decision decision, CancellationToken ct)
    {
        try
        {
            await container.CreateItemAsync(decision, new PartitionKey(decision.CustomerId), Quiet, ct).ConfigureAwait(false);
            return true;
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            return false;
        }
    }

    /// <summary>
    /// Sets what became of a decision's message (a patch: no read, and the latest outcome wins). False when the ledger has no
    /// such entry (its customer was erased meanwhile).
    /// </summary>
    public async Task<bool> RecordDeliveryAsync(CustomerId customerId, string decisionId, DeliveryRecord record, CancellationToken ct)
    {
        using var response = await container.PatchItemStreamAsync(decisionId, new PartitionKey(customerId), [PatchOperation.Set("/delivery", record)],
            new PatchItemRequestOptions { EnableContentResponseOnWrite = false }, ct).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        response.EnsureSuccessStatusCode();
        return true;
    }

    /// <summary>A customer's latest decisions, newest first: one single-partition query.</summary>
    public async Task<IReadOnlyList<Decision>> LatestAsync(CustomerId customerId, int count, CancellationToken ct)
    {
        var query = new QueryDefinition($"SELECT TOP {Math.Clamp(count, 1, 100).ToString(System.Globalization.CultureInfo.InvariantCulture)} * FROM c WHERE c.customerId = @id AND c.id != @state ORDER BY c.createdAt DESC")
            .WithParameter("@id", customerId.Value).WithParameter("@state", RuleState.DocumentId);
        var decisions = new List<Decision>();
        using var feed = container.GetItemQueryStreamIterator(query, requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(customerId) });
        while (feed.HasMoreResults)
        {
            using var page = await feed.ReadNextAsync(ct).ConfigureAwait(false);
            if (page.StatusCode == HttpStatusCode.NotFound) break;
            page.EnsureSuccessStatusCode();
            using var json = await System.Text.Json.JsonDocument.ParseAsync(page.Content, cancellationToken: ct).ConfigureAwait(false);
            foreach (var item in json.RootElement.GetProperty("Documents").EnumerateArray())
                if (item.Deserialize(DecisionsJsonContext.Default.Decision) is { } decision) decisions.Add(decision);
        }
        return decisions;
    }

    public async Task<Decision?> ReadAsync(CustomerId customerId, string decisionId, CancellationToken ct)
    {
        try
        {
            return (await container.ReadItemAsync<Decision>(decisionId, new PartitionKey(customerId), cancellationToken: ct).ConfigureAwait(false)).Resource;
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    private static readonly ItemRequestOptions Quiet = new() { EnableContentResponseOnWrite = false };
}

/// <summary>
/// Per rule and day counters (<c>rulestats</c>, id <c>{ruleId}:{yyyy-MM-dd}</c>, partition key <c>/ruleId</c>), moved by
/// patch increments: no read, no ETag, no lost update between concurrent writers. A missing day is created on first use.
/// </summary>
public sealed class RuleStatsStore(Database database)
{
    /// <summary>Cosmos DB takes at most 10 operations per patch.</summary>
    private const int OperationsPerPatch = 10;

    private readonly Container container = database.GetContainer(Containers.RuleStats);

    public Task IncrementAsync(IEnumerable<StatIncrement> increments, CancellationToken ct) =>
        Task.WhenAll(increments
            .GroupBy(i => (i.RuleId, i.Day))
            .Select(day => IncrementDayAsync(day.Key.RuleId, day.Key.Day,
                day.GroupBy(i => i.Counter, StringComparer.Ordinal).ToDictionary(c => c.Key, c => c.Sum(i => i.By), StringComparer.Ordinal), ct)));

    private async Task IncrementDayAsync(string ruleId, DateOnly day, Dictionary<string, long> counters, CancellationToken ct)
    {
        var id = RuleStatsDocument.IdFor(ruleId, day);
        var key = new PartitionKey(ruleId);
        if (await PatchAsync(id, key, counters, ct).ConfigureAwait(false)) return;
        try
        {
            await container.CreateItemAsync(new RuleStatsDocument(id, ruleId, RuleStatsDocument.DayName(day), counters), key, Quiet, ct).ConfigureAwait(false);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.Conflict)
        {
            // Another writer created the day first: add ours to it.
            if (!await PatchAsync(id, key, counters, ct).ConfigureAwait(false)) throw;
        }
    }

    /// <summary>False when the day's document does not exist yet.</summary>
    private async Task<bool> PatchAsync(string id, PartitionKey key, Dictionary<string, long> counters, CancellationToken ct)
    {
        foreach (var chunk in counters.Chunk(OperationsPerPatch))
        {
            var operations = chunk.Select(c => PatchOperation.Increment("/counters/" + Pointer(c.Key), c.Value)).ToList();
            try
            {
                await container.PatchItemAsync<RuleStatsDocument>(id, key, operations, new PatchItemRequestOptions { EnableContentResponseOnWrite = false }, ct)
                    .ConfigureAwait(false);
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
            {
                // Only the first chunk can find the document missing; the create then carries every counter.
                return false;
            }
        }
        return true;
    }

    /// <summary>The days of <paramref name="ruleId"/> between two dates: one single-partition query.</summary>
    public async Task<IReadOnlyList<RuleStatsDocument>> ReadAsync(string ruleId, DateOnly from, DateOnly to, CancellationToken ct)
    {
        var query = new QueryDefinition("SELECT * FROM c WHERE c.ruleId = @rule AND c.day >= @from AND c.day <= @to")
            .WithParameter("@rule", ruleId).WithParameter("@from", RuleStatsDocument.DayName(from)).WithParameter("@to", RuleStatsDocument.DayName(to));
        var results = new List<RuleStatsDocument>();
        using var feed = container.GetItemQueryIterator<RuleStatsDocument>(query, requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(ruleId) });
        while (feed.HasMoreResults) results.AddRange(await feed.ReadNextAsync(ct).ConfigureAwait(false));
        return results;
    }

    private static string Pointer(string name) => name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal);

    private static readonly ItemRequestOptions Quiet = new() { EnableContentResponseOnWrite = false };
}

/// <summary>
/// Wake-ups (<c>wakeups</c>, partition key <c>/bucket</c>, see <see cref="WakeUpBuckets"/>): the timer queries only the buckets
/// that came due, each with a single-partition query.
/// </summary>
public sealed class WakeUpStore(Database database)
{
    /// <summary>How long a wake-up nobody processed stays (per-item TTL; the container's default TTL is -1).</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(30);

    private readonly Container container = database.GetContainer(Containers.WakeUps);

    public static WakeUpDocument For(CustomerId customerId, DateTimeOffset dueAt, DateTimeOffset now)
    {
        var minute = WakeUpBuckets.MinuteFor(dueAt, now);
        var bucket = WakeUpBuckets.Bucket(minute, WakeUpBuckets.ShardOf(customerId));
        var id = $"{customerId}|{dueAt.UtcDateTime.ToString("yyyyMMdd'T'HHmmssfff", CultureInfo.InvariantCulture)}";
        var ttl = (int)Math.Min(int.MaxValue, Math.Ceiling((minute - now + Retention).TotalSeconds));
        return new WakeUpDocument(id, bucket, customerId, dueAt, now, ttl);
    }

    public Task WriteAsync(WakeUpDocument wakeUp, CancellationToken ct) =>
        container.UpsertItemAsync(wakeUp, new PartitionKey(wakeUp.Bucket), Quiet, ct);

    public async Task<IReadOnlyList<WakeUpDocument>> ReadBucketAsync(string bucket, CancellationToken ct)
    {
        // The partition key both in the query and in the options: a single-partition query (which the emulator supports too).
        var query = new QueryDefinition("SELECT * FROM c WHERE c.bucket = @bucket").WithParameter("@bucket", bucket);
        var results = new List<WakeUpDocument>();
        using var feed = container.GetItemQueryIterator<WakeUpDocument>(query, requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(bucket) });
        while (feed.HasMoreResults) results.AddRange(await feed.ReadNextAsync(ct).ConfigureAwait(false));
        return results;
    }

    public async Task DeleteAsync(WakeUpDocument wakeUp, CancellationToken ct)
    {
        try
        {
            await container.DeleteItemAsync<WakeUpDocument>(wakeUp.Id, new PartitionKey(wakeUp.Bucket), Quiet, ct).ConfigureAwait(false);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            // Already processed by an overlapping read.
        }
    }

    private static readonly ItemRequestOptions Quiet = new() { EnableContentResponseOnWrite = false };
}

/// <summary>The last bucket minute the timer finished, in <c>config</c> (id <c>scheduler-cursor</c>).</summary>
public sealed class SchedulerCursorStore(Database database, TimeProvider clock)
{
    private readonly Container container = database.GetContainer(Containers.Config);

    public async Task<Versioned<SchedulerCursorDocument>?> ReadAsync(CancellationToken ct)
    {
        try
        {
            var response = await container.ReadItemAsync<SchedulerCursorDocument>(SchedulerCursorDocument.DocumentId,
                new PartitionKey(SchedulerCursorDocument.DocumentId), cancellationToken: ct).ConfigureAwait(false);
            return new Versioned<SchedulerCursorDocument>(response.Resource, response.ETag);
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    /// <summary>Moves the cursor to <paramref name="minute"/>; returns the new ETag.</summary>
    public async Task<string> WriteAsync(DateTimeOffset minute, string? etag, CancellationToken ct)
    {
        var document = new SchedulerCursorDocument(SchedulerCursorDocument.DocumentId, WakeUpBuckets.MinuteName(minute), clock.GetUtcNow());
        try
        {
            var response = etag is null
                ? await container.UpsertItemAsync(document, new PartitionKey(document.Id), Quiet, ct).ConfigureAwait(false)
                : await container.ReplaceItemAsync(document, document.Id, new PartitionKey(document.Id),
                    new ItemRequestOptions { IfMatchEtag = etag, EnableContentResponseOnWrite = false }, ct).ConfigureAwait(false);
            return response.ETag;
        }
        catch (CosmosException e) when (e.StatusCode == HttpStatusCode.PreconditionFailed)
        {
            throw new ConcurrentUpdateException(SchedulerCursorDocument.DocumentId);
        }
    }

    private static readonly ItemRequestOptions Quiet = new() { EnableContentResponseOnWrite = false };
}
