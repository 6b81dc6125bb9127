namespace Touchpoints.Functions.Tests.Ingestion.Concurrency;

/// <summary>
/// What a merge costs beyond a batch's usual requests (a write per customer; lookups and reads only of what the instance
/// has not read or written before), pinned so that a regression fails: the loser's tombstone, and one conditional replace
/// per identifier moved (plus a read for each the batch did not look up itself).
/// </summary>
[Collection(GatedCollection.Name)]
public sealed class MergeCostTests(GatedHandlerFixture fixture)
{
    private readonly string run = Guid.NewGuid().ToString("N")[..8];

    private string Page(string id, string anon, string? user = null) =>
        $$"""{"type":"page","messageId":"{{id}}-{{run}}","anonymousId":"{{anon}}-{{run}}"{{(user is null ? "" : $",\"userId\":\"{user}-{run}\"")}},"timestamp":"2026-11-20T10:00:00Z"}""";

    [Fact]
    public async Task A_merge_costs_the_losers_read_its_tombstone_and_one_move_per_identifier_of_the_loser()
    {
        // The visitor's profile holds two anonymous ids (a2 joined by an alias); the user's profile is known.
        await fixture.IngestAsync(Hubs.WebEvents, [Page("p1", "a1")]);
        await fixture.IngestAsync(Hubs.WebEvents, [$$"""{"type":"alias","messageId":"al-{{run}}","anonymousId":"a1-{{run}}","previousId":"a2-{{run}}","timestamp":"2026-11-20T10:01:00Z"}"""]);
        await fixture.IngestAsync(Hubs.WebEvents, [$$"""{"type":"identify","messageId":"id-{{run}}","userId":"u-{{run}}","timestamp":"2026-11-19T10:00:00Z"}"""]);

        // Baseline: a batch naming an identifier of a profile this instance wrote: nothing read again, one write.
        fixture.Gate.ResetCounts();
        await fixture.IngestAsync(Hubs.WebEvents, [Page("p2", "a1")]);
        var baseline = (Identities: fixture.Gate.Count("GET", "identities"), Reads: fixture.Gate.Count("GET", "customers"), Writes: fixture.Gate.Count("PUT", "customers"));
        Assert.Equal((0, 0, 1), baseline);

        // The visitor identifies: the two profiles merge.
        fixture.Gate.ResetCounts();
        await fixture.IngestAsync(Hubs.WebEvents, [Page("p3", "a1", user: "u")]);

        Assert.Equal(1, fixture.Gate.Count("GET", "identities"));     // a1 and u known to the instance; a2 read to be moved
        Assert.Equal(0, fixture.Gate.Count("GET", "customers"));      // both profiles known to the instance
        Assert.Equal(2, fixture.Gate.Count("PUT", "customers"));      // the loser's tombstone, the survivor
        Assert.Equal(2, fixture.Gate.Count("PUT", "identities"));     // a1 and a2 moved
        Assert.Equal(0, fixture.Gate.Count("POST", "identities") + fixture.Gate.Count("POST", "customers"));
    }
}
