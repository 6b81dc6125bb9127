using FsCheck;
using FsCheck.Fluent;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Tests.Support;

namespace Touchpoints.Core.Tests.Identity;

/// <summary>
/// Resolution over a small world: three people's identifiers, some already owned by stored profiles, and a batch of
/// events each naming a few of them (at most one userId and one crm id, as a parsed event does).
/// </summary>
public class IdentityResolverProperties
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 3, 9, 0, 0, TimeSpan.Zero);

    private static readonly Identifier[] UserIds = [.. new[] { "u-1", "u-2", "u-3" }.Select(v => Identifiers.UserId(v)!)];
    private static readonly Identifier[] CrmIds = [.. new[] { "901", "902" }.Select(v => Identifiers.Crm("hubspot", v)!)];
    private static readonly Identifier[] Others =
    [
        .. new[] { "a-1", "a-2", "a-3", "a-4" }.Select(v => Identifiers.AnonymousId(v)!),
        Identifiers.Email("ann@example.com")!, Identifiers.Email("bob@example.com")!,
        Identifiers.Phone("+44 20 7946 0958")!, Identifiers.Social("x", "annlee")!,
    ];

    internal sealed record World(IReadOnlyList<(string Id, int AgeDays, Identifier[] Keys)> Profiles, IReadOnlyList<EventIdentity> Events)
    {
        public Dictionary<CustomerId, ProfileFacts> Facts =>
            Profiles.ToDictionary(p => new CustomerId(p.Id), p => new ProfileFacts(new CustomerId(p.Id), T0.AddDays(-p.AgeDays), [.. p.Keys.Select(k => k.Key)]));

        public Dictionary<string, CustomerId> Owners => Profiles.SelectMany(p => p.Keys.Select(k => (k.Key, p.Id))).ToDictionary(x => x.Key, x => new CustomerId(x.Id));

        public ResolutionPlan Resolve() => IdentityResolver.Resolve(Events, Owners, Facts);

        public override string ToString() =>
            "profiles: " + string.Join("; ", Profiles.Select(p => $"{p.Id}(-{p.AgeDays}d) [{string.Join(", ", p.Keys.Select(k => k.Key))}]"))
            + "\nevents: " + string.Join("; ", Events.Select(e => $"[{string.Join(", ", e.Identifiers.Select(k => k.Key))}]"));
    }

    private static Gen<Identifier[]> IdentifierSet =>
        from user in Gen.Elements(UserIds.Cast<Identifier?>().Append(null).Append(null).ToArray())
        from crm in Gen.Elements(CrmIds.Cast<Identifier?>().Append(null).Append(null).ToArray())
        from others in Gen.SubListOf(Others)
        select new[] { user, crm }.OfType<Identifier>().Concat(others.Take(3)).ToArray();

    private static Gen<World> Worlds =>
        from profileKeys in Gen.ArrayOf(IdentifierSet, 3)
        from ages in Gen.ArrayOf(Gen.Choose(1, 5), 3)
        from count in Gen.Choose(1, 6)
        from events in Gen.ArrayOf(IdentifierSet.Where(s => s.Length > 0), count)
        select Build(profileKeys, ages, events);

    // Each identifier is owned by at most one profile: the first that claims it.
    private static World Build(Identifier[][] profileKeys, int[] ages, Identifier[][] events)
    {
        var taken = new HashSet<string>();
        var profiles = profileKeys
            .Select((keys, i) => ($"c-p{i}", ages[i], keys.Where(k => taken.Add(k.Key)).ToArray()))
            .Where(p => p.Item3.Length > 0)
            .ToList();
        return new World(profiles, [.. events.Select((ids, i) => new EventIdentity(ids, T0.AddMinutes(i)))]);
    }

    private static IEnumerable<World> Shrink(World w) =>
        Enumerable.Range(0, w.Events.Count).Where(_ => w.Events.Count > 1).Select(i => w with { Events = [.. w.Events.Where((_, j) => j != i)] })
            .Concat(Enumerable.Range(0, w.Profiles.Count).Select(i => w with { Profiles = [.. w.Profiles.Where((_, j) => j != i)] }));

    private static Arbitrary<World> WorldArb => Arb.From(Worlds, Shrink);

    private static string Describe(ResolutionPlan p) =>
        $"targets [{string.Join(", ", p.Targets)}]\nclaims {string.Join(", ", p.Claims.OrderBy(c => c.Key, StringComparer.Ordinal))}\n"
        + $"merges {string.Join(", ", p.Merges.OrderBy(c => c.Key, StringComparer.Ordinal))}\nnew {string.Join(", ", p.NewProfiles.OrderBy(c => c.Key, StringComparer.Ordinal))}\n"
        + $"identities {string.Join("; ", p.Identities.OrderBy(c => c.Key, StringComparer.Ordinal).Select(i => $"{i.Key}: {string.Join(", ", i.Value)}"))}\n"
        + $"conflicts {string.Join("; ", p.Conflicts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key}: {string.Join(", ", c.Value)}"))}";

    [Fact]
    public void Resolution_is_deterministic() =>
        Check.One(Touchpoints.Core.Tests.Support.Gens.Config, Prop.ForAll(WorldArb, world =>
        {
            var (a, b) = (Describe(world.Resolve()), Describe(world.Resolve()));
            return (a == b).Label($"{world}\n{a}\n!=\n{b}");
        }));

    [Fact]
    public void Every_event_gets_a_live_target() =>
        Check.One(Touchpoints.Core.Tests.Support.Gens.Config, Prop.ForAll(WorldArb, world =>
        {
            var plan = world.Resolve();
            var existing = world.Profiles.Select(p => p.Id).ToHashSet();
            var ok = plan.Targets.Count == world.Events.Count
                && plan.Targets.All(t => !plan.Merges.ContainsKey(t) && (existing.Contains(t) || plan.NewProfiles.ContainsKey(t)) && plan.Identities.ContainsKey(t));
            return ok.Label($"{world}\n{Describe(plan)}");
        }));

    [Fact]
    public void No_profile_ever_holds_two_user_ids_or_two_crm_ids_of_one_system() =>
        Check.One(Touchpoints.Core.Tests.Support.Gens.Config, Prop.ForAll(WorldArb, world =>
        {
            var plan = world.Resolve();
            var bad = plan.Identities
                .Where(p => p.Value.Where(k => k.StartsWith("userId:", StringComparison.Ordinal)).Count() > 1
                    || p.Value.Where(k => k.StartsWith("crm.hubspot:", StringComparison.Ordinal)).Count() > 1)
                .Select(p => p.Key)
                .ToArray();
            return (bad.Length == 0).Label($"{world}\n{Describe(plan)}\nover-merged: {string.Join(", ", bad)}");
        }));

    [Fact]
    public void An_event_never_lands_on_a_profile_of_another_user() =>
        Check.One(Touchpoints.Core.Tests.Support.Gens.Config, Prop.ForAll(WorldArb, world =>
        {
            var plan = world.Resolve();
            var wrong = world.Events
                .Select((e, i) => (Event: e, Target: plan.Targets[i]))
                .Where(x => x.Event.Identifiers.FirstOrDefault(k => k.Kind == IdentifierKind.UserId) is { } user
                    && plan.Identities[x.Target].Any(k => k.StartsWith("userId:", StringComparison.Ordinal) && k != user.Key))
                .Select(x => $"[{string.Join(", ", x.Event.Identifiers.Select(k => k.Key))}] -> {x.Target}")
                .ToArray();
            return (wrong.Length == 0).Label($"{world}\n{Describe(plan)}\nmisplaced: {string.Join("; ", wrong)}");
        }));

    [Fact]
    public void Every_claim_and_merge_points_at_a_survivor() =>
        Check.One(Touchpoints.Core.Tests.Support.Gens.Config, Prop.ForAll(WorldArb, world =>
        {
            var plan = world.Resolve();
            var ok = plan.Claims.Values.Concat(plan.Merges.Values).All(s => !plan.Merges.ContainsKey(s) && plan.Identities.ContainsKey(s))
                && plan.Claims.All(c => plan.Identities[c.Value].Contains(c.Key))
                && plan.Merges.Keys.All(existing => world.Profiles.Any(p => p.Id == existing));
            return ok.Label($"{world}\n{Describe(plan)}");
        }));
}
