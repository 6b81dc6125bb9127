using System.Collections.Immutable;
using Touchpoints.Core.Events;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Views;

namespace Touchpoints.Core.Ingestion;

/// <summary>An event body as the trigger delivered it, with where it sits in its partition.</summary>
public sealed record IncomingEvent(string Body, EventPosition? Position, DateTimeOffset EnqueuedAt);

/// <summary>
/// A valid event of a batch, with where it sits in its partition, when it reached the hub (the same on every replay) and
/// its body as delivered (kept whole in the customer's history).
/// </summary>
public sealed record AcceptedEvent(IngestedEvent Event, EventPosition? Position, DateTimeOffset? ArrivedAt = null, string? Body = null)
{
    /// <summary>The rejection of an event that passed validation but could not be applied (a bug, or a view it would break).</summary>
    public Rejection Refused(string reason) => new(Event.Source, Event.EventId, Position, Rejection.Clip(Body ?? ""), [new ValidationError("$", reason)]);
}

/// <summary>An event refused with its reasons; kept so that nothing sent to us disappears silently.</summary>
public sealed record Rejection(EventSource Source, string? EventId, EventPosition? Position, string Body, IReadOnlyList<ValidationError> Errors)
{
    /// <summary>Bodies are kept for diagnosis, clipped so that a hostile payload cannot make the record unbounded.</summary>
    public const int BodyLimit = 16 * 1024;

    public static string Clip(string body) => body.Length > BodyLimit ? body[..BodyLimit] : body;
}

/// <summary>
/// What a batch brings to one customer, as one value (Marten's <c>EventSlice</c>): the profiles merged into it, its events
/// in batch order, the identifiers it now holds and the conflicts met resolving them. <see cref="CreatedAt"/> is when a
/// profile that does not exist yet is taken to begin (its earliest merged-away profile's, else the batch's).
/// </summary>
public sealed record CustomerSlice(
    CustomerId CustomerId,
    DateTimeOffset CreatedAt,
    IReadOnlyList<CustomerView> Losers,
    IReadOnlyList<AcceptedEvent> Events,
    ImmutableArray<string> Identities,
    ImmutableArray<IdentityConflict> Conflicts)
{
    /// <summary>
    /// A write that brings nothing but time: the view is derived again (scores, segments) at the write's time, because its
    /// scores aged across a segment boundary (<see cref="Ageing"/>).
    /// </summary>
    public bool Rescore { get; init; }

    /// <summary>The slice of a rescore: nothing folded in, nothing applied.</summary>
    public static CustomerSlice Rescoring(CustomerId customerId, DateTimeOffset createdAt) => new(customerId, createdAt, [], [], [], []) { Rescore = true };

    /// <summary>A slice of events alone, nothing merged, no identifiers or conflicts to record.</summary>
    public static CustomerSlice Of(CustomerId customerId, DateTimeOffset createdAt, IReadOnlyList<AcceptedEvent> events) =>
        new(customerId, createdAt, [], events, [], []);
}

/// <summary>The result of applying a batch to one customer.</summary>
public sealed record CustomerUpdate(CustomerView View, bool Changed, IReadOnlyList<string> Causes);

/// <summary>The message on <c>customer-changes</c> for every customer whose view a batch changed.</summary>
public sealed record CustomerChanged(CustomerId CustomerId, long Version, IReadOnlyList<string> Causes, DateTimeOffset ChangedAt);

/// <summary>The pure steps of an ingestion batch: parse and validate, then fold a customer's events into its view.</summary>
public static class IngestionBatch
{
    public const string MergeCause = "identity.merged";

    /// <param name="phoneRegion">Where a phone number without its country is read (see <see cref="ArrivalContext.PhoneRegion"/>).</param>
    public static (IReadOnlyList<AcceptedEvent> Accepted, IReadOnlyList<Rejection> Rejected) Parse(
        EventSource source, IReadOnlyList<IncomingEvent> incoming, DateTimeOffset now, string? phoneRegion = null)
    {
        var accepted = new List<AcceptedEvent>(incoming.Count);
        var rejected = new List<Rejection>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in incoming)
        {
            var result = EventParser.Parse(source, item.Body, new ArrivalContext(item.EnqueuedAt, now, phoneRegion));
            if (result.Event is { } e)
            {
                // A producer's retry inside one batch: the first copy wins, the second is not an error.
                if (seen.Add(e.DedupKey)) accepted.Add(new AcceptedEvent(e, item.Position, item.EnqueuedAt, item.Body));
            }
            else
            {
                rejected.Add(new Rejection(source, result.EventId, item.Position, Rejection.Clip(item.Body), result.Errors));
            }
        }
        return (accepted, rejected);
    }

    /// <summary>
    /// Resolves identities for the events of a batch that their customers have not seen yet. An event already applied to
    /// the customer it resolves to is left out, and the rest resolved again: a replayed event has had all its effects
    /// (claims, merges, conflicts), and must not record them a second time against a store that has moved on.
    /// <paramref name="links"/> are identifiers known to belong together without an event (the repair of stored data):
    /// resolved after the events, projecting nothing; their targets follow the events' in the plan. <paramref name="moved"/>:
    /// identifiers an unmerge moved whose claims still name the profile they left (<see cref="IdentityResolver.Resolve"/>).
    /// </summary>
    public static (ResolutionPlan Plan, IReadOnlyList<AcceptedEvent> Fresh) Resolve(
        IReadOnlyList<AcceptedEvent> accepted,
        IReadOnlyDictionary<string, CustomerId> owners,
        IReadOnlyDictionary<CustomerId, CustomerView> views,
        IReadOnlyList<EventIdentity>? links = null,
        IReadOnlyDictionary<string, CustomerId>? moved = null,
        IReadOnlySet<CustomerId>? settled = null)
    {
        var profiles = views.Values.ToDictionary(v => v.Id, v => new ProfileFacts(v.Id, v.CreatedAt, v.Identities,
            v.Separations.IsEmpty ? null : [.. v.Separations.SelectMany(s => s.Identifiers)]));
        var fresh = accepted;
        while (true)
        {
            var plan = IdentityResolver.Resolve([.. fresh.Select(a => new EventIdentity(a.Event.Identifiers, a.Event.OccurredAt)), .. links ?? []], owners, profiles, moved, settled);
            var unseen = fresh.Where((a, i) => !(views.TryGetValue(plan.Targets[i], out var view) && view.Applied.Contains(a.Event.DedupKey)))
                .ToArray();
            if (unseen.Length == fresh.Count) return (plan, fresh);
            fresh = unseen;
        }
    }

    /// <summary>
    /// Folds a customer's slice of a batch — merged-away profiles, then its events in batch order — into its view as read
    /// (<paramref name="current"/>, null for a new profile). Events already
    /// applied are skipped, so applying the same batch again yields an unchanged view. When the view changed, derives what
    /// depends on the whole view once, before the single write: the lifecycle, then — given the active
    /// <paramref name="rules"/> — the scores and the segments; entering or leaving a segment adds the causes
    /// <c>segment.entered:{id}</c> / <c>segment.left:{id}</c>.
    /// </summary>
    public static CustomerUpdate Apply(CustomerView? current, CustomerSlice slice, DateTimeOffset now, CompiledRules? rules = null, TimeSpan? dedupWindow = null)
    {
        ArgumentNullException.ThrowIfNull(slice);
        var view = current ?? CustomerView.Create(slice.CustomerId, slice.CreatedAt);
        var changed = current is null || slice.Rescore;
        var causes = new List<string>();
        if (slice.Rescore) causes.Add(Ageing.Cause);

        foreach (var loser in slice.Losers)
        {
            var folded = CustomerMerge.Fold(view, loser);
            if (ReferenceEquals(folded, view)) continue;
            view = folded;
            changed = true;
            if (!causes.Contains(MergeCause)) causes.Add(MergeCause);
        }

        foreach (var (e, _, arrivedAt, _) in slice.Events)
        {
            var next = CustomerProjection.Apply(view, e, arrivedAt);
            if (ReferenceEquals(next, view)) continue;
            view = next;
            changed = true;
            if (!causes.Contains(e.Type)) causes.Add(e.Type);
        }

        var allIdentities = view.Identities.Union(slice.Identities).Order(StringComparer.Ordinal).ToImmutableArray();
        if (!allIdentities.SequenceEqual(view.Identities))
        {
            view = view with { Identities = allIdentities };
            changed = true;
        }
        var newConflicts = slice.Conflicts.Where(c => !view.Conflicts.Any(k => k.Identifier == c.Identifier && k.OtherCustomerId == c.OtherCustomerId)).ToArray();
        if (newConflicts.Length > 0)
        {
            view = view with { Conflicts = [.. view.Conflicts.Concat(newConflicts).TakeLast(CustomerView.ConflictLimit)] };
            changed = true;
        }

        if (!changed) return new CustomerUpdate(current!, false, []);
        view = CustomerBudget.Enforce(CustomerProjection.Derive(view) with { Applied = view.Applied.Adopt(now).Prune(now - (dedupWindow ?? AppliedEvents.DefaultWindow)) });
        if (rules is not null)
        {
            var derived = Segmentation.Derive(view, rules, now);
            view = derived.View;
            causes.AddRange(derived.Causes);
        }
        view = view with { Version = (current?.Version ?? 0) + 1, UpdatedAt = now };
        return new CustomerUpdate(view, true, causes);
    }
}
