using Microsoft.Extensions.Options;
using Touchpoints.Core.Collection;

namespace Touchpoints.Functions.Webhooks;

/// <summary>
/// Settings <c>Webhooks__Sources__{name}__*</c>, one entry per sender, whose name is the route's <c>{source}</c>
/// (<c>/api/webhooks/{name}</c>): <c>Scheme</c> (<c>standardWebhooks</c>, <c>stripe</c> or <c>hubspot</c>), <c>Secrets</c>
/// (comma-separated; every one listed is accepted, so a new secret is added before the old one is removed; a Key Vault
/// reference in Azure) and, for HubSpot behind a proxy, <c>PublicUrl</c>: the URL HubSpot calls when it differs from
/// the one the Functions host sees (HubSpot signs the URL).
/// </summary>
public sealed class WebhookOptions
{
    public const string Section = "Webhooks";

    public Dictionary<string, WebhookSource> Sources { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    public (string Name, WebhookSource Settings)? Find(string? name)
    {
        if (string.IsNullOrEmpty(name)) return null;
        foreach (var (key, value) in Sources)
            if (string.Equals(key, name, StringComparison.OrdinalIgnoreCase)) return (key, value);
        return null;
    }
}

public sealed class WebhookSource
{
    public WebhookScheme? Scheme { get; set; }

    public string? Secrets { get; set; }

    public string? PublicUrl { get; set; }

    public IReadOnlyList<string> SecretList => (Secrets ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

internal sealed class WebhookOptionsValidator : IValidateOptions<WebhookOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhookOptions options)
    {
        var failures = new List<string>();
        foreach (var (source, settings) in options.Sources)
        {
            var prefix = $"Webhooks:Sources:{source}";
            if (settings.Scheme is null) failures.Add($"{prefix}:Scheme is required (standardWebhooks, stripe or hubspot).");
            if (settings.SecretList.Count == 0) failures.Add($"{prefix}:Secrets is required.");
            if (settings.Scheme == WebhookScheme.StandardWebhooks)
                foreach (var secret in settings.SecretList.Where(s => WebhookSignatures.StandardKey(s) is null))
                    failures.Add($"{prefix}:Secrets holds a secret that is not whsec_<base64> ({secret.Length} characters).");
            if (settings.PublicUrl is { Length: > 0 } url && !Uri.TryCreate(url, UriKind.Absolute, out _))
                failures.Add($"{prefix}:PublicUrl must be an absolute URL.");
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
