using Touchpoints.Core.Events;
using static Touchpoints.Core.Views.CustomerProjection;

namespace Touchpoints.Core.Views;

public static class SocialProjection
{
    /// <summary>A review counts as positive from four stars, or from this sentiment when it has no rating.</summary>
    public const double PositiveSentiment = 0.5;

    public static (CustomerView View, JournalEntry? Journal) Apply(CustomerView view, SocialEvent e)
    {
        var at = e.OccurredAt;
        var s = view.Touchpoints.Social ?? new SocialSection { Activity = new Activity(at, at, 0) };
        s = s with
        {
            Activity = s.Activity.Add(at),
            Handles = WithHandle(s.Handles, e, at),
            SentimentSum = s.SentimentSum + (e.Sentiment ?? 0),
            SentimentCount = s.SentimentCount + (e.Sentiment is null ? 0 : 1),
        };
        var positive = e.Rating is { } r ? r >= 4 : e.Sentiment >= PositiveSentiment;
        s = e.Kind switch
        {
            SocialEventType.Mention => s with { Mentions = s.Mentions + 1 },
            SocialEventType.Share => s with { Shares = s.Shares + 1 },
            SocialEventType.Follow => s with { Follows = s.Follows + 1 },
            SocialEventType.Comment => s with { Comments = s.Comments + 1 },
            SocialEventType.Message => s with { Messages = s.Messages + 1 },
            SocialEventType.Review => s with
            {
                Reviews = s.Reviews + 1,
                PositiveReviews = s.PositiveReviews + (positive ? 1 : 0),
                RatingSum = s.RatingSum + (e.Rating ?? 0),
            },
            _ => s,
        };
        var verb = e.Kind switch
        {
            SocialEventType.Mention => "Mentioned us",
            SocialEventType.Share => "Shared our content",
            SocialEventType.Follow => "Followed us",
            SocialEventType.Review => e.Rating is { } stars ? $"Reviewed us ({stars:0.#}★)" : "Reviewed us",
            SocialEventType.Comment => "Commented",
            _ => "Sent us a message",
        };
        var text = string.IsNullOrWhiteSpace(e.Text) ? "" : $": \"{Clip(e.Text, 60)}\"";
        var journal = new JournalEntry(at, Touchpoint.Social, $"{verb} on {e.Network} as @{e.Handle}{text}", e.DedupKey);
        return (view with { Touchpoints = view.Touchpoints with { Social = s } }, journal);
    }

    private static System.Collections.Immutable.ImmutableArray<SocialHandle> WithHandle(
        System.Collections.Immutable.ImmutableArray<SocialHandle> handles, SocialEvent e, DateTimeOffset at)
    {
        var seen = new SocialHandle(e.Network, e.Handle, e.ProfileUrl, e.Followers ?? 0, at, e.Followers is null ? null : at);
        var current = handles.FirstOrDefault(h => h.Network == e.Network && h.Handle == e.Handle);
        return current is null ? Sorted(handles.Add(seen)) : handles.Replace(current, current.Combine(seen));
    }

    // By network and handle, not by arrival: the same events in any order make the same list.
    private static System.Collections.Immutable.ImmutableArray<SocialHandle> Sorted(System.Collections.Immutable.ImmutableArray<SocialHandle> handles) =>
        [.. handles.OrderBy(h => h.Network, StringComparer.Ordinal).ThenBy(h => h.Handle, StringComparer.Ordinal)];

    internal static SocialSection Merge(SocialSection a, SocialSection b) => a with
    {
        Activity = a.Activity.Union(b.Activity),
        Handles = Sorted(b.Handles.Aggregate(a.Handles, (acc, h) =>
        {
            var existing = acc.FirstOrDefault(x => x.Network == h.Network && x.Handle == h.Handle);
            return existing is null ? acc.Add(h) : acc.Replace(existing, existing.Combine(h));
        })),
        Mentions = a.Mentions + b.Mentions,
        Shares = a.Shares + b.Shares,
        Follows = a.Follows + b.Follows,
        Reviews = a.Reviews + b.Reviews,
        PositiveReviews = a.PositiveReviews + b.PositiveReviews,
        Comments = a.Comments + b.Comments,
        Messages = a.Messages + b.Messages,
        SentimentSum = a.SentimentSum + b.SentimentSum,
        SentimentCount = a.SentimentCount + b.SentimentCount,
        RatingSum = a.RatingSum + b.RatingSum,
    };
}
