using Touchpoints.Core.Identity;

namespace Touchpoints.Functions;

/// <summary>
/// Settings <c>Identity__*</c>, read by every door that makes identifiers (collector, webhooks, ingestion).
/// <c>Identity__DefaultPhoneRegion</c> (ISO 3166 alpha-2, e.g. <c>GB</c>; none by default): the country a phone number
/// written without its country code is read in when the event does not give the customer's own (a locale such as
/// <c>en-GB</c>). Without it, such a number is kept as a trait but links no one.
/// </summary>
public sealed class IdentityOptions
{
    public const string Section = "Identity";

    public string? DefaultPhoneRegion { get; set; }

    /// <summary>The region as libphonenumber names it (upper case), or null.</summary>
    public string? PhoneRegion => string.IsNullOrWhiteSpace(DefaultPhoneRegion) ? null : DefaultPhoneRegion.Trim().ToUpperInvariant();

    internal static bool IsValid(IdentityOptions o) => o.PhoneRegion is null || Phones.Regions.Contains(o.PhoneRegion);
}
