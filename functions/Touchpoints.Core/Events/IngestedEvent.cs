using Touchpoints.Core.Identity;

namespace Touchpoints.Core.Events;

/// <summary>Where an event entered the system; each source has its own hub and schema.</summary>
public enum EventSource { Web, Social, Crm }

/// <summary>The touch points a customer view keeps a section for.</summary>
public enum Touchpoint { Web, Email, Social, Phone, Mail, InPerson, Sales, Support, Billing }

/// <summary>
/// A validated event of any source: what the projection and identity resolution consume.
/// <see cref="EventId"/> deduplicates; <see cref="OccurredAt"/> is the (skew-corrected) time the customer acted.
/// </summary>
public abstract record IngestedEvent
{
    public required string EventId { get; init; }
    public required DateTimeOffset OccurredAt { get; init; }
    public required IReadOnlyList<Identifier> Identifiers { get; init; }

    public abstract EventSource Source { get; }

    /// <summary>
    /// The sender an event's id is unique for: stamped as <see cref="ScopeMember"/> by the app's own front doors (the
    /// collector: the write key's source; the webhook receiver: the webhook source), overwriting whatever the sender put
    /// there. Absent for direct hub publishers, whose ids are scoped by their hub.
    /// </summary>
    public string? Scope { get; init; }

    /// <summary>The member of an event's JSON that carries <see cref="Scope"/>.</summary>
    public const string ScopeMember = "_source";

    /// <summary>
    /// Ids are unique per sender only; this key is unique across hubs and senders, so no sender can suppress another's
    /// events by reusing its ids. Unscoped events keep the key they always had, so replays of older events still match.
    /// </summary>
    public string DedupKey => Scope is null ? $"{SourceName(Source)}:{EventId}" : $"{SourceName(Source)}:{Scope}:{EventId}";

    public static string SourceName(EventSource source) => source switch
    {
        EventSource.Web => "web",
        EventSource.Social => "social",
        EventSource.Crm => "crm",
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, null),
    };

    /// <summary>A stable name for the kind of event, e.g. <c>web.track.Order Completed</c> or <c>crm.ticket.opened</c>.</summary>
    public abstract string Type { get; }
}
