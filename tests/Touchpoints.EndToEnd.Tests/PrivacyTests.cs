using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;

namespace Touchpoints.EndToEnd.Tests;

/// <summary>
/// Erasure through the local host as in Azure: the admin API records the request, the <c>erasures</c> queue trigger runs
/// <c>ErasePeople</c> (its second pass delayed on the queue), and a person sent through the collector is then gone from the
/// view API while their later events are dropped.
/// </summary>
[Collection(LocalHostCollection.Name)]
public sealed class PrivacyTests(LocalHostFixture fixture)
{
    private readonly string run = Guid.NewGuid().ToString("N")[..10];

    private async Task CollectAsync(string type, JsonObject message)
    {
        message["type"] = type;
        message["messageId"] = Guid.NewGuid().ToString();
        message["userId"] = $"erase-me-{run}";
        message["timestamp"] = DateTimeOffset.UtcNow.ToString("O");
        using var request = new HttpRequestMessage(HttpMethod.Post, "api/v1/" + type) { Content = new StringContent(message.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(fixture.Sources.WriteKey + ":")));
        using var response = await fixture.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await fixture.Host.WaitForIdleAsync(TimeSpan.FromMinutes(1));
    }

    private async Task<HttpStatusCode> LookUpAsync()
    {
        using var response = await fixture.Http.GetAsync($"api/customers?identity=email:erase-me-{run}@example.com");
        return response.StatusCode;
    }

    [Fact]
    public async Task A_person_erased_through_the_admin_API_is_gone_once_the_erasures_queue_has_run_and_stays_gone()
    {
        await CollectAsync("identify", new JsonObject { ["traits"] = new JsonObject { ["email"] = $"erase-me-{run}@example.com", ["name"] = "Erin Erased" } });
        await CollectAsync("track", new JsonObject { ["event"] = "Product Viewed", ["properties"] = new JsonObject { ["product_id"] = "p-1" } });
        Assert.Equal(HttpStatusCode.OK, await LookUpAsync());

        using var erase = await fixture.Http.PostAsJsonAsync("api/manage/people/erasures", new { identifier = $"email:ERASE-ME-{run}@example.com" });
        Assert.Equal(HttpStatusCode.Accepted, erase.StatusCode);
        var id = (await erase.Content.ReadFromJsonAsync<JsonObject>())!["id"]!.GetValue<string>();

        // Wait on the request's state: the first pass runs at once, the second after twice the refresh interval.
        JsonObject status;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        do
        {
            try
            {
                await fixture.Host.WaitForIdleAsync(TimeSpan.FromMinutes(1));
            }
            catch (TimeoutException)
            {
                // A loaded machine can keep the host busy past a minute (a retried invocation's backoff, the second pass's
                // delay): the state below is what is waited on, for two minutes in all.
            }
            status = (await fixture.Http.GetFromJsonAsync<JsonObject>($"api/manage/people/erasures/{id}"))!;
            if (status["status"]!.GetValue<string>() == "erasing") Assert.Equal(HttpStatusCode.NotFound, await LookUpAsync());
        }
        while (status["status"]!.GetValue<string>() != "done" && waited.Elapsed < TimeSpan.FromMinutes(2));
        Assert.Equal("done", status["status"]!.GetValue<string>());
        Assert.Equal(1, status["receipt"]!["customers"]!.GetValue<int>());

        Assert.Equal(HttpStatusCode.NotFound, await LookUpAsync());
        await CollectAsync("track", new JsonObject { ["event"] = "Came Back", ["context"] = new JsonObject { ["traits"] = new JsonObject { ["email"] = $"erase-me-{run}@example.com" } } });
        Assert.Equal(HttpStatusCode.NotFound, await LookUpAsync());
    }
}
