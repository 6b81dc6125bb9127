using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;

namespace Touchpoints.Functions.Tests.Ingestion;

public sealed class FailureTests
{
    [Fact]
    public async Task An_unreachable_Cosmos_DB_fails_the_invocation_so_the_retry_policy_replays_it()
    {
        await using var app = HandlerApp.Build([], builder =>
        {
            builder.WebHost.UseTestServer();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Cosmos:AccountEndpoint"] = "http://127.0.0.1:9/",
                ["Cosmos:AccountKey"] = FunctionsHost.Emulators.CosmosServer.WellKnownKey,
                ["Cosmos:ConnectionMode"] = "Gateway",
                ["Cosmos:LimitToEndpoint"] = "true",
            });
        });
        await app.StartAsync();
        using var client = app.GetTestClient();
        var body = """{"type":"page","messageId":"m1","anonymousId":"a-1","timestamp":"2026-11-20T10:00:00Z"}""";

        using var response = await client.PostAsync("/IngestWebEvents",
            System.Net.Http.Json.JsonContent.Create(HostPayloads.EventHubBatch(Hubs.WebEvents, "0", 1, [body])));

        Assert.Equal(500, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
    }
}
