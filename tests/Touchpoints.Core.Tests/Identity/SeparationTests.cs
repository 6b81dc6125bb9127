using Touchpoints.Core.Identity;
using Touchpoints.Core.Tests.Support;

namespace Touchpoints.Core.Tests.Identity;

/// <summary>
/// After an unmerge, Ann keeps the family e-mail and Bob's device is his own profile. The separation both record keeps any
/// later event that links them from merging them again, and a claim still naming the profile a device left follows it.
/// </summary>
public class SeparationTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 20, 9, 0, 0, TimeSpan.Zero);
    private static readonly Identifier Family = Identifiers.Email("family@example.com")!;
    private static readonly Identifier AnnDevice = Identifiers.AnonymousId("ann-device")!;
    private static readonly Identifier BobDevice = Identifiers.AnonymousId("bob-device")!;
    private static readonly CustomerId Ann = new("c-ann");
    private static readonly CustomerId Bob = new("c-bob");

    private static Dictionary<CustomerId, ProfileFacts> Profiles() => new()
    {
        [Ann] = new(Ann, T0, [Family.Key, AnnDevice.Key], [BobDevice.Key]),
        [Bob] = new(Bob, T0.AddMinutes(1), [BobDevice.Key], [Family.Key, AnnDevice.Key]),
    };

    [Fact]
    public void An_event_naming_both_sides_of_an_unmerge_merges_nothing_and_records_why_on_both()
    {
        var owners = new Dictionary<string, string> { [Family.Key] = "c-ann", [BobDevice.Key] = "c-bob" }.Owners();

        var plan = IdentityResolver.Resolve([new EventIdentity([BobDevice, Family], T0.AddHours(1))], owners, Profiles());

        Assert.Empty(plan.Merges);
        Assert.Equal(["c-ann"], plan.Targets.Values());
        Assert.Contains(plan.Conflicts[Ann], c => c.OtherCustomerId == Bob && c.Reason == "an unmerge keeps the profiles apart");
        Assert.Contains(plan.Conflicts[Bob], c => c.OtherCustomerId == Ann && c.Reason == "an unmerge keeps the profiles apart");
    }

    [Fact]
    public void A_profile_merged_into_one_side_brings_that_side_its_separation()
    {
        // A third profile, linked to Bob's device, then to the family e-mail: it joins one side, never both.
        var third = new CustomerId("c-third");
        var profiles = Profiles();
        profiles[third] = new(third, T0.AddMinutes(2), [Identifiers.AnonymousId("tablet")!.Key]);
        var owners = new Dictionary<string, string> { ["anonymousId:tablet"] = "c-third", [BobDevice.Key] = "c-bob", [Family.Key] = "c-ann" }.Owners();

        var plan = IdentityResolver.Resolve(
            [new EventIdentity([BobDevice, Identifiers.AnonymousId("tablet")!], T0.AddHours(1)), new EventIdentity([Identifiers.AnonymousId("tablet")!, Family], T0.AddHours(2))],
            owners, profiles);

        // The tablet joins Bob; the e-mail, the stronger identifier, takes the second event to Ann, and Bob stays apart.
        Assert.Equal("c-bob", plan.Merges[third].Value);
        Assert.Equal(["c-bob", "c-ann"], plan.Targets.Values());
        Assert.DoesNotContain(Ann, plan.Merges.Values);
        Assert.Contains(plan.Conflicts[Ann], c => c.OtherCustomerId == Bob && c.Reason == "an unmerge keeps the profiles apart");
    }

    [Fact]
    public void A_claim_still_naming_the_profile_an_identifier_left_resolves_where_it_went_and_is_re_pointed()
    {
        var owners = new Dictionary<string, string> { [BobDevice.Key] = "c-ann" }.Owners();

        var plan = IdentityResolver.Resolve([new EventIdentity([BobDevice], T0.AddHours(1))], owners, Profiles(),
            new Dictionary<string, CustomerId> { [BobDevice.Key] = Bob });

        Assert.Equal(["c-bob"], plan.Targets.Values());
        Assert.Equal("c-bob", plan.Claims[BobDevice.Key].Value);
        Assert.Empty(plan.Merges);
    }
}
