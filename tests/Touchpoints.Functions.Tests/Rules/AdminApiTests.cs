using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Touchpoints.Functions.Rules;

namespace Touchpoints.Functions.Tests.Rules;

[Collection(RulesCollection.Name)]
public sealed class AdminApiTests(RulesFixture fixture) : IAsyncLifetime
{
    private const string Prefix = RulesAdminEndpoints.Prefix;

    public async Task InitializeAsync()
    {
        await fixture.PutRulesAsync(TestRules.Document);
        await fixture.ClearQueuesAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private async Task<(HttpStatusCode Status, JsonObject Body, HttpResponseMessage Response)> SendAsync(
        HttpMethod method, string path, string? body = null, string? author = null, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        if (author is not null) request.Headers.Add("X-Author", author);
        if (ifMatch is not null) request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        var response = await fixture.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        Assert.StartsWith("application/json", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        return (response.StatusCode, JsonNode.Parse(text)!.AsObject(), response);
    }

    private static (int Line, int Column) Position(string text, string fragment)
    {
        var index = text.IndexOf(fragment, StringComparison.Ordinal);
        Assert.True(index >= 0, fragment);
        var before = text[..index];
        return (before.Count(c => c == '\n') + 1, index - before.LastIndexOf('\n'));
    }

    [Fact]
    public async Task Validate_reports_every_error_with_its_path_line_and_column()
    {
        var broken = TestRules.Document
            .Replace("\"priority\": 80", "\"priority\": 180", StringComparison.Ordinal)
            .Replace("touchpoints.web.cart.value", "touchpoints.web.cart.valu", StringComparison.Ordinal)
            .Replace("\"after\": \"15m\"", "\"after\": \"soon\"", StringComparison.Ordinal);

        var (status, body, _) = await SendAsync(HttpMethod.Post, Prefix + "/validate", broken);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_rules", body["error"]!.GetValue<string>());
        var errors = body["errors"]!.AsArray().Select(e => e!.AsObject()).ToArray();
        Assert.True(errors.Length >= 3, body.ToJsonString());
        Assert.All(errors, e =>
        {
            Assert.StartsWith("$.", e["path"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.True(e["line"]!.GetValue<int>() > 0);
            Assert.True(e["column"]!.GetValue<int>() > 0);
            Assert.False(string.IsNullOrEmpty(e["message"]!.GetValue<string>()));
        });
        var priority = Assert.Single(errors, e => e["path"]!.GetValue<string>() == "$.rules[0].priority");
        Assert.Equal(Position(broken, "\"priority\": 180").Line, priority["line"]!.GetValue<int>());
        Assert.Contains(errors, e => e["path"]!.GetValue<string>().StartsWith("$.rules[2].conditions", StringComparison.Ordinal)
            && e["message"]!.GetValue<string>().Contains("touchpoints.web.cart.valu", StringComparison.Ordinal));
        Assert.Contains(errors, e => e["path"]!.GetValue<string>() == "$.rules[2].trigger.after");

        // Malformed JSON: where it breaks.
        (status, body, _) = await SendAsync(HttpMethod.Post, Prefix + "/validate", "{\n  \"policies\": {,\n}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var syntax = Assert.Single(body["errors"]!.AsArray())!;
        Assert.Equal(2, syntax["line"]!.GetValue<int>());

        (status, body, _) = await SendAsync(HttpMethod.Post, Prefix + "/validate", TestRules.Document);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.True(body["valid"]!.GetValue<bool>());
        Assert.Equal(5, body["rules"]!.GetValue<int>());
    }

    [Fact]
    public async Task Put_stores_a_new_version_that_becomes_active_and_is_listed()
    {
        var (_, before, _) = await SendAsync(HttpMethod.Get, Prefix);
        var previous = before["version"]!.GetValue<int>();
        var text = TestRules.WithOrderTemplate("order-thanks-put");

        var (status, created, response) = await SendAsync(HttpMethod.Put, Prefix + "?comment=new%20template", text, author: "marketer@example.com");

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(previous + 1, created["version"]!.GetValue<int>());
        Assert.Equal($"\"{previous + 1}\"", response.Headers.ETag?.ToString());
        var (_, active, _) = await SendAsync(HttpMethod.Get, Prefix);
        Assert.Equal(previous + 1, active["version"]!.GetValue<int>());
        Assert.Equal("stored", active["source"]!.GetValue<string>());
        Assert.Equal("marketer@example.com", active["author"]!.GetValue<string>());
        Assert.Equal("new template", active["comment"]!.GetValue<string>());
        Assert.Equal(text, active["text"]!.GetValue<string>());
        Assert.Equal("order-thanks-put", active["document"]!["rules"]![0]!["template"]!.GetValue<string>());

        var (_, versions, _) = await SendAsync(HttpMethod.Get, Prefix + "/versions");
        Assert.Equal(previous + 1, versions["active"]!.GetValue<int>());
        var listed = versions["versions"]!.AsArray().Select(v => v!["version"]!.GetValue<int>()).ToArray();
        Assert.Equal(previous + 1, listed[0]);
        Assert.Equal(listed.OrderDescending(), listed);
        Assert.Contains(previous, listed);

        // Refused: invalid (every error, nothing stored), without an author, or on a stale If-Match.
        (status, var invalid, _) = await SendAsync(HttpMethod.Put, Prefix, text.Replace("\"priority\": 80", "\"priority\": -1", StringComparison.Ordinal), author: "m");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.NotEmpty(invalid["errors"]!.AsArray());
        (status, _, _) = await SendAsync(HttpMethod.Put, Prefix, text);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, var stale, _) = await SendAsync(HttpMethod.Put, Prefix, text, author: "m", ifMatch: $"\"{previous}\"");
        Assert.Equal(HttpStatusCode.PreconditionFailed, status);
        Assert.Equal("precondition_failed", stale["error"]!.GetValue<string>());
        (status, _, _) = await SendAsync(HttpMethod.Put, Prefix, text, author: "m", ifMatch: "\"default\"");
        Assert.Equal(HttpStatusCode.PreconditionFailed, status);
        (_, active, _) = await SendAsync(HttpMethod.Get, Prefix);
        Assert.Equal(previous + 1, active["version"]!.GetValue<int>());

        // On the current If-Match it goes through.
        (status, _, _) = await SendAsync(HttpMethod.Put, Prefix, TestRules.Document, author: "m", ifMatch: $"\"{previous + 1}\"");
        Assert.Equal(HttpStatusCode.Created, status);
    }

    [Fact]
    public async Task Rollback_makes_an_old_version_active_again_as_a_new_version()
    {
        var a = await fixture.PutRulesAsync(TestRules.WithOrderTemplate("template-a"), comment: "a");
        await fixture.PutRulesAsync(TestRules.WithOrderTemplate("template-b"), comment: "b");
        var k = a["version"]!.GetValue<int>();

        var (status, rolled, _) = await SendAsync(HttpMethod.Post, $"{Prefix}/rollback/{k}", author: "ops@example.com");

        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(k + 2, rolled["version"]!.GetValue<int>());
        Assert.Equal($"rollback to v{k}", rolled["comment"]!.GetValue<string>());
        Assert.Equal(k, rolled["rolledBackFrom"]!.GetValue<int>());
        var (_, active, _) = await SendAsync(HttpMethod.Get, Prefix);
        Assert.Equal(k + 2, active["version"]!.GetValue<int>());
        Assert.Equal(a["text"]!.GetValue<string>(), active["text"]!.GetValue<string>());
        // The rolled-back rules are in force at once on this instance.
        var ivy = new Shopper(fixture, "rollback");
        await fixture.IngestAndEvaluateAsync(ivy.Identify(), ivy.Order(30m));
        Assert.Equal("template-a", Assert.Single(await fixture.PeekAsync(Queues.CommunicationsHigh), m => m.CustomerId == ivy.CustomerId).Template);

        (status, var missing, _) = await SendAsync(HttpMethod.Post, $"{Prefix}/rollback/99999", author: "ops");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("not_found", missing["error"]!.GetValue<string>());
    }

    [Fact]
    public async Task Any_version_can_be_read_and_compared_with_another_before_rolling_back()
    {
        var a = await fixture.PutRulesAsync(TestRules.WithOrderTemplate("template-a"), comment: "a");
        var b = await fixture.PutRulesAsync(TestRules.WithOrderTemplate("template-b"), comment: "b");
        var (va, vb) = (a["version"]!.GetValue<int>(), b["version"]!.GetValue<int>());

        var (status, old, _) = await SendAsync(HttpMethod.Get, $"{Prefix}/versions/{va}");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(va, old["version"]!.GetValue<int>());
        Assert.Equal("a", old["comment"]!.GetValue<string>());
        Assert.Equal(a["text"]!.GetValue<string>(), old["text"]!.GetValue<string>());

        (status, var diff, _) = await SendAsync(HttpMethod.Get, $"{Prefix}/versions/{va}/diff/{vb}");
        Assert.Equal(HttpStatusCode.OK, status);
        var changed = diff["lines"]!.AsArray().Where(l => l!["op"]!.GetValue<string>() != "=").Select(l => (l!["op"]!.GetValue<string>(), l["text"]!.GetValue<string>())).ToArray();
        Assert.Equal(1, diff["added"]!.GetValue<int>());
        Assert.Equal(1, diff["removed"]!.GetValue<int>());
        Assert.Contains(changed, c => c.Item1 == "-" && c.Item2.Contains("template-a", StringComparison.Ordinal));
        Assert.Contains(changed, c => c.Item1 == "+" && c.Item2.Contains("template-b", StringComparison.Ordinal));
        Assert.Contains("- ", diff["text"]!.GetValue<string>(), StringComparison.Ordinal);

        // Version 0 is the shipped default; a version never stored is a 404.
        (status, var shipped, _) = await SendAsync(HttpMethod.Get, $"{Prefix}/versions/0");
        Assert.Equal((HttpStatusCode.OK, "default"), (status, shipped["source"]!.GetValue<string>()));
        (status, _, _) = await SendAsync(HttpMethod.Get, $"{Prefix}/versions/0/diff/{vb}");
        Assert.Equal(HttpStatusCode.OK, status);
        (status, _, _) = await SendAsync(HttpMethod.Get, $"{Prefix}/versions/99999");
        Assert.Equal(HttpStatusCode.NotFound, status);
        (status, _, _) = await SendAsync(HttpMethod.Get, $"{Prefix}/versions/{va}/diff/99999");
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Fact]
    public async Task Stats_of_every_active_rule_come_in_one_call_equal_to_each_rules_own()
    {
        var shopper = new Shopper(fixture, "allstats");
        await fixture.IngestAndEvaluateAsync(shopper.Identify(), shopper.Track("Signed Up"), shopper.Order(40m));
        var day = DateOnly.FromDateTime(fixture.Clock.GetUtcNow().UtcDateTime).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        var (status, all, _) = await SendAsync(HttpMethod.Get, $"{Prefix}/stats?from={day}&to={day}");

        Assert.Equal(HttpStatusCode.OK, status);
        var (_, active, _) = await SendAsync(HttpMethod.Get, Prefix);
        var ids = active["document"]!["rules"]!.AsArray().Select(r => r!["id"]!.GetValue<string>()).ToArray();
        Assert.Equal(ids, all["rules"]!.AsArray().Select(r => r!["ruleId"]!.GetValue<string>()));
        foreach (var rule in all["rules"]!.AsArray())
        {
            var (_, own, _) = await SendAsync(HttpMethod.Get, $"{Prefix}/{rule!["ruleId"]!.GetValue<string>()}/stats?from={day}&to={day}");
            Assert.Equal(own["totals"]!.ToJsonString(), rule["totals"]!.ToJsonString());
        }
        Assert.Contains(all["rules"]!.AsArray(), r => r!["totals"]!["evaluated"]!.GetValue<long>() > 0);
        (status, _, _) = await SendAsync(HttpMethod.Get, $"{Prefix}/stats?from=2030-02-01&to=2030-01-01");
        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Fact]
    public async Task A_paused_rule_decides_nothing_until_it_is_resumed_each_a_version_with_its_reason()
    {
        (HttpStatusCode, JsonObject) Pair((HttpStatusCode Status, JsonObject Body, HttpResponseMessage Response) r) => (r.Status, r.Body);
        var (status, pausedVersion) = Pair(await SendAsync(HttpMethod.Post, $"{Prefix}/welcome/pause?reason=copy%20under%20legal%20review", author: "dana@marketing"));
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal("pause welcome: copy under legal review", pausedVersion["comment"]!.GetValue<string>());
        Assert.True(pausedVersion["document"]!["rules"]!.AsArray().Single(r => r!["id"]!.GetValue<string>() == "welcome")!["paused"]!.GetValue<bool>());
        // Every other rule goes on: the order confirmation still goes out.
        var ann = new Shopper(fixture, "paused");
        await fixture.IngestAndEvaluateAsync(ann.Identify(), ann.Track("Signed Up"), ann.Order(30m));
        var ledger = await fixture.LedgerAsync(ann.CustomerId);
        Assert.DoesNotContain(ledger, d => d["ruleId"]!.GetValue<string>() == "welcome");
        Assert.NotEmpty(ledger);

        Assert.Equal(HttpStatusCode.Conflict, (await SendAsync(HttpMethod.Post, $"{Prefix}/welcome/pause?reason=again", author: "dana")).Status);
        (status, var resumed) = Pair(await SendAsync(HttpMethod.Post, $"{Prefix}/welcome/resume?reason=approved", author: "dana@marketing"));
        Assert.Equal(HttpStatusCode.Created, status);
        Assert.Equal(pausedVersion["version"]!.GetValue<int>() + 1, resumed["version"]!.GetValue<int>());
        Assert.Null(resumed["document"]!["rules"]!.AsArray().Single(r => r!["id"]!.GetValue<string>() == "welcome")!["paused"]);
        var bob = new Shopper(fixture, "resumed");
        await fixture.IngestAndEvaluateAsync(bob.Identify(), bob.Track("Signed Up"));
        Assert.Contains(await fixture.LedgerAsync(bob.CustomerId), d => d["ruleId"]!.GetValue<string>() == "welcome");

        // Who and why are required; a rule the active document lacks is a 404.
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Post, $"{Prefix}/welcome/pause?reason=x")).Status);
        Assert.Equal(HttpStatusCode.BadRequest, (await SendAsync(HttpMethod.Post, $"{Prefix}/welcome/pause", author: "dana")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await SendAsync(HttpMethod.Post, $"{Prefix}/no-such-rule/pause?reason=x", author: "dana")).Status);
    }

    [Fact]
    public async Task Preview_shows_what_would_be_queued_and_suppressed_and_why_without_queuing_or_storing()
    {
        var jo = new Shopper(fixture, "preview");
        await fixture.IngestAsync(jo.Identify(), jo.ProductAdded()); // ingested, not evaluated
        var proposed = TestRules.WithOrderTemplate("order-thanks-proposed");
        var request = new JsonObject
        {
            ["document"] = proposed,
            ["customerIds"] = new JsonArray(jo.CustomerId, "c-nobody"),
        };

        var (status, body, _) = await SendAsync(HttpMethod.Post, Prefix + "/preview", request.ToJsonString());

        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        Assert.Equal("proposed", body["rulesVersion"]!.GetValue<string>());
        var customers = body["customers"]!.AsArray();
        var preview = customers.Single(c => c!["customerId"]!.GetValue<string>() == jo.CustomerId)!;
        var decisions = preview["decisions"]!.AsArray().Select(d => d!.AsObject()).ToDictionary(d => d["ruleId"]!.GetValue<string>());
        Assert.Equal("queued", decisions["order-thanks"]["outcome"]!.GetValue<string>());
        Assert.Equal("order-thanks-proposed", decisions["order-thanks"]["template"]!.GetValue<string>());
        Assert.Equal("queued", decisions["cart-reminder"]["outcome"]!.GetValue<string>());
        var alert = decisions["big-order-alert"];
        Assert.Equal("suppressed", alert["outcome"]!.GetValue<string>());
        Assert.Equal("audience", alert["suppressedBecause"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(alert["explanation"]!.GetValue<string>()));
        Assert.Contains(preview["communications"]!.AsArray(), m => m!["template"]!.GetValue<string>() == "order-thanks-proposed");
        Assert.Equal("no such customer", customers.Single(c => c!["customerId"]!.GetValue<string>() == "c-nobody")!["note"]!.GetValue<string>());
        Assert.True(body["summary"]!["queued"]!.GetValue<int>() >= 2);
        Assert.Equal(1, body["summary"]!["suppressedBy"]!["audience"]!.GetValue<int>());

        // Nothing was queued, recorded or remembered.
        foreach (var queue in Queues.Messages) Assert.Equal(0, await fixture.CountAsync(queue));
        Assert.Empty(await fixture.LedgerAsync(jo.CustomerId));
        Assert.Null(await fixture.ReadAsync("communications", "state", jo.CustomerId));

        // The active rules when no document is proposed; an invalid proposal is refused with its errors.
        (status, body, _) = await SendAsync(HttpMethod.Post, Prefix + "/preview", new JsonObject { ["customerIds"] = new JsonArray(jo.CustomerId) }.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Matches("^v[0-9]+$", body["rulesVersion"]!.GetValue<string>());
        (status, body, _) = await SendAsync(HttpMethod.Post, Prefix + "/preview",
            new JsonObject { ["document"] = "{\"rules\": 1}", ["customerIds"] = new JsonArray(jo.CustomerId) }.ToJsonString());
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.NotEmpty(body["errors"]!.AsArray());
        (status, _, _) = await SendAsync(HttpMethod.Post, Prefix + "/preview", "{}");
        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Fact]
    public async Task Preview_of_a_random_sample_sizes_each_rules_audience_and_says_why_not()
    {
        // Twelve new sign-ups: the welcome rule's audience, whatever else the collection's tests stored.
        var shoppers = Enumerable.Range(0, 12).Select(_ => new Shopper(fixture, "sample")).ToArray();
        await fixture.IngestAndEvaluateAsync([.. shoppers.SelectMany(s => new[] { s.Identify(), s.Track("Signed Up") })]);
        var live = await fixture.LiveCustomerIdsAsync();

        // A sample larger than the population is all of it, counted exactly.
        var (status, body, _) = await SendAsync(HttpMethod.Post, Prefix + "/preview", $$"""{"sample": {{RulesAdminEndpoints.MaxSample}}}""");
        Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
        var audience = body["audience"]!.AsObject();
        Assert.True(audience["exact"]!.GetValue<bool>());
        Assert.Equal(live.Count, audience["population"]!.GetValue<long>());
        Assert.Equal(live.Count, audience["sampled"]!.GetValue<int>());
        var rules = audience["rules"]!.AsArray().Select(r => r!.AsObject()).ToDictionary(r => r["ruleId"]!.GetValue<string>());
        Assert.Equal(5, rules.Count);
        foreach (var rule in rules.Values)
        {
            // Every selected customer is accounted for: sent (now or later), held out, or suppressed with a reason.
            var selected = rule["selected"]!.GetValue<int>();
            Assert.Equal(selected, rule["wouldReceive"]!.GetValue<int>() + rule["heldOut"]!.GetValue<int>() + rule["suppressed"]!.GetValue<int>());
            Assert.Equal(rule["suppressed"]!.GetValue<int>(), rule["suppressedBy"]!.AsObject().Sum(r => r.Value!.GetValue<int>()));
            Assert.Equal(selected, rule["estimatedSelected"]!.GetValue<long>());
        }
        Assert.True(rules["welcome"]["selected"]!.GetValue<int>() >= shoppers.Length, rules["welcome"].ToJsonString());
        // Examples are customers something would happen to, at most 25 of them.
        var examples = body["customers"]!.AsArray();
        Assert.InRange(examples.Count, 1, RulesAdminEndpoints.MaxExamples);
        Assert.All(examples, c => Assert.NotEmpty(c!["decisions"]!.AsArray()));

        // A smaller sample: drawn at random (the seed is named and draws it again), scaled to the estimated population.
        (status, body, _) = await SendAsync(HttpMethod.Post, Prefix + "/preview", """{"sample": 5, "seed": 7}""");
        Assert.Equal(HttpStatusCode.OK, status);
        audience = body["audience"]!.AsObject();
        Assert.Equal((7, 5, false), (audience["seed"]!.GetValue<int>(), audience["sampled"]!.GetValue<int>(), audience["exact"]!.GetValue<bool>()));
        Assert.Contains("random sample of 5", body["note"]!.GetValue<string>(), StringComparison.Ordinal);
        var (_, again, _) = await SendAsync(HttpMethod.Post, Prefix + "/preview", """{"sample": 5, "seed": 7}""");
        Assert.Equal(audience.ToJsonString(), again["audience"]!.ToJsonString());
        var seeds = new HashSet<string>(StringComparer.Ordinal);
        for (var seed = 1; seed <= 6; seed++)
        {
            var (_, other, _) = await SendAsync(HttpMethod.Post, Prefix + "/preview", $$"""{"sample": 5, "seed": {{seed}}}""");
            seeds.Add(other["audience"]!["population"]!.ToJsonString());
        }
        Assert.True(seeds.Count > 1, "six seeds drew the same sample");

        (status, _, _) = await SendAsync(HttpMethod.Post, Prefix + "/preview", $$"""{"sample": {{RulesAdminEndpoints.MaxSample + 1}}}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Fact]
    public async Task Stats_count_decisions_and_conversions_per_day_with_the_uplift_of_treated_over_held_out()
    {
        var day = DateOnly.FromDateTime(fixture.Clock.GetUtcNow().UtcDateTime).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var (_, before, _) = await SendAsync(HttpMethod.Get, $"{Prefix}/welcome/stats?from={day}&to={day}");
        var shoppers = Enumerable.Range(0, 12).Select(_ => new Shopper(fixture, "stats")).ToArray();
        var batch = shoppers.SelectMany(s => new[] { s.Identify(), s.Track("Signed Up") }).ToArray();
        await fixture.IngestAndEvaluateAsync(batch);
        // Who was treated and who held out (50%, by a stable hash of customer and rule).
        var outcomes = new Dictionary<Shopper, string>();
        foreach (var s in shoppers)
            outcomes[s] = Assert.Single(await fixture.LedgerAsync(s.CustomerId), d => d["ruleId"]!.GetValue<string>() == "welcome")["outcome"]!.GetValue<string>();
        Assert.Contains("queued", outcomes.Values);
        Assert.Contains("heldOut", outcomes.Values);
        // Every treated customer and one held-out customer order.
        var buyers = shoppers.Where(s => outcomes[s] == "queued").Append(shoppers.First(s => outcomes[s] == "heldOut")).ToArray();
        await fixture.IngestAndEvaluateAsync([.. buyers.Select(b => b.Order(40m))]);

        var (status, stats, _) = await SendAsync(HttpMethod.Get, $"{Prefix}/welcome/stats?from={day}&to={day}");

        Assert.Equal(HttpStatusCode.OK, status);
        long Delta(string name) => stats["totals"]![name]!.GetValue<long>() - before["totals"]![name]!.GetValue<long>();
        var treated = outcomes.Values.Count(o => o == "queued");
        var heldOut = outcomes.Values.Count(o => o == "heldOut");
        Assert.Equal(12, Delta("evaluated"));
        Assert.Equal(treated, Delta("queued"));
        Assert.Equal(heldOut, Delta("heldOut"));
        Assert.Equal(treated, Delta("convertedTreated"));
        Assert.Equal(1, Delta("convertedHoldout"));
        var today = Assert.Single(stats["days"]!.AsArray())!;
        Assert.Equal(day, today["day"]!.GetValue<string>());
        Assert.Equal(stats["totals"]!["queued"]!.GetValue<long>(), today["queued"]!.GetValue<long>());
        var uplift = stats["uplift"]!;
        var treatedRate = uplift["treatedRate"]!.GetValue<double>();
        var holdoutRate = uplift["holdoutRate"]!.GetValue<double>();
        Assert.Equal((double)stats["totals"]!["convertedTreated"]!.GetValue<long>() / uplift["treated"]!.GetValue<long>(), treatedRate, 6);
        Assert.Equal(treatedRate - holdoutRate, uplift["absolute"]!.GetValue<double>(), 6);
        Assert.Equal((treatedRate - holdoutRate) / holdoutRate, uplift["relative"]!.GetValue<double>(), 6);
        Assert.True(uplift["lowSample"]!.GetValue<bool>());
        Assert.Contains("low sample", uplift["caveat"]!.GetValue<string>(), StringComparison.Ordinal);

        // A range of days lists every day, empty ones too; a bad range is refused.
        var (_, week, _) = await SendAsync(HttpMethod.Get, $"{Prefix}/welcome/stats?to={day}");
        Assert.Equal(30, week["days"]!.AsArray().Count);
        (status, _, _) = await SendAsync(HttpMethod.Get, $"{Prefix}/welcome/stats?from=2030-02-01&to=2030-01-01");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        (status, _, _) = await SendAsync(HttpMethod.Get, $"{Prefix}/welcome/stats?from=yesterday");
        Assert.Equal(HttpStatusCode.BadRequest, status);
    }

    [Fact]
    public void Without_a_stored_version_the_shipped_default_is_in_force()
    {
        // Read by the fixture before any test stored a version.
        var initial = fixture.InitialRules;

        Assert.Equal("default", initial["source"]!.GetValue<string>());
        Assert.Null(initial["version"]);
        Assert.Equal(Touchpoints.Core.Rules.DefaultRules.Json, initial["text"]!.GetValue<string>());
        Assert.NotEmpty(initial["document"]!["rules"]!.AsArray());
    }
}
