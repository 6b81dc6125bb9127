using Touchpoints.Core.Collection;

namespace Touchpoints.Core.Tests.Collection;

public class WebhookSignatureTests
{
    // The example of the Standard Webhooks specification and its reference libraries (svix).
    private const string SpecSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private const string SpecId = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private const long SpecTimestamp = 1614265330;
    private const string SpecBody = "{\"test\": 2432232314}";
    private const string SpecSignature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    private static readonly DateTimeOffset SpecNow = DateTimeOffset.FromUnixTimeSeconds(SpecTimestamp);

    [Fact]
    public void Standard_webhooks_signing_reproduces_the_specification_example()
    {
        Assert.Equal(SpecSignature, WebhookSignatures.SignStandard(SpecSecret, SpecId, SpecTimestamp, SpecBody));
    }

    [Fact]
    public void Standard_webhooks_example_verifies()
    {
        var check = WebhookSignatures.VerifyStandard(SpecId, "1614265330", SpecSignature, SpecBody, [SpecSecret], SpecNow);
        Assert.True(check.IsValid, check.Error);
    }

    [Fact]
    public void Standard_webhooks_accepts_any_signature_of_the_list_and_any_active_secret()
    {
        var header = $"v1,Zm9vYmFyYmF6 v1a,ignored {SpecSignature}";
        var check = WebhookSignatures.VerifyStandard(SpecId, "1614265330", header, SpecBody, ["whsec_b2xkLXNlY3JldA==", SpecSecret], SpecNow);
        Assert.True(check.IsValid, check.Error);
    }

    [Theory]
    [InlineData("{\"test\": 2432232315}", 0)]
    [InlineData(SpecBody, 301)]
    [InlineData(SpecBody, -301)]
    public void Standard_webhooks_refuses_a_changed_body_or_a_timestamp_beyond_five_minutes(string body, int secondsLater)
    {
        var check = WebhookSignatures.VerifyStandard(SpecId, "1614265330", SpecSignature, body, [SpecSecret], SpecNow.AddSeconds(secondsLater));
        Assert.False(check.IsValid);
    }

    [Fact]
    public void Standard_webhooks_refuses_missing_headers_and_unknown_secrets()
    {
        Assert.False(WebhookSignatures.VerifyStandard(null, "1614265330", SpecSignature, SpecBody, [SpecSecret], SpecNow).IsValid);
        Assert.False(WebhookSignatures.VerifyStandard(SpecId, "1614265330", SpecSignature, SpecBody, ["whsec_b3RoZXI="], SpecNow).IsValid);
        Assert.False(WebhookSignatures.VerifyStandard(SpecId, "not-a-number", SpecSignature, SpecBody, [SpecSecret], SpecNow).IsValid);
    }

    private const string StripeSecret = "whsec_test_secret";
    private const string StripeBody = "{\"id\":\"evt_1\",\"object\":\"event\"}";

    [Fact]
    public void Stripe_signature_is_hex_hmac_of_timestamp_dot_body_keyed_with_the_secret_text()
    {
        // HMAC-SHA256("whsec_test_secret", "1700000000.{body}") computed independently with
        // openssl dgst -sha256 -hmac whsec_test_secret.
        var header = WebhookSignatures.SignStripe(StripeSecret, 1_700_000_000, StripeBody);
        Assert.StartsWith("t=1700000000,v1=", header, StringComparison.Ordinal);
        Assert.Equal(ExpectedStripeHex, header["t=1700000000,v1=".Length..]);
    }

    private const string ExpectedStripeHex = "0c8670ed117751cc551a20e35839447075c42800ea3cf3e8a2fbda99cd1e6edd";

    [Fact]
    public void Stripe_signature_verifies_with_several_v1_values_and_a_rotated_secret()
    {
        var now = DateTimeOffset.FromUnixTimeSeconds(1_700_000_100);
        var signed = WebhookSignatures.SignStripe(StripeSecret, 1_700_000_000, StripeBody);
        var header = signed.Replace(",v1=", ",v1=" + new string('0', 64) + ",v1=", StringComparison.Ordinal) + ",v0=abc";
        var check = WebhookSignatures.VerifyStripe(header, StripeBody, ["whsec_new", StripeSecret], now);
        Assert.True(check.IsValid, check.Error);
    }

    [Fact]
    public void Stripe_signature_refuses_a_stale_timestamp_a_changed_body_and_a_missing_header()
    {
        var signed = WebhookSignatures.SignStripe(StripeSecret, 1_700_000_000, StripeBody);
        Assert.False(WebhookSignatures.VerifyStripe(signed, StripeBody, [StripeSecret], DateTimeOffset.FromUnixTimeSeconds(1_700_000_301)).IsValid);
        Assert.False(WebhookSignatures.VerifyStripe(signed, StripeBody + " ", [StripeSecret], DateTimeOffset.FromUnixTimeSeconds(1_700_000_000)).IsValid);
        Assert.False(WebhookSignatures.VerifyStripe(null, StripeBody, [StripeSecret], DateTimeOffset.FromUnixTimeSeconds(1_700_000_000)).IsValid);
    }

    [Fact]
    public void HubSpot_v3_signs_method_uri_body_and_timestamp()
    {
        const string secret = "client-secret";
        const string uri = "https://touchpoints.example/api/webhooks/hubspot?portal=1";
        const string body = "[{\"eventId\":1}]";
        var expected = Convert.ToBase64String(System.Security.Cryptography.HMACSHA256.HashData(
            System.Text.Encoding.UTF8.GetBytes(secret), System.Text.Encoding.UTF8.GetBytes("POST" + uri + body + "1700000000000")));
        Assert.Equal(expected, WebhookSignatures.SignHubSpot(secret, "POST", uri, body, 1_700_000_000_000));

        var check = WebhookSignatures.VerifyHubSpot("POST", uri, body, "1700000000000", expected, ["old", secret], DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_060_000));
        Assert.True(check.IsValid, check.Error);
        Assert.False(WebhookSignatures.VerifyHubSpot("POST", uri, body, "1700000000000", expected, [secret], DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_301_000)).IsValid);
        Assert.False(WebhookSignatures.VerifyHubSpot("POST", uri + "&x=1", body, "1700000000000", expected, [secret], DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_000_000)).IsValid);
    }

    [Fact]
    public void HubSpot_uri_decodes_only_the_characters_hubspot_lists()
    {
        Assert.Equal("https://x.example/hook?email=ann@example.com&t=a:b/c!($)*,;'&q=%20%3D",
            WebhookSignatures.HubSpotUri("https://x.example/hook?email=ann%40example.com&t=a%3Ab%2fc%21%28%24%29%2A%2C%3B%27&q=%20%3D"));
    }
}
