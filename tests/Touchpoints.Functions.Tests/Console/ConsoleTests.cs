using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Touchpoints.Functions.Console;
using Touchpoints.Functions.Tests.Rules;

namespace Touchpoints.Functions.Tests.Console;

/// <summary>The console's pages and their roles through the handler, against the emulators; people as App Service presents them.</summary>
[Collection(RulesCollection.Name)]
public sealed class ConsoleTests(RulesFixture fixture)
{
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, string? role, IDictionary<string, string>? form = null,
        string? origin = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (role is not null) request.Headers.Add(ConsoleUser.PrincipalHeader, ConsoleUser.Principal("Sam Agent", role));
        if (form is not null) request.Content = new FormUrlEncodedContent(form);
        if (origin is not null) request.Headers.Add("Origin", origin);
        return await fixture.Http.SendAsync(request);
    }

    private async Task<Shopper> KnownCustomerAsync()
    {
        var ann = new Shopper(fixture, "console");
        await fixture.IngestAndEvaluateAsync(ann.Identify(), ann.ProductViewed());
        return ann;
    }

    [Fact]
    public async Task An_agent_finds_a_customer_by_email_and_reads_the_360_with_a_tab_per_touch_point()
    {
        var ann = await KnownCustomerAsync();

        using var found = await SendAsync(HttpMethod.Post, "/api/console/find", "agent", new Dictionary<string, string> { ["q"] = "  " + ann.Email.ToUpperInvariant() });
        Assert.Equal(HttpStatusCode.Redirect, found.StatusCode);
        Assert.Equal($"/api/console/customers/{ann.CustomerId}", found.Headers.Location!.OriginalString);

        using var page = await SendAsync(HttpMethod.Get, $"/api/console/customers/{ann.CustomerId}?tab=web", "agent");
        var html = await page.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("Ann Example", html, StringComparison.Ordinal);
        Assert.Contains(ann.Email, html, StringComparison.Ordinal);
        foreach (var tab in new[] { "web", "email", "social", "phone", "mail", "inPerson", "sales", "support", "billing" })
            Assert.Contains($"?tab={tab}\"", html, StringComparison.Ordinal);
        Assert.Contains("aria-current=\"page\"", html, StringComparison.Ordinal);
        Assert.Contains("Viewed product Two-person tent", html, StringComparison.Ordinal); // the web journal
        Assert.Contains("What marketing sent or held back recently, and why", html, StringComparison.Ordinal);
        // The search went in the body: the address holds the customer's pseudonymous id only.
        Assert.DoesNotContain("@", found.Headers.Location.OriginalString, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_identifier_is_a_clear_not_found_and_nobody_signed_in_gets_nothing()
    {
        using var missing = await SendAsync(HttpMethod.Post, "/api/console/find", "agent", new Dictionary<string, string> { ["q"] = "nobody-" + Guid.NewGuid().ToString("N") + "@example.com" });
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("No customer is known by", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // Nobody signed in is sent to Entra ID's sign-in (App Service authentication), and back to the console after.
        const string SignIn = "/.auth/login/aad?post_login_redirect_uri=%2Fapi%2Fconsole";
        using var anonymous = await SendAsync(HttpMethod.Get, "/api/console", role: null);
        Assert.Equal(HttpStatusCode.Redirect, anonymous.StatusCode);
        Assert.Equal(SignIn, anonymous.Headers.Location!.OriginalString);
        using var anonymousFind = await SendAsync(HttpMethod.Post, "/api/console/find", role: null, new Dictionary<string, string> { ["q"] = "x@example.com" });
        Assert.Equal(SignIn, anonymousFind.Headers.Location!.OriginalString);
        // Signed in, but with no console role: not a console user.
        using var noRole = await SendAsync(HttpMethod.Get, "/api/console", role: "reader");
        Assert.Equal(SignIn, noRole.Headers.Location!.OriginalString);
    }

    [Fact]
    public async Task The_api_refuses_an_agent_who_publishes_rules_and_lets_a_marketer()
    {
        // The tests' own document (the one the collection's other tests put), published again with a comment.
        var form = new Dictionary<string, string> { ["document"] = TestRules.Document, ["comment"] = "from the console" };

        using var agent = await SendAsync(HttpMethod.Post, "/api/console/rules", "agent", form);
        Assert.Equal(HttpStatusCode.Forbidden, agent.StatusCode);
        Assert.Contains("needs the marketer role", await agent.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var marketer = await SendAsync(HttpMethod.Post, "/api/console/rules", "marketer", form);
        Assert.Equal(HttpStatusCode.Created, marketer.StatusCode);
        var active = (await fixture.Http.GetFromJsonAsync<JsonObject>("/api/manage/rules"))!;
        Assert.Equal("from the console", (string?)active["comment"]);

        using var broken = await SendAsync(HttpMethod.Post, "/api/console/rules", "admin", new Dictionary<string, string> { ["document"] = "{ \"rules\": 1 }" });
        Assert.Equal(HttpStatusCode.BadRequest, broken.StatusCode);
    }

    [Fact]
    public async Task The_statistics_are_drawn_for_a_marketer_and_refused_to_an_agent()
    {
        using var agent = await SendAsync(HttpMethod.Get, "/api/console/stats", "agent");
        Assert.Equal(HttpStatusCode.Forbidden, agent.StatusCode);

        using var marketer = await SendAsync(HttpMethod.Get, "/api/console/stats", "marketer");
        var html = await marketer.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, marketer.StatusCode);
        Assert.Contains("<svg role=\"img\"", html, StringComparison.Ordinal);
        Assert.Contains("Decisions per rule", html, StringComparison.Ordinal);

        using var one = await SendAsync(HttpMethod.Get, "/api/console/stats?rule=order-thanks", "marketer");
        Assert.Contains("Messages per day, order-thanks", await one.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_workbench_shows_each_problem_at_its_line_the_changes_publishes_and_rolls_back()
    {
        using var page = await SendAsync(HttpMethod.Get, "/api/console/rules", "marketer");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Rules workbench", await page.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        // A typo in a setting's name.
        var broken = TestRules.Document.Replace("\"defaultTimezone\"", "\"defaultTimezon\"", StringComparison.Ordinal);
        var line = broken[..broken.IndexOf("\"defaultTimezon\"", StringComparison.Ordinal)].Count(c => c == '\n') + 1;
        using var check = await SendAsync(HttpMethod.Post, "/api/console/rules/check", "marketer", new Dictionary<string, string> { ["document"] = broken });
        var checkedHtml = await check.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, check.StatusCode);
        Assert.True(checkedHtml.Contains($"Line {line}, column", StringComparison.Ordinal), checkedHtml[checkedHtml.IndexOf("<main", StringComparison.Ordinal)..][..1500]);
        Assert.Contains("defaultTimezon", checkedHtml, StringComparison.Ordinal);

        using var diff = await SendAsync(HttpMethod.Post, "/api/console/rules/diff", "marketer", new Dictionary<string, string> { ["document"] = TestRules.Document + " " });
        Assert.Contains("Changes against the active version", await diff.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var preview = await SendAsync(HttpMethod.Post, "/api/console/rules/preview", "marketer", new Dictionary<string, string> { ["document"] = TestRules.Document });
        var previewHtml = await preview.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, preview.StatusCode);
        Assert.Contains("Preview on a sample: who would receive what", previewHtml, StringComparison.Ordinal);
        Assert.Contains("live customer", previewHtml, StringComparison.Ordinal);

        using var published = await SendAsync(HttpMethod.Post, "/api/console/rules", "marketer",
            new Dictionary<string, string> { ["document"] = TestRules.Document, ["comment"] = "workbench" });
        Assert.Equal(HttpStatusCode.Created, published.StatusCode);
        var version = (int)(await fixture.Http.GetFromJsonAsync<JsonObject>("/api/manage/rules"))!["version"]!;
        using var rolledBack = await SendAsync(HttpMethod.Post, $"/api/console/rules/rollback/{version}", "marketer", new Dictionary<string, string>());
        var rolledBackHtml = await rolledBack.Content.ReadAsStringAsync();
        Assert.True(rolledBackHtml.Contains($"Rolled back: v{version}&#x27;s content is active as version {version + 1}", StringComparison.Ordinal), rolledBackHtml[rolledBackHtml.IndexOf("<main", StringComparison.Ordinal)..][..800]);
        using var agent = await SendAsync(HttpMethod.Post, $"/api/console/rules/rollback/{version}", "agent", new Dictionary<string, string>());
        Assert.Equal(HttpStatusCode.Forbidden, agent.StatusCode);
    }

    [Fact]
    public async Task Only_an_admin_exports_or_erases_a_person_and_the_erasure_comes_with_its_receipt()
    {
        var ann = await KnownCustomerAsync();
        var export = new Dictionary<string, string> { ["identifier"] = ann.Email, ["operation"] = "export" };
        foreach (var role in new[] { "agent", "marketer" })
        {
            using var refused = await SendAsync(HttpMethod.Post, "/api/console/privacy", role, export);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        using var exported = await SendAsync(HttpMethod.Post, "/api/console/privacy", "admin", export);
        var html = await exported.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, exported.StatusCode);
        Assert.Contains("Everything held about the person", html, StringComparison.Ordinal);
        Assert.Contains(ann.CustomerId, html, StringComparison.Ordinal);

        using var erased = await SendAsync(HttpMethod.Post, "/api/console/privacy", "admin", new Dictionary<string, string> { ["identifier"] = ann.Email, ["operation"] = "erase" });
        var receipt = await erased.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.Accepted, erased.StatusCode);
        Assert.Contains("Erasure receipt", receipt, StringComparison.Ordinal);
        var id = System.Text.RegularExpressions.Regex.Match(receipt, "/api/console/privacy/erasures/([^\"]+)\"").Groups[1].Value;
        using var status = await SendAsync(HttpMethod.Get, "/api/console/privacy/erasures/" + id, "admin");
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
    }

    [Fact]
    public async Task A_rule_changed_in_the_form_lands_in_the_editor_as_a_change_to_review_before_publishing()
    {
        await fixture.PutRulesAsync(TestRules.Document);
        using var page = await SendAsync(HttpMethod.Get, "/api/console/rules?rule=order-thanks", "marketer");
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("Put the change in the editor", html, StringComparison.Ordinal);
        Assert.Contains("value=\"80\"", html, StringComparison.Ordinal); // its priority, filled in

        using var changed = await SendAsync(HttpMethod.Post, "/api/console/rules/form", "marketer", new Dictionary<string, string>
        {
            ["rule"] = "order-thanks", ["priority"] = "85", ["channel"] = "email", ["holdout"] = "10", ["cooldown"] = "1d", ["paused"] = "true",
        });
        var edited = await changed.Content.ReadAsStringAsync();
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        Assert.Contains("The change is in the editor", edited, StringComparison.Ordinal);
        Assert.Contains("Changes against the active version", edited, StringComparison.Ordinal);
        var form = RuleForm.Read(System.Net.WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(edited, "<textarea[^>]*>([^<]*)</textarea>").Groups[1].Value), "order-thanks")!;
        Assert.Equal(new RuleForm("order-thanks", true, 85, "email", 10, "1d"), form);
        // Quiet hours and caps, the same way.
        using var limits = await SendAsync(HttpMethod.Post, "/api/console/rules/policies", "marketer", new Dictionary<string, string>
        {
            ["quietStart"] = "20:00", ["quietEnd"] = "09:00", ["cap0"] = "4",
        });
        var limited = await limits.Content.ReadAsStringAsync();
        Assert.Contains("The change is in the editor", limited, StringComparison.Ordinal);
        var policies = PoliciesForm.Read(System.Net.WebUtility.HtmlDecode(System.Text.RegularExpressions.Regex.Match(limited, "<textarea[^>]*>([^<]*)</textarea>").Groups[1].Value))!;
        Assert.Equal(("20:00", "09:00", 4), (policies.QuietStart, policies.QuietEnd, policies.Caps[0].Max));
        // Nothing is published until the marketer publishes.
        Assert.DoesNotContain("\"paused\"", (string)(await fixture.Http.GetFromJsonAsync<JsonObject>("/api/manage/rules"))!["text"]!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_form_posted_from_another_site_is_refused()
    {
        using var response = await SendAsync(HttpMethod.Post, "/api/console/find", "agent", new Dictionary<string, string> { ["q"] = "ann@example.com" },
            origin: "https://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);

        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/console/find") { Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["q"] = "ann@example.com" }) };
        request.Headers.Add(ConsoleUser.PrincipalHeader, ConsoleUser.Principal("Sam Agent", "agent"));
        request.Headers.Add("Sec-Fetch-Site", "cross-site");
        using var crossSite = await fixture.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Forbidden, crossSite.StatusCode);
    }

    [Fact]
    public async Task A_merged_away_id_leads_to_its_survivor_and_an_admin_can_separate_it_again()
    {
        var ann = await KnownCustomerAsync();
        // An anonymous visit, then the same browser identifies: the anonymous profile is merged into ann's.
        var anonymous = "anon-" + Guid.NewGuid().ToString("N")[..10];
        var visit = $$"""{"type":"page","messageId":"p-{{anonymous}}","anonymousId":"{{anonymous}}","properties":{"path":"/"},"timestamp":"{{RulesFixture.Iso(fixture.Clock.GetUtcNow())}}"}""";
        await fixture.IngestAndEvaluateAsync(visit);
        var visitor = Touchpoints.Core.Identity.IdentityResolver.NewCustomerId(Touchpoints.Core.Identity.Identifier.TryParseKey("anonymousId:" + anonymous)!);
        var join = $$"""{"type":"identify","messageId":"j-{{anonymous}}","anonymousId":"{{anonymous}}","userId":"{{ann.UserId}}","timestamp":"{{RulesFixture.Iso(fixture.Clock.GetUtcNow())}}"}""";
        await fixture.IngestAndEvaluateAsync(join);

        var survivor = (string)(await fixture.Http.GetFromJsonAsync<JsonObject>("/api/customers?identity=anonymousId:" + anonymous))!["id"]!;
        var loser = survivor == ann.CustomerId ? visitor.Value : ann.CustomerId;
        Assert.NotEqual(survivor, loser);

        using var page = await SendAsync(HttpMethod.Get, $"/api/console/customers/{loser}?tab=support", "agent");

        Assert.Equal(HttpStatusCode.Redirect, page.StatusCode);
        Assert.Equal($"/api/console/customers/{survivor}?tab=support", page.Headers.Location!.OriginalString);

        // An admin sees the merge on the survivor's 360 and can separate it again; an agent can do neither.
        using var admin360 = await SendAsync(HttpMethod.Get, $"/api/console/customers/{survivor}", "admin");
        Assert.Contains($"Separate {loser} again", await admin360.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var agent360 = await SendAsync(HttpMethod.Get, $"/api/console/customers/{survivor}", "agent");
        Assert.DoesNotContain("Separate ", await agent360.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var unmerge = new Dictionary<string, string> { ["mergedFrom"] = loser };
        using var refused = await SendAsync(HttpMethod.Post, $"/api/console/customers/{survivor}/unmerge", "agent", unmerge);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        using var separated = await SendAsync(HttpMethod.Post, $"/api/console/customers/{survivor}/unmerge", "admin", unmerge);
        var receipt = await separated.Content.ReadAsStringAsync();
        Assert.True(separated.StatusCode == HttpStatusCode.OK, receipt[receipt.IndexOf("<main", StringComparison.Ordinal)..]);
        Assert.Contains("Separated: ", receipt, StringComparison.Ordinal);
    }
}
