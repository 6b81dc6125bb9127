using Touchpoints.Core.Identity;
using Touchpoints.Core.Tests.Support;

namespace Touchpoints.Core.Tests.Identity;

/// <summary>
/// An identifier can be claimed for a profile whose document is not written yet: another batch is between its claims and
/// its write, or crashed there. Resolution must treat that profile as new, never fail on it.
/// </summary>
public class UnwrittenProfileTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 3, 9, 0, 0, TimeSpan.Zero);
    private static readonly Identifier Ann = Identifiers.Email("ann@example.com")!;
    private static readonly Identifier Crm = Identifiers.Crm("hubspot", "901")!;
    private static readonly Identifier A = Identifiers.AnonymousId("anon-a")!;
    private static readonly Identifier U1 = Identifiers.UserId("u-1")!;

    [Fact]
    public void Events_of_an_unwritten_profile_go_to_it_and_it_is_created_at_its_first_event()
    {
        var owners = new Dictionary<string, string> { [Crm.Key] = "c-inflight" }.Owners();

        var plan = IdentityResolver.Resolve([new EventIdentity([Crm, Ann], T0.AddMinutes(5)), new EventIdentity([Crm], T0)], owners, new Dictionary<CustomerId, ProfileFacts>());

        Assert.Equal(["c-inflight", "c-inflight"], plan.Targets.Values());
        Assert.Equal(T0, plan.NewProfiles[new CustomerId("c-inflight")]);
        Assert.Equal("c-inflight", plan.Claims[Ann.Key]);
        Assert.Empty(plan.Merges.Values());
    }

    [Fact]
    public void A_written_profile_outranks_an_unwritten_one_whatever_their_ids_and_times()
    {
        // The in-flight profile gets a tombstone created in its place, so its writer's create fails and it resolves again.
        var owners = new Dictionary<string, string> { [Crm.Key] = "c-aaa-inflight", [A.Key] = "c-old", [U1.Key] = "c-old" }.Owners();
        var profiles = new Dictionary<CustomerId, ProfileFacts> { [new CustomerId("c-old")] = new(new CustomerId("c-old"), T0.AddDays(3), [A.Key]) };

        var plan = IdentityResolver.Resolve([new EventIdentity([Crm, A], T0)], owners, profiles);

        Assert.Equal(["c-old"], plan.Targets.Values());
        Assert.Equal("c-old", plan.Merges[new CustomerId("c-aaa-inflight")]);
        Assert.DoesNotContain("c-aaa-inflight", plan.NewProfiles.Keys.Values());
        Assert.Equal([A.Key, Crm.Key, U1.Key], plan.Identities[new CustomerId("c-old")].Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Two_unwritten_profiles_merge_deterministically()
    {
        var owners = new Dictionary<string, string> { [Crm.Key] = "c-b", [Ann.Key] = "c-a" }.Owners();

        var plan = IdentityResolver.Resolve([new EventIdentity([Crm, Ann], T0)], owners, new Dictionary<CustomerId, ProfileFacts>());

        Assert.Equal(["c-a"], plan.Targets.Values());
        Assert.Equal("c-a", plan.Merges[new CustomerId("c-b")]);
        Assert.Equal(T0, plan.NewProfiles[new CustomerId("c-a")]);
    }

    [Fact]
    public void A_refused_user_id_whose_own_profile_was_merged_back_into_its_refuser_is_given_another_one()
    {
        var root = new CustomerId("c-root");
        var u2 = Identifiers.UserId("u-2")!;
        var own = IdentityResolver.NewCustomerId(u2, root);
        // u-2's claim names its own profile, which was merged into the root; the root holds u-1: the claim is refused.
        var owners = new Dictionary<string, CustomerId> { [u2.Key] = root, [U1.Key] = root };
        var profiles = new Dictionary<CustomerId, ProfileFacts> { [root] = new(root, T0, [U1.Key]) };

        var again = IdentityResolver.Resolve([new EventIdentity([u2, A], T0)], owners, profiles);
        var salted = IdentityResolver.Resolve([new EventIdentity([u2, A], T0)], owners, profiles, settled: new HashSet<CustomerId> { own });

        // Without knowing it is settled, the resolver names that tombstone again (the stuck batch); knowing it, another id.
        Assert.Equal(own, again.Targets[0]);
        Assert.NotEqual(own, salted.Targets[0]);
        Assert.NotEqual(root, salted.Targets[0]);
        Assert.Equal(IdentityResolver.NewCustomerId(u2, own), salted.Targets[0]);
        Assert.Equal(salted.Targets[0], salted.Claims[u2.Key]);
    }
}
