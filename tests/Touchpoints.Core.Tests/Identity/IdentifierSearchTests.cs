using Touchpoints.Core.Identity;

namespace Touchpoints.Core.Tests.Identity;

public sealed class IdentifierSearchTests
{
    [Theory]
    [InlineData("020 7946 0958", "phone:+442079460958")]
    [InlineData("+44 (0)20 7946-0958", "phone:+442079460958")]
    [InlineData(" Ann@Example.COM ", "email:ann@example.com")]
    [InlineData("@Ann_Hikes", "social.instagram:ann_hikes")]
    [InlineData("9282", "crm.hubspot:9282")]
    [InlineData("user-42", "userId:user-42")]
    [InlineData("crm.salesforce:0031x", "crm.salesforce:0031x")]
    public void What_an_agent_types_is_looked_up_as_every_identifier_it_may_be(string typed, string expected) =>
        Assert.Contains(expected, IdentifierSearch.Candidates(typed, "GB"));

    [Fact]
    public void The_most_likely_reading_comes_first_and_nothing_usable_gives_nothing()
    {
        Assert.Equal("email:ann@example.com", IdentifierSearch.Candidates("ann@example.com", "GB")[0]);
        Assert.Equal("phone:+442079460958", IdentifierSearch.Candidates("020 7946 0958", "GB")[0]);
        Assert.Empty(IdentifierSearch.Candidates("   ", "GB"));
        Assert.Empty(IdentifierSearch.Candidates("undefined", "GB"));
        Assert.Contains("crm.acme:7", IdentifierSearch.Candidates("7", "GB", ["acme"]));
    }

    [Theory]
    [InlineData("c-45eef9be4089952f2de00bb8", true)]
    [InlineData("c-45EEF9", false)]
    [InlineData("c-", false)]
    [InlineData("ann@example.com", false)]
    public void A_customer_id_is_recognised_as_one(string typed, bool expected) => Assert.Equal(expected, IdentifierSearch.IsCustomerId(typed));
}
