using System.Collections.Frozen;
using System.Text;

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
            "phone" when scope is null => Identifiers.Phone(value),
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
    /// E.164 where the number says its country (<c>+</c> or <c>00</c> prefix); otherwise the bare digits, which still
    /// match the same number written with other punctuation.
    /// </summary>
    public static Identifier? Phone(string? value)
    {
        if (value is null || IsBlocked(value)) return null;
        var trimmed = value.Trim();
        var digits = new StringBuilder(trimmed.Length);
        foreach (var c in trimmed)
        {
            if (char.IsAsciiDigit(c)) digits.Append(c);
            else if (c is not (' ' or '-' or '.' or '(' or ')' or '+' or '/')) return null;
        }
        var international = trimmed.StartsWith('+');
        if (!international && digits.Length > 2 && digits[0] == '0' && digits[1] == '0')
        {
            digits.Remove(0, 2);
            international = true;
        }
        if (digits.Length < 7 || digits.Length > 15 || IsBlocked(digits.ToString())) return null;
        if (international && digits[0] == '0') return null;
        return new Identifier(IdentifierKind.Phone, international ? "+" + digits : digits.ToString());
    }

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
