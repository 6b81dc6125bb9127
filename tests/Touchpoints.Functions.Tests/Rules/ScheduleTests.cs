using Touchpoints.Core.Identity;
using System.Globalization;
using Microsoft.Azure.Cosmos;
using Touchpoints.Core.Rules;
using Touchpoints.Functions.Rules;

namespace Touchpoints.Functions.Tests.Rules;

[Collection(RulesCollection.Name)]
public sealed class ScheduleTests(RulesFixture fixture) : IAsyncLifetime
{
    public async Task InitializeAsync()
    {
        await fixture.PutRulesAsync(TestRules.Document);
        await fixture.ClearQueuesAsync();
        // The first run of the timer looks an hour back: these tests need nothing older.
        await fixture.DeleteSchedulerCursorAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    [Fact]
    public async Task A_due_cart_reminder_fires_once()
    {
        var gus = new Shopper(fixture, "cart");
        var addedAt = fixture.Clock.GetUtcNow();
        await fixture.IngestAndEvaluateAsync(gus.Identify(), gus.ProductAdded());

        // Armed in the state, and a wake-up in the bucket of its due minute (and the customer's shard).
        var state = (await fixture.ReadAsync("communications", "state", gus.CustomerId))!;
        var armed = Assert.Single(state["state"]!["armed"]!.AsArray())!;
        Assert.Equal("cart-reminder", armed["ruleId"]!.GetValue<string>());
        Assert.Equal(addedAt.AddMinutes(15), armed["dueAt"]!.GetValue<DateTimeOffset>());
        var wakeUps = await WakeUpsAsync(addedAt.AddMinutes(15), gus.CustomerId);
        Assert.Single(wakeUps);

        // Not yet due.
        fixture.Clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(200, (await fixture.RunTimerAsync()).Status);
        Assert.Empty(await fixture.PeekAsync(Queues.CommunicationsNormal));

        // Due: the timer reads the bucket, evaluates the customer, queues the reminder and deletes the wake-up.
        fixture.Clock.Advance(TimeSpan.FromMinutes(11));
        var (status, body) = await fixture.RunTimerAsync();
        Assert.True(status == 200, body.ToJsonString());
        var reminder = Assert.Single(await fixture.PeekAsync(Queues.CommunicationsNormal));
        Assert.Equal(gus.CustomerId, reminder.CustomerId);
        Assert.Equal("cart-reminder", reminder.Template);
        Assert.Contains("15 minutes after web.track.Product Added without web.track.Order Completed",
            reminder.Body["reasons"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Empty(await WakeUpsAsync(addedAt.AddMinutes(15), gus.CustomerId));

        // Once: later runs (and a replay of the same minute) queue nothing more.
        fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(200, (await fixture.RunTimerAsync()).Status);
        await fixture.DeleteSchedulerCursorAsync();
        Assert.Equal(200, (await fixture.RunTimerAsync()).Status);
        Assert.Equal(1, await fixture.CountAsync(Queues.CommunicationsNormal));
        Assert.Single(await fixture.LedgerAsync(gus.CustomerId), d => d["ruleId"]!.GetValue<string>() == "cart-reminder");
        state = (await fixture.ReadAsync("communications", "state", gus.CustomerId))!;
        Assert.Empty(state["state"]!["armed"]!.AsArray());
    }

    [Fact]
    public async Task No_cart_reminder_when_an_order_came_first()
    {
        var hal = new Shopper(fixture, "ordered");
        var addedAt = fixture.Clock.GetUtcNow();
        await fixture.IngestAndEvaluateAsync(hal.Identify(), hal.ProductAdded());
        fixture.Clock.Advance(TimeSpan.FromMinutes(5));
        await fixture.IngestAndEvaluateAsync(hal.Order(249m));
        var state = (await fixture.ReadAsync("communications", "state", hal.CustomerId))!;
        Assert.Empty(state["state"]!["armed"]!.AsArray());

        // The wake-up written when the reminder was armed is still there; when it comes due it finds nothing to do.
        fixture.Clock.Advance(TimeSpan.FromMinutes(11));
        var (status, body) = await fixture.RunTimerAsync();

        Assert.True(status == 200, body.ToJsonString());
        Assert.Empty(await fixture.PeekAsync(Queues.CommunicationsNormal));
        Assert.Single(await fixture.PeekAsync(Queues.CommunicationsHigh), m => m.CustomerId == hal.CustomerId && m.Template == "order-thanks");
        Assert.DoesNotContain(await fixture.LedgerAsync(hal.CustomerId), d => d["ruleId"]!.GetValue<string>() == "cart-reminder");
        Assert.Empty(await WakeUpsAsync(addedAt.AddMinutes(15), hal.CustomerId));
    }

    [Fact]
    public void Wake_up_buckets_are_the_due_minute_and_a_stable_shard_never_a_bucket_already_read()
    {
        var now = new DateTimeOffset(2026, 11, 22, 10, 15, 50, TimeSpan.Zero);

        var later = WakeUpStore.For(new CustomerId("c-1"), now.AddHours(4), now);
        var overdue = WakeUpStore.For(new CustomerId("c-1"), now.AddMinutes(-30), now);

        Assert.Equal($"2026-11-22T14:15|{WakeUpBuckets.ShardOf(new CustomerId("c-1"))}", later.Bucket);
        // Due now or before: the next bucket the timer has not read yet (now + margin).
        Assert.Equal($"2026-11-22T10:16|{WakeUpBuckets.ShardOf(new CustomerId("c-1"))}", overdue.Bucket);
        Assert.Equal(WakeUpBuckets.ShardOf(new CustomerId("c-1")), WakeUpBuckets.ShardOf(new CustomerId("c-1")));
        Assert.Equal(8, Enumerable.Range(0, 1000).Select(i => WakeUpBuckets.ShardOf(new CustomerId($"c-{i}"))).Distinct().Count());
    }

    [Fact]
    public async Task Running_due_schedules_now_decides_what_is_due_in_a_minute_not_complete_yet_and_leaves_the_rest_to_the_timer()
    {
        // Forty seconds into a minute, so that the reminder falls due at :40 of its minute, where the timer would not look
        // before the minute is over.
        var t = fixture.Clock.GetUtcNow();
        fixture.Clock.Advance(WakeUpBuckets.Minute(t) + TimeSpan.FromSeconds(100) - t);
        var ivy = new Shopper(fixture, "due-now");
        var addedAt = fixture.Clock.GetUtcNow();
        await fixture.IngestAndEvaluateAsync(ivy.Identify(), ivy.ProductAdded());
        var dueAt = addedAt.AddMinutes(15);
        Assert.Equal(40, dueAt.Second);
        await fixture.RunTimerAsync(); // the timer's cursor is at the minute before now from here on

        // Thirty seconds before it is due, in its own minute: not taken, its wake-up left where the timer will read it.
        fixture.Clock.Advance(dueAt.AddSeconds(-30) - fixture.Clock.GetUtcNow());
        var early = await RunDueNowAsync();
        Assert.Equal(0, early["sent"]!.GetValue<int>());
        Assert.Empty(await fixture.PeekAsync(Queues.CommunicationsNormal));
        Assert.Single(await WakeUpsAsync(dueAt, ivy.CustomerId));

        // Due, its minute still open: the timer does not read it yet, running due schedules now does.
        fixture.Clock.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal(200, (await fixture.RunTimerAsync()).Status);
        Assert.Empty(await fixture.PeekAsync(Queues.CommunicationsNormal));
        var now = await RunDueNowAsync();
        Assert.Equal((1, 1), (now["wakeUps"]!.GetValue<int>(), now["sent"]!.GetValue<int>()));
        var reminder = Assert.Single(await fixture.PeekAsync(Queues.CommunicationsNormal));
        Assert.Equal((ivy.CustomerId, "cart-reminder"), (reminder.CustomerId, reminder.Template));
        Assert.Empty(await WakeUpsAsync(dueAt, ivy.CustomerId));

        // The cursor stayed behind the open minute: the timer reads it once complete, and sends nothing twice.
        fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        var (status, body) = await fixture.RunTimerAsync();
        Assert.True(status == 200, body.ToJsonString());
        Assert.Contains(WakeUpBuckets.MinuteName(WakeUpBuckets.Minute(dueAt)), body.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(1, await fixture.CountAsync(Queues.CommunicationsNormal));
    }

    private async Task<System.Text.Json.Nodes.JsonObject> RunDueNowAsync()
    {
        using var response = await fixture.Http.PostAsync(RulesAdminEndpoints.Prefix + "/schedules/run", null);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        return System.Text.Json.Nodes.JsonNode.Parse(text)!.AsObject();
    }

    private async Task<List<WakeUpDocument>> WakeUpsAsync(DateTimeOffset dueAt, string customerId)
    {
        var bucket = WakeUpBuckets.Bucket(dueAt, WakeUpBuckets.ShardOf(new CustomerId(customerId)));
        var query = new QueryDefinition("SELECT * FROM c WHERE c.bucket = @b").WithParameter("@b", bucket);
        var results = new List<WakeUpDocument>();
        using var feed = fixture.Client.GetContainer(fixture.Database, Containers.WakeUps).GetItemQueryStreamIterator(query,
            requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(bucket) });
        while (feed.HasMoreResults)
        {
            using var page = await feed.ReadNextAsync();
            page.EnsureSuccessStatusCode();
            var node = await System.Text.Json.Nodes.JsonNode.ParseAsync(page.Content);
            results.AddRange(node!["Documents"]!.AsArray()
                .Where(d => d!["customerId"]!.GetValue<string>() == customerId)
                .Select(d => new WakeUpDocument(d!["id"]!.GetValue<string>(), bucket, new CustomerId(customerId),
                    DateTimeOffset.Parse(d["dueAt"]!.GetValue<string>(), CultureInfo.InvariantCulture), default, 0)));
        }
        return results;
    }
}
