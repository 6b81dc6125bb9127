using Touchpoints.Functions.Delivery;

namespace Touchpoints.Functions.Tests.Delivery;

public sealed class DeliveryOptionsTests
{
    private static readonly string Secret = "whsec_" + Convert.ToBase64String(new byte[32]);

    private static DeliveryOptions With(params (string Name, DestinationOptions Destination)[] destinations)
    {
        var options = new DeliveryOptions();
        foreach (var (name, d) in destinations) options.Destinations[name] = d;
        return options;
    }

    [Fact]
    public void Destinations_that_cannot_work_are_named_at_start_each_with_its_problem()
    {
        var options = With(
            ("esp", new DestinationOptions { Url = "http://esp.example/hooks", Secrets = "not-a-secret", Routes = "email, fax" }),
            ("crm", new DestinationOptions { Url = "https://crm.example/tasks", Secrets = Secret, Routes = "email" }),
            ("empty", new DestinationOptions { Url = "https://x.example/", Secrets = "", Routes = "" }));

        var problems = options.Problems().ToArray();

        Assert.Contains(problems, p => p.Contains("esp", StringComparison.Ordinal) && p.Contains("https", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("esp", StringComparison.Ordinal) && p.Contains("whsec_", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("unknown route 'fax'", StringComparison.Ordinal));
        // One route, one destination: the second one to claim e-mail is told which has it.
        Assert.Contains(problems, p => p.Contains("route 'email' is taken", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("empty", StringComparison.Ordinal) && p.Contains("at least one signing secret", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Contains("empty", StringComparison.Ordinal) && p.Contains("Routes must name", StringComparison.Ordinal));
    }

    [Fact]
    public void A_valid_destination_takes_its_routes_in_any_case_and_loopback_may_be_plain_http()
    {
        var options = With(("local", new DestinationOptions { Url = "http://127.0.0.1:7071/sink", Secrets = $"{Secret}, {Secret}", Routes = "Email,sales-alerts" }));

        Assert.Empty(options.Problems());
        Assert.Equal("local", options.For("email")?.Name);
        Assert.Equal("local", options.For(DeliveryOptions.SalesAlertsRoute)?.Name);
        Assert.Null(options.For("sms"));
        Assert.Equal(2, options.Destinations["local"].SecretList.Count);
    }

    [Fact]
    public void A_message_is_signed_once_per_secret_so_either_side_of_a_rotation_verifies_it()
    {
        var other = "whsec_" + Convert.ToBase64String(Enumerable.Repeat((byte)1, 32).ToArray());
        var at = new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

        var both = Signing.Signature([Secret, other], "d-1", at, "{}").Split(' ');

        Assert.Equal(2, both.Length);
        Assert.Equal(Signing.Signature([Secret], "d-1", at, "{}"), both[0]);
        Assert.Equal(Signing.Signature([other], "d-1", at, "{}"), both[1]);
        Assert.All(both, s => Assert.StartsWith("v1,", s, StringComparison.Ordinal));
        Assert.NotEqual(Signing.Signature([Secret], "d-2", at, "{}"), both[0]);
    }
}
