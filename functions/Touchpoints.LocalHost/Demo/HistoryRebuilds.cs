using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;

namespace Touchpoints.LocalHost.Demo;

/// <summary>What a rebuild of every customer from history did, summed over its pages.</summary>
public sealed record RebuildTotals(int Scanned, int Rebuilt, int Unchanged, int Differs, int Refused, long Events, TimeSpan Elapsed, IReadOnlyList<string> Refusals)
{
    public double EventsPerSecond => Elapsed.TotalSeconds > 0 ? Events / Elapsed.TotalSeconds : 0;

    public string Describe(bool dryRun)
    {
        var outcome = dryRun
            ? FormattableString.Invariant($"{Unchanged} equal to their stored view, {Differs} differ, {Refused} cannot be rebuilt")
            : FormattableString.Invariant($"{Rebuilt} rebuilt, {Unchanged} unchanged, {Refused} cannot be rebuilt");
        return FormattableString.Invariant(
            $"{Scanned} customer documents, {Events:N0} events replayed in {Elapsed.TotalSeconds:0.0}s ({EventsPerSecond:N0} events/s): {outcome}");
    }
}

/// <summary>
/// Drives <c>POST api/manage/customers/rebuild</c> page by page until the pass is complete: the <c>rebuild</c> command's
/// and the demo's client of the admin operation.
/// </summary>
public static class HistoryRebuilds
{
    public static async Task<RebuildTotals> RebuildAllAsync(HttpClient http, bool dryRun, int pageSize, Action<RebuildTotals>? onPage,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(http);
        var watch = Stopwatch.StartNew();
        var totals = new RebuildTotals(0, 0, 0, 0, 0, 0, TimeSpan.Zero, []);
        string? continuation = null;
        do
        {
            var url = string.Create(CultureInfo.InvariantCulture, $"api/manage/customers/rebuild?pageSize={pageSize}&dryRun={(dryRun ? "true" : "false")}")
                + (continuation is null ? "" : "&continuation=" + Uri.EscapeDataString(continuation));
            using var response = await http.PostAsync(new Uri(url, UriKind.Relative), null, cancellationToken).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST {url} answered {(int)response.StatusCode}: {text}");
            var page = JsonNode.Parse(text)!.AsObject();
            int Int(string name) => (int?)page[name] ?? 0;
            totals = totals with
            {
                Scanned = totals.Scanned + Int("scanned"),
                Rebuilt = totals.Rebuilt + Int("rebuilt"),
                Unchanged = totals.Unchanged + Int("unchanged"),
                Differs = totals.Differs + Int("differs"),
                Refused = totals.Refused + Int("refused"),
                Events = totals.Events + Int("events"),
                Elapsed = watch.Elapsed,
                Refusals = [.. totals.Refusals, .. page["refusals"]?.AsArray().Select(r => $"{r?["customerId"]}: {r?["reason"]}") ?? []],
            };
            onPage?.Invoke(totals);
            continuation = (string?)page["continuation"];
        }
        while (continuation is not null);
        return totals;
    }
}
