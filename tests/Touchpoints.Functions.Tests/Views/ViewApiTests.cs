using System.Net;
using System.Text.Json.Nodes;

namespace Touchpoints.Functions.Tests.Views;

[Collection(HandlerCollection.Name)]
public sealed class ViewApiTests(HandlerFixture fixture)
{
    private readonly string run = Guid.NewGuid().ToString("N")[..8];

    private async Task<string> IngestAnnAsync()
    {
        var anonymousPage = $$"""
            {"type":"page","messageId":"p-{{run}}","anonymousId":"a-{{run}}","properties":{"path":"/pricing","title":"Pricing"},"timestamp":"2026-11-20T09:00:00Z"}
            """;
        var identify = $$"""
            {"type":"identify","messageId":"i-{{run}}","userId":"u-{{run}}","traits":{"email":"ann.{{run}}@example.com","name":"Ann","phone":"+44 20 7946 {{run[..4]}}"},"timestamp":"2026-11-20T09:05:00Z"}
            """;
        var merge = $$"""
            {"type":"alias","messageId":"al-{{run}}","userId":"u-{{run}}","previousId":"a-{{run}}","timestamp":"2026-11-20T09:06:00Z"}
            """;
        var ticket = $$"""
            {"eventId":"t-{{run}}","type":"ticket.opened","occurredAt":"2026-11-20T10:00:00Z","objectId":"T-9","subject":"Where is my parcel?","customer":{"userId":"u-{{run}}"} }
            """;
        var lead = $$"""
            {"eventId":"l-{{run}}","type":"lead.status_changed","occurredAt":"2026-11-20T10:05:00Z","status":"sql","customer":{"userId":"u-{{run}}"},"owner":"sam@corp.example"}
            """;
        await fixture.InvokeAsync("IngestWebEvents", HostPayloads.EventHubBatch(Hubs.WebEvents, $"v{run}", 1, [anonymousPage]));
        await fixture.InvokeAsync("IngestWebEvents", HostPayloads.EventHubBatch(Hubs.WebEvents, $"v{run}", 2, [identify]));
        await fixture.InvokeAsync("IngestWebEvents", HostPayloads.EventHubBatch(Hubs.WebEvents, $"v{run}", 3, [merge]));
        await fixture.InvokeAsync("IngestCrmEvents", HostPayloads.EventHubBatch(Hubs.CrmEvents, $"v{run}", 1, [ticket, lead]));
        return (await fixture.OwnerOfAsync($"userId:u-{run}"))!;
    }

    private async Task<(HttpStatusCode Status, JsonObject Body)> GetAsync(string path)
    {
        using var response = await fixture.Host.GetAsync(path);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, JsonNode.Parse(await response.Content.ReadAsStringAsync())!.AsObject());
    }

    [Fact]
    public async Task A_customer_is_found_by_id_and_by_any_of_its_identities()
    {
        var id = await IngestAnnAsync();

        var byId = await GetAsync($"/api/customers/{id}");
        var byEmail = await GetAsync($"/api/customers?identity=email:ANN.{run}@Example.com");
        var byUser = await GetAsync($"/api/customers?identity=userId:u-{run}");

        Assert.Equal(HttpStatusCode.OK, byId.Status);
        Assert.Equal(id, byId.Body["id"]!.GetValue<string>());
        Assert.Equal(id, byEmail.Body["id"]!.GetValue<string>());
        Assert.Equal(id, byUser.Body["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_merged_away_id_answers_with_its_survivor()
    {
        var id = await IngestAnnAsync();
        var anonymousProfile = Core.Identity.IdentityResolver.NewCustomerId(Core.Identity.Identifiers.AnonymousId($"a-{run}")!);
        Assert.NotEqual(id, anonymousProfile);

        var (status, body) = await GetAsync($"/api/customers/{anonymousProfile}");
        var byAnonymousId = await GetAsync($"/api/customers?identity=anonymousId:a-{run}");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(id, body["id"]!.GetValue<string>());
        Assert.Equal(1, body["touchpoints"]!["web"]!["pricingViews"]!.GetValue<long>());
        Assert.Equal(id, byAnonymousId.Body["id"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_phone_agent_sees_contact_consent_tickets_owner_and_journal()
    {
        var id = await IngestAnnAsync();

        var (status, body) = await GetAsync($"/api/customers/{id}/views/phone");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("phone", body["touchpoint"]!.GetValue<string>());
        Assert.Equal("Ann", body["contact"]!["name"]!.GetValue<string>());
        Assert.NotNull(body["consent"]);
        Assert.Equal("sam@corp.example", body["salesOwner"]!.GetValue<string>());
        Assert.Equal("Where is my parcel?", body["openTickets"]![0]!["subject"]!.GetValue<string>());
        Assert.Contains(body["journal"]!.AsArray(), j => j!["summary"]!.GetValue<string>().Contains("T-9", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Web_personalisation_never_sees_contact_details()
    {
        var id = await IngestAnnAsync();

        var (status, body) = await GetAsync($"/api/customers/{id}/views/web");

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Null(body["contact"]);
        Assert.Null(body["journal"]);
        Assert.DoesNotContain($"ann.{run}@example.com", body.ToJsonString(), StringComparison.OrdinalIgnoreCase);
        Assert.Equal("/pricing", body["web"]!["lastPages"]![0]!["path"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("/api/customers/c-does-not-exist", HttpStatusCode.NotFound)]
    [InlineData("/api/customers?identity=email:nobody@example.com", HttpStatusCode.NotFound)]
    [InlineData("/api/customers?identity=email:not-an-email", HttpStatusCode.BadRequest)]
    [InlineData("/api/customers", HttpStatusCode.BadRequest)]
    [InlineData("/api/customers/c-x/views/fax", HttpStatusCode.NotFound)]
    public async Task What_is_not_there_is_a_json_error(string path, HttpStatusCode expected)
    {
        var (status, body) = await GetAsync(path);

        Assert.Equal(expected, status);
        Assert.False(string.IsNullOrEmpty(body["message"]?.GetValue<string>()));
    }

    [Theory]
    [InlineData("/api/customers/a%5Cb")]
    [InlineData("/api/customers/a%3Fb")]
    [InlineData("/api/customers/a%23b")]
    [InlineData("/api/customers/%01x")]
    [InlineData("/api/customers/a%5Cb/views/web")]
    [InlineData("/api/customers/%ff%fe")]
    [InlineData("/api/customers/%25ff%25fe")]
    [InlineData("/api/customers/c-%E2%80%AEevil")]
    public async Task An_id_no_customer_can_have_is_a_404_never_a_5xx(string path)
    {
        var (status, body) = await GetAsync(path);
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("not_found", body["error"]!.GetValue<string>());
        // And the store is still there for everyone else.
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync("/api/customers/c-0")).Status);
    }
}
