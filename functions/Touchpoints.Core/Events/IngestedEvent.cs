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

    /// <summary>Ids are unique per source only; this key is unique across sources.</summary>
    public string DedupKey => $"{SourceName(Source)}:{EventId}";

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
