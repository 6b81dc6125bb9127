using System.Diagnostics;
using System.Text;
using Azure.Messaging.EventHubs;
using Azure.Messaging.EventHubs.Producer;
using Microsoft.Extensions.Logging.Abstractions;
using Touchpoints.FunctionsHost.Emulators;
using Touchpoints.FunctionsHost.EventHubs;
using Touchpoints.FunctionsHost.Runtime;
using Xunit.Abstractions;

namespace Touchpoints.LocalHost.Tests;

/// <summary>
/// Azure's own <see cref="EventHubProducerClient"/>, at its defaults, against the local host's AMQP endpoint with a
/// development connection string: what it sends lands in the in-memory hubs the triggers consume.
/// </summary>
public sealed class AmqpEventHubsEndpointTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly InMemoryEventHubs hubs = new(defaultPartitionCount: 4);
    private AmqpEventHubsEndpoint endpoint = null!;

    public Task InitializeAsync()
    {
        hubs.Hub("web-events");
        hubs.Hub("crm-events");
        endpoint = AmqpEventHubsEndpoint.Start(hubs, NullLogger.Instance);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await endpoint.DisposeAsync();

    private EventHubProducerClient Producer(string hub) => new(endpoint.ConnectionString, hub);

    private static EventData Event(string text) => new(Encoding.UTF8.GetBytes(text));

    [Fact]
    public async Task Events_sent_with_one_partition_key_always_land_on_one_partition_in_the_order_sent()
    {
        await using var producer = Producer("web-events");

        foreach (var round in Enumerable.Range(0, 3))
        {
            await producer.SendAsync([Event($"ann-{round}-a"), Event($"ann-{round}-b")], new SendEventOptions { PartitionKey = "userId:ann" });
            await producer.SendAsync([Event($"bob-{round}")], new SendEventOptions { PartitionKey = "userId:bob" });
        }

        var events = hubs.Hub("web-events").Events();
        var ann = events.Where(e => e.PartitionKey == "userId:ann").ToList();
        Assert.Equal(6, ann.Count);
        Assert.Single(ann.Select(e => e.PartitionId).Distinct());
        Assert.Equal(EventHubInstance.PartitionFor("userId:ann", 4).ToString(System.Globalization.CultureInfo.InvariantCulture), ann[0].PartitionId);
        Assert.Equal(["ann-0-a", "ann-0-b", "ann-1-a", "ann-1-b", "ann-2-a", "ann-2-b"], ann.Select(e => e.BodyText));
        Assert.Single(events.Where(e => e.PartitionKey == "userId:bob").Select(e => e.PartitionId).Distinct());
    }

    [Fact]
    public async Task A_batch_made_for_a_partition_lands_on_that_partition()
    {
        await using var producer = Producer("crm-events");

        using var batch = await producer.CreateBatchAsync(new CreateBatchOptions { PartitionId = "2" });
        foreach (var i in Enumerable.Range(0, 3)) Assert.True(batch.TryAdd(Event($"crm-{i}")));
        await producer.SendAsync(batch);

        var partition = hubs.Hub("crm-events").Partitions[2];
        Assert.Equal(["crm-0", "crm-1", "crm-2"], partition.Read(0, 10).Select(e => e.BodyText));
        Assert.Equal(3, hubs.Hub("crm-events").Events().Count);
        Assert.Equal((long)AmqpEventHubsEndpoint.MaxMessageSize, batch.MaximumSizeInBytes);
    }

    [Fact]
    public async Task Events_without_a_key_are_spread_and_the_hub_reports_its_partitions()
    {
        await using var producer = Producer("web-events");

        foreach (var i in Enumerable.Range(0, 8)) await producer.SendAsync([Event($"anonymous-{i}")]);

        Assert.Equal(["0", "1", "2", "3"], await producer.GetPartitionIdsAsync());
        var properties = await producer.GetPartitionPropertiesAsync("1");
        Assert.False(properties.IsEmpty);
        Assert.Equal(4, hubs.Hub("web-events").Events().Select(e => e.PartitionId).Distinct().Count());
    }

    [Fact]
    public async Task A_hub_the_host_does_not_know_is_refused_as_Azure_refuses_it()
    {
        await using var producer = Producer("no-such-hub");

        var refused = await Assert.ThrowsAsync<EventHubsException>(() => producer.SendAsync([Event("lost")]));

        Assert.Equal(EventHubsException.FailureReason.ResourceNotFound, refused.Reason);
        Assert.Contains("web-events", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_producer_written_with_the_javascript_sdk_sends_a_keyed_batch_and_reads_the_partitions()
    {
        var script = Path.Combine(NodeTooling.RepoRoot, "tests", "Touchpoints.LocalHost.Tests", "node", "eventhubs-producer.mjs");
        var options = new System.Text.Json.Nodes.JsonObject
        {
            ["connectionString"] = endpoint.ConnectionString,
            ["hub"] = "web-events",
            ["partitionKey"] = "social.x:ann",
            ["bodies"] = new System.Text.Json.Nodes.JsonArray("{\"n\":1}", "{\"n\":2}", "{\"n\":3}"),
        };

        var result = await NodeTooling.RunAsync(NodeTooling.NodeExecutable, [script, options.ToJsonString()], NodeTooling.RepoRoot, TimeSpan.FromMinutes(2));

        Assert.True(result.ExitCode == 0, result.Error + result.Output);
        output.WriteLine(result.Output);
        var answer = System.Text.Json.Nodes.JsonNode.Parse(result.Output)!;
        Assert.Equal(3, (int)answer["sent"]!);
        Assert.Equal(["0", "1", "2", "3"], answer["partitionIds"]!.AsArray().Select(p => (string)p!));
        var landed = hubs.Hub("web-events").Events().Where(e => e.PartitionKey == "social.x:ann").ToList();
        Assert.Equal(3, landed.Count);
        Assert.Single(landed.Select(e => e.PartitionId).Distinct());
    }

    [Fact]
    public async Task Throughput_of_batches_is_measured()
    {
        const int total = 20_000;
        await using var producer = Producer("web-events");
        var body = new string('x', 400); // about the size of a Segment track call
        await producer.SendAsync([Event("warm-up")]);

        var watch = Stopwatch.StartNew();
        var sent = 0;
        while (sent < total)
        {
            using var batch = await producer.CreateBatchAsync();
            while (sent < total && batch.TryAdd(Event(body))) sent++;
            await producer.SendAsync(batch);
        }
        watch.Stop();

        output.WriteLine($"{total} events of {body.Length} bytes in {watch.Elapsed.TotalSeconds:0.00} s: {total / watch.Elapsed.TotalSeconds:0} events/s through the local AMQP endpoint");
        Assert.Equal(total + 1, hubs.Hub("web-events").Events().Count);
    }
}
