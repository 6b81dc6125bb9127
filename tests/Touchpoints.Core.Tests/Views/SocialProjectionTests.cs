using Touchpoints.Core.Events;
using Touchpoints.Core.Views;
using static Touchpoints.Core.Tests.Support.Build;

namespace Touchpoints.Core.Tests.Views;

public class SocialProjectionTests
{
    [Fact]
    public void Each_kind_has_its_counter()
    {
        var view = ApplyAll([
            Social("s1", T0, SocialEventType.Mention),
            Social("s2", T0.AddMinutes(1), SocialEventType.Share),
            Social("s3", T0.AddMinutes(2), SocialEventType.Follow),
            Social("s4", T0.AddMinutes(3), SocialEventType.Comment, text: "Love these"),
            Social("s5", T0.AddMinutes(4), SocialEventType.Message),
            Social("s6", T0.AddMinutes(5), SocialEventType.Review, rating: 4),
        ]);
        var s = view.Touchpoints.Social!;
        Assert.Equal((1, 1, 1, 1, 1, 1), (s.Mentions, s.Shares, s.Follows, s.Comments, s.Messages, s.Reviews));
        Assert.Equal(new Activity(T0, T0.AddMinutes(5), 6), s.Activity);
        Assert.Equal("Commented on x as @annlee: \"Love these\"", view.Journal.Single(j => j.EventId == "social:s4").Summary);
    }

    [Fact]
    public void Handles_are_kept_per_network_with_the_newest_follower_count()
    {
        var view = ApplyAll([
            Social("s1", T0, SocialEventType.Mention, followers: 100),
            Social("s2", T0.AddDays(2), SocialEventType.Mention, followers: 300),
            Social("s3", T0.AddDays(1), SocialEventType.Mention, followers: 200), // late: older count
            Social("s4", T0, SocialEventType.Follow, handle: "ann.lee", network: "instagram", followers: 5000),
        ]);
        var s = view.Touchpoints.Social!;
        Assert.Equal(2, s.Handles.Length);
        Assert.Equal(300, s.Handles.Single(h => h.Network == "x").Followers);
        Assert.Equal(5000, s.Followers);
    }

    [Fact]
    public void Average_sentiment_counts_only_scored_events()
    {
        var view = ApplyAll([
            Social("s1", T0, SocialEventType.Mention, sentiment: 0.5),
            Social("s2", T0.AddMinutes(1), SocialEventType.Mention, sentiment: -0.25),
            Social("s3", T0.AddMinutes(2), SocialEventType.Mention),
        ]);
        Assert.Equal(0.125, view.Touchpoints.Social!.AverageSentiment);
        Assert.Equal(2, view.Touchpoints.Social.SentimentCount);
    }

    [Fact]
    public void Positive_reviews_are_four_stars_or_positive_sentiment_without_rating()
    {
        var view = ApplyAll([
            Social("s1", T0, SocialEventType.Review, rating: 5),
            Social("s2", T0.AddMinutes(1), SocialEventType.Review, rating: 3, sentiment: 0.9),
            Social("s3", T0.AddMinutes(2), SocialEventType.Review, sentiment: 0.75),
            Social("s4", T0.AddMinutes(3), SocialEventType.Review, sentiment: 0.25),
        ]);
        var s = view.Touchpoints.Social!;
        Assert.Equal(4, s.Reviews);
        Assert.Equal(2, s.PositiveReviews);
    }
}
