using System.Collections.Frozen;

namespace Touchpoints.Core.Identity;

public enum IdentifierKind { AnonymousId, UserId, Email, Phone, CrmId, SocialHandle }

/// <summary>
/// A normalised identifier. <see cref="Key"/> (<c>{type}:{value}</c>, e.g. <c>email:ann@example.com</c>,
/// <c>crm.hubspot:901</c>, <c>social.x:ann</c>) is the id of its document in the <c>identities</c> container.
/// </summary>
public sealed record Identifier(IdentifierKind Kind, string Value, string? Scope = null)
{
    public string Type => Kind switch
    {
        IdentifierKind.AnonymousId => "anonymousId",
        IdentifierKind.UserId => "userId",
        IdentifierKind.Email => "email",
        IdentifierKind.Phone => "phone",
        IdentifierKind.CrmId => "crm." + Scope,
        IdentifierKind.SocialHandle => "social." + Scope,
        _ => throw new ArgumentOutOfRangeException(nameof(Kind), Kind, null),
    };

    public string Key => $"{Type}:{Value}";

    public override string ToString() => Key;

    /// <summary>Strong identifiers name one person; two different ones of the same type never share a profile.</summary>
    public bool IsExclusive => Kind is IdentifierKind.UserId or IdentifierKind.CrmId;

    public bool IsAnonymous => Kind == IdentifierKind.AnonymousId;

    /// <summary>
    /// The identifier a stored key names exactly as stored, not normalised again: the one its <c>identities</c> document is
    /// found by, even when today's normalisation would write it otherwise (a phone key from before E.164).
    /// </summary>
    public static Identifier? AsStored(string key) =>
        TryParseKey(key) is not { } parsed ? null
        : string.Equals(parsed.Key, key, StringComparison.Ordinal) ? parsed
        : parsed with { Value = key[(key.IndexOf(':', StringComparison.Ordinal) + 1)..] };

    /// <summary>Parses a key such as <c>email:Ann@Example.com</c>, normalising the value; null when it is not usable.</summary>
    public static Identifier? TryParseKey(string key)
    {
        var colon = key.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0) return null;
        var type = key[..colon];
        var value = key[(colon + 1)..];
        var dot = type.IndexOf('.', StringComparison.Ordinal);
        var (head, scope) = dot < 0 ? (type, null) : (type[..dot], type[(dot + 1)..]);
        return head switch
        {
            "anonymousId" when scope is null => Identifiers.AnonymousId(value),
            "userId" when scope is null => Identifiers.UserId(value),
            "email" when scope is null => Identifiers.Email(value),
            "phone" when scope is null => Identifiers.Phone(value) ?? Identifiers.StoredPhone(value),
            "crm" when scope is not null => Identifiers.Crm(scope, value),
            "social" when scope is not null => Identifiers.Social(scope, value),
            _ => null,
        };
    }
}

/// <summary>
/// Normalisation and over-merge protection: every identifier passes through here before any lookup, so that
/// <c> Ann@Example.com</c> and <c>ann@example.com</c> are one key, and placeholder values never join profiles.
/// </summary>
public static class Identifiers
{
    public const int MaxLength = 256;

    // Values that SDKs, forms and test scripts send when they mean "no identifier"; joining on them would merge strangers.
    private static readonly FrozenSet<string> Blocked = FrozenSet.ToFrozenSet(
        [
            "", "null", "nil", "none", "undefined", "nan", "0", "-1", "anonymous", "anon", "unknown", "test", "testing",
            "guest", "user", "default", "n/a", "na", "[object object]", "{}", "false", "true", "empty", "no", "noemail",
            "test@test.com", "test@example.com", "example@example.com", "email@example.com", "user@example.com",
            "noreply@example.com", "none@none.com", "no@email.com", "a@a.com", "x@x.com", "00000000-0000-0000-0000-000000000000",
        ],
        StringComparer.OrdinalIgnoreCase);

    /// <summary>Placeholders, and text that is not valid Unicode (a lone surrogate): no document id or URL could carry it.</summary>
    public static bool IsBlocked(string? value) =>
        value is null || Blocked.Contains(value.Trim()) || value.Trim().Trim('0', '-', ' ').Length == 0 || HasLoneSurrogate(value);

    private static bool HasLoneSurrogate(string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsHighSurrogate(value[i]) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1])) i++;
            else if (char.IsSurrogate(value[i])) return true;
        }
        return false;
    }

    public static Identifier? AnonymousId(string? value) => Plain(IdentifierKind.AnonymousId, value);

    public static Identifier? UserId(string? value) => Plain(IdentifierKind.UserId, value);

    public static Identifier? Email(string? value)
    {
        var email = value?.Trim().ToLowerInvariant();
        if (email is null || IsBlocked(email) || email.Length > MaxLength) return null;
        var at = email.IndexOf('@', StringComparison.Ordinal);
        if (at <= 0 || at != email.LastIndexOf('@') || at == email.Length - 1 || !email[(at + 1)..].Contains('.', StringComparison.Ordinal)
            || email.Any(char.IsWhiteSpace))
            return null;
        return new Identifier(IdentifierKind.Email, email);
    }

    /// <summary>
    /// A phone number in E.164 (<c>+442079460000</c>), read with Google's libphonenumber: a number written with its country
    /// (<c>+44 (0)20 7946 0000</c>, <c>0044 20 7946 0000</c>) in any punctuation, or without it (<c>020 7946 0000</c>) in
    /// <paramref name="region"/> (ISO 3166 alpha-2, e.g. <c>GB</c>: the customer's own country where the event says it,
    /// else the app's default). Extensions are dropped. A number that is not valid for its country, or national with no
    /// region to read it in, is no identifier: two people must not meet on a mistyped number (it stays a trait).
    /// </summary>
    public static Identifier? Phone(string? value, string? region = null) =>
        Phones.ToE164(value, region) is { } e164 ? new Identifier(IdentifierKind.Phone, e164) : null;

    /// <summary>
    /// A phone key as an earlier version stored it (digits, <c>+</c> and digits): read back as it is, so that the repair
    /// and the lookups of stored profiles still find it. New events never make one.
    /// </summary>
    private static readonly System.Buffers.SearchValues<char> Digits = System.Buffers.SearchValues.Create("0123456789");

    internal static Identifier? StoredPhone(string? value) =>
        value is { Length: >= 7 and <= 16 } && !(value[0] == '+' ? value.AsSpan(1) : value.AsSpan()).ContainsAnyExcept(Digits)
            ? new Identifier(IdentifierKind.Phone, value)
            : null;

    public static Identifier? Crm(string? system, string? id)
    {
        var scope = Scope(system);
        var plain = Plain(IdentifierKind.CrmId, id, scope);
        return scope is null ? null : plain;
    }

    /// <summary>Handles are case-insensitive on every major network; a leading @ is decoration.</summary>
    public static Identifier? Social(string? network, string? handle)
    {
        var scope = Scope(network);
        var value = handle?.Trim().TrimStart('@').ToLowerInvariant();
        if (scope is null || value is null || IsBlocked(value) || value.Length > MaxLength || value.Any(char.IsWhiteSpace)) return null;
        return new Identifier(IdentifierKind.SocialHandle, value, scope);
    }

    private static string? Scope(string? value)
    {
        var scope = value?.Trim().ToLowerInvariant();
        return string.IsNullOrEmpty(scope) || scope.Length > 64 || !scope.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? null
            : scope;
    }

    private static Identifier? Plain(IdentifierKind kind, string? value, string? scope = null)
    {
        var trimmed = value?.Trim();
        if (trimmed is null || IsBlocked(trimmed) || trimmed.Length > MaxLength || trimmed.Any(char.IsControl)) return null;
        return new Identifier(kind, trimmed, scope);
    }
}
