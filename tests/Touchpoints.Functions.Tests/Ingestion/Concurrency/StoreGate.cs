using System.Collections.Concurrent;
using System.Net;
using System.Text.RegularExpressions;

namespace Touchpoints.Functions.Tests.Ingestion.Concurrency;

/// <summary>One Cosmos DB request as the gate sees it: method, container, document id (from the URL, or the partition key of a create).</summary>
public sealed record StoreRequest(string Method, string Container, string? DocumentId, string Body)
{
    public bool IsCreate => Method == "POST" && !Body.StartsWith("{\"query\"", StringComparison.Ordinal);

    public bool Is(string method, string container, string documentId) =>
        Method == method && Container == container && DocumentId == documentId;

    public override string ToString() => $"{Method} {Container}/{DocumentId}";
}

/// <summary>
/// Sits in the Cosmos client's HTTP pipeline, where the store's requests leave the process: counts them, holds a chosen
/// one until the test releases it (so another batch can run to completion at exactly that point), fails chosen ones as
/// Cosmos does when it is unavailable, and — for the fuzzer — lets a <see cref="SeededScheduler"/> reorder them.
/// </summary>
public sealed partial class StoreGate() : DelegatingHandler(new SocketsHttpHandler())
{
    private readonly ConcurrentDictionary<(string, string), int> counts = new();
    private readonly List<Hold> holds = [];
    private readonly List<Func<StoreRequest, bool>> failures = [];

    public SeededScheduler? Scheduler { get; set; }

    public void ResetCounts() => counts.Clear();

    public int Count(string method, string container) => counts.GetValueOrDefault((method, container));

    /// <summary>Creates and upserts (POSTs that are not queries) to <paramref name="container"/>.</summary>
    public int Writes(string container) => counts.GetValueOrDefault(("CREATE", container));

    /// <summary>The next request matching <paramref name="match"/> waits, before it is sent, until released.</summary>
    public Hold HoldNext(Func<StoreRequest, bool> match)
    {
        var hold = new Hold(match);
        lock (holds) holds.Add(hold);
        return hold;
    }

    /// <summary>Requests matching <paramref name="match"/> answer 503 until the returned scope is disposed.</summary>
    public IDisposable Fail(Func<StoreRequest, bool> match)
    {
        lock (failures) failures.Add(match);
        return new Disarm(() => { lock (failures) failures.Remove(match); });
    }

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var match = Document().Match(request.RequestUri!.AbsolutePath);
        if (!match.Success) return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);

        var body = "";
        if (request.Content is not null)
        {
            await request.Content.LoadIntoBufferAsync(cancellationToken).ConfigureAwait(false);
            body = await request.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        }
        var id = match.Groups["id"].Success ? Uri.UnescapeDataString(match.Groups["id"].Value)
            : request.Headers.TryGetValues("x-ms-documentdb-partitionkey", out var pk) ? PartitionKeyValue(pk.First()) : null;
        var info = new StoreRequest(request.Method.Method, match.Groups["container"].Value, id, body);
        counts.AddOrUpdate((info.Method, info.Container), 1, (_, n) => n + 1);
        if (info.IsCreate) counts.AddOrUpdate(("CREATE", info.Container), 1, (_, n) => n + 1);

        Hold? hold;
        lock (holds)
        {
            hold = holds.FirstOrDefault(h => h.Matches(info));
            if (hold is not null) holds.Remove(hold);
        }
        if (hold is not null) await hold.Arrive().ConfigureAwait(false);

        bool fail;
        lock (failures) fail = failures.Any(f => f(info));
        if (fail) return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable) { RequestMessage = request, Content = new StringContent("""{"code":"ServiceUnavailable","message":"injected"}""") };

        if (Scheduler is not { } scheduler) return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        await scheduler.EnterAsync().ConfigureAwait(false);
        try
        {
            return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            scheduler.Exit();
        }
    }

    private static string PartitionKeyValue(string header) => Regex.Unescape(header.Trim('[', ']').Trim('"'));

    [GeneratedRegex("/colls/(?<container>[^/]+)/docs(/(?<id>[^/]+))?$")]
    private static partial Regex Document();

    public sealed class Hold(Func<StoreRequest, bool> match)
    {
        private readonly TaskCompletionSource reached = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource released = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Completes when the held request has arrived and is waiting.</summary>
        public Task Reached => reached.Task;

        public void Release() => released.TrySetResult();

        internal bool Matches(StoreRequest request) => match(request);

        internal Task Arrive()
        {
            reached.TrySetResult();
            return released.Task;
        }
    }

    private sealed class Disarm(Action action) : IDisposable
    {
        public void Dispose() => action();
    }
}

/// <summary>
/// Reorders store requests by seed: each request, as it arrives, is held with a seeded probability until a seeded number of
/// later requests have completed. Whenever every request in flight is held, a seeded one is let go, so the schedule always
/// makes progress. The seed fixes every decision; which request is in flight when is still up to the thread pool, so a
/// replayed seed reproduces the workload and the decisions, and most interleavings with them.
/// </summary>
public sealed class SeededScheduler(int seed)
{
    private readonly Random random = new(seed);
    private readonly List<(TaskCompletionSource Gate, int After)> held = [];
    private readonly Lock gate = new();
    private int inFlight;
    private int completed;

    public int Held { get; private set; }

    public Task EnterAsync()
    {
        lock (gate)
        {
            inFlight++;
            Task wait = Task.CompletedTask;
            if (random.NextDouble() < 0.4)
            {
                var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                held.Add((tcs, completed + random.Next(1, 6)));
                Held++;
                wait = tcs.Task;
            }
            ReleaseDue();
            return wait;
        }
    }

    public void Exit()
    {
        lock (gate)
        {
            inFlight--;
            completed++;
            ReleaseDue();
        }
    }

    private void ReleaseDue()
    {
        for (var i = held.Count - 1; i >= 0; i--)
        {
            if (held[i].After > completed) continue;
            held[i].Gate.TrySetResult();
            held.RemoveAt(i);
        }
        if (held.Count > 0 && held.Count >= inFlight)
        {
            var i = random.Next(held.Count);
            held[i].Gate.TrySetResult();
            held.RemoveAt(i);
        }
    }
}
