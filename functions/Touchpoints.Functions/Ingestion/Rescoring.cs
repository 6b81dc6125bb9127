using System.Text.Json;
using Microsoft.Extensions.Options;
using Touchpoints.Core;
using Touchpoints.Core.History;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Ingestion;
using Touchpoints.Core.Rules;
using Touchpoints.Functions.Rules;
using Touchpoints.Functions.Storage;

namespace Touchpoints.Functions.Ingestion;

/// <summary>
/// Writes a view whose scores aged across a segment boundary, as ingestion writes any view: derived again at now
/// (<see cref="CustomerSlice.Rescore"/>), its history chunk appended first (it records only the time, so replaying history
/// gives the same view), then the view on the version read, then the change announced on <c>customer-changes</c> with the
/// causes <c>scores.aged</c> and the segments left and entered. A write meanwhile (ingestion, another rescore) is read
/// and scored again; a view whose segments hold at now is left as it is, so a replayed or late wake-up writes nothing.
/// </summary>
public sealed partial class Rescoring(
    CustomerStore customers,
    HistoryStore history,
    RulesProvider rules,
    EventPublisher publisher,
    IOptions<IngestionOptions> options,
    TimeProvider clock,
    ILogger<Rescoring> logger) : IRescoring
{
    private const int MaxAttempts = 5;

    public async Task<bool> RescoreAsync(CustomerId customerId, CancellationToken ct)
    {
        var compiled = await rules.GetAsync(ct).ConfigureAwait(false);
        for (var attempt = 1; ; attempt++)
        {
            if (await customers.ReadAsync(customerId, ct).ConfigureAwait(false) is not { Document.IsTombstone: false } stored) return false;
            var now = clock.GetUtcNow();
            var read = stored.Document;
            var slice = CustomerSlice.Rescoring(read.Id, read.CreatedAt);
            var update = IngestionBatch.Apply(read, slice, now, compiled, options.Value.DedupWindow);
            if (update.View.Segments.SequenceEqual(read.Segments, StringComparer.Ordinal)) return false;
            try
            {
                var at = await history.AppendAsync(read.Id, HistoryChunk.Of(read, slice, update.View.Version, now), ct).ConfigureAwait(false);
                var written = update.View with { History = at };
                await customers.WriteAsync(written, stored.ETag, ct).ConfigureAwait(false);
                var change = new CustomerChanged(read.Id, written.Version, update.Causes, now);
                await publisher.PublishAsync(Hubs.CustomerChanges,
                    [(null, JsonSerializer.SerializeToNode(change, StorageJsonContext.Default.CustomerChanged)!.AsObject())], ct).ConfigureAwait(false);
                LogRescored(logger, read.Id, written.Version, update.Causes);
                return true;
            }
            catch (ConcurrentUpdateException) when (attempt < MaxAttempts)
            {
                LogRaced(logger, read.Id, attempt);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Customer {CustomerId} scored again as its scores aged: version {Version} ({Causes})")]
    private static partial void LogRescored(ILogger logger, CustomerId customerId, long version, IReadOnlyList<string> causes);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Customer {CustomerId} was written while its scores were aged (attempt {Attempt}); scoring again")]
    private static partial void LogRaced(ILogger logger, CustomerId customerId, int attempt);
}
