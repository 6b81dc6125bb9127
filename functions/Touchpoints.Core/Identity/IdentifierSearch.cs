namespace Touchpoints.Core.Identity;

/// <summary>
/// What a person types into a search box, as the identifier keys it may be: an agent has the caller's phone number as he
/// says it (<c>020 7946 0958</c>), an e-mail address, a user id, a CRM id, a social handle (<c>@ann_hikes</c>) or a customer
/// id, and should not have to say which. Keys already written as keys (<c>crm.hubspot:123</c>) are taken as they are.
/// Most likely first; every one is looked up in one request.
/// </summary>
public static class IdentifierSearch
{
    /// <summary>Networks a bare handle is tried on.</summary>
    public static readonly IReadOnlyList<string> Networks = ["x", "instagram", "facebook", "tiktok", "linkedin", "youtube", "threads", "bluesky", "reddit"];

    /// <summary>CRM and billing systems a bare id is tried in, besides those the app receives webhooks from.</summary>
    public static readonly IReadOnlyList<string> Systems = ["hubspot", "salesforce", "dynamics", "stripe"];

    private static readonly System.Buffers.SearchValues<char> Hex = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>Whether the query is a customer id (<c>c-</c> and hex), looked up directly rather than as an identifier.</summary>
    public static bool IsCustomerId(string query) =>
        query is { Length: > 2 and <= 64 } && query.StartsWith("c-", StringComparison.Ordinal) && !query.AsSpan(2).ContainsAnyExcept(Hex);

    public static IReadOnlyList<string> Candidates(string? query, string? phoneRegion, IEnumerable<string>? systems = null)
    {
        var text = query?.Trim() ?? "";
        if (text.Length is 0 or > Identifiers.MaxLength) return [];
        var keys = new List<string>();
        void Add(Identifier? identifier)
        {
            if (identifier is not null && !keys.Contains(identifier.Key)) keys.Add(identifier.Key);
        }

        if (Identifier.TryParseKey(text) is { } key) Add(key);
        if (text.Contains('@', StringComparison.Ordinal) && !text.StartsWith('@')) Add(Identifiers.Email(text));
        if (text.Any(char.IsAsciiDigit) && text.All(c => char.IsAsciiDigit(c) || c is ' ' or '+' or '-' or '(' or ')' or '.' or '/'))
            Add(Identifiers.Phone(text, phoneRegion));
        if (!text.Any(char.IsWhiteSpace))
        {
            var handle = text.TrimStart('@');
            Add(Identifiers.UserId(text));
            foreach (var system in Systems.Concat(systems ?? []).Select(s => s.ToLowerInvariant()).Distinct(StringComparer.Ordinal)) Add(Identifiers.Crm(system, text));
            foreach (var network in Networks) Add(Identifiers.Social(network, handle));
            Add(Identifiers.AnonymousId(text));
        }
        return keys;
    }
}
