using Touchpoints.FunctionsHost.Runtime;

namespace Touchpoints.LocalHost.Tests;

public sealed class InMemoryEventHubsTests
{
    [Fact]
    public void Events_with_one_partition_key_stay_on_one_partition_in_order()
    {
        var hubs = new InMemoryEventHubs(4);

        var published = hubs.Publish("h", ["a", "b", "c"], partitionKey: "user-1");

        Assert.Single(published.Select(e => e.PartitionId).Distinct());
        Assert.Equal([0L, 1L, 2L], published.Select(e => e.SequenceNumber));
        Assert.Equal(EventHubInstance.PartitionFor("user-1", 4).ToString(System.Globalization.CultureInfo.InvariantCulture), published[0].PartitionId);
    }

    [Fact]
    public void Events_without_a_key_are_spread_round_robin()
    {
        var hubs = new InMemoryEventHubs(4);

        var published = hubs.Publish("h", Enumerable.Range(0, 8).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));

        Assert.All(hubs.Hub("h").Partitions, p => Assert.Equal(2, p.Count));
        Assert.Equal(8, published.Select(e => (e.PartitionId, e.SequenceNumber)).Distinct().Count());
    }

    [Fact]
    public void The_partition_of_a_key_is_stable_and_keys_spread()
    {
        Assert.Equal(EventHubInstance.PartitionFor("customer-42", 4), EventHubInstance.PartitionFor("customer-42", 4));
        var used = Enumerable.Range(0, 100).Select(i => EventHubInstance.PartitionFor($"k{i}", 4)).Distinct().Count();
        Assert.Equal(4, used);
    }

    [Fact]
    public async Task Appending_wakes_a_waiting_consumer()
    {
        var hubs = new InMemoryEventHubs(1);
        var partition = hubs.Hub("h").Partitions[0];
        var appended = partition.Appended;

        Assert.False(appended.IsCompleted);
        hubs.Publish("h", ["x"]);

        await appended.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal("x", Assert.Single(partition.Read(0, 10)).BodyText);
    }

    [Fact]
    public void Partition_counts_can_differ_per_hub()
    {
        var hubs = new InMemoryEventHubs(4, new Dictionary<string, int> { ["small"] = 1 });

        Assert.Single(hubs.Hub("small").Partitions);
        Assert.Equal(4, hubs.Hub("other").Partitions.Count);
    }
}
