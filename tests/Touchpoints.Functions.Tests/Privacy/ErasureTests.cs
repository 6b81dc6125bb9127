using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Touchpoints.Functions.Privacy;
using Touchpoints.Functions.Rules;
using Touchpoints.Functions.Storage;
using Touchpoints.Functions.Tests.Rules;

namespace Touchpoints.Functions.Tests.Privacy;

/// <summary>
/// A person known by several identifiers, across merged profiles, with messages queued and a refused event stored, is
/// erased by one identifier: afterwards no container, blob or queue holds any of their identifiers or traits, the receipt
/// matches what was there, and a late event or a replay for any of their identifiers is dropped and counted, not stored.
/// Export, before, holds every place the data map names.
/// </summary>
[Collection(RulesCollection.Name)]
public sealed class ErasureTests(RulesFixture fixture, Xunit.Abstractions.ITestOutputHelper output)
{
    private readonly string run = Guid.NewGuid().ToString("N")[..10];

    private string Anonymous => $"anon-{run}";

    private string Now => RulesFixture.Iso(fixture.Clock.GetUtcNow());

    private string Page(int i) => $$"""
        {"type":"page","messageId":"p{{i}}-{{run}}","anonymousId":"{{Anonymous}}","properties":{"path":"/tents"},"timestamp":"{{Now}}"}
        """;

    private async Task<(int Status, JsonObject Body)> PostAsync(string path, string identifier)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(new { identifier }) };
        request.Headers.Add("X-Author", "privacy-officer@example.com");
        using var response = await fixture.Http.SendAsync(request);
        return ((int)response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    private Task<(int Status, JsonObject Body)> RunErasureAsync(ErasureMessage message) =>
        fixture.InvokeAsync(PrivacyEndpoints.ErasureFunction, new JsonObject
        {
            ["Data"] = new JsonObject { [PrivacyEndpoints.ErasureTrigger] = JsonValue.Create(JsonValue.Create(JsonSerializer.Serialize(message, PrivacyJsonContext.Default.ErasureMessage)).ToJsonString()) },
            ["Metadata"] = new JsonObject { ["DequeueCount"] = "1" },
        });

    /// <summary>Every place that could hold the person: documents of every container, history blobs, queued messages.</summary>
    private async Task<List<string>> FindAsync(IReadOnlyList<string> needles)
    {
        var found = new List<string>();
        foreach (var container in Core.Resources.Containers.PartitionKeys.Keys)
        {
            using var feed = fixture.Client.GetContainer(fixture.Database, container).GetItemQueryStreamIterator("SELECT * FROM c");
            while (feed.HasMoreResults)
            {
                using var page = await feed.ReadNextAsync();
                if (!page.IsSuccessStatusCode) break;
                var text = await new StreamReader(page.Content).ReadToEndAsync();
                foreach (var doc in JsonNode.Parse(text)!["Documents"]!.AsArray())
                {
                    var json = doc!.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
                    found.AddRange(needles.Where(n => json.Contains(n, StringComparison.OrdinalIgnoreCase)).Select(n => $"{container}/{doc["id"]}: {n}"));
                }
            }
        }
        var blobs = new BlobServiceClient(fixture.Services.GetRequiredService<IConfiguration>()["AzureWebJobsStorage"]).GetBlobContainerClient(Core.Resources.BlobContainers.History);
        await foreach (var blob in blobs.GetBlobsAsync())
        {
            var text = (await blobs.GetBlobClient(blob.Name).DownloadContentAsync()).Value.Content.ToString();
            found.AddRange(needles.Where(n => text.Contains(n, StringComparison.OrdinalIgnoreCase) || blob.Name.Contains(n, StringComparison.Ordinal)).Select(n => $"history/{blob.Name}: {n}"));
        }
        foreach (var queue in Core.Resources.Queues.Messages)
            foreach (var message in await fixture.PeekAsync(queue))
                found.AddRange(needles.Where(n => message.Body.ToJsonString().Contains(n, StringComparison.OrdinalIgnoreCase)).Select(n => $"{queue}: {n}"));
        return found;
    }

    [Fact]
    public async Task An_erased_person_is_nowhere_and_their_later_events_are_dropped_and_counted()
    {
        var ann = new Shopper(fixture, "erase");
        // Anonymous browsing, then signing in on that device (two profiles, merged), an order (a message queued), and an
        // event refused at ingestion that carries her e-mail.
        await fixture.IngestAndEvaluateAsync(Page(1), Page(2));
        await fixture.IngestAndEvaluateAsync(ann.Identify(), ann.Order(120m));
        var identify = ann.Identify().Replace("\"userId\"", $"\"anonymousId\":\"{Anonymous}\",\"userId\"", StringComparison.Ordinal);
        await fixture.IngestAndEvaluateAsync(identify);
        await fixture.IngestAsync("{\"type\":\"track\",\"messageId\":\"bad-" + run + "\",\"userId\":\"" + ann.UserId
            + "\",\"context\":{\"traits\":{\"email\":\"" + ann.Email + "\"}}}");
        var needles = new[] { ann.Email, ann.UserId, Anonymous, ann.CustomerId };
        var before = await FindAsync(needles);
        Assert.Contains(before, f => f.StartsWith(Core.Resources.Queues.CommunicationsHigh, StringComparison.Ordinal));
        Assert.Contains(before, f => f.StartsWith(Core.Resources.Containers.Rejected, StringComparison.Ordinal));
        Assert.Contains(before, f => f.StartsWith("history/", StringComparison.Ordinal));

        // Export first: one document with every place of the data map.
        var (exportStatus, export) = await PostAsync("/api/manage/people/export", "email:" + ann.Email.ToUpperInvariant());
        Assert.Equal(200, exportStatus);
        foreach (var place in (string[])["customers", "identifiers", "history", "rulesStateAndLedger", "wakeUps", "queuedMessages", "rejectedEvents", "webhookDeliveries"])
            Assert.True(export.ContainsKey(place), place);
        Assert.Equal(2, export["customers"]!.AsArray().Count);
        var queuedMessages = export["queuedMessages"]!.AsArray().Count;
        Assert.NotEqual(0, queuedMessages);
        Assert.Single(export["rejectedEvents"]!.AsArray());
        Assert.Contains($"anonymousId:{Anonymous}", export["identifiers"]!.AsArray().Select(k => k!.GetValue<string>()));

        // Erase by the anonymous id alone: the whole person goes.
        var (status, request) = await PostAsync("/api/manage/people/erasures", $"anonymousId:{Anonymous}");
        Assert.Equal(202, status);
        Assert.Equal("requested", request["status"]!.GetValue<string>());
        Assert.Equal("privacy-officer@example.com", request["requestedBy"]!.GetValue<string>());
        var id = request["id"]!.GetValue<string>();
        var erasures = fixture.QueueService.GetQueueClient(Core.Resources.Queues.Erasures);
        var queued = Assert.Single((await erasures.ReceiveMessagesAsync(32)).Value,
            m => JsonSerializer.Deserialize(m.Body.ToString(), PrivacyJsonContext.Default.ErasureMessage)!.RequestId == id);
        var first = JsonSerializer.Deserialize(queued.Body.ToString(), PrivacyJsonContext.Default.ErasureMessage)!;
        Assert.Equal((id, 1), (first.RequestId, first.Pass));
        await erasures.DeleteMessageAsync(queued.MessageId, queued.PopReceipt);
        Assert.Equal(200, (await RunErasureAsync(first)).Status);

        // The second pass is queued out of sight until every instance has seen the suppression.
        var second = fixture.Sent.All.Last(s => s.Queue == Core.Resources.Queues.Erasures);
        Assert.Equal(TimeSpan.FromMinutes(1), second.Visibility);
        // Meanwhile a late event and a replay of an old batch name her: dropped, counted, nothing stored.
        var dropped = await fixture.IngestAsync(ann.Order(50m), identify, Page(1));
        Assert.Empty(dropped);
        Assert.Equal(200, (await RunErasureAsync(first with { Pass = 2 })).Status);

        var done = (await fixture.Http.GetFromJsonAsync<JsonObject>($"/api/manage/people/erasures/{id}"))!;
        Assert.Equal("done", done["status"]!.GetValue<string>());
        var receipt = done["receipt"]!.AsObject();
        Assert.Equal(2, receipt["customers"]!.GetValue<int>());
        Assert.Equal(queuedMessages, receipt["queues"]!.GetValue<int>());
        Assert.Equal(1, receipt["rejected"]!.GetValue<int>());
        Assert.True(receipt["identities"]!.GetValue<int>() >= 3, receipt.ToJsonString());
        Assert.True(receipt["history"]!.GetValue<int>() >= 2, receipt.ToJsonString());
        Assert.True(receipt["communications"]!.GetValue<int>() >= 2, receipt.ToJsonString());
        Assert.Equal(2, receipt["profiles"]!.GetValue<int>());
        Assert.Empty(done["customers"]!.AsArray());

        var after = await FindAsync(needles);
        Assert.True(after.Count == 0, string.Join(Environment.NewLine, after));
        Assert.Equal(404, (await PostAsync("/api/manage/people/export", "email:" + ann.Email)).Status);

        // Un-suppressed on request: her next event creates a profile again.
        Assert.Equal(200, (await PostAsync("/api/manage/people/unsuppress", $"userId:{ann.UserId}")).Status);
        Assert.Equal(404, (await PostAsync("/api/manage/people/unsuppress", $"userId:{ann.UserId}")).Status);
        Assert.NotEmpty(await fixture.IngestAsync(ann.Track("Back Again")));
    }

    [Fact]
    public async Task A_person_with_hundreds_of_events_over_many_batches_is_erased_whole()
    {
        var bob = new Shopper(fixture, "many");
        const int batches = 20, perBatch = 15;
        for (var b = 0; b < batches; b++)
            await fixture.IngestAsync([.. Enumerable.Range(0, perBatch).Select(_ => bob.ProductViewed())]);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var (status, request) = await PostAsync("/api/manage/people/erasures", "userId:" + bob.UserId);
        Assert.Equal(202, status);
        var message = new ErasureMessage(request["id"]!.GetValue<string>(), "userId:" + bob.UserId, 1);
        Assert.Equal(200, (await RunErasureAsync(message)).Status);
        Assert.Equal(200, (await RunErasureAsync(message with { Pass = 2 })).Status);
        var done = (await fixture.Http.GetFromJsonAsync<JsonObject>($"/api/manage/people/erasures/{message.RequestId}"))!;
        output.WriteLine($"{batches * perBatch} events in {batches} batches erased in {watch.ElapsedMilliseconds} ms (both passes): {done["receipt"]!.ToJsonString()}");
        Assert.Equal("done", done["status"]!.GetValue<string>());
        Assert.Equal(1, done["receipt"]!["history"]!.GetValue<int>());
        Assert.Empty(await FindAsync([bob.UserId]));
        // The queued pass-1 request message is this test's to discard.
        await fixture.QueueService.GetQueueClient(Core.Resources.Queues.Erasures).ClearMessagesAsync();
    }

    [Fact]
    public async Task A_person_unmerged_from_a_family_customer_is_erased_without_touching_the_other()
    {
        // Bob browses on his device, Ann identifies with the family e-mail, then so does Bob: one customer, unmerged again.
        string Device(string who) => $"{who}-device-{run}";
        string Event(string type, string who, int i, string traits = "") =>
            $$"""{"type":"{{type}}","messageId":"{{type}}{{i}}-{{who}}-{{run}}","anonymousId":"{{Device(who)}}"{{traits}},"timestamp":"{{Now}}"}""";
        var family = $$""","traits":{"email":"family-{{run}}@example.com","firstName":"Bobby{{run}}"}""";
        await fixture.IngestAsync(Event("page", "bob", 1));
        await fixture.IngestAsync(Event("page", "ann", 2), Event("identify", "ann", 3, family.Replace($"Bobby{run}", "Ann", StringComparison.Ordinal)));
        await fixture.IngestAsync(Event("identify", "bob", 4, family), Event("page", "bob", 5));
        var (_, export) = await PostAsync("/api/manage/people/export", $"anonymousId:{Device("ann")}");
        var merged = export["customers"]!.AsArray().Single(c => c!["mergedInto"] is null)!["id"]!.GetValue<string>();
        var loser = export["customers"]!.AsArray().Single(c => c!["mergedInto"] is not null)!["id"]!.GetValue<string>();
        using var unmerge = new HttpRequestMessage(HttpMethod.Post, $"/api/manage/customers/{merged}/unmerge") { Content = JsonContent.Create(new { mergedFrom = loser }) };
        unmerge.Headers.Add("X-Author", "dana@marketing");
        using (var response = await fixture.Http.SendAsync(unmerge)) Assert.Equal(200, (int)response.StatusCode);

        var (status, request) = await PostAsync("/api/manage/people/erasures", $"anonymousId:{Device("bob")}");
        Assert.Equal(202, status);
        var message = new ErasureMessage(request["id"]!.GetValue<string>(), $"anonymousId:{Device("bob")}", 1);
        Assert.Equal(200, (await RunErasureAsync(message)).Status);
        Assert.Equal(200, (await RunErasureAsync(message with { Pass = 2 })).Status);

        // Nothing of Bob anywhere, his merged-away profile and the separation Ann's customer recorded included; Ann whole.
        var after = await FindAsync([Device("bob"), $"Bobby{run}", loser]);
        Assert.True(after.Count == 0, string.Join(Environment.NewLine, after));
        var (annStatus, ann) = await PostAsync("/api/manage/people/export", $"email:family-{run}@example.com");
        Assert.Equal(200, annStatus);
        Assert.Equal(merged, ann["customers"]!.AsArray().Single()!["id"]!.GetValue<string>());
        Assert.Contains($"anonymousId:{Device("ann")}", ann["identifiers"]!.AsArray().Select(k => k!.GetValue<string>()));
        await fixture.QueueService.GetQueueClient(Core.Resources.Queues.Erasures).ClearMessagesAsync();
    }

    [Theory]
    [InlineData("""{"identifier":"nonsense"}""")]
    [InlineData("""{"identifier":""}""")]
    [InlineData("""{}""")]
    [InlineData("""not json""")]
    public async Task A_request_without_a_usable_identifier_is_a_400(string body)
    {
        foreach (var path in (string[])["/api/manage/people/erasures", "/api/manage/people/export", "/api/manage/people/unsuppress"])
        {
            using var response = await fixture.Http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(400, (int)response.StatusCode);
        }
    }
}
