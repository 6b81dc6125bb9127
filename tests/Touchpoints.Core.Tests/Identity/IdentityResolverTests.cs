using Touchpoints.Core.Identity;
using Touchpoints.Core.Tests.Support;
using Touchpoints.Core.Views;

namespace Touchpoints.Core.Tests.Identity;

public class IdentityResolverTests
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 3, 9, 0, 0, TimeSpan.Zero);

    private static readonly Identifier U1 = Identifiers.UserId("u-1001")!;
    private static readonly Identifier U2 = Identifiers.UserId("u-2002")!;
    private static readonly Identifier A = Identifiers.AnonymousId("anon-a")!;
    private static readonly Identifier B = Identifiers.AnonymousId("anon-b")!;
    private static readonly Identifier Ann = Identifiers.Email("ann@example.com")!;
    private static readonly Identifier Phone = Identifiers.Phone("+44 20 7946 0958")!;

    private static EventIdentity Event(int minute, params Identifier[] ids) => new(ids, T0.AddMinutes(minute));

    /// <summary>What the store knows: profiles and, derived from them, the owner of every identifier.</summary>
    private sealed class Store
    {
        public Dictionary<string, CustomerId> Owners { get; } = [];
        public Dictionary<CustomerId, ProfileFacts> Profiles { get; } = [];

        public Store With(string id, DateTimeOffset createdAt, params Identifier[] ids)
        {
            Profiles[new CustomerId(id)] = new ProfileFacts(new CustomerId(id), createdAt, [.. ids.Select(i => i.Key)]);
            foreach (var i in ids) Owners[i.Key] = new CustomerId(id);
            return this;
        }

        public ResolutionPlan Resolve(params EventIdentity[] events) => IdentityResolver.Resolve(events, Owners, Profiles);
    }

    [Fact]
    public void Unknown_identifiers_create_a_profile_named_after_the_strongest_one()
    {
        var plan = new Store().Resolve(Event(0, A, Ann, U1));

        var id = IdentityResolver.NewCustomerId(U1);
        Assert.Equal([id], plan.Targets.Values());
        Assert.Equal(T0, plan.NewProfiles[id]);
        Assert.Equal(new Dictionary<string, string> { [U1.Key] = id, [A.Key] = id, [Ann.Key] = id }, plan.Claims.Values());
        Assert.Empty(plan.Merges.Values());
        Assert.Equal([A.Key, Ann.Key, U1.Key], plan.Identities[id].Order(StringComparer.Ordinal));
    }

    [Fact]
    public void New_profile_ids_are_deterministic_across_resolutions()
    {
        var first = new Store().Resolve(Event(0, A));
        var again = new Store().Resolve(Event(5, A));
        Assert.Equal(first.Targets, again.Targets);
        Assert.StartsWith("c-", first.Targets[0], StringComparison.Ordinal);
        Assert.NotEqual(IdentityResolver.NewCustomerId(A), IdentityResolver.NewCustomerId(B));
    }

    [Fact]
    public void Events_of_a_known_profile_attach_their_new_identifiers_to_it()
    {
        var store = new Store().With("c-ann", T0.AddDays(-10), A);
        var plan = store.Resolve(Event(0, A, Ann));

        Assert.Equal(["c-ann"], plan.Targets.Values());
        Assert.Equal(new Dictionary<string, string> { [Ann.Key] = "c-ann" }, plan.Claims.Values());
        Assert.Empty(plan.NewProfiles);
        Assert.Empty(plan.Merges.Values());
        Assert.Contains(Ann.Key, plan.Identities[new CustomerId("c-ann")]);
    }

    [Fact]
    public void An_anonymous_profile_merges_into_a_known_one_even_when_the_known_one_is_younger()
    {
        var store = new Store()
            .With("c-visitor", T0.AddDays(-100), A)
            .With("c-ann", T0.AddDays(-1), U1, Ann);
        var plan = store.Resolve(Event(0, U1, A));

        Assert.Equal(["c-ann"], plan.Targets.Values());
        Assert.Equal(new Dictionary<string, string> { ["c-visitor"] = "c-ann" }, plan.Merges.Values());
        Assert.Equal([A.Key, Ann.Key, U1.Key], plan.Identities[new CustomerId("c-ann")].Order(StringComparer.Ordinal));
        Assert.False(plan.Identities.ContainsKey(new CustomerId("c-visitor")));
    }

    [Fact]
    public void Two_known_profiles_without_exclusive_conflict_merge_into_the_oldest()
    {
        var store = new Store()
            .With("c-young", T0.AddDays(-1), U1)
            .With("c-old", T0.AddDays(-90), Phone);
        var plan = store.Resolve(Event(0, U1, Phone));

        Assert.Equal(["c-old"], plan.Targets.Values());
        Assert.Equal(new Dictionary<string, string> { ["c-young"] = "c-old" }, plan.Merges.Values());
        Assert.Contains(U1.Key, plan.Identities[new CustomerId("c-old")]);
    }

    [Fact]
    public void Profiles_with_different_user_ids_are_never_merged_and_both_record_the_conflict()
    {
        var store = new Store()
            .With("c-ann", T0.AddDays(-90), U1, Ann)
            .With("c-bob", T0.AddDays(-10), U2, A);
        // Bob signs in on a device and types Ann's email into a form.
        var plan = store.Resolve(Event(0, U2, Ann));

        Assert.Equal(["c-bob"], plan.Targets.Values());
        Assert.Empty(plan.Merges.Values());
        Assert.Empty(plan.Claims.Values());
        Assert.Contains(plan.Conflicts[new CustomerId("c-ann")], c => c.OtherCustomerId == new CustomerId("c-bob"));
        Assert.Contains(plan.Conflicts[new CustomerId("c-bob")], c => c.OtherCustomerId == new CustomerId("c-ann") && c.Identifier == Ann.Key);
    }

    [Fact]
    public void Identify_of_a_new_user_on_a_shared_device_creates_their_profile_and_leaves_the_device_id()
    {
        var store = new Store().With("c-ann", T0.AddDays(-90), U1, A);
        var plan = store.Resolve(Event(0, U2, A));

        var bob = IdentityResolver.NewCustomerId(U2);
        Assert.Equal([bob], plan.Targets.Values());
        Assert.Equal(new Dictionary<string, string> { [U2.Key] = bob }, plan.Claims.Values());
        Assert.True(plan.NewProfiles.ContainsKey(bob));
        Assert.Empty(plan.Merges.Values());
        Assert.DoesNotContain(A.Key, plan.Identities[bob]);
        Assert.Contains(plan.Conflicts[new CustomerId("c-ann")], c => c.Identifier == U2.Key);
    }

    [Fact]
    public void A_user_id_never_attaches_to_a_profile_that_holds_another()
    {
        var store = new Store().With("c-ann", T0.AddDays(-90), U1, Ann);
        var plan = store.Resolve(Event(0, Ann, U2));

        Assert.All(plan.Identities.Values, keys => Assert.True(keys.Count(k => k.StartsWith("userId:", StringComparison.Ordinal)) <= 1));
        Assert.NotEqual("c-ann", plan.Targets[0]);
    }

    [Fact]
    public void Anonymous_ids_stop_attaching_at_the_cap()
    {
        var anonymous = Enumerable.Range(0, CustomerView.AnonymousIdLimit).Select(i => Identifiers.AnonymousId($"kiosk-{i}")!).ToArray();
        var store = new Store().With("c-kiosk", T0.AddDays(-5), [Ann, .. anonymous]);
        var plan = store.Resolve(Event(0, Ann, B));

        Assert.Equal(["c-kiosk"], plan.Targets.Values());
        Assert.DoesNotContain(B.Key, plan.Claims.Keys);
        Assert.DoesNotContain(B.Key, plan.Identities[new CustomerId("c-kiosk")]);
    }

    [Fact]
    public void Anonymous_ids_attach_below_the_cap()
    {
        var anonymous = Enumerable.Range(0, CustomerView.AnonymousIdLimit - 1).Select(i => Identifiers.AnonymousId($"kiosk-{i}")!).ToArray();
        var store = new Store().With("c-kiosk", T0.AddDays(-5), [Ann, .. anonymous]);
        var plan = store.Resolve(Event(0, Ann, B));

        Assert.Equal("c-kiosk", plan.Claims[B.Key]);
    }

    [Fact]
    public void A_chain_within_one_batch_creates_links_and_merges_with_every_target_on_the_survivor()
    {
        var store = new Store().With("c-ann", T0.AddDays(-30), U1);
        var plan = store.Resolve(
            Event(0, A),          // a new visitor
            Event(1, A, Ann),     // leaves her email in a form
            Event(2, U1, Ann));   // and signs in: she is Ann

        Assert.Equal(["c-ann", "c-ann", "c-ann"], plan.Targets.Values());
        // The visitor's profile was born and merged inside the batch: never written, so neither new nor tombstoned.
        Assert.Empty(plan.NewProfiles);
        Assert.Empty(plan.Merges.Values());
        Assert.Equal("c-ann", plan.Claims[A.Key]);
        Assert.Equal("c-ann", plan.Claims[Ann.Key]);
        Assert.Equal([A.Key, Ann.Key, U1.Key], plan.Identities[new CustomerId("c-ann")].Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_chain_of_new_visitors_within_one_batch_ends_on_one_new_profile()
    {
        var plan = new Store().Resolve(Event(0, A), Event(1, B), Event(2, A, B, Ann));

        var survivor = Assert.Single(plan.Targets.Distinct());
        Assert.Equal(survivor, Assert.Single(plan.NewProfiles).Key);
        Assert.Equal(T0, plan.NewProfiles[survivor]);
        Assert.All(plan.Claims.Values, v => Assert.Equal(survivor, v));
        Assert.Equal(3, plan.Identities[survivor].Length);
    }

    [Fact]
    public void An_identifier_claimed_for_a_profile_never_written_still_resolves_to_it()
    {
        var owners = new Dictionary<string, string> { [A.Key] = "c-crashed" }.Owners();
        var plan = IdentityResolver.Resolve([Event(0, A, Ann)], owners, new Dictionary<CustomerId, ProfileFacts>());
        Assert.Equal(["c-crashed"], plan.Targets.Values());
        Assert.Equal("c-crashed", plan.Claims[Ann.Key]);
    }
}
