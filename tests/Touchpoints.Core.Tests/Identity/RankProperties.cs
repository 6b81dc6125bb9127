using FsCheck;
using FsCheck.Fluent;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Tests.Support;

namespace Touchpoints.Core.Tests.Identity;

/// <summary>
/// The survivor rule is what keeps concurrent batches from committing opposite merges. A merge commits by tombstoning the
/// loser at exactly the version its batch read. Suppose batch X commits "B into A" and batch Y commits "A into B". Whichever
/// committed second read its loser at the version current at its commit, which is no older than what the other batch read
/// of it, and read its survivor no later than the other's commit made it a tombstone — so it read its survivor at a version
/// no newer than the other batch read it. If raising a survivor's version, or lowering a loser's, can never flip a
/// decision, the two decisions contradict each other. These properties check exactly that "never flips" on the resolver
/// itself, over profiles that evolve as stored profiles do: claimed, then written, gaining identifiers, absorbing older ones.
/// </summary>
public class RankProperties
{
    private static readonly DateTimeOffset T0 = new(2025, 3, 3, 9, 0, 0, TimeSpan.Zero);

    /// <summary>One profile at two versions; <c>null</c> facts: claimed, not written yet.</summary>
    internal sealed record Evolution(string Id, string Link, ProfileFacts? Early, ProfileFacts? Late)
    {
        public ProfileFacts? At(int version) => version == 0 ? Early : Late;

        public override string ToString() => $"{Id}: {Show(Early)} → {Show(Late)}";

        private static string Show(ProfileFacts? f) => f is null ? "unwritten" : $"{f.CreatedAt:MM-dd} [{string.Join(", ", f.IdentityKeys)}]";
    }

    private static readonly string[] Extras = ["email:x@example.com", "userId:u-9", "crm.hubspot:77", "anonymousId:z", "social.x:zed"];

    private static Gen<ProfileFacts> Facts(string id, string link, int minAge) =>
        from age in Gen.Choose(minAge, 10)
        from extras in Gen.SubListOf(Extras)
        select new ProfileFacts(new CustomerId(id), T0.AddDays(-age), [link, .. extras]);

    /// <summary>A later version only moves one way: written, more identifiers, an older creation time (absorbing older profiles).</summary>
    private static Gen<Evolution> Evolutions(string id, string link) =>
        from early in Gen.OneOf(Gen.Constant<ProfileFacts?>(null), Facts(id, link, 0).Select(f => (ProfileFacts?)f))
        from grownBy in Gen.SubListOf(Extras)
        from olderBy in Gen.Choose(0, 5)
        from written in Facts(id, link, 0)
        select new Evolution(id, link, early, early is null ? written : early with
        {
            CreatedAt = early.CreatedAt.AddDays(-olderBy),
            IdentityKeys = [.. early.IdentityKeys.Union(grownBy)],
        });

    private static Gen<(Evolution A, Evolution B)> Pairs =>
        from idA in Gen.Elements("c-1", "c-5", "c-9")
        from idB in Gen.Elements("c-2", "c-6", "c-8")
        from a in Evolutions(idA, "anonymousId:a")
        from b in Evolutions(idB, "email:b@example.com")
        select (a, b);

    /// <summary>The survivor when one event links the two profiles, each read at the given version.</summary>
    private static string Survivor(Evolution a, int va, Evolution b, int vb)
    {
        // Only the linking identifiers are claimed, so the two always can merge: this is about who survives, not whether.
        var owners = new Dictionary<string, string> { [a.Link] = a.Id, [b.Link] = b.Id }.Owners();
        var profiles = new Dictionary<CustomerId, ProfileFacts>();
        if (a.At(va) is { } fa) profiles[new CustomerId(a.Id)] = fa with { IdentityKeys = [.. fa.IdentityKeys.Where(k => !k.StartsWith("userId:", StringComparison.Ordinal) && !k.StartsWith("crm.", StringComparison.Ordinal)).Append(a.Link).Distinct()] };
        if (b.At(vb) is { } fb) profiles[new CustomerId(b.Id)] = fb with { IdentityKeys = [.. fb.IdentityKeys.Where(k => !k.StartsWith("userId:", StringComparison.Ordinal) && !k.StartsWith("crm.", StringComparison.Ordinal)).Append(b.Link).Distinct()] };
        foreach (var (id, facts) in profiles) foreach (var key in facts.IdentityKeys) owners.TryAdd(key, id);
        var plan = IdentityResolver.Resolve(
            [new EventIdentity([Identifier.TryParseKey(a.Link)!, Identifier.TryParseKey(b.Link)!], T0)], owners, profiles);
        return plan.Targets[0];
    }

    [Fact]
    public void Raising_the_survivors_version_or_lowering_the_losers_never_flips_a_merge() =>
        Check.One(Config, Prop.ForAll(Arb.From(Pairs), pair =>
        {
            var (a, b) = pair;
            // For every decision "B into A" made on some reads, every read where A is at least as new and B at most as new agrees.
            for (var va = 0; va < 2; va++)
                for (var vb = 0; vb < 2; vb++)
                {
                    var survivor = Survivor(a, va, b, vb);
                    var (winner, loserVersion, winnerVersion) = survivor == a.Id ? (a, vb, va) : (b, va, vb);
                    for (var w = winnerVersion; w < 2; w++)
                        for (var l = 0; l <= loserVersion; l++)
                        {
                            var again = winner == a ? Survivor(a, w, b, l) : Survivor(a, l, b, w);
                            if (again != survivor) return false.Label($"{a}\n{b}\nread ({va},{vb}) → {survivor}; read with winner at {w}, loser at {l} → {again}");
                        }
                }
            return true.ToProperty();
        }));

    [Fact]
    public void The_rank_is_a_strict_order() =>
        Check.One(Config, Prop.ForAll(Arb.From(Pairs), pair =>
        {
            var (a, b) = pair;
            for (var va = 0; va < 2; va++)
                for (var vb = 0; vb < 2; vb++)
                {
                    var forward = IdentityResolver.Outranks(a.At(va), new CustomerId(a.Id), b.At(vb), new CustomerId(b.Id));
                    var backward = IdentityResolver.Outranks(b.At(vb), new CustomerId(b.Id), a.At(va), new CustomerId(a.Id));
                    if (forward == backward) return false.Label($"{a}\n{b}\nat ({va},{vb}) both or neither outrank");
                }
            return true.ToProperty();
        }));

    [Fact]
    public void A_written_known_older_profile_survives_whoever_resolves_first()
    {
        var known = new Evolution("c-z", "anonymousId:a", new ProfileFacts(new CustomerId("c-z"), T0.AddDays(-9), ["anonymousId:a", "crm.stripe:cus_1"]), null);
        var fresh = new Evolution("c-a", "email:b@example.com", null, null);
        Assert.Equal("c-z", Survivor(known, 0, fresh, 0));
    }

    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(500);
}
