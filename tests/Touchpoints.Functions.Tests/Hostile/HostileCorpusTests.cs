using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Touchpoints.Core.Collection;
using Touchpoints.Core.Identity;
using static Touchpoints.Testing.HttpPayloads;

namespace Touchpoints.Functions.Tests.Hostile;

/// <summary>
/// The hostile corpus (<c>Hostile/corpus.json</c>, 320 cases): malformed JSON, wrong types, huge and deeply nested values,
/// unicode edge cases, out-of-range numbers and dates, ids with reserved characters, duplicate keys, wrong content types,
/// missing and wrong credentials, oversized events and batches — against every HTTP function and straight into each hub.
/// An HTTP case gets its documented status (never a 5xx) and a refused request publishes nothing; a hub case is published
/// between two valid events of other customers, and ends in <c>rejected</c> with its reason (or, where the corpus says it is
/// odd but valid, is applied), while both valid events are in their views and in the batch's outputs.
/// </summary>
[Collection(HandlerCollection.Name)]
public sealed partial class HostileCorpusTests(HandlerFixture fixture)
{
    private const string Api = "https://touchpoints.azurewebsites.net/api/v1/";
    private const string Hooks = "https://touchpoints.azurewebsites.net/api/webhooks/";

    public sealed record HostileCase(string Id, string Target, JsonNode Expect, string Why, string? Body, JsonObject Raw)
    {
        public override string ToString() => $"{Id} {Target}: {Why}";
    }

    private static readonly Lazy<IReadOnlyList<HostileCase>> Corpus = new(() =>
    {
        var path = Path.Combine(AppContext.BaseDirectory, "Hostile", "corpus.json");
        return [.. JsonNode.Parse(File.ReadAllText(path))!.AsArray().Select(n => n!.AsObject()).Select(o => new HostileCase(
            o["id"]!.GetValue<string>(), o["target"]!.GetValue<string>(), o["expect"]!, o["why"]!.GetValue<string>(),
            o["body"] is { } b ? Expand(b.GetValue<string>()) : null, o))];
    });

    /// <summary><c>@@cN@@</c> in a body stands for the character c repeated N times (keeps the corpus file small).</summary>
    private static string Expand(string body) => Repeat().Replace(body, m => new string(m.Groups[1].Value[0], int.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)));

    [GeneratedRegex("@@(.)([0-9]+)@@")]
    private static partial Regex Repeat();

    public static TheoryData<string> Cases(string kind) => [.. Corpus.Value.Where(c => c.Target.StartsWith(kind, StringComparison.Ordinal)).Select(c => c.Id)];

    private static HostileCase Get(string id) => Corpus.Value.Single(c => c.Id == id);

    private static readonly string[] Doors = ["collect/", "webhook/", "view/", "rules/", "http/", "hub/"];

    [Fact]
    public void The_corpus_holds_at_least_300_cases_over_every_door() =>
        Assert.True(Corpus.Value.Count >= 300 && Doors.All(k => Corpus.Value.Any(c => c.Target.StartsWith(k, StringComparison.Ordinal))),
            $"{Corpus.Value.Count} cases");

    [Theory]
    [MemberData(nameof(Cases), "collect/")]
    public async Task A_hostile_collector_request_gets_its_documented_status_and_publishes_nothing_when_refused(string id)
    {
        var c = Get(id);
        var call = c.Target["collect/".Length..];
        var shortPath = call.StartsWith("short/", StringComparison.Ordinal) ? call["short/".Length..] : null;
        var function = shortPath is null ? "Collect" + char.ToUpperInvariant(call[0]) + call[1..] : "CollectShortPath";
        if (shortPath is not null) call = shortPath;
        var body = c.Body ?? "";
        var headers = new Dictionary<string, string>();
        var contentType = c.Raw["contentType"]?.GetValue<string>() ?? "application/json";
        if (contentType.Length > 0) headers["Content-Type"] = contentType;
        var url = Api + call;
        switch (c.Raw["auth"]?.GetValue<string>() ?? "valid")
        {
            case "valid": headers["Authorization"] = Basic(HandlerFixture.WebsiteKey); break;
            case "wrong": headers["Authorization"] = Basic("wk-nobody"); break;
            case "garbage": headers["Authorization"] = "Basic !!!not-base64!!!"; break;
            case "bearer": headers["Authorization"] = "Bearer " + HandlerFixture.WebsiteKey; break;
            case "empty": headers["Authorization"] = Basic(""); break;
            case "body": body = "{\"writeKey\":\"" + HandlerFixture.WebsiteKey + "\"," + body[1..]; break;
            case "query": url += "?writeKey=" + HandlerFixture.WebsiteKey; break;
        }

        var result = await fixture.InvokeAsync(function, Request(url, body, headers,
            shortPath is null ? null : new Dictionary<string, string> { ["call"] = shortPath }));

        Assert.Equal(200, result.Status);
        Assert.InRange(result.HttpStatus, 200, 499);
        Assert.Equal(c.Expect.GetValue<int>(), result.HttpStatus);
        if (result.HttpStatus >= 400) Assert.Null(result.Events);
    }

    [Theory]
    [MemberData(nameof(Cases), "http/")]
    public async Task A_hostile_management_or_view_request_gets_its_documented_status(string id)
    {
        var c = Get(id);
        using var request = new HttpRequestMessage(new HttpMethod(c.Raw["method"]!.GetValue<string>()), c.Raw["path"]!.GetValue<string>());
        if (c.Body is not null) request.Content = new StringContent(c.Body, Encoding.UTF8, "application/json");
        foreach (var (name, value) in c.Raw["headers"]!.AsObject()) request.Headers.TryAddWithoutValidation(name, value!.GetValue<string>());

        using var response = await fixture.Host.SendAsync(request);

        Assert.Equal(c.Expect.GetValue<int>(), (int)response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Cases), "webhook/")]
    public async Task A_hostile_webhook_delivery_gets_its_documented_status_and_publishes_nothing_when_refused(string id)
    {
        var c = Get(id);
        var source = c.Target["webhook/".Length..];
        var body = c.Body ?? "";
        var deliveryId = $"msg_hostile_{id}_{Guid.NewGuid():N}";
        var at = DateTimeOffset.UtcNow;
        var headers = new Dictionary<string, string> { ["Content-Type"] = "application/json" };
        var secret = HandlerFixture.CrmSecret;
        var stamp = (c.Raw["signature"]?.GetValue<string>()) switch
        {
            "stale" => at.AddHours(-1),
            "future" => at.AddHours(1),
            _ => at,
        };
        var timestamp = stamp.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var signature = WebhookSignatures.SignStandard(secret, deliveryId, stamp.ToUnixTimeSeconds(), body);
        switch (c.Raw["signature"]?.GetValue<string>())
        {
            case "missing": break;
            case "bad": Add(WebhookSignatures.SignStandard("whsec_c29tZW9uZS1lbHNl", deliveryId, stamp.ToUnixTimeSeconds(), body)); break;
            case "garbled": Add("v1,!!!"); break;
            case "wrongversion": Add("v9," + signature.Split(',')[1]); break;
            case "noid": headers["webhook-timestamp"] = timestamp; headers["webhook-signature"] = signature; break;
            case "notimestamp": headers["webhook-id"] = deliveryId; headers["webhook-signature"] = signature; break;
            default: Add(signature); break;
        }
        void Add(string sig)
        {
            headers["webhook-id"] = deliveryId;
            headers["webhook-timestamp"] = timestamp;
            headers["webhook-signature"] = sig;
        }

        var result = await fixture.InvokeAsync("ReceiveWebhook", Request(Hooks + Uri.EscapeDataString(source), body, headers,
            new Dictionary<string, string> { ["source"] = source }));

        Assert.Equal(200, result.Status);
        Assert.InRange(result.HttpStatus, 200, 499);
        Assert.Equal(c.Expect.GetValue<int>(), result.HttpStatus);
        if (result.HttpStatus >= 400) Assert.Null(result.Events);
    }

    [Theory]
    [MemberData(nameof(Cases), "view/")]
    public async Task A_hostile_view_request_gets_its_documented_status(string id)
    {
        var c = Get(id);
        using var response = await fixture.Host.GetAsync(c.Raw["path"]!.GetValue<string>());
        Assert.Equal(c.Expect.GetValue<int>(), (int)response.StatusCode);
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Cases), "rules/")]
    public async Task A_hostile_rules_document_is_refused_with_its_errors(string id)
    {
        var c = Get(id);
        using var content = new StringContent(c.Body ?? "", Encoding.UTF8, "application/json");
        using var response = await fixture.Host.PostAsync("/api/manage/rules/validate", content);
        Assert.Equal(c.Expect.GetValue<int>(), (int)response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(Cases), "hub/")]
    public async Task A_hostile_hub_event_ends_in_rejected_and_the_valid_events_of_its_batch_are_applied(string id)
    {
        var c = Get(id);
        var hub = c.Target["hub/".Length..];
        var (function, valid) = hub switch
        {
            Hubs.WebEvents => ("IngestWebEvents", (Func<string, string>)(who => $$"""{"type":"page","messageId":"ok-{{who}}","userId":"{{who}}","properties":{"path":"/"},"timestamp":"2026-11-20T10:00:00Z"}""")),
            Hubs.SocialEvents => ("IngestSocialEvents", who => $$"""{"eventId":"ok-{{who}}","type":"social.mention","network":"x","handle":"{{who}}","text":"hi","occurredAt":"2026-11-20T10:00:00Z"}"""),
            _ => ("IngestCrmEvents", who => $$$"""{"eventId":"ok-{{{who}}}","type":"ticket.opened","occurredAt":"2026-11-20T10:00:00Z","objectId":"t","customer":{"system":"zendesk","crmId":"{{{who}}}"}}"""),
        };
        var run = Guid.NewGuid().ToString("N")[..8];
        var (before, after) = ($"hb{run}", $"ha{run}");
        var partition = $"hostile{run}";

        var result = await fixture.InvokeAsync(function, HostPayloads.EventHubBatch(hub, partition, 1, [valid(before), c.Body ?? "", valid(after)]));

        Assert.Equal(200, result.Status);
        var rejected = await fixture.QueryAsync("rejected", hub.Split('-')[0], $"c.partition = '{hub}/{partition}'");
        if (c.Expect.GetValue<string>() == "rejected")
        {
            var refusal = Assert.Single(rejected);
            Assert.Equal(2, refusal["sequenceNumber"]!.GetValue<long>());
            Assert.False(string.IsNullOrWhiteSpace(refusal["reason"]!.GetValue<string>()));
        }
        else Assert.Empty(rejected);
        var changed = result.Body["Outputs"]!["changes"]!.AsArray().Select(n => n!["customerId"]!.GetValue<string>()).ToHashSet();
        foreach (var who in new[] { before, after })
        {
            var key = hub switch { Hubs.WebEvents => $"userId:{who}", Hubs.SocialEvents => $"social.x:{who}", _ => $"crm.zendesk:{who}" };
            var customer = IdentityResolver.NewCustomerId(Identifier.TryParseKey(key)!);
            Assert.Contains(customer, changed);
            Assert.NotNull(await fixture.CustomerAsync(customer));
        }
    }
}
