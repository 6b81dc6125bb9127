using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Touchpoints.Core.Collection;

/// <summary>How a webhook source signs its requests.</summary>
public enum WebhookScheme { StandardWebhooks, Stripe, HubSpot }

public sealed record SignatureCheck(bool IsValid, string? Error)
{
    public static readonly SignatureCheck Valid = new(true, null);

    public static SignatureCheck Invalid(string error) => new(false, error);
}

/// <summary>
/// Signature verification of the three webhook schemes: HMAC-SHA256, compared in constant time, against every active secret
/// (so secrets can be rotated), with a timestamp that must be within <see cref="Tolerance"/> of now in either direction.
/// The <c>Sign*</c> functions compute what the senders send (for tests and for tools that replay deliveries).
/// </summary>
public static class WebhookSignatures
{
    public static readonly TimeSpan Tolerance = TimeSpan.FromMinutes(5);

    private const string StandardSecretPrefix = "whsec_";

    // ---- Standard Webhooks (https://www.standardwebhooks.com/) ----

    /// <summary>
    /// <c>webhook-signature</c> is a space-separated list of <c>v1,&lt;base64 HMAC-SHA256 of "{id}.{timestamp}.{body}"&gt;</c>;
    /// the secret is <c>whsec_&lt;base64 key&gt;</c>.
    /// </summary>
    public static SignatureCheck VerifyStandard(string? id, string? timestamp, string? signatures, string body, IEnumerable<string> secrets, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(id) || string.IsNullOrWhiteSpace(timestamp) || string.IsNullOrWhiteSpace(signatures))
            return SignatureCheck.Invalid("webhook-id, webhook-timestamp and webhook-signature are required");
        if (Stale(Seconds(timestamp), now) is { } stale) return stale;

        var candidates = new List<byte[]>();
        foreach (var part in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var comma = part.IndexOf(',', StringComparison.Ordinal);
            if (comma < 0 || !string.Equals(part[..comma], "v1", StringComparison.Ordinal)) continue;
            if (TryBase64(part[(comma + 1)..]) is { } bytes) candidates.Add(bytes);
        }
        if (candidates.Count == 0) return SignatureCheck.Invalid("webhook-signature holds no v1 signature");

        var payload = Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}");
        foreach (var secret in secrets)
        {
            if (StandardKey(secret) is not { } key) continue;
            if (Matches(HMACSHA256.HashData(key, payload), candidates)) return SignatureCheck.Valid;
        }
        return SignatureCheck.Invalid("no signature matches an active secret");
    }

    public static string SignStandard(string secret, string id, long timestamp, string body)
    {
        var key = StandardKey(secret) ?? throw new ArgumentException("not a Standard Webhooks secret (whsec_<base64>)", nameof(secret));
        var mac = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp.ToString(CultureInfo.InvariantCulture)}.{body}"));
        return "v1," + Convert.ToBase64String(mac);
    }

    /// <summary>The key bytes of a <c>whsec_&lt;base64&gt;</c> secret (the prefix is optional), or null when it is not base64.</summary>
    public static byte[]? StandardKey(string secret)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var text = secret.Trim();
        if (text.StartsWith(StandardSecretPrefix, StringComparison.Ordinal)) text = text[StandardSecretPrefix.Length..];
        return text.Length == 0 ? null : TryBase64(text);
    }

    // ---- Stripe (https://docs.stripe.com/webhooks#verify-manually) ----

    /// <summary><c>Stripe-Signature: t=&lt;seconds&gt;,v1=&lt;hex HMAC-SHA256 of "{t}.{body}"&gt;[,v1=...]</c>, keyed with the endpoint secret as UTF-8.</summary>
    public static SignatureCheck VerifyStripe(string? header, string body, IEnumerable<string> secrets, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(header)) return SignatureCheck.Invalid("Stripe-Signature is required");
        string? t = null;
        var candidates = new List<byte[]>();
        foreach (var part in header.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0) continue;
            var (name, value) = (part[..eq], part[(eq + 1)..]);
            if (name == "t") t = value;
            else if (name == "v1" && TryHex(value) is { } bytes) candidates.Add(bytes);
        }
        if (t is null) return SignatureCheck.Invalid("Stripe-Signature has no timestamp (t=)");
        if (candidates.Count == 0) return SignatureCheck.Invalid("Stripe-Signature has no v1 signature");
        if (Stale(Seconds(t), now) is { } stale) return stale;

        var payload = Encoding.UTF8.GetBytes($"{t}.{body}");
        foreach (var secret in secrets)
        {
            if (string.IsNullOrEmpty(secret)) continue;
            if (Matches(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), payload), candidates)) return SignatureCheck.Valid;
        }
        return SignatureCheck.Invalid("no signature matches an active secret");
    }

    public static string SignStripe(string secret, long timestamp, string body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        var t = timestamp.ToString(CultureInfo.InvariantCulture);
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"{t}.{body}"));
        return $"t={t},v1={Convert.ToHexStringLower(mac)}";
    }

    // ---- HubSpot v3 (https://developers.hubspot.com/docs/api/webhooks/validating-requests) ----

    /// <summary>
    /// <c>X-HubSpot-Signature-v3</c> = base64 HMAC-SHA256, keyed with the app's client secret, of
    /// <c>method + uri + body + timestamp</c>, where the timestamp is <c>X-HubSpot-Request-Timestamp</c> (milliseconds) and
    /// the URI is the full URL HubSpot called, decoded per <see cref="HubSpotUri"/>.
    /// </summary>
    public static SignatureCheck VerifyHubSpot(string method, string uri, string body, string? timestamp, string? signature, IEnumerable<string> secrets,
        DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(timestamp) || string.IsNullOrWhiteSpace(signature))
            return SignatureCheck.Invalid("X-HubSpot-Signature-v3 and X-HubSpot-Request-Timestamp are required");
        if (Stale(Milliseconds(timestamp), now) is { } stale) return stale;
        if (TryBase64(signature.Trim()) is not { } candidate) return SignatureCheck.Invalid("X-HubSpot-Signature-v3 is not base64");

        var payload = Encoding.UTF8.GetBytes(method.ToUpperInvariant() + HubSpotUri(uri) + body + timestamp.Trim());
        foreach (var secret in secrets)
        {
            if (string.IsNullOrEmpty(secret)) continue;
            if (Matches(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), payload), [candidate])) return SignatureCheck.Valid;
        }
        return SignatureCheck.Invalid("no signature matches an active secret");
    }

    public static string SignHubSpot(string secret, string method, string uri, string body, long timestampMs)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(method);
        var source = method.ToUpperInvariant() + HubSpotUri(uri) + body + timestampMs.ToString(CultureInfo.InvariantCulture);
        return Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(source)));
    }

    private static readonly (string Encoded, char Decoded)[] HubSpotDecodes =
    [
        ("%3A", ':'), ("%2F", '/'), ("%3F", '?'), ("%40", '@'), ("%21", '!'), ("%24", '$'),
        ("%27", '\''), ("%28", '('), ("%29", ')'), ("%2A", '*'), ("%2C", ','), ("%3B", ';'),
    ];

    /// <summary>HubSpot signs the URI with these (and only these) percent-encoded characters decoded.</summary>
    public static string HubSpotUri(string uri)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (!uri.Contains('%', StringComparison.Ordinal)) return uri;
        var builder = new StringBuilder(uri);
        foreach (var (encoded, decoded) in HubSpotDecodes)
        {
            builder.Replace(encoded, decoded.ToString());
            builder.Replace(encoded.ToLowerInvariant(), decoded.ToString());
        }
        return builder.ToString();
    }

    // ---- shared ----

    private static bool Matches(byte[] expected, List<byte[]> candidates)
    {
        var match = false;
        foreach (var candidate in candidates) match |= CryptographicOperations.FixedTimeEquals(expected, candidate);
        return match;
    }

    private static DateTimeOffset? Seconds(string value) =>
        long.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var s) && s <= 253_402_300_799
            ? DateTimeOffset.FromUnixTimeSeconds(s) : null;

    private static DateTimeOffset? Milliseconds(string value) =>
        long.TryParse(value.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms <= 253_402_300_799_999
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : null;

    private static SignatureCheck? Stale(DateTimeOffset? at, DateTimeOffset now) =>
        at is not { } t ? SignatureCheck.Invalid("the timestamp is not a Unix time")
        : (now - t).Duration() > Tolerance ? SignatureCheck.Invalid($"the timestamp {t:O} is more than {Tolerance.TotalMinutes:0} minutes from now")
        : null;

    private static byte[]? TryBase64(string text)
    {
        var buffer = new byte[(text.Length * 3 / 4) + 3];
        return Convert.TryFromBase64String(text, buffer, out var written) ? buffer[..written] : null;
    }

    private static byte[]? TryHex(string text)
    {
        if (text.Length % 2 != 0) return null;
        var buffer = new byte[text.Length / 2];
        return Convert.FromHexString(text, buffer, out _, out var written) == System.Buffers.OperationStatus.Done ? buffer[..written] : null;
    }
}
