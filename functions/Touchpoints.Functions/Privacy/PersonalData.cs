using System.Text.Json.Nodes;
using Azure.Storage.Queues;
using Microsoft.Azure.Cosmos;
using Touchpoints.Core.History;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Views;
using Touchpoints.Functions.Storage;

namespace Touchpoints.Functions.Privacy;

/// <summary>A person as stored: every profile merged into their customer, every identifier those profiles hold.</summary>
public sealed record Person(IReadOnlyList<CustomerView> Profiles, IReadOnlyList<string> Identifiers)
{
    public IReadOnlyList<CustomerId> Ids => [.. Profiles.Select(p => p.Id)];
}

/// <summary>
/// Finds, exports and erases everything stored about one person (the data map of the README): customer documents (the
/// customer and every profile merged into it), identity documents, history, rule state and the decision ledger, wake-ups,
/// refused events carrying their identifiers, webhook delivery records of their events, and messages still on the queues.
/// Every step is idempotent, so an erasure can run again (its second pass does) and finish what the first began.
/// </summary>
public sealed class PersonalData(
    Database database, CustomerStore customers, IdentityStore identities, HistoryStore history, StoreCache cache, IConfiguration configuration,
    QueueClientOptions? queueOptions = null)
{
    private readonly Container identityDocuments = database.GetContainer(Containers.Identities);
    private readonly Container customerDocuments = database.GetContainer(Containers.Customers);
    private readonly Container communications = database.GetContainer(Containers.Communications);
    private readonly Container wakeUps = database.GetContainer(Containers.WakeUps);
    private readonly Container rejected = database.GetContainer(Containers.Rejected);
    private readonly Container webhooks = database.GetContainer(Containers.Webhooks);
    private readonly Lazy<QueueServiceClient> queues = new(() => StorageAccount.Queues(configuration, queueOptions));

    /// <summary>The person an identifier resolves to, with the profiles of <paramref name="known"/> too; null when none is stored.</summary>
    public async Task<Person?> FindAsync(string identifierKey, IReadOnlyCollection<CustomerId> known, CancellationToken ct)
    {
        var roots = new List<CustomerId>(known);
        var owners = await identities.LookupAsync([identifierKey], ct).ConfigureAwait(false);
        if (owners.TryGetValue(identifierKey, out var owner) && await customers.ReadCurrentAsync(owner.CustomerId, ct).ConfigureAwait(false) is { } live)
            roots.Add(live.Id);
        var profiles = new Dictionary<CustomerId, CustomerView>();
        var pending = new Queue<CustomerId>(roots);
        while (pending.TryDequeue(out var id))
        {
            if (profiles.ContainsKey(id) || await customers.ReadAsync(id, ct).ConfigureAwait(false) is not { } read) continue;
            // A profile merged in and then handed to the other side of an unmerge (its tombstone leads there) is not this person's.
            if (read.Document.MergedInto is { } into && !profiles.ContainsKey(into) && !roots.Contains(id)) continue;
            profiles[id] = read.Document;
            foreach (var merged in read.Document.MergedFrom) pending.Enqueue(merged);
        }
        if (profiles.Count == 0) return null;
        // A profile merged in and then unmerged can still hold identifiers that are now someone else's: its separation says whose.
        var theirs = profiles.Values.SelectMany(p => p.Separations).SelectMany(s => s.Identifiers).ToHashSet(StringComparer.Ordinal);
        var keys = profiles.Values.SelectMany(p => p.Identities).Where(k => !theirs.Contains(k)).Append(identifierKey)
            .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        return new Person([.. profiles.Values], keys);
    }

    /// <summary>Everything stored about the person, as one JSON document.</summary>
    public async Task<JsonObject> ExportAsync(Person person, CancellationToken ct)
    {
        var export = new JsonObject
        {
            ["customers"] = new JsonArray([.. person.Profiles.Select(p => (JsonNode?)System.Text.Json.JsonSerializer.SerializeToNode(p, Core.CoreJsonContext.Default.CustomerView))]),
            ["identifiers"] = new JsonArray([.. person.Identifiers.Select(k => (JsonNode?)k)]),
        };
        var historyNode = new JsonObject();
        var rules = new JsonArray();
        var wake = new JsonArray();
        var histories = await HistoriesAsync(person, ct).ConfigureAwait(false);
        foreach (var id in person.Ids)
        {
            historyNode[id] = new JsonArray([.. histories[id].OrderBy(c => c.Key.Segment).ThenBy(c => c.Key.Offset)
                .Select(c => (JsonNode?)System.Text.Json.JsonSerializer.SerializeToNode(c.Value, HistoryJsonContext.Default.HistoryChunk))]);
            foreach (var doc in await QueryAsync(communications, ByCustomer(id), new PartitionKey(id), ct).ConfigureAwait(false)) rules.Add(doc);
            foreach (var doc in await QueryAsync(wakeUps, ByCustomer(id), null, ct).ConfigureAwait(false)) wake.Add(doc);
        }
        export["history"] = historyNode;
        export["rulesStateAndLedger"] = rules;
        export["wakeUps"] = wake;
        export["queuedMessages"] = new JsonArray([.. (await QueuedAsync(person, delete: false, ct).ConfigureAwait(false)).Select(m => (JsonNode?)m)]);
        export["rejectedEvents"] = new JsonArray([.. await QueryAsync(rejected, Carrying(person), null, ct).ConfigureAwait(false)]);
        export["webhookDeliveries"] = new JsonArray([.. await QueryAsync(webhooks, OfEvents(EventIds(histories)), null, ct).ConfigureAwait(false)]);
        return export;
    }

    /// <summary>Erases everything stored about the person; what was removed from where (counts).</summary>
    public async Task<Dictionary<string, int>> EraseAsync(Person person, CancellationToken ct)
    {
        var receipt = new Dictionary<string, int>(StringComparer.Ordinal);
        void Add(string place, int n) => receipt[place] = receipt.GetValueOrDefault(place) + n;
        var ids = person.Ids.ToHashSet();

        // Identifiers first: from here on nothing resolves to the person.
        foreach (var key in person.Identifiers)
        {
            var id = IdentityDocument.IdFor(key);
            using var response = await identityDocuments.DeleteItemStreamAsync(id, new PartitionKey(id), cancellationToken: ct).ConfigureAwait(false);
            if (response.IsSuccessStatusCode) Add("identities", 1);
            cache.ForgetOwner(key);
        }
        var eventIds = EventIds(await HistoriesAsync(person, ct).ConfigureAwait(false));
        Add("webhooks", await DeleteAsync(webhooks, OfEvents(eventIds), "source", ct).ConfigureAwait(false));
        Add("rejected", await DeleteAsync(rejected, Carrying(person), "source", ct).ConfigureAwait(false));
        Add("queues", (await QueuedAsync(person, delete: true, ct).ConfigureAwait(false)).Count);
        // The other side of an unmerge records the person's identifiers in its separation: they go from there too.
        foreach (var other in person.Profiles.SelectMany(p => p.Separations).Select(s => s.Other).Distinct().Where(o => !ids.Contains(o)))
            Add("separations", await ForgetSeparationsAsync(other, ids, ct).ConfigureAwait(false));
        foreach (var id in ids)
        {
            Add("history", await history.DeleteAsync(id, ct).ConfigureAwait(false));
            Add("communications", await DeleteAsync(communications, ByCustomer(id), null, ct, new PartitionKey(id)).ConfigureAwait(false));
            Add("wakeups", await DeleteAsync(wakeUps, ByCustomer(id), "bucket", ct).ConfigureAwait(false));
            using var response = await customerDocuments.DeleteItemStreamAsync(id, new PartitionKey(id), cancellationToken: ct).ConfigureAwait(false);
            if (response.IsSuccessStatusCode) Add("customers", 1);
            cache.ForgetView(id);
        }
        return receipt;
    }

    /// <summary>
    /// Removes from <paramref name="other"/>'s live profile the separations naming any of <paramref name="ids"/>, and those ids
    /// from its merged profiles; how many separations.
    /// </summary>
    private async Task<int> ForgetSeparationsAsync(CustomerId other, HashSet<CustomerId> ids, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (await customers.ReadLiveAsync(other, ct).ConfigureAwait(false) is not { } live) return 0;
            var kept = live.Document.Separations.Where(s => !ids.Contains(s.Other)).ToArray();
            if (kept.Length == live.Document.Separations.Length) return 0;
            try
            {
                // Its list of merged profiles may still name the person's (those an unmerge handed over): they go too.
                await customers.WriteAsync(live.Document with
                {
                    Separations = [.. kept],
                    MergedFrom = [.. live.Document.MergedFrom.Where(m => !ids.Contains(m))],
                    Version = live.Document.Version + 1,
                }, live.ETag, ct).ConfigureAwait(false);
                return live.Document.Separations.Length - kept.Length;
            }
            catch (ConcurrentUpdateException) when (attempt < 5)
            {
                // Ingestion wrote it meanwhile: read it again.
            }
        }
    }

    /// <summary>Each of the person's profiles' history, read once.</summary>
    private async Task<Dictionary<CustomerId, IReadOnlyDictionary<HistoryPointer, HistoryChunk>>> HistoriesAsync(Person person, CancellationToken ct)
    {
        var histories = new Dictionary<CustomerId, IReadOnlyDictionary<HistoryPointer, HistoryChunk>>();
        foreach (var id in person.Ids) histories[id] = await history.ReadAsync(id, ct).ConfigureAwait(false);
        return histories;
    }

    /// <summary>The ids of the person's events in history (webhook delivery records name them).</summary>
    private static IReadOnlyList<string> EventIds(Dictionary<CustomerId, IReadOnlyDictionary<HistoryPointer, HistoryChunk>> histories)
    {
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in histories.Values.SelectMany(h => h.Values).SelectMany(c => c.Events))
            if (JsonNode.Parse(e.Body, documentOptions: Lenient) is JsonObject body && (body["eventId"] ?? body["messageId"] ?? body["id"]) is JsonValue v
                && v.TryGetValue<string>(out var eventId))
                ids.Add(eventId);
        return [.. ids];
    }

    // Bodies are kept as producers sent them, which the doors read leniently.
    private static readonly System.Text.Json.JsonDocumentOptions Lenient = new() { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true };

    private static QueryDefinition ByCustomer(CustomerId id) => new QueryDefinition("SELECT * FROM c WHERE c.customerId = @id").WithParameter("@id", id.Value);

    private static QueryDefinition OfEvents(IReadOnlyList<string> eventIds) =>
        new QueryDefinition("SELECT * FROM c WHERE ARRAY_CONTAINS(@ids, c.eventId)").WithParameter("@ids", eventIds.Count == 0 ? ["\u0000none"] : eventIds);

    /// <summary>Refused events whose body names one of the person's identifier values (an e-mail, a user id, a handle…).</summary>
    private static QueryDefinition Carrying(Person person)
    {
        var values = person.Identifiers.Select(k => k[(k.IndexOf(':', StringComparison.Ordinal) + 1)..].ToLowerInvariant()).Where(v => v.Length >= 3).Distinct(StringComparer.Ordinal).ToArray();
        var query = new QueryDefinition("SELECT * FROM c WHERE " + (values.Length == 0 ? "false" : string.Join(" OR ", values.Select((_, i) => $"CONTAINS(LOWER(c.body), @v{i})"))));
        for (var i = 0; i < values.Length; i++) query = query.WithParameter($"@v{i}", values[i]);
        return query;
    }

    private static async Task<List<JsonObject>> QueryAsync(Container container, QueryDefinition query, PartitionKey? partition, CancellationToken ct)
    {
        var documents = new List<JsonObject>();
        using var feed = container.GetItemQueryStreamIterator(query, requestOptions: new QueryRequestOptions { PartitionKey = partition, EnableScanInQuery = true });
        while (feed.HasMoreResults)
        {
            using var page = await feed.ReadNextAsync(ct).ConfigureAwait(false);
            page.EnsureSuccessStatusCode();
            var json = (await JsonNode.ParseAsync(page.Content, cancellationToken: ct).ConfigureAwait(false))!;
            documents.AddRange(json["Documents"]!.AsArray().OfType<JsonObject>().Select(d => (JsonObject)d.DeepClone()));
        }
        foreach (var d in documents)
            foreach (var system in d.Select(p => p.Key).Where(k => k.StartsWith('_')).ToList()) d.Remove(system);
        return documents;
    }

    private static async Task<int> DeleteAsync(Container container, QueryDefinition query, string? partitionKeyPath, CancellationToken ct, PartitionKey? partition = null)
    {
        var deleted = 0;
        foreach (var doc in await QueryAsync(container, query, partition, ct).ConfigureAwait(false))
        {
            var pk = partition ?? new PartitionKey(doc[partitionKeyPath!]!.GetValue<string>());
            using var response = await container.DeleteItemStreamAsync(doc["id"]!.GetValue<string>(), pk, cancellationToken: ct).ConfigureAwait(false);
            if (response.IsSuccessStatusCode) deleted++;
        }
        return deleted;
    }

    /// <summary>
    /// The person's messages on the rules' queues, received (out of sight for a minute), deleted when asked, the others
    /// made visible again at once. Messages deferred to the end of quiet hours are invisible and cannot be received: the
    /// suppression list covers them (a delivery guard checks it before sending).
    /// </summary>
    private async Task<List<JsonObject>> QueuedAsync(Person person, bool delete, CancellationToken ct)
    {
        var ids = person.Ids.Select(i => i.Value).ToHashSet(StringComparer.Ordinal);
        var found = new List<JsonObject>();
        foreach (var name in Queues.Messages)
        {
            var queue = queues.Value.GetQueueClient(name);
            if (!(await queue.ExistsAsync(ct).ConfigureAwait(false)).Value) continue;
            var others = new List<(string Id, string Receipt)>();
            while (true)
            {
                var received = (await queue.ReceiveMessagesAsync(32, TimeSpan.FromMinutes(1), ct).ConfigureAwait(false)).Value;
                if (received.Length == 0) break;
                foreach (var message in received)
                {
                    var body = JsonNode.Parse(message.Body.ToString()) as JsonObject;
                    if (body?["customerId"]?.GetValue<string>() is { } customer && ids.Contains(customer))
                    {
                        found.Add(body);
                        if (delete) await queue.DeleteMessageAsync(message.MessageId, message.PopReceipt, ct).ConfigureAwait(false);
                        else others.Add((message.MessageId, message.PopReceipt));
                    }
                    else others.Add((message.MessageId, message.PopReceipt));
                }
            }
            foreach (var (id, receipt) in others) await queue.UpdateMessageAsync(id, receipt, visibilityTimeout: TimeSpan.Zero, cancellationToken: ct).ConfigureAwait(false);
        }
        return found;
    }
}
