using System.ComponentModel.DataAnnotations;
using Touchpoints.Core.Resources;
using Touchpoints.Core.Rules;

namespace Touchpoints.Functions.Delivery;

/// <summary>
/// Settings <c>Delivery__*</c>: where messages go once the send-time guard lets them. Each destination is a signed
/// outbound webhook (Standard Webhooks) that takes some channels (<c>email</c>, <c>sms</c>, …) and/or the
/// <c>sales-alerts</c> queue — an ESP, an SMS gateway, a CRM task API or a Logic App behind it.
/// </summary>
public sealed class DeliveryOptions
{
    public const string Section = "Delivery";

    /// <summary>The route of sales alerts (every other route is a channel's name).</summary>
    public const string SalesAlertsRoute = DeliveryRoutes.SalesAlerts;

    /// <summary>
    /// Invocations of a message before the host moves it to <c>{queue}-poison</c>: <c>extensions.queues.maxDequeueCount</c>
    /// in host.json (a test keeps them equal). The last failed one records the decision as failed.
    /// </summary>
    public const int MaxDequeueCount = 5;

    /// <summary>By name: <c>Delivery__Destinations__{name}__Url</c>, <c>…__Secrets</c>, <c>…__Routes</c>.</summary>
    public Dictionary<string, DestinationOptions> Destinations { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Retries of one send within an invocation, with exponential backoff and jitter, before the invocation fails.</summary>
    [Range(0, 10)]
    public int Retries { get; set; } = 3;

    /// <summary>The first backoff; each retry doubles it.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:01:00")]
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How long one attempt may take.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The destination of a route (a channel's name, or <see cref="SalesAlertsRoute"/>), if one takes it.</summary>
    public (string Name, DestinationOptions Options)? For(string route) =>
        Destinations.Where(d => d.Value.RouteList.Contains(route, StringComparer.OrdinalIgnoreCase)).Select(d => ((string, DestinationOptions)?)(d.Key, d.Value)).FirstOrDefault();

    /// <summary>Every route a destination may take.</summary>
    public static IReadOnlyList<string> Routes => DeliveryRoutes.All;

    /// <summary>Why the settings cannot work (checked at start), or nothing.</summary>
    public IEnumerable<string> Problems()
    {
        var taken = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, d) in Destinations)
        {
            var name = $"Delivery:Destinations:{key}";
            if (!Uri.TryCreate(d.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && !(url.Scheme == Uri.UriSchemeHttp && url.IsLoopback)))
                yield return $"{name}: Url must be an absolute https URL (http only to loopback)";
            if (d.SecretList.Count == 0) yield return $"{name}: at least one signing secret (whsec_ and base64) is required";
            foreach (var secret in d.SecretList)
                if (!Signing.IsValidSecret(secret)) yield return $"{name}: a secret is not whsec_ followed by base64 of 24 to 64 bytes";
            if (d.RouteList.Count == 0) yield return $"{name}: Routes must name channels ({string.Join(", ", Routes)})";
            foreach (var route in d.RouteList)
            {
                if (!Routes.Contains(route, StringComparer.OrdinalIgnoreCase)) yield return $"{name}: unknown route '{route}' (one of {string.Join(", ", Routes)})";
                else if (!taken.TryAdd(route, name)) yield return $"{name}: route '{route}' is taken by {taken[route]} already";
            }
        }
    }
}

/// <summary>One signed outbound webhook.</summary>
public sealed class DestinationOptions
{
    public string Url { get; set; } = "";

    /// <summary>
    /// Signing secrets (<c>whsec_…</c>), comma-separated (one Key Vault secret holds them): every message is signed with
    /// each, so a receiver holding the old or the new one accepts it while a secret is rotated (add the new one first,
    /// remove the old one once receivers have it).
    /// </summary>
    public string? Secrets { get; set; }

    /// <summary>Comma-separated channels (<c>email</c>, <c>sms</c>, <c>push</c>, <c>inApp</c>, <c>phone</c>, <c>mail</c>) and/or <c>sales-alerts</c>.</summary>
    public string? Routes { get; set; }

    public IReadOnlyList<string> SecretList => Split(Secrets);

    public IReadOnlyList<string> RouteList => Split(Routes);

    private static string[] Split(string? list) => (list ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
