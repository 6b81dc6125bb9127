using System.Text.RegularExpressions;
using Touchpoints.FunctionsHost.App;

namespace Touchpoints.LocalHost.Demo;

/// <summary>
/// Where demo traffic goes, read from the app's own settings: the first collector source's write key
/// (<c>Collector__Sources__{name}__WriteKey</c>) and the webhook sources of the Standard Webhooks and Stripe schemes
/// (<c>Webhooks__Sources__{name}__Scheme</c> and <c>__Secrets</c>; the first secret signs).
/// </summary>
public sealed partial record DemoSources(string WriteKey, string CrmSource, string CrmSecret, string StripeSource, string StripeSecret)
{
    /// <exception cref="InvalidOperationException">The settings lack a collector source or one of the two webhook sources.</exception>
    public static DemoSources From(AppSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        string? writeKey = null;
        var webhooks = new Dictionary<string, (string? Scheme, string? Secret)>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in settings.Values.OrderBy(s => s.Key, StringComparer.OrdinalIgnoreCase))
        {
            if (CollectorKey().Match(name) is { Success: true })
            {
                writeKey ??= FirstOf(value);
                continue;
            }

            if (WebhookSetting().Match(name) is not { Success: true } match) continue;
            var source = match.Groups["source"].Value;
            var current = webhooks.GetValueOrDefault(source);
            webhooks[source] = match.Groups["setting"].Value.Equals("Scheme", StringComparison.OrdinalIgnoreCase)
                ? current with { Scheme = value.Trim() }
                : current with { Secret = FirstOf(value) };
        }

        string Source(string scheme, out string secret)
        {
            var (name, (_, s)) = webhooks.FirstOrDefault(w => string.Equals(w.Value.Scheme, scheme, StringComparison.OrdinalIgnoreCase) && w.Value.Secret is not null);
            secret = s ?? throw new InvalidOperationException(
                $"The settings name no webhook source with Scheme '{scheme}' and a secret (Webhooks__Sources__{{name}}__Scheme / __Secrets); see local.settings.sample.json.");
            return name;
        }

        var crm = Source("standardWebhooks", out var crmSecret);
        var stripe = Source("stripe", out var stripeSecret);
        return new DemoSources(
            writeKey ?? throw new InvalidOperationException("The settings name no collector source (Collector__Sources__{name}__WriteKey); see local.settings.sample.json."),
            crm, crmSecret, stripe, stripeSecret);
    }

    private static string? FirstOf(string value) =>
        value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();

    [GeneratedRegex("^Collector(__|:)Sources(__|:)[^_:]+(__|:)WriteKey$", RegexOptions.IgnoreCase)]
    private static partial Regex CollectorKey();

    [GeneratedRegex("^Webhooks(__|:)Sources(__|:)(?<source>[^_:]+)(__|:)(?<setting>Scheme|Secrets)$", RegexOptions.IgnoreCase)]
    private static partial Regex WebhookSetting();
}
