using Touchpoints.Core.Identity;

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
    [InlineData("+44 20 7946 0958", "+442079460958")]
    [InlineData("0044 20 7946 0958", "+442079460958")]
    [InlineData("+1 (415) 555-0132", "+14155550132")]
    [InlineData("020 7946 0958", "02079460958")]
    [InlineData("020-7946-0958", "02079460958")]
    public void Phones_are_normalised_to_e164_where_the_country_is_known(string raw, string expected) =>
        Assert.Equal(new Identifier(IdentifierKind.Phone, expected), Identifiers.Phone(raw));

    [Theory]
    [InlineData("12345")]
    [InlineData("+0 20 7946 0958")]
    [InlineData("call me")]
    [InlineData("000-000-0000")]
    [InlineData("1234567890123456")]
    public void Unusable_phones_are_refused(string raw) => Assert.Null(Identifiers.Phone(raw));

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
        Identifiers.Phone("020 7946 0958")!,
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
