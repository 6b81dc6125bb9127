using System.Net;
using System.Text;
using StandardWebhooks;
using Touchpoints.Core.Rules;
using Touchpoints.LocalHost.Destination;

namespace Touchpoints.LocalHost.Tests;

public sealed class LocalDestinationTests
{
    private static HttpRequestMessage Signed(Uri url, string secret, string id, string body, DateTimeOffset? at = null)
    {
        var timestamp = at ?? DateTimeOffset.UtcNow;
        var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", timestamp.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", new StandardWebhook(secret).Sign(id, timestamp, body));
        return request;
    }

    [Fact]
    public async Task It_keeps_each_signed_message_once_refuses_a_bad_or_stale_signature_and_lists_what_it_received()
    {
        await using var destination = await LocalDestination.StartAsync(0);
        using var http = new HttpClient();
        const string alert = """{"type":"salesAlert.raise","timestamp":"2026-12-01T09:00:00Z","data":{"id":"d-1","customerId":"c-1","ruleId":"hot-lead","template":"hot-lead"}}""";
        const string email = """{"type":"communication.send","timestamp":"2026-12-01T09:00:00Z","data":{"id":"d-2","customerId":"c-2","ruleId":"welcome","template":"welcome","channel":"email"}}""";

        using (var r = await http.SendAsync(Signed(destination.Url, destination.Secret, "d-1", alert))) Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        using (var r = await http.SendAsync(Signed(destination.Url, destination.Secret, "d-2", email))) Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        // A redelivery (same webhook-id) is acknowledged and not kept twice.
        using (var r = await http.SendAsync(Signed(destination.Url, destination.Secret, "d-2", email))) Assert.Equal(HttpStatusCode.NoContent, r.StatusCode);
        var other = "whsec_" + Convert.ToBase64String(new byte[32]);
        using (var r = await http.SendAsync(Signed(destination.Url, other, "d-3", email))) Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        using (var r = await http.SendAsync(Signed(destination.Url, destination.Secret, "d-4", email, DateTimeOffset.UtcNow.AddMinutes(-10)))) Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);

        var log = await LocalDestination.ReadAsync(http, destination.Url, CancellationToken.None);
        Assert.Equal(["d-1", "d-2"], log.Messages.Select(m => m.Id).Order(StringComparer.Ordinal));
        Assert.Equal(1, log.Redelivered);
        Assert.Equal(2, log.Refused);
        var received = log.Messages.Single(m => m.Id == "d-2");
        Assert.Equal("email", received.Route);
        Assert.Equal("communication.send", received.Type);
        Assert.Equal("c-2", received.CustomerId);
        Assert.Equal(DeliveryRoutes.SalesAlerts, log.Messages.Single(m => m.Id == "d-1").Route);
    }

    [Fact]
    public async Task It_names_itself_for_every_route_unless_the_settings_name_destinations_of_their_own()
    {
        await using var destination = await LocalDestination.StartAsync(0);
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        destination.AddTo(settings);
        Assert.Equal(destination.Url.ToString(), settings["Delivery__Destinations__local__Url"]);
        Assert.Equal(destination.Secret, settings["Delivery__Destinations__local__Secrets"]);
        Assert.Equal(DeliveryRoutes.All, settings["Delivery__Destinations__local__Routes"]!.Split(", "));

        var own = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase) { ["Delivery__Destinations__esp__Url"] = "https://esp.example/hooks" };
        destination.AddTo(own);
        Assert.Single(own);
    }
}
