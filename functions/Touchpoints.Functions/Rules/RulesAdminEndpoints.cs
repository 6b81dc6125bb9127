using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Azure.Cosmos;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Views;
using Touchpoints.Functions.Storage;

using Touchpoints.Functions.Hosting;

namespace Touchpoints.Functions.Rules;

/// <summary>
/// The rules admin API: pure HTTP functions (<c>authLevel: admin</c>: the host's master key), forwarded by the host to these
/// routes. The routes are under <c>/api/manage/rules</c>, not <c>/api/admin/…</c>: the Functions host refuses a function
/// route that starts with <c>admin</c> ("The specified route conflicts with one or more built in routes").
/// </summary>
public static class RulesAdminEndpoints
{
    public const string Prefix = "/api/manage/rules";

    /// <summary>A rules document larger than this is refused (a version document must stay well within Cosmos DB's 2 MB).</summary>
    public const int MaxDocumentBytes = 512 * 1024;

    public const int MaxPreviewCustomers = 100;
    public const int MaxSample = 1_000;
    /// <summary>Customers shown as examples of a sampled preview.</summary>
    public const int MaxExamples = 25;
    public const int MaxStatsDays = 366;

    private static readonly JsonDocumentOptions Lenient = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    public static IEndpointRouteBuilder MapRulesAdmin(this IEndpointRouteBuilder app)
    {
        app.MapGet(Prefix, GetActiveAsync);
        app.MapPut(Prefix, PutAsync);
        app.MapPost(Prefix + "/validate", ValidateAsync);
        app.MapPost(Prefix + "/preview", PreviewAsync);
        app.MapGet(Prefix + "/versions", VersionsAsync);
        app.MapGet(Prefix + "/versions/{version:int}", VersionAsync);
        app.MapGet(Prefix + "/versions/{from:int}/diff/{to:int}", DiffAsync);
        app.MapGet(Prefix + "/stats", AllStatsAsync);
        app.MapPost(Prefix + "/rollback/{version:int}", RollbackAsync);
        app.MapPost(Prefix + "/{id}/pause", (string id, HttpRequest request, RulesStore store, RulesProvider provider, CancellationToken ct) =>
            PauseAsync(id, paused: true, request, store, provider, ct));
        app.MapPost(Prefix + "/{id}/resume", (string id, HttpRequest request, RulesStore store, RulesProvider provider, CancellationToken ct) =>
            PauseAsync(id, paused: false, request, store, provider, ct));
        app.MapGet(Prefix + "/{id}/stats", StatsAsync);
        app.MapPost(Prefix + "/schedules/run", RunDueNowAsync);
        return app;
    }

    // ------------------------------------------------------------------ schedules

    /// <summary>
    /// Decides what is due now without waiting for the timer's next complete minute (see <see cref="ScheduledRules.RunDueNowAsync"/>):
    /// for an operator after a change of rules or an outage, and for a demo that should not wait a minute.
    /// </summary>
    private static async Task<IResult> RunDueNowAsync(ScheduledRules scheduler, CancellationToken ct)
    {
        try
        {
            var o = await scheduler.RunDueNowAsync(ct).ConfigureAwait(false);
            return Results.Json(new ScheduleRunBody(o.From, o.To, o.Buckets, o.WakeUps, o.Customers, o.Sent, o.Dropped), RulesJsonContext.Default.ScheduleRunBody);
        }
        catch (ConcurrentUpdateException)
        {
            return Error(409, "conflict", "the scheduler moved on while this ran (the timer ran at the same time); run it again");
        }
    }

    // ------------------------------------------------------------------ document and versions

    private static async Task<IResult> GetActiveAsync(HttpContext http, RulesStore store, CancellationToken ct)
    {
        var pointer = await store.ReadPointerAsync(ct).ConfigureAwait(false);
        var version = pointer is null ? null : await store.ReadVersionAsync(pointer.Document.Version, ct).ConfigureAwait(false);
        http.Response.Headers.ETag = ETag(version?.Version);
        return Results.Json(Body(version), RulesJsonContext.Default.ActiveRulesBody);
    }

    private static async Task<IResult> PutAsync(HttpRequest request, RulesStore store, RulesProvider provider, CancellationToken ct)
    {
        if (Author(request) is not { } author) return NoAuthor();
        var text = await ReadTextAsync(request, ct).ConfigureAwait(false);
        if (text is null) return TooLarge();
        if (string.IsNullOrWhiteSpace(text)) return Error(400, "bad_request", "the body must be the rules document (JSON)");
        int? expected = null;
        if (request.Headers.IfMatch.Count > 0)
        {
            if (ParseVersion(request.Headers.IfMatch.ToString()) is not { } v)
                return Error(400, "bad_request", "If-Match must be the ETag of GET " + Prefix + " (a version number, e.g. \"3\", or \"default\")");
            expected = v;
        }
        var (rules, errors) = RulesCompiler.Compile(text, "proposed");
        if (rules is null) return Invalid(errors);
        try
        {
            var saved = await store.SaveAsync(text, author, Comment(request), null, expected, ct).ConfigureAwait(false);
            provider.Invalidate();
            request.HttpContext.Response.Headers.ETag = ETag(saved.Version);
            return Results.Json(Body(saved), RulesJsonContext.Default.ActiveRulesBody, statusCode: StatusCodes.Status201Created);
        }
        catch (RulesVersionMismatchException e)
        {
            return Error(412, "precondition_failed", e.Message);
        }
    }

    private static async Task<IResult> ValidateAsync(HttpRequest request, CancellationToken ct)
    {
        var text = await ReadTextAsync(request, ct).ConfigureAwait(false);
        if (text is null) return TooLarge();
        var (rules, errors) = RulesCompiler.Compile(text, "proposed");
        return rules is null
            ? Invalid(errors)
            : Results.Json(new RulesValidBody(true, rules.Rules.Length, rules.Segments.Length), RulesJsonContext.Default.RulesValidBody);
    }

    private static async Task<IResult> VersionsAsync(RulesStore store, CancellationToken ct)
    {
        var pointer = await store.ReadPointerAsync(ct).ConfigureAwait(false);
        return Results.Json(new RulesVersionsBody(pointer?.Document.Version, RulesStore.Newest(pointer?.Document)), RulesJsonContext.Default.RulesVersionsBody);
    }

    /// <summary>Any version's content, before rolling back to it (0: the shipped default).</summary>
    private static async Task<IResult> VersionAsync(int version, RulesStore store, CancellationToken ct)
    {
        if (version == 0) return Results.Json(Body(null), RulesJsonContext.Default.ActiveRulesBody);
        return await store.ReadVersionAsync(version, ct).ConfigureAwait(false) is { } stored
            ? Results.Json(Body(stored), RulesJsonContext.Default.ActiveRulesBody)
            : Error(404, "not_found", $"no rules version v{version}");
    }

    /// <summary>What changed from version <paramref name="from"/> to <paramref name="to"/>, line by line (0: the shipped default).</summary>
    private static async Task<IResult> DiffAsync(int from, int to, RulesStore store, CancellationToken ct)
    {
        async Task<string?> TextAsync(int version) =>
            version == 0 ? DefaultRules.Json : (await store.ReadVersionAsync(version, ct).ConfigureAwait(false))?.Text;
        if (await TextAsync(from).ConfigureAwait(false) is not { } older) return Error(404, "not_found", $"no rules version v{from}");
        if (await TextAsync(to).ConfigureAwait(false) is not { } newer) return Error(404, "not_found", $"no rules version v{to}");
        return Results.Json(RulesDiff.Of(from, to, older, newer), RulesJsonContext.Default.RulesDiffBody);
    }

    /// <summary>
    /// Pauses (or resumes) one rule of the active document as a new version whose comment is the reason: every other rule
    /// goes on, the change is in the version history like any other, and a rollback undoes it.
    /// </summary>
    private static async Task<IResult> PauseAsync(string id, bool paused, HttpRequest request, RulesStore store, RulesProvider provider, CancellationToken ct)
    {
        if (Author(request) is not { } author) return NoAuthor();
        if ((Comment(request) ?? Clean(request.Query["reason"].ToString())) is not { } reason)
            return Error(400, "bad_request", $"say why the rule is {(paused ? "paused" : "resumed")}: an X-Comment header or ?reason=");
        var pointer = await store.ReadPointerAsync(ct).ConfigureAwait(false);
        var active = pointer is null ? null : await store.ReadVersionAsync(pointer.Document.Version, ct).ConfigureAwait(false);
        if (JsonNode.Parse(active?.Text ?? DefaultRules.Json, documentOptions: Lenient) is not JsonObject document
            || document["rules"] is not JsonArray rules
            || rules.OfType<JsonObject>().FirstOrDefault(r => r["id"] is JsonValue v && v.TryGetValue<string>(out var ruleId) && ruleId == id) is not { } rule)
            return Error(404, "not_found", $"the active rules have no rule '{id}'");
        var now = rule["paused"] is JsonValue p && p.TryGetValue<bool>(out var was) && was;
        if (now == paused) return Error(409, "conflict", $"rule '{id}' is already {(paused ? "paused" : "running")}");
        if (paused) rule["paused"] = true;
        else rule.Remove("paused");
        var text = document.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
        var (compiled, errors) = RulesCompiler.Compile(text, "proposed");
        if (compiled is null) return Invalid(errors, "the active rules no longer validate");
        try
        {
            var saved = await store.SaveAsync(text, author, $"{(paused ? "pause" : "resume")} {id}: {reason}", null, active?.Version ?? 0, ct).ConfigureAwait(false);
            provider.Invalidate();
            request.HttpContext.Response.Headers.ETag = ETag(saved.Version);
            return Results.Json(Body(saved), RulesJsonContext.Default.ActiveRulesBody, statusCode: StatusCodes.Status201Created);
        }
        catch (RulesVersionMismatchException e)
        {
            return Error(412, "precondition_failed", e.Message);
        }
    }

    private static async Task<IResult> RollbackAsync(int version, HttpRequest request, RulesStore store, RulesProvider provider, CancellationToken ct)
    {
        if (Author(request) is not { } author) return NoAuthor();
        if (await store.ReadVersionAsync(version, ct).ConfigureAwait(false) is not { } old) return Error(404, "not_found", $"no rules version v{version}");
        // The compiler may have grown stricter since: a version that no longer validates is not made active again.
        var (rules, errors) = RulesCompiler.Compile(old.Text, "proposed");
        if (rules is null) return Invalid(errors, $"v{version} no longer validates");
        var saved = await store.SaveAsync(old.Text, author, $"rollback to v{version}", version, null, ct).ConfigureAwait(false);
        provider.Invalidate();
        request.HttpContext.Response.Headers.ETag = ETag(saved.Version);
        return Results.Json(Body(saved), RulesJsonContext.Default.ActiveRulesBody, statusCode: StatusCodes.Status201Created);
    }

    // ------------------------------------------------------------------ preview

    /// <summary>
    /// Evaluates a proposed document (or the active one) against named customers, or a sample, with <see cref="Arbiter.Preview"/>:
    /// what would be queued, deferred, suppressed and why. Nothing is queued and nothing stored. A sample is the first
    /// customers with a rule state that a cross-partition query returns.
    /// </summary>
    private static async Task<IResult> PreviewAsync(
        HttpRequest request, RulesProvider provider, CustomerStore customers, RuleStateStore states, TimeProvider clock, CancellationToken ct)
    {
        var text = await ReadTextAsync(request, ct).ConfigureAwait(false);
        if (text is null) return TooLarge();
        PreviewRequest? body;
        try
        {
            body = string.IsNullOrWhiteSpace(text) ? new PreviewRequest(null, null, null) : JsonSerializer.Deserialize(text, RulesJsonContext.Default.PreviewRequest);
        }
        catch (JsonException e)
        {
            return Error(400, "bad_request", "the body must be {document?, customerIds?: [...], sample?: n}: " + e.Message);
        }
        body ??= new PreviewRequest(null, null, null);

        CompiledRules rules;
        if (body.Document is { ValueKind: not (JsonValueKind.Null or JsonValueKind.Undefined) } document)
        {
            // The document as an object, or as a string holding its text (which keeps comments and gives exact lines).
            var source = document.ValueKind == JsonValueKind.String ? document.GetString() ?? "" : document.GetRawText();
            var (compiled, errors) = RulesCompiler.Compile(source, "proposed");
            if (compiled is null) return Invalid(errors);
            rules = compiled;
        }
        else rules = await provider.GetAsync(ct).ConfigureAwait(false);

        var ids = (body.CustomerIds ?? []).Where(id => !string.IsNullOrWhiteSpace(id)).Select(id => new CustomerId(id.Trim())).Distinct().ToList();
        if (ids.Count > MaxPreviewCustomers) return Error(400, "bad_request", $"at most {MaxPreviewCustomers} customerIds");
        string? note = null;
        CustomerSample? sample = null;
        var seed = body.Seed ?? Random.Shared.Next();
        if (ids.Count == 0)
        {
            if (body.Sample is not { } n || n <= 0) return Error(400, "bad_request", "name customerIds, or ask for a sample of n customers");
            if (n > MaxSample) return Error(400, "bad_request", $"a sample holds at most {MaxSample} customers");
            sample = await customers.SampleAsync(n, new Random(seed), ct).ConfigureAwait(false);
            ids = [.. sample.Ids];
            note = sample.Exact
                ? $"every live customer ({ids.Count}): fewer than the {n} asked for"
                : $"a random sample of {ids.Count} live customers (seed {seed}), scaled to about {sample.Population?.ToString(CultureInfo.InvariantCulture) ?? "an unknown number of"} customers";
        }

        return Results.Json(await PreviewOfAsync(rules, ids, sample, seed, note, customers, states, clock, ct).ConfigureAwait(false), RulesJsonContext.Default.PreviewBody);
    }

    /// <summary>
    /// The dry run of <paramref name="rules"/> for <paramref name="ids"/> (a sample's, when <paramref name="sample"/> is given: then
    /// with the audience estimate, and only customers something would happen to as examples). The console shows it too.
    /// </summary>
    public static async Task<PreviewBody> PreviewOfAsync(CompiledRules rules, IReadOnlyList<CustomerId> ids, CustomerSample? sample, int seed, string? note,
        CustomerStore customers, RuleStateStore states, TimeProvider clock, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var previews = await RuleRunner.ForEachAsync(ids, 8, async (id, token) =>
        {
            var view = await customers.ReadCurrentAsync(id, token).ConfigureAwait(false);
            if (view is null) return new PreviewCustomer(id, "no such customer", [], [], [], null);
            var state = (await states.ReadAsync(view.Id, token).ConfigureAwait(false))?.Document ?? RuleState.Empty(view.Id);
            var result = Arbiter.Preview(rules, view, state, now);
            return new PreviewCustomer(view.Id, view.Id == id ? null : $"{id} was merged into {view.Id}", result.Decisions, result.Communications,
                result.SalesAlerts, result.NextWakeUp);
        }, ct).ConfigureAwait(false);

        var decisions = previews.SelectMany(p => p.Decisions).ToArray();
        var summary = new PreviewSummary(
            previews.Count(p => p.Note != "no such customer"),
            decisions.Count(d => d.Outcome == DecisionOutcome.Queued),
            decisions.Count(d => d.Outcome == DecisionOutcome.Deferred),
            decisions.Count(d => d.Outcome == DecisionOutcome.Suppressed),
            decisions.Count(d => d.Outcome == DecisionOutcome.HeldOut),
            SuppressedBy(decisions));
        PreviewAudience? audience = null;
        if (sample is not null)
        {
            audience = Audience(seed, sample, rules, decisions);
            // The answer stays readable at any sample size: examples are customers something would happen to.
            previews = [.. previews.Where(p => p.Decisions.Count > 0).Take(MaxExamples)];
        }
        return new PreviewBody(rules.Version, now, previews, summary, note, audience);
    }

    private static Dictionary<string, int> SuppressedBy(IEnumerable<Decision> decisions) =>
        decisions.Where(d => d.SuppressedBecause is not null).GroupBy(d => Facts.Name(d.SuppressedBecause!.Value))
            .OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>Each rule's decisions over the sample, scaled to the population (a share's 95 % margin: 1.96·√(p(1−p)/n)).</summary>
    private static PreviewAudience Audience(int seed, CustomerSample sample, CompiledRules rules, IReadOnlyList<Decision> decisions)
    {
        var n = sample.Ids.Count;
        var scale = n == 0 || sample.Population is not { } population ? (double?)null : (double)population / n;
        long? Scaled(int count) => scale is { } s ? (long)Math.Round(count * s) : null;
        var byRule = decisions.ToLookup(d => d.RuleId, StringComparer.Ordinal);
        var perRule = rules.Rules.Select(r =>
        {
            var these = byRule[r.Definition.Id].ToArray();
            var receive = these.Count(d => d.Outcome is DecisionOutcome.Queued or DecisionOutcome.Deferred);
            var share = n == 0 ? 0 : (double)receive / n;
            return new RuleAudience(
                r.Definition.Id, r.Definition.Channel?.ToString().ToLowerInvariant(), r.Definition.Paused, these.Length, receive,
                these.Count(d => d.Outcome == DecisionOutcome.Deferred), these.Count(d => d.Outcome == DecisionOutcome.HeldOut),
                these.Count(d => d.Outcome == DecisionOutcome.Suppressed), SuppressedBy(these), Scaled(these.Length), Scaled(receive),
                Math.Round(share, 4), n == 0 ? 0 : Math.Round(1.96 * Math.Sqrt(share * (1 - share) / n), 4));
        }).ToArray();
        return new PreviewAudience(seed, n, sample.Population, sample.Exact, perRule);
    }

    // ------------------------------------------------------------------ stats

    private static async Task<IResult> StatsAsync(string id, string? from, string? to, RuleStatsStore stats, TimeProvider clock, CancellationToken ct)
    {
        if (Days(from, to, clock) is not ({ } first, { } last, null)) return Error(400, "bad_request", Days(from, to, clock).Error!);
        return Results.Json(await StatsOfAsync(id, first, last, stats, ct).ConfigureAwait(false), RulesJsonContext.Default.StatsBody);
    }

    /// <summary>Every active rule's stats in one call: a marketer compares rules side by side (one partition read per rule).</summary>
    private static async Task<IResult> AllStatsAsync(string? from, string? to, RuleStatsStore stats, RulesProvider rules, TimeProvider clock, CancellationToken ct)
    {
        if (Days(from, to, clock) is not ({ } first, { } last, null)) return Error(400, "bad_request", Days(from, to, clock).Error!);
        var active = await rules.GetAsync(ct).ConfigureAwait(false);
        var all = await Task.WhenAll(active.Rules.Select(r => StatsOfAsync(r.Definition.Id, first, last, stats, ct))).ConfigureAwait(false);
        return Results.Json(new AllStatsBody(active.Version, RuleStatsDocument.DayName(first), RuleStatsDocument.DayName(last), all),
            RulesJsonContext.Default.AllStatsBody);
    }

    /// <summary>The range of days asked for (the last 30 by default), or why it cannot be.</summary>
    private static (DateOnly? First, DateOnly? Last, string? Error) Days(string? from, string? to, TimeProvider clock)
    {
        var today = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        if (!TryDay(to, today, out var last)) return (null, null, "to must be a date (yyyy-MM-dd)");
        if (!TryDay(from, last.AddDays(-29), out var first)) return (null, null, "from must be a date (yyyy-MM-dd)");
        if (first > last) return (null, null, "from is after to");
        if (last.DayNumber - first.DayNumber + 1 > MaxStatsDays) return (null, null, $"at most {MaxStatsDays} days at once");
        return (first, last, null);
    }

    /// <summary>One rule's counters per day from <paramref name="first"/> to <paramref name="last"/>, their totals and the uplift (the console draws them).</summary>
    public static async Task<StatsBody> StatsOfAsync(string id, DateOnly first, DateOnly last, RuleStatsStore stats, CancellationToken ct)
    {
        var documents = (await stats.ReadAsync(id, first, last, ct).ConfigureAwait(false)).ToDictionary(d => d.Day, StringComparer.Ordinal);
        var days = new List<StatsDay>();
        var total = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var day = first; day <= last; day = day.AddDays(1))
        {
            var name = RuleStatsDocument.DayName(day);
            var counters = documents.TryGetValue(name, out var d) ? d.Counters : [];
            foreach (var (k, v) in counters) total[k] = total.GetValueOrDefault(k) + v;
            days.Add(StatsDay.Of(name, counters));
        }
        var totals = StatsDay.Of($"{RuleStatsDocument.DayName(first)}..{RuleStatsDocument.DayName(last)}", total);
        return new StatsBody(id, RuleStatsDocument.DayName(first), RuleStatsDocument.DayName(last), days, totals, StatsUplift.Of(totals));
    }

    // ------------------------------------------------------------------ helpers

    private static ActiveRulesBody Body(RulesVersionDocument? version)
    {
        var text = version?.Text ?? DefaultRules.Json;
        JsonNode? document;
        try
        {
            document = JsonNode.Parse(text, documentOptions: Lenient);
        }
        catch (JsonException)
        {
            document = null;
        }
        return version is null
            ? new ActiveRulesBody(null, "default", null, "the shipped default: no version stored yet", null, null, document, text)
            : new ActiveRulesBody(version.Version, "stored", version.Author, version.Comment, version.CreatedAt, version.RolledBackFrom, document, text);
    }

    private static string ETag(int? version) =>
        "\"" + (version is { } v ? v.ToString(CultureInfo.InvariantCulture) : DefaultRules.Version) + "\"";

    private static int? ParseVersion(string value)
    {
        var text = value.Trim();
        if (text.StartsWith("W/", StringComparison.Ordinal)) text = text[2..];
        text = text.Trim('"');
        if (text == DefaultRules.Version) return 0;
        if (text.StartsWith('v')) text = text[1..];
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) ? v : null;
    }

    private static string? Author(HttpRequest request) =>
        Clean(request.Headers["X-Author"].ToString()) ?? Clean(request.Query["author"].ToString());

    private static string? Comment(HttpRequest request) =>
        Clean(request.Headers["X-Comment"].ToString()) ?? Clean(request.Query["comment"].ToString());

    private static string? Clean(string? value)
    {
        var text = value?.Trim();
        return string.IsNullOrEmpty(text) ? null : text.Length > 500 ? text[..500] : text;
    }

    private static bool TryDay(string? text, DateOnly fallback, out DateOnly day)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            day = fallback;
            return true;
        }
        return DateOnly.TryParseExact(text.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out day);
    }

    /// <summary>The body as text; null when it is larger than <see cref="MaxDocumentBytes"/>.</summary>
    private static async Task<string?> ReadTextAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxDocumentBytes) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct).ConfigureAwait(false)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxDocumentBytes) return null;
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    private static IResult Invalid(IReadOnlyList<RuleError> errors, string? message = null) =>
        Results.Json(new RulesInvalidBody("invalid_rules", message ?? $"the rules document has {errors.Count} error{(errors.Count == 1 ? "" : "s")}",
            [.. errors.Select(RuleErrorBody.From)]), RulesJsonContext.Default.RulesInvalidBody, statusCode: StatusCodes.Status400BadRequest);

    private static IResult NoAuthor() => Error(400, "bad_request", "say who makes this change: an X-Author header or ?author=");

    private static IResult TooLarge() => Error(413, "too_large", $"a rules document is at most {MaxDocumentBytes / 1024} KB");

    private static IResult Error(int status, string error, string message) =>
        Results.Json(new ApiError(error, message), ApiJsonContext.Default.ApiError, statusCode: status);
}
