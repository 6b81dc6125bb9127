namespace Touchpoints.Functions.Console;

/// <summary>Settings <c>Console__*</c>.</summary>
public sealed class ConsoleOptions
{
    public const string Section = "Console";

    /// <summary>
    /// Locally: a sign-in page where one picks a role (agent, marketer, admin). Refused at start where App Service runs the
    /// app (<c>WEBSITE_INSTANCE_ID</c> is set): there, Entra ID signs people in.
    /// </summary>
    public bool DevelopmentSignIn { get; set; }

    /// <summary>
    /// Whether <c>X-MS-CLIENT-PRINCIPAL</c> is believed: only where App Service authentication is on (it strips the header
    /// from what clients send, and sets <c>WEBSITE_AUTH_ENABLED</c>). Anywhere else a client could write it itself.
    /// </summary>
    public bool TrustPlatformPrincipal { get; set; } = string.Equals(Environment.GetEnvironmentVariable("WEBSITE_AUTH_ENABLED"), "true", StringComparison.OrdinalIgnoreCase);

    public static bool IsValid(ConsoleOptions options) =>
        !options.DevelopmentSignIn || string.IsNullOrEmpty(Environment.GetEnvironmentVariable("WEBSITE_INSTANCE_ID"));
}
