using System.Collections.Immutable;
using Touchpoints.Core.Views;

namespace Touchpoints.Core.Rules;

/// <summary>What deriving scores and segments changed: the new view and the segments entered and left.</summary>
public sealed record SegmentChange(CustomerView View, ImmutableArray<string> Entered, ImmutableArray<string> Left)
{
    /// <summary>The causes a segment change adds to a view's change: <c>segment.entered:{id}</c>, then <c>segment.left:{id}</c>.</summary>
    public IEnumerable<string> Causes => Entered.Select(Segmentation.EnteredCause).Concat(Left.Select(Segmentation.LeftCause));
}

/// <summary>
/// The rules document's segments a customer is in. Segments are evaluated on a view whose scores are already current;
/// a segment condition on the <c>segments</c> fact sees the segments as they were before this evaluation.
/// </summary>
public static class Segmentation
{
    public const string EnteredPrefix = "segment.entered:";
    public const string LeftPrefix = "segment.left:";

    public static string EnteredCause(string segment) => EnteredPrefix + segment;

    public static string LeftCause(string segment) => LeftPrefix + segment;

    /// <summary>The ids of the segments whose condition holds for the view, in ordinal order.</summary>
    public static ImmutableArray<string> Of(CustomerView view, CompiledRules rules, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var context = new EvaluationContext(view, now);
        var ids = new List<string>(rules.Segments.Length);
        foreach (var segment in rules.Segments)
            if (segment.When.Test(context)) ids.Add(segment.Id);
        ids.Sort(StringComparer.Ordinal);
        return [.. ids];
    }

    /// <summary>
    /// Scores, then segments, on a view whose lifecycle is already derived: what ingestion does once per customer and batch
    /// before its single write.
    /// </summary>
    public static SegmentChange Derive(CustomerView view, CompiledRules rules, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(rules);
        var scored = view with { Scores = Scoring.Compute(view, rules.Document.Scores, now) };
        var segments = Of(scored, rules, now);
        var before = view.Segments.IsDefault ? [] : view.Segments;
        var entered = segments.Except(before, StringComparer.Ordinal).ToImmutableArray();
        var left = before.Except(segments, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToImmutableArray();
        return new SegmentChange(scored with { Segments = segments }, entered, left);
    }
}
