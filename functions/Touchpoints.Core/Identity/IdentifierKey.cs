namespace Touchpoints.Core.Identity;

/// <summary>
/// An identifier as stored: <c>{type}:{value}</c>, the id of its document in <c>identities</c> and an entry of a view's
/// identities. The one place that knows how a key is laid out, so that what a key is (anonymous, exclusive, of which type)
/// is asked of it instead of matched by prefix where it is needed. Keys are made by <see cref="Identifier.Key"/> from
/// normalised values; this reads them without normalising again.
/// </summary>
public readonly record struct IdentifierKey(string Value)
{
    private const string AnonymousPrefix = "anonymousId:";

    /// <summary>The part before the first colon: <c>email</c>, <c>userId</c>, <c>crm.hubspot</c>, <c>social.x</c>; empty if none.</summary>
    public string Type
    {
        get
        {
            var colon = Value.IndexOf(':', StringComparison.Ordinal);
            return colon <= 0 ? "" : Value[..colon];
        }
    }

    /// <summary>The kind of identifier the key is of (every crm system is <see cref="IdentifierKind.CrmId"/>); null if none.</summary>
    public IdentifierKind? Kind => Type switch
    {
        "anonymousId" => IdentifierKind.AnonymousId,
        "userId" => IdentifierKind.UserId,
        "email" => IdentifierKind.Email,
        "phone" => IdentifierKind.Phone,
        var t when t.StartsWith("crm.", StringComparison.Ordinal) && t.Length > 4 => IdentifierKind.CrmId,
        var t when t.StartsWith("social.", StringComparison.Ordinal) && t.Length > 7 => IdentifierKind.SocialHandle,
        _ => null,
    };

    /// <summary>An anonymous id names a browser or device, not a person: a profile with only these is anonymous.</summary>
    public bool IsAnonymous => Value.StartsWith(AnonymousPrefix, StringComparison.Ordinal);

    /// <summary>
    /// Of a type that names one person (a user id, a crm id of one system): two different values of it never share a
    /// profile (<see cref="Identifier.IsExclusive"/>).
    /// </summary>
    public bool IsExclusive => Kind is IdentifierKind.UserId or IdentifierKind.CrmId;

    /// <summary>Whether this key is another value of <paramref name="identifier"/>'s type.</summary>
    public bool IsOtherValueOf(Identifier identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        return IsOtherValueOf(identifier.Type, identifier.Key);
    }

    /// <summary>Whether this key is another value of <paramref name="other"/>'s type.</summary>
    public bool IsOtherValueOf(IdentifierKey other) => IsOtherValueOf(other.Type, other.Value);

    private bool IsOtherValueOf(string type, string key) =>
        type.Length > 0 && Value.Length > type.Length && Value[type.Length] == ':' && Value.StartsWith(type, StringComparison.Ordinal)
        && !string.Equals(Value, key, StringComparison.Ordinal);

    /// <summary>Whether any of <paramref name="keys"/> names a person, not only a browser or device.</summary>
    public static bool AnyKnown(IEnumerable<string> keys) => keys.Any(k => !new IdentifierKey(k).IsAnonymous);

    public override string ToString() => Value;
}
