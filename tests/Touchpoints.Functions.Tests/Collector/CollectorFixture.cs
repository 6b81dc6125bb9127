using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.Configuration;
using Touchpoints.Functions.Tests.Ingestion;
using Touchpoints.LocalHost.Emulators;

namespace Touchpoints.Functions.Tests.Collector;

/// <summary>
/// The handler in a test server with collector and webhook sources configured, against the npm Cosmos DB server, called
/// with the HTTP trigger payloads the Functions host sends to a non-forwarded function.
/// </summary>
public sealed class CollectorFixture : IAsyncLifetime
{
    public const string WebsiteKey = "wk-website";
    public const string AppOldKey = "wk-app-old";
    public const string AppNewKey = "wk-app-new";
    public const string AllowedOrigin = "https://shop.example.com";

    public const string CrmSecret = "whsec_bmV3LWNybS1zZWNyZXQtMDI=";
    public const string CrmOldSecret = "whsec_b2xkLWNybS1zZWNyZXQtMDE=";
    public const string StripeSecret = "whsec_stripe_test_secret";
    public const string HubSpotSecret = "hubspot-client-secret";

    private CosmosServer? cosmos;
    private WebApplication? app;

    public HttpClient Host { get; private set; } = null!;

    public CosmosClient Client { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        cosmos = await CosmosServer.StartAsync();
        var settings = HandlerFixture.Settings(cosmos);
        settings["Collector:Sources:website:WriteKey"] = WebsiteKey;
        settings["Collector:Sources:app:WriteKey"] = $"{AppOldKey}, {AppNewKey}";
        settings["Collector:AllowedOrigins"] = AllowedOrigin + ",http://localhost:3000";
        settings["Webhooks:Sources:crm:Scheme"] = "standardWebhooks";
        settings["Webhooks:Sources:crm:Secrets"] = $"{CrmSecret},{CrmOldSecret}";
        settings["Webhooks:Sources:stripe:Scheme"] = "stripe";
        settings["Webhooks:Sources:stripe:Secrets"] = StripeSecret;
        settings["Webhooks:Sources:hubspot:Scheme"] = "hubspot";
        settings["Webhooks:Sources:hubspot:Secrets"] = HubSpotSecret;
        app = HandlerApp.Build([], builder =>
        {
            builder.WebHost.UseTestServer();
            builder.Configuration.AddInMemoryCollection(settings);
        });
        await app.StartAsync();
        Host = app.GetTestClient();
        Client = cosmos.CreateClient();
    }

    public async Task DisposeAsync()
    {
        Client?.Dispose();
        if (app is not null) await app.DisposeAsync();
        if (cosmos is not null) await cosmos.DisposeAsync();
    }

    /// <summary>POSTs an invocation as the host does; returns the invocation's status and body and the <c>res</c> output.</summary>
    public async Task<Invocation> InvokeAsync(string function, JsonObject payload)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/" + function) { Content = JsonContent.Create(payload) };
        request.Headers.Add("X-Azure-Functions-InvocationId", Guid.NewGuid().ToString());
        request.Headers.Add("X-Azure-Functions-HostVersion", "4.1040.0");
        request.Headers.UserAgent.ParseAdd("Azure-Functions-Host/4.1040.0");
        using var response = await Host.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return new Invocation((int)response.StatusCode, JsonNode.Parse(text)!.AsObject());
    }

    public async Task<JsonObject?> ReadAsync(string container, string id, string partitionKey)
    {
        using var response = await Client.GetContainer(HandlerFixture.Database, container).ReadItemStreamAsync(id, new PartitionKey(partitionKey));
        if (response.StatusCode == System.Net.HttpStatusCode.NotFound) return null;
        response.EnsureSuccessStatusCode();
        return (await JsonNode.ParseAsync(response.Content))!.AsObject();
    }
}

/// <summary>What the handler answered the host: the invocation status, its <c>Outputs</c>, and the <c>res</c> HTTP answer.</summary>
public sealed record Invocation(int Status, JsonObject Body)
{
    public JsonObject Res => Body["Outputs"]!["res"]!.AsObject();

    /// <summary>The status the caller gets (the http output carries it as a string).</summary>
    public int HttpStatus => int.Parse(Res["statusCode"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);

    public JsonObject HttpBody => JsonNode.Parse(Res["body"]!.GetValue<string>())!.AsObject();

    public string? Header(string name) =>
        Res["headers"]!.AsObject().FirstOrDefault(h => string.Equals(h.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.GetValue<string>();

    public JsonArray? Events => Body["Outputs"]!["events"]?.AsArray();

    /// <summary>A refusal: the invocation succeeded, the caller gets <paramref name="status"/> with a JSON error, and nothing is published.</summary>
    public void AssertRefused(int status)
    {
        Assert.Equal(200, Status);
        Assert.Equal(status, HttpStatus);
        Assert.StartsWith("application/json", Header("Content-Type"), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(HttpBody["error"]?.GetValue<string>()));
        Assert.Null(Events);
    }
}

[CollectionDefinition(Name)]
public sealed class CollectorCollection : ICollectionFixture<CollectorFixture>
{
    public const string Name = "collector";
}

/// <summary>The host's payload for a non-forwarded HTTP trigger (<c>GetRequestAsJObject</c>).</summary>
public static class HttpPayloads
{
    public static JsonObject Request(
        string url,
        string? body,
        IReadOnlyDictionary<string, string>? headers = null,
        IReadOnlyDictionary<string, string>? routeParams = null,
        string method = "POST",
        bool queryAsObject = false)
    {
        var uri = new Uri(url);
        var query = new JsonObject();
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            query[Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq])] = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
        }
        var headerObject = new JsonObject();
        foreach (var (name, value) in headers ?? new Dictionary<string, string>()) headerObject[name] = new JsonArray(value);
        if (body is not null) headerObject["Content-Length"] = new JsonArray(Encoding.UTF8.GetByteCount(body).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var paramObject = new JsonObject();
        foreach (var (name, value) in routeParams ?? new Dictionary<string, string>()) paramObject[name] = value;
        var req = new JsonObject
        {
            ["Url"] = url,
            ["Method"] = method,
            // The host sends the query as a string holding JSON (JsonConvert.SerializeObject of a dictionary).
            ["Query"] = queryAsObject ? query : query.ToJsonString(),
            ["Headers"] = headerObject,
            ["Params"] = paramObject,
            ["Identities"] = "[]",
        };
        if (body is not null) req["Body"] = body;
        return new JsonObject
        {
            ["Data"] = new JsonObject { ["req"] = req },
            ["Metadata"] = new JsonObject
            {
                ["Headers"] = headerObject.DeepClone(),
                ["Query"] = query.DeepClone(),
                ["sys"] = new JsonObject
                {
                    ["MethodName"] = "Http",
                    ["UtcNow"] = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                    ["RandGuid"] = Guid.NewGuid().ToString(),
                },
            },
        };
    }

    public static string Basic(string user) => "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":"));
}
