using System.Globalization;

namespace Touchpoints.Functions.Hosting;

public static class CustomHandlerPort
{
    public const string Variable = "FUNCTIONS_CUSTOMHANDLER_PORT";

    /// <summary>The host tells the handler its port; only the host on this machine may call it, hence loopback.</summary>
    public static WebApplicationBuilder ListenWhereTheHostSays(this WebApplicationBuilder builder)
    {
        var port = builder.Configuration[Variable];
        if (port is not null)
        {
            if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is <= 0 or > 65535)
                throw new InvalidOperationException($"{Variable} must be a TCP port, not '{port}'.");
            builder.WebHost.UseUrls($"http://127.0.0.1:{number}");
        }
        // The host wraps a request's body in its invocation, JSON-escaped: 6 MB of NULs arrive as 36 MB. Kestrel's 30 MB
        // default would refuse the invocation itself, which the host reports as a 500; with room for it, the function
        // answers what the body deserves (413). The handler listens only to its host, whose own limit is 100 MB.
        builder.WebHost.ConfigureKestrel(o => o.Limits.MaxRequestBodySize = 640L * 1024 * 1024);
        return builder;
    }
}
