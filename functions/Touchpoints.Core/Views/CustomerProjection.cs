using System.Collections.Immutable;
using Touchpoints.Core.Events;

namespace Touchpoints.Core.Views;

/// <summary>
/// The projection: (view, event) → view. Pure and idempotent: an event already applied (by its dedup key, within the
/// dedup window) returns the view unchanged. Counters and first/last times commute, so those fields do not depend
/// on the order events arrive in; a late event never moves a "last" value backwards.
/// </summary>
public static class CustomerProjection
{
    public const int CounterTypesLimit = 64;

    /// <param name="arrivedAt">When the event reached its hub (the same on every replay): the day its dedup entry is kept
    /// under. Defaults to when it occurred.</param>
    public static CustomerView Apply(CustomerView view, IngestedEvent e, DateTimeOffset? arrivedAt = null)
    {
        if (view.Applied.Contains(e.DedupKey)) return view;
        var (next, journal) = e switch
        {
            WebEvent web => WebProjection.Apply(view, web),
            SocialEvent social => SocialProjection.Apply(view, social),
            CrmEvent crm => CrmProjection.Apply(view, crm),
            _ => throw new ArgumentOutOfRangeException(nameof(e), e.GetType().Name, "unknown event type"),
        };
        return next with
        {
            Journal = journal is null ? next.Journal : AddToJournal(next.Journal, journal),
            Counters = Count(next.Counters, e.Type),
            Applied = next.Applied.Record(e.DedupKey, arrivedAt ?? e.OccurredAt),
        };
    }

    /// <summary>Fields derived from the whole view, computed once after a batch's events are applied.</summary>
    public static CustomerView Derive(CustomerView view) => view with { Lifecycle = Lifecycle.Of(view) };

    internal static ImmutableArray<JournalEntry> AddToJournal(ImmutableArray<JournalEntry> journal, JournalEntry entry)
    {
        if (journal.Any(j => j.EventId == entry.EventId)) return journal;
        if (journal.Length >= CustomerView.JournalLimit && entry.At <= journal[^1].At) return journal;
        var builder = journal.ToBuilder();
        var index = 0;
        while (index < builder.Count && JournalOrder.Compare(builder[index], entry) < 0) index++;
        builder.Insert(index, entry);
        if (builder.Count > CustomerView.JournalLimit) builder.RemoveRange(CustomerView.JournalLimit, builder.Count - CustomerView.JournalLimit);
        return builder.ToImmutable();
    }

    /// <summary>Newest first; ties broken by event id so that any arrival order yields the same journal.</summary>
    internal static readonly Comparer<JournalEntry> JournalOrder = Comparer<JournalEntry>.Create((a, b) =>
    {
        var byTime = b.At.CompareTo(a.At);
        return byTime != 0 ? byTime : string.CompareOrdinal(a.EventId, b.EventId);
    });

    private static ImmutableSortedDictionary<string, long> Count(ImmutableSortedDictionary<string, long> counters, string type)
    {
        if (counters.TryGetValue(type, out var n)) return counters.SetItem(type, n + 1);
        // A site that invents a new event name per page must not grow the document without bound.
        return counters.Count >= CounterTypesLimit ? counters : counters.Add(type, 1);
    }

    internal static Stamped<T>? Latest<T>(Stamped<T>? current, T? value, DateTimeOffset at) where T : class =>
        value is null || (current is not null && current.At > at) ? current : new Stamped<T>(value, at);

    internal static Stamped<T>? Latest<T>(Stamped<T>? a, Stamped<T>? b) where T : class =>
        a is null ? b : b is null ? a : b.At > a.At ? b : a;

    internal static Stamped<T>? Earliest<T>(Stamped<T>? current, T? value, DateTimeOffset at) where T : class =>
        value is null || (current is not null && current.At <= at) ? current : new Stamped<T>(value, at);

    internal static Activity Touch(Activity? activity, DateTimeOffset at) => activity is null ? Activity.Of(at) : activity.Add(at);

    internal static CustomerTraits WithTraits(CustomerTraits current, Traits traits, DateTimeOffset at)
    {
        if (traits.IsEmpty) return current;
        var first = Latest(current.FirstName, traits.FirstName?.Trim(), at);
        var last = Latest(current.LastName, traits.LastName?.Trim(), at);
        // A name given whole wins; one part changing alone (HubSpot sends each as its own change) recomposes the name from
        // the parts the view holds, so "Hedda" then "Hub" make "Hedda Hub", not "Hub".
        // The composed name is as recent as its newest part, so the parts arriving in either order compose the same name.
        var composed = traits.Name is null && (first != current.FirstName || last != current.LastName)
            ? $"{first?.Value} {last?.Value}".Trim()
            : null;
        var composedAt = first is null ? last?.At : last is null || first.At >= last.At ? first.At : last.At;
        return current with
        {
            FirstName = first,
            LastName = last,
            Name = traits.Name is not null ? Latest(current.Name, traits.Name, at)
                : string.IsNullOrEmpty(composed) ? current.Name : Latest(current.Name, composed, composedAt ?? at),
            Email = Latest(current.Email, traits.Email?.Trim().ToLowerInvariant(), at),
            Phone = Latest(current.Phone, traits.Phone, at),
            Company = Latest(current.Company, traits.Company, at),
            Title = Latest(current.Title, traits.Title, at),
            Locale = Latest(current.Locale, traits.Locale, at),
            Timezone = Latest(current.Timezone, traits.Timezone, at),
        };
    }

    internal static LastInteraction Later(LastInteraction? current, LastInteraction next) =>
        current is not null && current.At > next.At ? current : next;

    internal static InteractionSection Interact(InteractionSection? section, DateTimeOffset at, string what) =>
        new(Touch(section?.Activity, at), Later(section?.Last, new LastInteraction(at, what)));

    internal static string Clip(string? text, int length = 80)
    {
        if (string.IsNullOrWhiteSpace(text)) return "";
        var line = text.ReplaceLineEndings(" ").Trim();
        return line.Length <= length ? line : string.Concat(line.AsSpan(0, length - 1), "…");
    }

    internal static string Money(decimal amount, string? currency) =>
        currency is null ? amount.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)
            : $"{amount.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)} {currency}";
}
