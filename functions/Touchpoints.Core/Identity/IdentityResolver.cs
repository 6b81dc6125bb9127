using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using Touchpoints.Core.Views;

namespace Touchpoints.Core.Identity;

/// <summary>What the store knows of an existing profile: enough to apply the merge policy.</summary>
/// <param name="Separated">Identifiers an unmerge took from this profile or kept from it (<see cref="Separation"/>): never joined with it.</param>
public sealed record ProfileFacts(CustomerId Id, DateTimeOffset CreatedAt, IReadOnlyCollection<string> IdentityKeys, IReadOnlyCollection<string>? Separated = null);

/// <summary>The identifiers of one event of a batch, and when it happened.</summary>
public sealed record EventIdentity(IReadOnlyList<Identifier> Identifiers, DateTimeOffset OccurredAt);

/// <summary>The decisions of one resolution: where each event goes, and what the store must do to make it so.</summary>
public sealed record ResolutionPlan
{
    /// <summary>The customer each event of the batch belongs to, by position.</summary>
    public required IReadOnlyList<CustomerId> Targets { get; init; }
    /// <summary>New identity documents: identifier key → customer id (conditional creates).</summary>
    public required IReadOnlyDictionary<string, CustomerId> Claims { get; init; }
    /// <summary>Merged-away profiles → their survivor.</summary>
    public required IReadOnlyDictionary<CustomerId, CustomerId> Merges { get; init; }
    /// <summary>Profiles that do not exist yet, with their creation (first-seen) time.</summary>
    public required IReadOnlyDictionary<CustomerId, DateTimeOffset> NewProfiles { get; init; }
    /// <summary>Every affected surviving profile's identifier keys after resolution.</summary>
    public required IReadOnlyDictionary<CustomerId, ImmutableArray<string>> Identities { get; init; }
    public required IReadOnlyDictionary<CustomerId, ImmutableArray<IdentityConflict>> Conflicts { get; init; }
}

/// <summary>
/// Identity resolution for a batch, as a pure function of the batch and what the store knows.
/// <para>The merge policy:</para>
/// <list type="bullet">
/// <item>All identifiers unknown: a new profile, whose id derives from its strongest identifier (so concurrent or replayed
/// resolutions of the same visitor agree on it).</item>
/// <item>Identifiers of one profile: the unknown ones attach to it.</item>
/// <item>Identifiers of several profiles: they merge unless two of them hold different values of an exclusive identifier
/// (userId, or a crm id of one system); those are kept apart and the conflict is recorded on both. The survivor is the
/// profile of highest <see cref="Outranks">rank</see>, computed only from the documents read: written before unwritten
/// (claimed, no document yet), known before anonymous-only, older before younger, then the smaller id. A profile's rank only
/// rises as it is rewritten (it gets written, gains identifiers, absorbs older profiles), and a merge commits by tombstoning
/// the loser at the version read: so no two batches can ever commit opposite merges.</item>
/// <item>An exclusive identifier never attaches to a profile holding another value of its type; anonymous ids stop
/// attaching at <see cref="CustomerView.AnonymousIdLimit"/> per profile (a shared kiosk must not become one person), other
/// identifiers at <see cref="CustomerView.IdentifiersPerKindLimit"/> of each kind.</item>
/// </list>
/// </summary>
public static class IdentityResolver
{
    /// <param name="moved">
    /// Identifiers whose stored claim still names the profile an unmerge took them from, with the profile they went to: they
    /// resolve there, and their claims are re-pointed there.
    /// </param>
    /// <param name="settled">
    /// Profiles read as tombstones. A new profile's derived id found among them was merged away already — possibly back
    /// into the very profile that refused the identifier — so it is salted again with that id instead of being named (and
    /// created) again.
    /// </param>
    public static ResolutionPlan Resolve(
        IReadOnlyList<EventIdentity> events,
        IReadOnlyDictionary<string, CustomerId> owners,
        IReadOnlyDictionary<CustomerId, ProfileFacts> profiles,
        IReadOnlyDictionary<string, CustomerId>? moved = null,
        IReadOnlySet<CustomerId>? settled = null)
    {
        if (moved is { Count: > 0 }) owners = owners.ToDictionary(o => o.Key, o => moved.GetValueOrDefault(o.Key, o.Value));
        // A refused claim is as good as none: the identifier is resolved afresh, and its claim re-pointed (see Refuted).
        var refuted = Refuted(owners, profiles);
        var state = new State(refuted.Count == 0 ? owners : owners.Where(o => !refuted.Contains(o.Key)).ToDictionary(), profiles,
            refuted.ToDictionary(k => k, k => owners[k]), moved, settled);
        var targets = new CustomerId[events.Count];
        for (var i = 0; i < events.Count; i++) targets[i] = state.Resolve(events[i]);
        return state.ToPlan(targets.Select(state.Find).ToArray());
    }

    /// <summary>
    /// Claims the store has refused: an exclusive identifier claimed for a profile whose document, as written, holds another
    /// value of its type and not this one. Two batches can each claim a different user id for one profile at once; only one
    /// of their writes of the profile succeeds, and a profile never takes a second user id, so the other claim can never
    /// come true. Its identifier belongs to a profile of its own, and its claim is re-pointed there.
    /// </summary>
    public static IReadOnlySet<string> Refuted(IReadOnlyDictionary<string, CustomerId> owners, IReadOnlyDictionary<CustomerId, ProfileFacts> profiles)
    {
        HashSet<string>? refuted = null;
        foreach (var (key, id) in owners)
        {
            if (!profiles.TryGetValue(id, out var profile) || profile.IdentityKeys.Contains(key)) continue;
            if (Clashes(profile.IdentityKeys, new IdentifierKey(key)))
                (refuted ??= new HashSet<string>(StringComparer.Ordinal)).Add(key);
        }
        return refuted ?? (IReadOnlySet<string>)FrozenEmpty;
    }

    /// <summary>Whether identifiers <paramref name="held"/> include another value of <paramref name="identifier"/>'s exclusive type.</summary>
    public static bool Clashes(IEnumerable<string> held, Identifier identifier)
    {
        return identifier.IsExclusive && held.Any(k => new IdentifierKey(k).IsOtherValueOf(identifier));
    }

    /// <summary>Whether identifiers <paramref name="held"/> include another value of <paramref name="key"/>'s exclusive type.</summary>
    public static bool Clashes(IEnumerable<string> held, IdentifierKey key) =>
        key.IsExclusive && held.Any(k => new IdentifierKey(k).IsOtherValueOf(key));

    /// <summary>Whether identifier keys include two values of one exclusive type: a state no profile may be written in.</summary>
    public static bool HoldsAnExclusiveTwice(IEnumerable<string> keys)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var key in keys.Select(k => new IdentifierKey(k)))
            if (key.IsExclusive && !seen.Add(key.Type)) return true;
        return false;
    }

    /// <summary>
    /// The keys, in ordinal order, with at most one value of each exclusive type (the first): what a profile that was never
    /// written may hold when it is settled, although racing batches claimed two user ids for it.
    /// </summary>
    public static ImmutableArray<string> OnePerExclusiveType(IEnumerable<string> keys)
    {
        var types = new HashSet<string>(StringComparer.Ordinal);
        return [.. keys.Order(StringComparer.Ordinal).Where(k => new IdentifierKey(k) is not { IsExclusive: true } key || types.Add(key.Type))];
    }

    private static readonly HashSet<string> FrozenEmpty = [];

    /// <summary>How many settled derived ids a new profile's id steps past (each step needs a merge of the one before).</summary>
    private const int MaxResalts = 8;

    /// <summary>A deterministic profile id: the same first identifier always yields the same customer.</summary>
    public static CustomerId NewCustomerId(Identifier first) =>
        new("c-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(first.Key)).AsSpan(0, 12)));

    /// <summary>
    /// The profile of an identifier whose claim for <paramref name="refusedBy"/> was refused: its plain id may already be a
    /// tombstone (the profile first planned for it, merged away), so it gets another one — the same for every resolver.
    /// </summary>
    public static CustomerId NewCustomerId(Identifier first, CustomerId refusedBy) =>
        new("c-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(first.Key + "\n" + refusedBy.Value)).AsSpan(0, 12)));

    /// <summary>
    /// The profile an unmerge of <paramref name="from"/> detaches identifiers into, named after the first of them: the same
    /// for a retry of the same unmerge, and never an id ingestion derives.
    /// </summary>
    public static CustomerId DetachedCustomerId(string firstKey, CustomerId from) =>
        new("c-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("unmerge\n" + firstKey + "\n" + from.Value)).AsSpan(0, 12)));

    /// <summary>Stronger identifiers first: they anchor an event to its profile.</summary>
    public static int Strength(Identifier identifier) => identifier.Kind switch
    {
        IdentifierKind.UserId => 0,
        IdentifierKind.CrmId => 1,
        IdentifierKind.Email => 2,
        IdentifierKind.Phone => 3,
        IdentifierKind.SocialHandle => 4,
        _ => 5,
    };

    /// <summary>
    /// The survivor rule: whether profile <paramref name="a"/> outranks <paramref name="b"/>, given their documents as read
    /// (null: claimed but not written). Written before unwritten; then known (any identifier but anonymous ids) before
    /// anonymous-only; then older; then the smaller id. Every input only moves one way as a profile is rewritten, so a
    /// profile's rank never falls.
    /// </summary>
    public static bool Outranks(ProfileFacts? a, CustomerId aId, ProfileFacts? b, CustomerId bId)
    {
        if ((a is null) != (b is null)) return a is not null;
        if (a is not null && b is not null)
        {
            var (knownA, knownB) = (IsKnown(a), IsKnown(b));
            if (knownA != knownB) return knownA;
            if (a.CreatedAt != b.CreatedAt) return a.CreatedAt < b.CreatedAt;
        }
        return aId.CompareTo(bId) < 0;
    }

    private static bool IsKnown(ProfileFacts profile) => IdentifierKey.AnyKnown(profile.IdentityKeys);

    private sealed class State
    {
        private readonly Dictionary<string, CustomerId> owner;
        private readonly Dictionary<CustomerId, HashSet<string>> keys = [];
        private readonly Dictionary<CustomerId, DateTimeOffset> created = [];
        private readonly Dictionary<CustomerId, DateTimeOffset> newProfiles = [];
        private readonly HashSet<CustomerId> born = [];
        private readonly IReadOnlyDictionary<CustomerId, ProfileFacts> written;
        private readonly Dictionary<CustomerId, CustomerId> mergedInto = [];
        private readonly Dictionary<string, CustomerId> claims = [];
        private readonly Dictionary<CustomerId, List<IdentityConflict>> conflicts = [];
        private readonly HashSet<CustomerId> touched = [];

        private readonly Dictionary<string, CustomerId> refusedBy;
        private readonly Dictionary<CustomerId, HashSet<string>> separated = [];

        private readonly IReadOnlySet<CustomerId> settled;

        public State(
            IReadOnlyDictionary<string, CustomerId> owners, IReadOnlyDictionary<CustomerId, ProfileFacts> profiles, Dictionary<string, CustomerId> refusedBy,
            IReadOnlyDictionary<string, CustomerId>? moved, IReadOnlySet<CustomerId>? settled)
        {
            this.refusedBy = refusedBy;
            this.settled = settled ?? new HashSet<CustomerId>();
            owner = new Dictionary<string, CustomerId>(owners);
            written = profiles;
            foreach (var (id, facts) in profiles)
            {
                keys[id] = [.. facts.IdentityKeys];
                created[id] = facts.CreatedAt;
                if (facts.Separated is { Count: > 0 } apart) separated[id] = [.. apart];
            }
            // The stored claim of an identifier an unmerge moved still names the profile it left: re-pointed where it went.
            foreach (var (key, to) in moved ?? new Dictionary<string, CustomerId>())
                if (owner.TryGetValue(key, out var now) && now == to) claims[key] = to;
            // An identifier claimed for a profile whose document is not written (yet: another batch is writing it, or crashed
            // in between) still counts: that profile is new, created by whoever writes it first, and younger than any written one.
            foreach (var (key, id) in owners)
            {
                if (!keys.TryGetValue(id, out var set))
                {
                    keys[id] = set = [];
                    created[id] = DateTimeOffset.MaxValue;
                    newProfiles[id] = DateTimeOffset.MaxValue;
                }
                set.Add(key);
            }
        }

        public CustomerId Find(CustomerId id)
        {
            while (mergedInto.TryGetValue(id, out var next)) id = next;
            return id;
        }

        public CustomerId Resolve(EventIdentity e)
        {
            // An unwritten profile is first seen with the earliest event that names it.
            foreach (var id in e.Identifiers)
                if (owner.TryGetValue(id.Key, out var raw) && Find(raw) is var profile && newProfiles.TryGetValue(profile, out var seen) && e.OccurredAt < seen)
                    created[profile] = newProfiles[profile] = e.OccurredAt;

            var ids = e.Identifiers.OrderBy(Strength).ThenBy(i => i.Key, StringComparer.Ordinal).ToArray();
            var primary = ids[0];
            var exclusives = ids.Where(i => i.IsExclusive).ToArray();
            CustomerId? found = null;
            var keptApart = new List<(string Key, CustomerId Other, Identifier Clash)>();
            foreach (var id in ids)
            {
                if (!owner.TryGetValue(id.Key, out var raw)) continue;
                var other = Find(raw);
                // identify(userId: u2, anonymousId: A) where A belongs to u1: the event is u2's, A stays with u1.
                if (other != found && Clash(other, exclusives) is { } clash)
                {
                    keptApart.Add((id.Key, other, clash));
                    continue;
                }
                if (found is not { } current)
                {
                    found = other;
                }
                else if (other != current)
                {
                    if (CanMerge(current, other)) found = Merge(current, other);
                    else
                    {
                        var why = Separated(current, other) || Separated(other, current)
                            ? "an unmerge keeps the profiles apart"
                            : "profiles hold different exclusive identifiers";
                        Conflict(current, id.Key, other, e.OccurredAt, why);
                        Conflict(other, id.Key, current, e.OccurredAt, why);
                    }
                }
            }

            if (found is not { } target)
            {
                target = refusedBy.TryGetValue(primary.Key, out var refuser) ? NewCustomerId(primary, refuser) : NewCustomerId(primary);
                // That id merged away already (a refused user id's own profile can be merged back into the root that refused
                // it, through a profile never written): salted again with it, the same way by every resolver that read it.
                for (var hop = 0; hop < MaxResalts && settled.Contains(target); hop++) target = NewCustomerId(primary, target);
                if (!keys.ContainsKey(target))
                {
                    keys[target] = [];
                    created[target] = e.OccurredAt;
                    newProfiles[target] = e.OccurredAt;
                    born.Add(target);
                }
            }
            touched.Add(target);
            foreach (var (key, other, clash) in keptApart)
            {
                Conflict(target, key, other, e.OccurredAt, $"{key} also belongs to a profile with another {clash.Type}");
                Conflict(other, clash.Key, target, e.OccurredAt, $"{clash.Key} came with {key}, which this profile holds");
            }

            foreach (var id in ids)
            {
                if (owner.ContainsKey(id.Key)) continue;
                if (separated.TryGetValue(target, out var apart) && apart.Contains(id.Key)) continue;
                if (id.IsExclusive && HoldsOther(target, id))
                {
                    Conflict(target, id.Key, null, e.OccurredAt, $"the profile already has another {id.Type}");
                    continue;
                }
                // A shared kiosk must not become one person, nor a bot's stream of made-up e-mails one document without end.
                if (keys[target].Count(k => new IdentifierKey(k).Kind == id.Kind) >= (id.IsAnonymous ? CustomerView.AnonymousIdLimit : CustomerView.IdentifiersPerKindLimit))
                    continue;
                owner[id.Key] = target;
                claims[id.Key] = target;
                keys[target].Add(id.Key);
            }
            return target;
        }

        /// <summary>
        /// The event's exclusive identifier (strongest first) of which the profile holds another value, unless the profile
        /// already holds a stronger one of the event's: such a profile is someone else's, so it is neither the event's
        /// target nor merged on the event's evidence.
        /// </summary>
        private Identifier? Clash(CustomerId profile, Identifier[] exclusives)
        {
            foreach (var x in exclusives)
            {
                if (keys[profile].Contains(x.Key)) return null;
                if (HoldsOther(profile, x)) return x;
            }
            return null;
        }

        private bool HoldsOther(CustomerId profile, Identifier id) => keys[profile].Any(k => new IdentifierKey(k).IsOtherValueOf(id));

        private bool CanMerge(CustomerId a, CustomerId b)
        {
            var held = keys[a];
            return !keys[b].Any(key => Clashes(held, new IdentifierKey(key))) && !Separated(a, b) && !Separated(b, a);
        }

        /// <summary>Whether an unmerge kept any identifier of <paramref name="b"/> away from <paramref name="a"/>.</summary>
        private bool Separated(CustomerId a, CustomerId b) => separated.TryGetValue(a, out var apart) && apart.Overlaps(keys[b]);

        private CustomerId Merge(CustomerId a, CustomerId b)
        {
            var (survivor, loser) = Outranks(written.GetValueOrDefault(a), a, written.GetValueOrDefault(b), b) ? (a, b) : (b, a);
            if (created[loser] < created[survivor]) created[survivor] = created[loser];
            if (newProfiles.TryGetValue(survivor, out var seen) && newProfiles.TryGetValue(loser, out var loserSeen) && loserSeen < seen)
                newProfiles[survivor] = loserSeen;
            mergedInto[loser] = survivor;
            foreach (var key in keys[loser])
            {
                owner[key] = survivor;
                keys[survivor].Add(key);
            }
            if (separated.Remove(loser, out var apart))
            {
                if (separated.TryGetValue(survivor, out var kept)) kept.UnionWith(apart);
                else separated[survivor] = apart;
            }
            if (conflicts.Remove(loser, out var moved))
            {
                if (!conflicts.TryGetValue(survivor, out var list)) conflicts[survivor] = list = [];
                list.AddRange(moved.Where(c => c.OtherCustomerId != survivor));
            }
            touched.Add(survivor);
            return survivor;
        }

        private void Conflict(CustomerId profile, string identifier, CustomerId? other, DateTimeOffset at, string reason)
        {
            if (!conflicts.TryGetValue(profile, out var list)) conflicts[profile] = list = [];
            list.Add(new IdentityConflict(at, identifier, other, reason));
            touched.Add(profile);
        }

        public ResolutionPlan ToPlan(CustomerId[] targets)
        {
            var survivors = touched.Select(Find).ToHashSet();
            return new ResolutionPlan
            {
                Targets = targets,
                Claims = claims.ToDictionary(c => c.Key, c => Find(c.Value)),
                // A profile born and merged within this batch has no claims and no document: nothing to re-point or tombstone.
                Merges = mergedInto.Keys.Where(loser => !born.Contains(loser)).ToDictionary(loser => loser, Find),
                NewProfiles = newProfiles.Where(p => !mergedInto.ContainsKey(p.Key)).ToDictionary(),
                Identities = survivors.ToDictionary(s => s, s => keys[s].Order(StringComparer.Ordinal).ToImmutableArray()),
                Conflicts = conflicts.Where(c => survivors.Contains(c.Key)).ToDictionary(c => c.Key, c => c.Value.ToImmutableArray()),
            };
        }
    }
}
