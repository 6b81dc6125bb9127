using Touchpoints.Core.Identity;

namespace Touchpoints.Core.Tests.Support;

/// <summary>Customer ids in tests: written as the strings they are, compared as such.</summary>
internal static class CustomerIds
{
    public static string[] Values(this IEnumerable<CustomerId> ids) => [.. ids.Select(i => i.Value)];

    public static Dictionary<string, string> Values(this IReadOnlyDictionary<string, CustomerId> map) =>
        map.ToDictionary(m => m.Key, m => m.Value.Value, StringComparer.Ordinal);

    public static Dictionary<string, string> Values(this IReadOnlyDictionary<CustomerId, CustomerId> map) =>
        map.ToDictionary(m => m.Key.Value, m => m.Value.Value, StringComparer.Ordinal);

    /// <summary>Identifier key → customer id, from strings.</summary>
    public static Dictionary<string, CustomerId> Owners(this IEnumerable<KeyValuePair<string, string>> owners) =>
        owners.ToDictionary(o => o.Key, o => new CustomerId(o.Value), StringComparer.Ordinal);
}
