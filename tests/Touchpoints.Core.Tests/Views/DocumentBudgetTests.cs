using Touchpoints.Core.Identity;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Touchpoints.Core.Events;
using Touchpoints.Core.Ingestion;
using Touchpoints.Core.Views;

namespace Touchpoints.Core.Tests.Views;

/// <summary>
/// No sequence of valid events grows a customer document past <see cref="CustomerBudget.MaxDocumentBytes"/>: events built
/// to be as large as the doors let them be (32 KB each, every string at its longest, every name new), applied through
/// ingestion's own step, never make a document larger than the budget.
/// </summary>
public class DocumentBudgetTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly ArrivalContext Arrival = new(T0.AddDays(30), T0.AddDays(30));

    private static string Long(char c, int length, int salt) => salt.ToString(System.Globalization.CultureInfo.InvariantCulture) + new string(c, length);

    /// <summary>The largest events of every kind the parsers accept: long names, titles, subjects, texts, new names each time.</summary>
    private static (EventSource Source, string Body) Worst(int kind, int i)
    {
        var at = T0.AddMinutes(i).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        JsonObject body = (kind % 8) switch
        {
            0 => new() { ["type"] = "track", ["messageId"] = $"t{i}", ["userId"] = "u", ["event"] = Long('e', 6000, i), ["timestamp"] = at,
                ["properties"] = new JsonObject { ["name"] = Long('n', 6000, i) } },
            1 => new() { ["type"] = "page", ["messageId"] = $"p{i}", ["userId"] = "u", ["name"] = Long('t', 5000, i), ["timestamp"] = at,
                ["properties"] = new JsonObject { ["path"] = "/" + Long('p', 5000, i), ["title"] = Long('t', 5000, i), ["search"] = Long('s', 3000, i) },
                ["context"] = new JsonObject { ["campaign"] = new JsonObject { ["source"] = Long('s', 1500, i), ["medium"] = Long('m', 1500, i), ["name"] = Long('c', 1500, i), ["term"] = Long('k', 1500, i), ["content"] = Long('x', 1500, i) } } },
            2 => new() { ["type"] = "identify", ["messageId"] = $"i{i}", ["userId"] = "u", ["anonymousId"] = Long('a', 240, i), ["timestamp"] = at,
                ["traits"] = new JsonObject { ["email"] = $"{Long('m', 200, i)}@example.com", ["name"] = Long('n', 8000, i), ["company"] = Long('c', 8000, i), ["title"] = Long('t', 8000, i) } },
            3 => new() { ["type"] = "track", ["event"] = "Product Added", ["messageId"] = $"c{i}", ["userId"] = "u", ["timestamp"] = at,
                ["properties"] = new JsonObject { ["product_id"] = Long('p', 200, i), ["name"] = Long('n', 20000, i), ["price"] = 999999999999m, ["quantity"] = 1000000 } },
            4 => new() { ["eventId"] = $"k{i}", ["type"] = "ticket.opened", ["occurredAt"] = at, ["objectId"] = Long('o', 250, i), ["subject"] = Long('s', 25000, i),
                ["customer"] = new JsonObject { ["system"] = "zendesk", ["crmId"] = "z-1", ["userId"] = "u" } },
            5 => new() { ["eventId"] = $"l{i}", ["type"] = i % 2 == 0 ? "lead.status_changed" : "opportunity.stage_changed", ["occurredAt"] = at, ["status"] = Long('s', 8000, i),
                ["stage"] = Long('g', 8000, i), ["objectId"] = Long('o', 250, i), ["owner"] = Long('w', 8000, i), ["customer"] = new JsonObject { ["system"] = "hubspot", ["crmId"] = "h-1", ["userId"] = "u" } },
            6 => new() { ["eventId"] = $"o{i}", ["type"] = "order.placed", ["occurredAt"] = at, ["objectId"] = Long('o', 250, i), ["amount"] = 1000000000000m, ["currency"] = "eur",
                ["subject"] = Long('s', 25000, i), ["customer"] = new JsonObject { ["system"] = "shopify", ["crmId"] = "s-1", ["userId"] = "u" } },
            _ => new() { ["eventId"] = $"m{i}", ["type"] = "social.mention", ["occurredAt"] = at, ["network"] = "x", ["handle"] = Long('h', 200, i), ["userId"] = "u",
                ["profileUrl"] = "https://x.com/" + Long('u', 8000, i), ["text"] = Long('x', 20000, i), ["followers"] = 1000000, ["sentiment"] = 1 },
        };
        var source = (kind % 8) switch { < 4 => EventSource.Web, 7 => EventSource.Social, _ => EventSource.Crm };
        return (source, body.ToJsonString());
    }

    private static CustomerView Ingest(IEnumerable<int> kinds, CustomerView? start = null)
    {
        var view = start;
        var i = 0;
        foreach (var batch in kinds.Chunk(50))
        {
            var accepted = new List<AcceptedEvent>();
            foreach (var kind in batch)
            {
                var (source, body) = Worst(kind, i++);
                Assert.True(body.Length <= 32 * 1024, $"event {i} is {body.Length} bytes");
                var parsed = EventParser.Parse(source, body, Arrival);
                Assert.True(parsed.IsValid, parsed.Reason);
                accepted.Add(new AcceptedEvent(parsed.Event!, null, T0.AddDays(30)));
            }
            var identities = accepted.SelectMany(a => a.Event.Identifiers).Select(k => k.Key).Distinct().ToArray();
            // Identifiers attach as resolution lets them: at most the limits per kind.
            var allowed = identities.GroupBy(k => k.StartsWith("anonymousId:", StringComparison.Ordinal) ? "a" : k[..Math.Min(6, k.Length)])
                .SelectMany(g => g.Take(g.Key == "a" ? CustomerView.AnonymousIdLimit : CustomerView.IdentifiersPerKindLimit)).ToArray();
            view = IngestionBatch.Apply(view, new CustomerSlice(new CustomerId("c-worst"), T0, [], accepted, [.. allowed], []), T0.AddDays(30)).View;
        }
        return view!;
    }

    private static int Bytes(CustomerView view) => JsonSerializer.SerializeToUtf8Bytes(view, CoreJsonContext.Default.CustomerView).Length;

    [Fact]
    public void Any_sequence_of_the_largest_valid_events_keeps_a_document_within_its_budget() =>
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(15), Prop.ForAll(Arb.From(Gen.Choose(50, 400).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 7), n))), kinds =>
        {
            var bytes = kinds.Length == 0 ? 0 : Bytes(Ingest(kinds));
            return (bytes <= CustomerBudget.MaxDocumentBytes).Label($"{kinds.Length} events → {bytes} bytes");
        }));

    [Fact]
    public void A_document_at_every_limit_at_once_is_within_the_budget()
    {
        // Every kind, many times over (every list full, every string clipped), plus a dedup record at its limit.
        var view = Ingest(Enumerable.Range(0, 800).Select(i => i % 8));
        var applied = Enumerable.Range(0, AppliedEvents.Limit).Aggregate(view.Applied, (a, n) => a.Record($"web:filler-{n}", T0.AddDays(30)));
        var full = view with { Applied = applied };
        var anonymous = Enumerable.Range(0, CustomerView.AnonymousIdLimit).Select(n => $"anonymousId:{new string('a', 240)}{n}");

        var bytes = Bytes(full with { Identities = [.. full.Identities.Concat(anonymous).Distinct()] });

        output.WriteLine($"a document at every limit: {bytes} bytes of {CustomerBudget.MaxDocumentBytes}");
        Assert.InRange(bytes, 1, CustomerBudget.MaxDocumentBytes);
        Assert.All(full.Journal, j => Assert.InRange(j.Summary.Length, 1, CustomerBudget.TextLimit));
        Assert.All(full.Counters.Keys, k => Assert.InRange(k.Length, 1, CustomerBudget.KeyLimit));
        Assert.Equal(SupportSection.OpenTicketsLimit, full.Touchpoints.Support!.OpenTickets.Length);
    }

    [Fact]
    public void Clipping_never_splits_a_surrogate_pair()
    {
        var text = new string('a', 198) + "😀😀";
        var clipped = CustomerBudget.Clip(text, 200)!;
        Assert.True(clipped.Length <= 200);
        Assert.False(char.IsHighSurrogate(clipped[^2]) && !char.IsLowSurrogate(clipped[^1]));
        Assert.EndsWith("…", clipped, StringComparison.Ordinal);
    }
}
