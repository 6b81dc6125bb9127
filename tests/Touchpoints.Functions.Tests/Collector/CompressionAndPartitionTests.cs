using System.IO.Compression;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Touchpoints.FunctionsHost.Runtime;

namespace Touchpoints.Functions.Tests.Collector;

/// <summary>
/// The collector as the SDKs call it once the host forwards their request as it came: compressed bodies (analytics-node,
/// rudder-sdk-node and analytics.js can gzip), and events published with the Event Hubs SDK under one key per browser.
/// </summary>
[Collection(HandlerCollection.Name)]
public sealed class CompressionAndPartitionTests(HandlerFixture fixture)
{
    private readonly string run = Guid.NewGuid().ToString("N")[..8];

    private string Batch(int count, string anonymousId) =>
        "{\"batch\":[" + string.Join(",", Enumerable.Range(0, count).Select(i =>
            $$"""{"type":"track","event":"Product Viewed","messageId":"m{{i}}-{{run}}","anonymousId":"{{anonymousId}}","properties":{"product_id":"p{{i}}"},"timestamp":"2026-11-30T09:00:{{i % 60:00}}.000Z"}"""))
        + "]}";

    private static byte[] Compress(string encoding, byte[] raw)
    {
        using var output = new MemoryStream();
        using (Stream compressor = encoding switch
        {
            "gzip" => new GZipStream(output, CompressionLevel.Optimal, leaveOpen: true),
            "deflate" => new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true),
            _ => new BrotliStream(output, CompressionLevel.Optimal, leaveOpen: true),
        })
            compressor.Write(raw);
        return output.ToArray();
    }

    private async Task<(int Status, JsonObject Body, IReadOnlyList<HubEvent> Published)> PostAsync(byte[] body, string? encoding)
    {
        var hub = fixture.Hubs.Hub(Hubs.WebEvents);
        var before = hub.Partitions.Select(p => p.Count).ToArray();
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (encoding is not null) content.Headers.ContentEncoding.Add(encoding);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/batch") { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(HandlerFixture.WebsiteKey + ":")));
        using var response = await fixture.Host.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        var published = hub.Partitions.SelectMany((p, i) => p.Read(before[i], int.MaxValue)).ToList();
        return ((int)response.StatusCode, JsonNode.Parse(text)!.AsObject(), published);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    [InlineData(null)]
    public async Task A_batch_compressed_as_the_SDKs_compress_it_is_accepted_and_published(string? encoding)
    {
        var raw = Encoding.UTF8.GetBytes(Batch(20, $"anon-{run}"));

        var (status, body, published) = await PostAsync(encoding is null ? raw : Compress(encoding, raw), encoding);

        Assert.True(status == 200, body.ToJsonString());
        Assert.True(body["success"]!.GetValue<bool>());
        Assert.Equal(20, published.Count);
        Assert.Equal(Enumerable.Range(0, 20).Select(i => $"m{i}-{run}"), published.Select(e => JsonNode.Parse(e.BodyText)!["messageId"]!.GetValue<string>()));
    }

    [Fact]
    public async Task One_browsers_events_share_one_partition_key_and_keep_their_order()
    {
        var (status, _, published) = await PostAsync(Encoding.UTF8.GetBytes(Batch(30, $"anon-{run}")), null);

        Assert.Equal(200, status);
        Assert.All(published, e => Assert.Equal($"anonymousId:anon-{run}", e.PartitionKey));
        Assert.Single(published.Select(e => e.PartitionId).Distinct());
        Assert.Equal(published.OrderBy(e => e.SequenceNumber), published);
    }

    [Fact]
    public async Task A_compressed_body_that_would_expand_past_the_batch_limit_is_refused_413_and_nothing_is_published()
    {
        // 50 MB of spaces inside a valid JSON string compress to about 50 KB: the limit is the body as read, not as sent.
        var bomb = Encoding.UTF8.GetBytes("{\"batch\":[],\"pad\":\"" + new string(' ', 50 * 1024 * 1024) + "\"}");
        var compressed = Compress("gzip", bomb);
        Assert.True(compressed.Length < 200 * 1024);

        var (status, body, published) = await PostAsync(compressed, "gzip");

        Assert.Equal(413, status);
        Assert.Equal("too_large", body["error"]!.GetValue<string>());
        Assert.Empty(published);
    }
}
