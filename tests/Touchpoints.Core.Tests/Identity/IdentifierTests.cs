using Touchpoints.Core.Identity;
using Touchpoints.Core.Tests.Support;

namespace Touchpoints.Core.Tests.Identity;

public class IdentifierTests
{
    [Theory]
    [InlineData("Ann@Example.com", "ann@example.com")]
    [InlineData("  ANN.LEE@EXAMPLE.CO.UK  ", "ann.lee@example.co.uk")]
    [InlineData("ann+shop@example.com", "ann+shop@example.com")]
    public void Emails_are_trimmed_and_lower_cased(string raw, string expected) =>
        Assert.Equal(new Identifier(IdentifierKind.Email, expected), Identifiers.Email(raw));

    [Theory]
    [InlineData("ann")]
    [InlineData("ann@")]
    [InlineData("@example.com")]
    [InlineData("ann@example")]
    [InlineData("ann@@example.com")]
    [InlineData("ann lee@example.com")]
    [InlineData("test@test.com")]
    [InlineData("TEST@EXAMPLE.COM")]
    public void Unusable_emails_are_refused(string raw) => Assert.Null(Identifiers.Email(raw));

    [Theory]
    [InlineData("+44 20 7946 0958", null, "+442079460958")]
    [InlineData("+44 (0)20 7946 0958", null, "+442079460958")]
    [InlineData("0044 20 7946 0958", null, "+442079460958")]
    [InlineData("+44-20-7946-0958", "US", "+442079460958")]
    [InlineData("020 7946 0958", "GB", "+442079460958")]
    [InlineData("(020) 7946 0958", "GB", "+442079460958")]
    [InlineData("+1 (415) 555-0132", null, "+14155550132")]
    [InlineData("415.555.0132", "US", "+14155550132")]
    [InlineData("+1 415 555 0132 ext. 204", null, "+14155550132")]
    [InlineData("(415) 555-0132 x204", "US", "+14155550132")]
    [InlineData("030 901820", "DE", "+4930901820")]
    [InlineData("+49 30 901820", "FR", "+4930901820")]
    [InlineData("01 42 68 53 00", "FR", "+33142685300")]
    [InlineData("03-3224-9999", "JP", "+81332249999")]
    public void Phones_written_nationally_or_internationally_become_one_e164_number(string raw, string? region, string expected) =>
        Assert.Equal(new Identifier(IdentifierKind.Phone, expected), Identifiers.Phone(raw, region));

    [Theory]
    [InlineData("020 7946 0958", null)] // national, and no region to read it in
    [InlineData("+999 1234567", null)] // no such country code
    [InlineData("+44 20 7946", null)] // too short for the United Kingdom
    [InlineData("+1 555 0132", null)]
    [InlineData("12345", "GB")]
    [InlineData("+0 20 7946 0958", null)]
    [InlineData("call me", "GB")]
    [InlineData("000-000-0000", "US")]
    [InlineData("1234567890123456", "GB")]
    [InlineData("020 7946 0958", "XX")] // an unknown region reads nothing
    public void Numbers_that_are_not_valid_phone_numbers_are_refused_as_identifiers(string raw, string? region) =>
        Assert.Null(Identifiers.Phone(raw, region));

    [Theory]
    [InlineData("en-GB", "GB")]
    [InlineData("fr_FR", "FR")]
    [InlineData("zh-Hant-TW", "TW")]
    [InlineData("de", null)]
    [InlineData("en-XX", null)]
    [InlineData(null, null)]
    public void A_locale_or_country_gives_the_region_a_national_number_is_read_in(string? locale, string? region) =>
        Assert.Equal(region, Phones.RegionOf(locale));

    [Fact]
    public void A_customer_own_locale_wins_over_the_default_region()
    {
        var now = new DateTimeOffset(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
        var arrival = new Touchpoints.Core.Events.ArrivalContext(now, now, "US");
        Assert.Equal("GB", arrival.PhoneRegionFor("en-GB"));
        Assert.Equal("US", arrival.PhoneRegionFor(null));
        Assert.Equal("US", arrival.PhoneRegionFor("xx"));
    }

    [Fact]
    public void A_phone_key_stored_before_e164_reads_back_in_e164_where_it_can_and_as_it_is_where_it_cannot()
    {
        // The repair re-keys what it can: an international number kept with its trunk 0 becomes E.164 ...
        Assert.Equal(new Identifier(IdentifierKind.Phone, "+442079460000"), Identifier.TryParseKey("phone:+4402079460000"));
        // ... a national one, whose country no key says, stays findable under the key it has.
        Assert.Equal(new Identifier(IdentifierKind.Phone, "02079460958"), Identifier.TryParseKey("phone:02079460958"));
    }

    [Theory]
    [InlineData("null")]
    [InlineData("NULL")]
    [InlineData("undefined")]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("anonymous")]
    [InlineData("Unknown")]
    [InlineData("test")]
    [InlineData("  ")]
    [InlineData("0000")]
    [InlineData("00000000-0000-0000-0000-000000000000")]
    [InlineData("[object Object]")]
    public void Placeholder_values_are_blocked(string raw)
    {
        Assert.True(Identifiers.IsBlocked(raw));
        Assert.Null(Identifiers.UserId(raw));
        Assert.Null(Identifiers.AnonymousId(raw));
        Assert.Null(Identifiers.Crm("hubspot", raw));
        Assert.Null(Identifiers.Social("x", raw));
    }

    [Fact]
    public void Ids_are_trimmed_but_keep_their_case()
    {
        Assert.Equal(new Identifier(IdentifierKind.UserId, "U-1001"), Identifiers.UserId("  U-1001 "));
        Assert.Equal(new Identifier(IdentifierKind.CrmId, "0031x00000AbC", "salesforce"), Identifiers.Crm(" Salesforce ", "0031x00000AbC"));
    }

    [Fact]
    public void Social_handles_are_case_insensitive_and_lose_the_at_sign()
    {
        var id = Identifiers.Social("X", "@AnnLee");
        Assert.Equal(new Identifier(IdentifierKind.SocialHandle, "annlee", "x"), id);
        Assert.Equal("social.x:annlee", id!.Key);
    }

    [Theory]
    [InlineData(null, "901")]
    [InlineData("", "901")]
    [InlineData("hub spot", "901")]
    [InlineData("hubspot", null)]
    public void Crm_ids_need_a_system(string? system, string? id) => Assert.Null(Identifiers.Crm(system, id));

    [Fact]
    public void Control_characters_and_overlong_values_are_refused()
    {
        Assert.Null(Identifiers.UserId("u\u0000-1"));
        Assert.Null(Identifiers.UserId(new string('u', Identifiers.MaxLength + 1)));
    }

    public static TheoryData<Identifier> Samples() =>
    [
        Identifiers.AnonymousId("507f191e810c19729de860ea")!,
        Identifiers.UserId("u-1001")!,
        Identifiers.Email("Ann@Example.com")!,
        Identifiers.Phone("+44 20 7946 0958")!,
        Identifiers.Phone("020 7946 0958", "GB")!,
        Identifiers.Crm("HubSpot", "901")!,
        Identifiers.Social("Instagram", "@Ann.Lee")!,
        Identifiers.UserId("a:b:c")!,
    ];

    [Theory]
    [MemberData(nameof(Samples))]
    public void Keys_parse_back_to_the_same_identifier(Identifier identifier) =>
        Assert.Equal(identifier, Identifier.TryParseKey(identifier.Key));

    [Fact]
    public void Parsing_a_key_normalises_its_value()
    {
        Assert.Equal(new Identifier(IdentifierKind.Email, "ann@example.com"), Identifier.TryParseKey("email:Ann@Example.com"));
        Assert.Equal(new Identifier(IdentifierKind.CrmId, "901", "hubspot"), Identifier.TryParseKey("crm.HubSpot:901"));
    }

    [Theory]
    [InlineData("email")]
    [InlineData(":ann@example.com")]
    [InlineData("fax:0207")]
    [InlineData("crm:901")]
    [InlineData("social:annlee")]
    [InlineData("email.work:ann@example.com")]
    [InlineData("userId:null")]
    public void Unusable_keys_parse_to_null(string key) => Assert.Null(Identifier.TryParseKey(key));

    [Fact]
    public void Only_user_and_crm_ids_are_exclusive()
    {
        Assert.True(Identifiers.UserId("u-1")!.IsExclusive);
        Assert.True(Identifiers.Crm("hubspot", "1")!.IsExclusive);
        Assert.False(Identifiers.Email("ann@example.com")!.IsExclusive);
        Assert.False(Identifiers.AnonymousId("a-1")!.IsExclusive);
        Assert.True(Identifiers.AnonymousId("a-1")!.IsAnonymous);
    }
}
