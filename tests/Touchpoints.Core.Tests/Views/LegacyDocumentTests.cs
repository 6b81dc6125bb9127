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
        // Its last event keys are still recognised: a replay of an event applied before the upgrade is not counted again.
        Assert.True(view.Applied.Contains("web:m1"));
        Assert.Same(view, CustomerProjection.Apply(view, Support.Build.Page("m1", new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), "/")));
    }

    [Fact]
    public void The_old_dedup_keys_move_into_the_day_of_the_next_write_and_are_kept_for_a_window_from_then()
    {
        const string json = """
            {"id":"c-old","createdAt":"2026-01-01T00:00:00+00:00","version":4,
             "applied":{"watermarks":{"web-events/0":17},"recentEventIds":["web:m1","web:m2"]}}
            """;
        var view = JsonSerializer.Deserialize(json, CoreJsonContext.Default.CustomerView)!;
        var now = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

        var written = Touchpoints.Core.Ingestion.IngestionBatch.Apply(view,
            Touchpoints.Core.Ingestion.CustomerSlice.Of(view.Id, view.CreatedAt, [new Touchpoints.Core.Ingestion.AcceptedEvent(Support.Build.Page("m3", now, "/"), null, now)]), now).View;
        var stored = JsonSerializer.Deserialize(JsonSerializer.Serialize(written, CoreJsonContext.Default.CustomerView), CoreJsonContext.Default.CustomerView)!;

        Assert.DoesNotContain("recentEventIds", JsonSerializer.Serialize(written, CoreJsonContext.Default.CustomerView), StringComparison.Ordinal);
        Assert.True(stored.Applied.Contains("web:m1") && stored.Applied.Contains("web:m2") && stored.Applied.Contains("web:m3"));
        Assert.Equal(["2026-03-01"], stored.Applied.Days.Keys);
        Assert.False(stored.Applied.Prune(now.AddDays(8)).Contains("web:m1"));
    }
}
