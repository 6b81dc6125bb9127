using System.Text.Json;
using Touchpoints.Core.Views;

namespace Touchpoints.Core.Tests.Views;

/// <summary>Documents written by earlier versions (or by hand) lack newer fields; reading them must give empty values, never nulls.</summary>
public class LegacyDocumentTests
{
    [Fact]
    public void A_document_with_the_old_dedup_bookkeeping_and_missing_lists_reads_as_empty_ones()
    {
        const string json = """
            {"id":"c-old","createdAt":"2026-01-01T00:00:00+00:00","version":4,
             "applied":{"watermarks":{"web-events/0":17},"recentEventIds":["web:m1"]}}
            """;

        var view = JsonSerializer.Deserialize(json, CoreJsonContext.Default.CustomerView)!;

        Assert.False(view.MergedFrom.IsDefault);
        Assert.False(view.Identities.IsDefault);
        Assert.False(view.Journal.IsDefault);
        Assert.False(view.Conflicts.IsDefault);
        Assert.False(view.Segments.IsDefault);
        Assert.NotNull(view.Applied.Days);
        Assert.NotNull(view.Counters);
        Assert.Equal(0, view.Applied.Count);
        Assert.False(view.Applied.Contains("web:m1"));
        var next = CustomerProjection.Apply(view, Support.Build.Page("p1", new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero), "/"));
        Assert.Equal(1, next.Applied.Count);
    }
}
