using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Touchpoints.Functions;
using Touchpoints.Functions.Storage;
using Touchpoints.Testing;

namespace Touchpoints.Benchmarks.Cost;

/// <summary>
/// <c>dotnet run -c Release --project tests/Touchpoints.Benchmarks -- cost [--customers N] [--events N] [--batch N]
/// [--partitions N] [--seed N] [--warmup N] [--cached-customers N] [--cached-identifiers N]</c>: drives <see cref="CostWorkload"/> through the real handler (in process, as the
/// Functions host calls it) against the npm Cosmos DB server and Azurite, and prints what each ingested event costs:
/// Cosmos DB requests by container and operation, bytes, request units (<see cref="RequestUnits"/>), 404s and refused
/// conditional writes, and the handler process's CPU time, allocation and gen-2 collections.
/// <para>
/// Delivery is as Event Hubs does it: each hub's partitions deliver a batch of up to <c>--batch</c> events at once (one
/// invocation per partition, concurrently), then the <c>customer-changes</c> those invocations output are delivered to
/// <c>EvaluateCustomerChanges</c> spread over the partitions round robin, as the host's output binding publishes them.
/// The first <c>--warmup</c> events (default: 10,000) are not counted: they make the customer base the measured events meet.
/// </para>
/// </summary>
internal static class CostMeter
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = Options.Parse(args);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cost meter: {options.Events:N0} events over {options.Customers:N0} customers, Zipf({CostWorkload.ZipfExponent}), batches of up to {options.Batch}, {options.Partitions} partitions, seed {options.Seed}"));

        var (startingCosmos, startingAzurite) = (SharedEmulators.CosmosAsync(), SharedEmulators.AzuriteAsync());
        var (cosmos, azurite) = (await startingCosmos.ConfigureAwait(false), await startingAzurite.ConfigureAwait(false));
        var meter = new RequestMeter();
        var blobs = new BlobMeter();
        var database = SharedEmulators.NewDatabaseName("cost");
        var settings = new Dictionary<string, string?>
        {
            ["Cosmos:AccountEndpoint"] = cosmos.Endpoint.ToString(),
            ["Cosmos:AccountKey"] = cosmos.Key,
            ["Cosmos:DatabaseName"] = database,
            ["Cosmos:CreateResources"] = "true",
            ["Cosmos:ConnectionMode"] = "Gateway",
            ["Cosmos:LimitToEndpoint"] = "true",
            ["AzureWebJobsStorage"] = azurite.ConnectionString,
            ["Rules:CreateQueues"] = "true",
            ["Identity:DefaultPhoneRegion"] = "GB",
            // The settle window, shortened from a minute so that the decisions it defers come due within the run, where
            // the timer (run after every round, as RunDueSchedules runs it) carries them out.
            ["Rules:SettleWindow"] = "00:00:05",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        if (options.CachedCustomers is { } views) settings["Cosmos:CachedCustomers"] = views.ToString(CultureInfo.InvariantCulture);
        if (options.CachedIdentifiers is { } owners) settings["Cosmos:CachedIdentifiers"] = owners.ToString(CultureInfo.InvariantCulture);
        await using var app = HandlerApp.Build([], builder =>
        {
            builder.WebHost.UseTestServer();
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            // The app's own client, with the meter in its pipeline: the stores are what is measured, not a copy of them.
            builder.Services.AddSingleton(_ => AppCosmosClient.Through(cosmos, meter));
            builder.Services.AddSingleton(sp =>
            {
                var blobOptions = new Azure.Storage.Blobs.BlobClientOptions();
                blobOptions.AddPolicy(blobs, Azure.Core.HttpPipelinePosition.PerRetry);
                return new HistoryStore(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<IOptions<HistoryOptions>>(), blobOptions);
            });
        });
        await app.StartAsync().ConfigureAwait(false);
        using var http = app.GetTestClient();

        var workload = new CostWorkload(options.Seed, options.Customers, options.Partitions, new DateTimeOffset(2026, 11, 2, 8, 0, 0, TimeSpan.Zero));
        var warmup = workload.Next(options.Warmup);
        var measured = workload.Next(options.Events);
        var driver = new Driver(http, options);

        await driver.DeliverAsync(warmup).ConfigureAwait(false);
        meter.Reset();
        blobs.Reset();
        var ingestion = new Phase();
        var rules = new Phase();
        var timer = new Phase();
        await driver.DeliverAsync(measured, meter, ingestion, rules, timer).ConfigureAwait(false);

        // What the rules queued, beside the ledger's creates: the rest of the decisions were suppressed or held out.
        var queues = new Azure.Storage.Queues.QueueServiceClient(azurite.ConnectionString);
        var queued = 0;
        foreach (var queue in Touchpoints.Core.Resources.Queues.Messages)
            queued += (await queues.GetQueueClient(queue).GetPropertiesAsync().ConfigureAwait(false)).Value.ApproximateMessagesCount;
        Report.Print(options, measured, ingestion, rules, timer, blobs,
            string.Create(CultureInfo.InvariantCulture, $"messages queued by the rules: {queued:N0} over the whole run, warm-up included ({(double)queued / (options.Warmup + options.Events):0.000} per event)"));
        return 0;
    }

    internal sealed record Options(int Customers, int Events, int Batch, int Partitions, int Seed, int Warmup, int? CachedCustomers, int? CachedIdentifiers)
    {
        public static Options Parse(string[] args)
        {
            int Arg(string name, int fallback)
            {
                var i = Array.IndexOf(args, "--" + name);
                return i >= 0 && i + 1 < args.Length ? int.Parse(args[i + 1], CultureInfo.InvariantCulture) : fallback;
            }
            int? Optional(string name) => Array.IndexOf(args, "--" + name) >= 0 ? Arg(name, 0) : null;
            return new Options(Arg("customers", 10_000), Arg("events", 20_000), Arg("batch", 500), Arg("partitions", 8), Arg("seed", 1), Arg("warmup", 10_000),
                Optional("cached-customers"), Optional("cached-identifiers"));
        }
    }

    /// <summary>What one function's invocations cost, summed over the run.</summary>
    internal sealed class Phase
    {
        public Dictionary<string, RequestMeter.Tally> Requests { get; } = new(StringComparer.Ordinal);
        public TimeSpan Cpu { get; set; }
        public long Allocated { get; set; }
        public int Gen2 { get; set; }
        public TimeSpan Elapsed { get; set; }
        public int Invocations { get; set; }
        public int Messages { get; set; }

        public void Add(IReadOnlyDictionary<string, RequestMeter.Tally> requests)
        {
            foreach (var (key, t) in requests)
            {
                if (!Requests.TryGetValue(key, out var sum)) Requests[key] = sum = new RequestMeter.Tally();
                sum.Count += t.Count;
                sum.BytesSent += t.BytesSent;
                sum.BytesReceived += t.BytesReceived;
                sum.RequestUnits += t.RequestUnits;
            }
        }
    }

    private sealed class Driver(HttpClient http, Options options)
    {
        private readonly Dictionary<(string Hub, int Partition), long> sequences = [];
        private int changeRound;

        public async Task DeliverAsync(IReadOnlyList<PublishedEvent> events, RequestMeter? meter = null, Phase? ingestion = null, Phase? rules = null,
            Phase? timer = null)
        {
            var queues = events.GroupBy(e => (e.Hub, e.Partition)).ToDictionary(g => g.Key, g => new Queue<PublishedEvent>(g));
            while (queues.Values.Any(q => q.Count > 0))
            {
                // One round: every partition with events delivers a batch, concurrently, as the host's listeners do. The
                // payloads are made before and the answers read after the measured window: only the handler is measured.
                var batches = queues.Where(q => q.Value.Count > 0)
                    .Select(q => (q.Key.Hub, q.Key.Partition, Bodies: Take(q.Value, options.Batch))).ToArray();
                var invocations = batches.Select(b => Ingestion(b.Hub, b.Partition, b.Bodies)).ToArray();
                var answers = await Measure(meter, ingestion, () => Task.WhenAll(invocations.Select(i => InvokeAsync(i.Function, i.Payload))))
                    .ConfigureAwait(false);
                var changes = answers.SelectMany(Changes).ToList();
                if (ingestion is not null) { ingestion.Invocations += batches.Length; ingestion.Messages += batches.Sum(b => b.Bodies.Count); }

                // customer-changes, spread over the partitions as the output binding does, then delivered per partition.
                var evaluations = changes.Select((c, i) => (c, p: (i + changeRound++) % options.Partitions)).GroupBy(x => x.p)
                    .SelectMany(g => g.Select(x => x.c).Chunk(options.Batch)).Select(Evaluation).ToArray();
                await Measure(meter, rules, () => Task.WhenAll(evaluations.Select(e => InvokeAsync(e.Function, e.Payload)))).ConfigureAwait(false);
                if (rules is not null) { rules.Invocations += evaluations.Length; rules.Messages += changes.Count; }

                // The timer: schedules due by now (settled decisions, delays), as the scheduled function runs them.
                await Measure(meter, timer, RunDueSchedulesAsync).ConfigureAwait(false);
                if (timer is not null) timer.Invocations++;
            }
        }

        private static List<string> Take(Queue<PublishedEvent> queue, int n)
        {
            var list = new List<string>(Math.Min(n, queue.Count));
            while (list.Count < n && queue.TryDequeue(out var e)) list.Add(e.Body);
            return list;
        }

        private static async Task<T> Measure<T>(RequestMeter? meter, Phase? phase, Func<Task<T>> run)
        {
            if (meter is null || phase is null) return await run().ConfigureAwait(false);
            meter.Reset();
            var gen2 = GC.CollectionCount(2);
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            var result = await run().ConfigureAwait(false);
            phase.Elapsed += clock.Elapsed;
            phase.Cpu += Process.GetCurrentProcess().TotalProcessorTime - cpu;
            phase.Allocated += GC.GetTotalAllocatedBytes(precise: true) - allocated;
            phase.Gen2 += GC.CollectionCount(2) - gen2;
            phase.Add(meter.Snapshot());
            return result;
        }

        private (string Function, byte[] Payload) Ingestion(string hub, int partition, List<string> bodies)
        {
            var function = hub switch
            {
                Touchpoints.Core.Resources.Hubs.WebEvents => "IngestWebEvents",
                Touchpoints.Core.Resources.Hubs.CrmEvents => "IngestCrmEvents",
                _ => "IngestSocialEvents",
            };
            var first = sequences.GetValueOrDefault((hub, partition));
            sequences[(hub, partition)] = first + bodies.Count;
            return (function, Payload(hub, partition, first, bodies, "events"));
        }

        private (string Function, byte[] Payload) Evaluation(string[] changes)
        {
            var hub = Touchpoints.Core.Resources.Hubs.CustomerChanges;
            var first = sequences.GetValueOrDefault((hub, 0));
            sequences[(hub, 0)] = first + changes.Length;
            return ("EvaluateCustomerChanges", Payload(hub, 0, first, changes, "changes"));
        }

        private async Task<string> RunDueSchedulesAsync()
        {
            using var response = await http.PostAsync(Touchpoints.Functions.Rules.RulesAdminEndpoints.Prefix + "/schedules/run", null).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"schedules/run failed with {(int)response.StatusCode}: {text}");
            return text;
        }

        /// <summary>The invocation as the Functions host sends it (<see cref="HostPayloads"/>), made before the measured window.</summary>
        private static byte[] Payload(string hub, int partition, long first, IReadOnlyList<string> bodies, string binding) =>
            System.Text.Encoding.UTF8.GetBytes(HostPayloads.EventHubBatch(hub, partition.ToString(CultureInfo.InvariantCulture), first, bodies,
                enqueuedAt: DateTimeOffset.UtcNow, binding: binding).ToJsonString());

        private static IEnumerable<string> Changes(string answer) =>
            JsonNode.Parse(answer)?["Outputs"]?["changes"] is JsonArray changes
                ? changes.Select(c => c is JsonValue v && v.TryGetValue<string>(out var s) ? s : c!.ToJsonString())
                : [];

        private async Task<string> InvokeAsync(string function, byte[] payload)
        {
            using var content = new ByteArrayContent(payload);
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var request = new HttpRequestMessage(HttpMethod.Post, "/" + function) { Content = content };
            request.Headers.Add("X-Azure-Functions-InvocationId", "00000000-0000-0000-0000-000000000000");
            using var response = await http.SendAsync(request).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            if (!response.IsSuccessStatusCode)
                throw new InvalidOperationException($"{function} failed with {(int)response.StatusCode}: {text[..Math.Min(text.Length, 400)]}");
            return text;
        }
    }
}
