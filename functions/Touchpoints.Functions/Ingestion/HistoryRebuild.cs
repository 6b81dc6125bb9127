using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Touchpoints.Core;
using Touchpoints.Core.History;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Ingestion;
using Touchpoints.Core.Resources;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Views;
using Touchpoints.Functions.Rules;
using Touchpoints.Functions.Storage;

namespace Touchpoints.Functions.Ingestion;

public enum RebuildOutcome { Rebuilt, Unchanged, Differs, Refused, NotFound }

/// <summary>What rebuilding one customer did: <see cref="RebuildOutcome.Differs"/> is a dry run's finding, not written.</summary>
public sealed record RebuildResult(CustomerId CustomerId, RebuildOutcome Outcome, int Events, string? Reason = null);

/// <summary>A listed rebuild: these customers (merged-away ids rebuild their survivors).</summary>
public sealed record RebuildList(IReadOnlyList<string>? Customers);

/// <summary>One page of a rebuild of every customer, and where the next page starts (null: the pass is complete).</summary>
public sealed record RebuildReport(int Scanned, int Rebuilt, int Unchanged, int Differs, int Refused, int Events, IReadOnlyList<RebuildResult> Refusals, string? Continuation);

/// <summary>
/// Rebuilds customer views from their history (<see cref="HistoryReplay"/>) through today's parsers, projection, scores and
/// segments: one customer, or every customer a page at a time (resumable; its cost grows with the documents scanned and the
/// events replayed). A rebuilt view that differs from the stored one replaces it, conditional on the version read (a write
/// meanwhile: read and rebuild again), and is announced on <c>customer-changes</c> so the rules see the new scores and
/// segments. A dry run only reports which views differ. A view whose history is incomplete (written before history was
/// kept) is left as it is, with the reason.
/// </summary>
public sealed partial class HistoryRebuild(
    CustomerStore customers,
    HistoryStore history,
    RulesProvider rules,
    EventPublisher publisher,
    IOptions<IngestionOptions> ingestion,
    IOptions<IdentityOptions> identity,
    TimeProvider clock,
    ILogger<HistoryRebuild> logger)
{
    public const int DefaultPageSize = 50;
    public const string Cause = "history.rebuilt";
    private const int MaxAttempts = 5;

    /// <summary>Rebuilds one customer; a merged-away id rebuilds its survivor.</summary>
    public async Task<RebuildResult> RebuildAsync(CustomerId id, bool dryRun, CancellationToken ct)
    {
        var compiled = await rules.GetAsync(ct).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            if (await customers.ReadLiveAsync(id, ct).ConfigureAwait(false) is not { } stored)
                return new RebuildResult(id, RebuildOutcome.NotFound, 0, "no such customer");
            try
            {
                return await RebuildAsync(stored, compiled, dryRun, ct).ConfigureAwait(false);
            }
            catch (ConcurrentUpdateException) when (attempt < MaxAttempts)
            {
                LogRaced(logger, stored.Document.Id, attempt);
            }
        }
    }

    /// <summary>Rebuilds the customers listed, one after the other; unknown ones are counted as refused, with the reason.</summary>
    public async Task<RebuildReport> RebuildListAsync(IReadOnlyList<CustomerId> ids, bool dryRun, CancellationToken ct)
    {
        var results = new List<RebuildResult>(ids.Count);
        foreach (var id in ids)
        {
            var result = await RebuildAsync(id, dryRun, ct).ConfigureAwait(false);
            results.Add(result.Outcome == RebuildOutcome.NotFound ? result with { Outcome = RebuildOutcome.Refused } : result);
        }
        return Report(ids.Count, results, null);
    }

    private static RebuildReport Report(int scanned, List<RebuildResult> results, string? next)
    {
        int Count(RebuildOutcome o) => results.Count(r => r.Outcome == o);
        return new RebuildReport(scanned, Count(RebuildOutcome.Rebuilt), Count(RebuildOutcome.Unchanged), Count(RebuildOutcome.Differs),
            Count(RebuildOutcome.Refused), results.Sum(r => r.Events), [.. results.Where(r => r.Outcome == RebuildOutcome.Refused)], next);
    }

    /// <summary>Rebuilds the live customers of one page of documents.</summary>
    public async Task<RebuildReport> RebuildPageAsync(string? continuation, int pageSize, bool dryRun, CancellationToken ct)
    {
        var compiled = await rules.GetAsync(ct).ConfigureAwait(false);
        var (page, next) = await customers.ScanAsync(continuation, pageSize, ct).ConfigureAwait(false);
        var results = new List<RebuildResult>(page.Count);
        foreach (var doc in page.Where(d => !d.Document.IsTombstone))
        {
            try
            {
                results.Add(await RebuildAsync(doc, compiled, dryRun, ct).ConfigureAwait(false));
            }
            catch (ConcurrentUpdateException)
            {
                // Ingestion wrote it meanwhile: rebuild it from what is stored now.
                results.Add(await RebuildAsync(doc.Document.Id, dryRun, ct).ConfigureAwait(false));
            }
        }
        return Report(page.Count, results, next);
    }

    private async Task<RebuildResult> RebuildAsync(Versioned<CustomerView> stored, CompiledRules compiled, bool dryRun, CancellationToken ct)
    {
        var id = stored.Document.Id;
        var replay = new Replay(customers, history, identity.Value.PhoneRegion, ingestion.Value.DedupWindow, compiled, ct);
        var rebuilt = await replay.ViewAsync(stored.Document).ConfigureAwait(false);
        if (rebuilt is null)
        {
            LogRefused(logger, id, replay.Refusal ?? "");
            return new RebuildResult(id, RebuildOutcome.Refused, replay.Events, replay.Refusal);
        }
        if (Same(rebuilt, stored.Document)) return new RebuildResult(id, RebuildOutcome.Unchanged, replay.Events);
        if (dryRun) return new RebuildResult(id, RebuildOutcome.Differs, replay.Events);
        var now = clock.GetUtcNow();
        var written = rebuilt with { Version = stored.Document.Version + 1, UpdatedAt = now };
        await customers.WriteAsync(written, stored.ETag, ct).ConfigureAwait(false);
        var change = new CustomerChanged(id, written.Version, [Cause], now);
        await publisher.PublishAsync(Hubs.CustomerChanges,
            [(null, JsonSerializer.SerializeToNode(change, StorageJsonContext.Default.CustomerChanged)!.AsObject())], ct).ConfigureAwait(false);
        LogRebuilt(logger, id, written.Version, replay.Events);
        return new RebuildResult(id, RebuildOutcome.Rebuilt, replay.Events);
    }

    /// <summary>Equal as stored: the JSON of both, numbers compared by value (the store may write 2800.00 as 2800).</summary>
    private static bool Same(CustomerView a, CustomerView b)
    {
        using var x = JsonSerializer.SerializeToDocument(a, CoreJsonContext.Default.CustomerView);
        using var y = JsonSerializer.SerializeToDocument(b, CoreJsonContext.Default.CustomerView);
        return JsonElement.DeepEquals(x.RootElement, y.RootElement);
    }

    /// <summary>One customer's replay: its chain, and each merged-away profile's, read once.</summary>
    private sealed class Replay(
        CustomerStore customers, HistoryStore history, string? phoneRegion, TimeSpan dedupWindow, CompiledRules compiled, CancellationToken ct)
    {
        private readonly Dictionary<CustomerId, CustomerView?> losers = [];

        public int Events { get; private set; }

        public string? Refusal { get; private set; }

        public async Task<CustomerView?> ViewAsync(CustomerView stored)
        {
            var chunks = await history.ReadAsync(stored.Id, ct).ConfigureAwait(false);
            if (HistoryReplay.Chain(chunks, stored.History, out var broken) is not { } chain)
            {
                Refusal ??= $"{stored.Id}: {broken}";
                return null;
            }
            // Merged-away profiles first (their documents are tombstones), each rebuilt the same way.
            foreach (var loser in chain.SelectMany(c => c.Losers).Distinct())
            {
                if (losers.ContainsKey(loser)) continue;
                losers[loser] = null; // a loop of merges ends here rather than recursing
                var document = await customers.ReadAsync(loser, ct).ConfigureAwait(false);
                losers[loser] = document is null ? null : await ViewAsync(document.Document).ConfigureAwait(false);
            }
            Events += chain.Sum(c => c.Events.Length);
            var arrival = new ArrivalRules(phoneRegion);
            var view = HistoryReplay.Rebuild(stored, chain, id => losers.GetValueOrDefault(id),
                (e, at) => HistoryReplay.Accept(e, at, arrival), compiled, dedupWindow, out var refused);
            if (view is null) Refusal ??= $"{stored.Id}: {refused}";
            return view;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Rebuilt customer {CustomerId} from {Events} events of history (version {Version})")]
    private static partial void LogRebuilt(ILogger logger, CustomerId customerId, long version, int events);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Customer {CustomerId} cannot be rebuilt from history: {Reason}")]
    private static partial void LogRefused(ILogger logger, CustomerId customerId, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Customer {CustomerId} changed while it was rebuilt (attempt {Attempt}); rebuilding again")]
    private static partial void LogRaced(ILogger logger, CustomerId customerId, int attempt);
}
