using System.Globalization;
using Touchpoints.LocalHost.Demo;

namespace Touchpoints.LocalHost.Commands;

/// <summary>
/// <c>rebuild [--customer id …] [--dry-run] [--page-size n] [--url http://127.0.0.1:7071/]</c>: rebuilds customer views from
/// their history on a running local host (<c>start</c>): one customer, a list, or all of them with a progress line per page.
/// </summary>
public static class RebuildCommand
{
    public const string Usage = """
          --customer <id>           rebuild this customer only (a merged-away id rebuilds its survivor); repeat it for a list
          --dry-run                 only report which views differ from what their history rebuilds
          --page-size <n>           customer documents per page of a full rebuild (default 50)
          --url <url>               the local host (default http://127.0.0.1:7071/)
        """;

    public static async Task<int> RunAsync(IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var customers = new List<string>();
        var dryRun = false;
        var pageSize = 50;
        var url = new Uri("http://127.0.0.1:7071/");
        try
        {
            for (var i = 0; i < arguments.Count; i++)
            {
                string Value() => i + 1 < arguments.Count ? arguments[++i] : throw new ArgumentException($"{arguments[i]} needs a value.");
                switch (arguments[i])
                {
                    case "--customer": customers.Add(Value()); break;
                    case "--dry-run": dryRun = true; break;
                    case "--page-size": pageSize = int.Parse(Value(), NumberStyles.None, CultureInfo.InvariantCulture); break;
                    case "--url": url = new Uri(Value().TrimEnd('/') + "/"); break;
                    default: throw new ArgumentException($"Unknown argument '{arguments[i]}'.");
                }
            }
        }
        catch (Exception e) when (e is ArgumentException or FormatException or OverflowException or UriFormatException)
        {
            await Console.Error.WriteLineAsync(e.Message + Environment.NewLine + "Rebuild options:" + Environment.NewLine + Usage).ConfigureAwait(false);
            return 2;
        }

        using var http = new HttpClient { BaseAddress = url, Timeout = TimeSpan.FromMinutes(10) };
        try
        {
            if (customers.Count > 0)
            {
                using var response = customers.Count == 1
                    ? await http.PostAsync(new Uri($"api/manage/customers/{Uri.EscapeDataString(customers[0])}/rebuild?dryRun={(dryRun ? "true" : "false")}",
                        UriKind.Relative), null, cancellationToken).ConfigureAwait(false)
                    : await http.PostAsync(new Uri($"api/manage/customers/rebuild?dryRun={(dryRun ? "true" : "false")}", UriKind.Relative),
                        System.Net.Http.Json.JsonContent.Create(new { customers }), cancellationToken).ConfigureAwait(false);
                await Console.Out.WriteLineAsync(await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
                return response.IsSuccessStatusCode ? 0 : 1;
            }
            var totals = await HistoryRebuilds.RebuildAllAsync(http, dryRun, pageSize,
                page => Console.Out.WriteLine(page.Describe(dryRun)), cancellationToken).ConfigureAwait(false);
            foreach (var refusal in totals.Refusals) await Console.Out.WriteLineAsync("  cannot be rebuilt: " + refusal).ConfigureAwait(false);
            return totals.Refused == 0 && totals.Differs == 0 ? 0 : 1;
        }
        catch (HttpRequestException e)
        {
            await Console.Error.WriteLineAsync($"No local host at {url} ({e.Message}): run 'start' first.").ConfigureAwait(false);
            return 1;
        }
        catch (OperationCanceledException)
        {
            return 130;
        }
    }
}
