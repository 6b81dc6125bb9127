using System.Collections.Frozen;
using PhoneNumbers;

namespace Touchpoints.Core.Identity;

/// <summary>Phone numbers to E.164 with libphonenumber, and the region a number without its country is read in.</summary>
public static class Phones
{
    private static readonly PhoneNumberUtil Util = PhoneNumberUtil.GetInstance();

    /// <summary>The regions libphonenumber knows (ISO 3166 alpha-2, upper case).</summary>
    public static FrozenSet<string> Regions { get; } = Util.GetSupportedRegions().ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Longer than any real number with its punctuation: not worth parsing.</summary>
    private const int MaxLength = 64;

    /// <summary>E.164 of <paramref name="value"/> read in <paramref name="region"/>; null when it is no valid number.</summary>
    public static string? ToE164(string? value, string? region = null)
    {
        if (value is null || value.Length > MaxLength || Identifiers.IsBlocked(value)) return null;
        var trimmed = value.Trim();
        // "00" is the international prefix of most of the world; libphonenumber reads it only for the region it is given.
        if (trimmed.StartsWith("00", StringComparison.Ordinal)) trimmed = "+" + trimmed[2..];
        try
        {
            var number = Util.Parse(trimmed, RegionOrUnknown(region));
            return Util.IsValidNumber(number) ? Util.Format(number, PhoneNumberFormat.E164) : null;
        }
        catch (NumberParseException)
        {
            return null;
        }
    }

    /// <summary>
    /// The region of a locale as customers' data gives it (<c>en-GB</c>, <c>fr_FR</c>, <c>zh-Hant-TW</c>); null when it names
    /// none libphonenumber knows, or only a language (<c>de</c> is German, not Germany).
    /// </summary>
    public static string? RegionOf(string? locale)
    {
        if (string.IsNullOrWhiteSpace(locale)) return null;
        var text = locale.Trim();
        var separator = text.LastIndexOfAny(['-', '_']);
        if (separator < 0) return null;
        var candidate = text[(separator + 1)..].ToUpperInvariant();
        return candidate.Length == 2 && Regions.Contains(candidate) ? candidate : null;
    }

    private static string RegionOrUnknown(string? region) => region is not null && Regions.Contains(region) ? region : "ZZ";
}
