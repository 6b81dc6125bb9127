using FsCheck;
using FsCheck.Fluent;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Tests.Support;

namespace Touchpoints.Core.Tests.Identity;

/// <summary>
/// A stored key answers what its identifier would: its type, kind, whether it is anonymous or exclusive, and which other
/// keys are another value of its type — for every identifier the normalisers make, whatever the values.
/// </summary>
public sealed class IdentifierKeyProperties
{
    private static readonly Gen<string> Values =
        Gen.OneOf(
            Gen.Elements("ann", "Ann@Example.com", "u-1", "901", "+44 20 7946 0958", "0044 20 7946 0958", "a:b:c", "x.y", "@annlee", "crm.x:1"),
            ArbMap.Default.GeneratorFor<NonEmptyString>().Select(s => s.Get));

    private static readonly Gen<Identifier> Made =
        from kind in Gen.Elements(Enum.GetValues<IdentifierKind>())
        from value in Values
        from scope in Gen.Elements("hubspot", "stripe", "x", "instagram", "crm", "social")
        let made = kind switch
        {
            IdentifierKind.AnonymousId => Identifiers.AnonymousId(value),
            IdentifierKind.UserId => Identifiers.UserId(value),
            IdentifierKind.Email => Identifiers.Email(value),
            IdentifierKind.Phone => Identifiers.Phone(value),
            IdentifierKind.CrmId => Identifiers.Crm(scope, value),
            _ => Identifiers.Social(scope, value),
        }
        where made is not null
        select made!;

    [Fact]
    public void A_key_tells_the_type_kind_and_strength_of_the_identifier_it_was_made_from()
    {
        Check.One(Support.Gens.Config, Prop.ForAll(Arb.From(Made), id =>
        {
            var key = new IdentifierKey(id.Key);
            Assert.Equal(id.Type, key.Type);
            Assert.Equal(id.Kind, key.Kind);
            Assert.Equal(id.IsAnonymous, key.IsAnonymous);
            Assert.Equal(id.IsExclusive, key.IsExclusive);
        }));
    }

    [Fact]
    public void A_key_is_another_value_of_an_identifier_exactly_when_the_types_match_and_the_keys_differ()
    {
        Check.One(Support.Gens.Config, Prop.ForAll(Arb.From(Made), Arb.From(Made), (a, b) =>
        {
            var expected = a.Type == b.Type && a.Key != b.Key;
            Assert.Equal(expected, new IdentifierKey(a.Key).IsOtherValueOf(b));
            Assert.Equal(expected, new IdentifierKey(a.Key).IsOtherValueOf(new IdentifierKey(b.Key)));
        }));
    }

    [Theory]
    [InlineData("userId:u-1", "userId:u-2", true)]
    [InlineData("crm.hubspot:901", "crm.stripe:901", false)]
    [InlineData("crm.hubspot:901", "crm.hubspot:902", true)]
    [InlineData("email:a@example.com", "email:b@example.com", false)]
    public void A_profile_clashes_only_with_another_value_of_an_exclusive_type(string held, string key, bool clashes) =>
        Assert.Equal(clashes, IdentityResolver.Clashes([held], new IdentifierKey(key)));

    [Fact]
    public void A_profile_of_anonymous_ids_alone_is_not_known() =>
        Assert.Equal((false, true), (IdentifierKey.AnyKnown(["anonymousId:a-1", "anonymousId:a-2"]), IdentifierKey.AnyKnown(["anonymousId:a-1", "phone:+442079460958"])));
}
