using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Touchpoints.Core.Events;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Views;
using Touchpoints.Functions.Console.Components;
using Touchpoints.Functions.Ingestion;
using Touchpoints.Functions.Privacy;
using Touchpoints.Functions.Rules;
using Touchpoints.Functions.Storage;

namespace Touchpoints.Functions.Console;

/// <summary>
/// The console: pages rendered on the server (Razor components, static rendering) by the handler, behind forwarded HTTP
/// functions (<c>ConsoleHome</c>, <c>ConsoleFind</c>, <c>ConsoleCustomer</c>, …, routes under <c>console</c>). Each endpoint decodes the request, checks the user's role
/// (here, in the handler — hiding a button is not enforcement), reads what the page shows and renders it. Searches and
/// changes are POSTed forms, so no identifier a person typed ever sits in an address, where logs would keep it; a POST
/// from another site is refused (<c>Sec-Fetch-Site</c>, <c>Origin</c>), as the sign-in cookies would go with it.
/// </summary>
public static partial class ConsoleEndpoints
{
    public const string Prefix = "/api/console";
    public const int LedgerLines = 15;

    public static IServiceCollection AddConsole(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ConsoleOptions>().Bind(configuration.GetSection(ConsoleOptions.Section))
            .Validate(ConsoleOptions.IsValid, "Console:DevelopmentSignIn must not be on where App Service runs the app: Entra ID signs people in there.")
            .ValidateOnStart();
        services.AddRazorComponents();
        return services;
    }

    public static IEndpointRouteBuilder MapConsole(this IEndpointRouteBuilder app)
    {
        app.MapGet(Prefix, (HttpRequest request, IOptions<ConsoleOptions> options) => Home(request, options.Value));
        app.MapGet(Prefix + "/signin", (IOptions<ConsoleOptions> options) =>
            options.Value.DevelopmentSignIn ? Page<SignIn>(new Dictionary<string, object?>()) : Results.NotFound());
        app.MapPost(Prefix + "/signin", SignInAsync);
        app.MapPost(Prefix + "/signout", (HttpResponse response) =>
        {
            response.Cookies.Delete(ConsoleUser.DevelopmentCookie, new CookieOptions { Path = Prefix });
            return Results.Redirect(Prefix, permanent: false, preserveMethod: false);
        });
        app.MapPost(Prefix + "/find", FindAsync);
        app.MapGet(Prefix + "/customers/{id}", CustomerAsync);
        app.MapPost(Prefix + "/customers/{id}/unmerge", UnmergeAsync);
        app.MapGet(Prefix + "/rules", RulesAsync);
        app.MapPost(Prefix + "/rules", PublishAsync);
        app.MapPost(Prefix + "/rules/check", CheckAsync);
        app.MapPost(Prefix + "/rules/diff", DiffAsync);
        app.MapPost(Prefix + "/rules/preview", PreviewAsync);
        app.MapPost(Prefix + "/rules/form", FormAsync);
        app.MapPost(Prefix + "/rules/policies", PoliciesAsync);
        app.MapPost(Prefix + "/rules/rollback/{version:int}", RollbackAsync);
        app.MapGet(Prefix + "/stats", StatsAsync);
        app.MapGet(Prefix + "/privacy", (HttpRequest request, IOptions<ConsoleOptions> options) =>
            Require(request, options.Value, ConsoleRole.Admin, out var user) ?? Page<PrivacyPage>(new() { ["User"] = user }));
        app.MapPost(Prefix + "/privacy", PrivacyAsync);
        app.MapGet(Prefix + "/privacy/erasures/{id}", async (string id, HttpRequest request, IOptions<ConsoleOptions> options, PrivacyStore privacy, CancellationToken ct) =>
        {
            if (Require(request, options.Value, ConsoleRole.Admin, out var user) is { } refused) return refused;
            return await privacy.ReadErasureAsync(id, ct).ConfigureAwait(false) is { } erasure
                ? Page<PrivacyPage>(new() { ["User"] = user, ["Erasure"] = erasure })
                : Page<Message>(new() { ["User"] = user, ["Title"] = "No such erasure", ["Text"] = $"There is no erasure request {id}." }, StatusCodes.Status404NotFound);
        });
        return app;
    }

    private static IResult Home(HttpRequest request, ConsoleOptions options) =>
        ConsoleUser.Of(request, options) is { } user ? Page<Find>(new() { ["User"] = user }) : SignInFirst(options);

    private static async Task<IResult> SignInAsync(HttpRequest request, IOptions<ConsoleOptions> options, CancellationToken ct)
    {
        if (!options.Value.DevelopmentSignIn) return Results.NotFound();
        if (CrossSite(request)) return CrossSiteRefused();
        var form = await request.ReadFormAsync(ct).ConfigureAwait(false);
        if (!Enum.TryParse<ConsoleRole>(form["role"], ignoreCase: true, out var role) || !Enum.IsDefined(role)) return Results.BadRequest();
        request.HttpContext.Response.Cookies.Append(ConsoleUser.DevelopmentCookie, ConsoleUser.RoleName(role),
            new CookieOptions { Path = Prefix, HttpOnly = true, SameSite = SameSiteMode.Strict, IsEssential = true });
        return Results.Redirect(Prefix, permanent: false, preserveMethod: false);
    }

    private static async Task<IResult> FindAsync(HttpRequest request, IOptions<ConsoleOptions> options, CustomerStore customers, IdentityStore identities,
        IOptions<IdentityOptions> identity, IConfiguration configuration, CancellationToken ct)
    {
        if (Require(request, options.Value, ConsoleRole.Agent, out var user) is { } refused) return refused;
        if (CrossSite(request)) return CrossSiteRefused();
        var form = await request.ReadFormAsync(ct).ConfigureAwait(false);
        var query = form["q"].ToString().Trim();
        CustomerId? found = null;
        if (IdentifierSearch.IsCustomerId(query))
        {
            found = (await customers.ReadLiveAsync(new CustomerId(query), ct).ConfigureAwait(false))?.Document.Id;
        }
        else
        {
            // The CRM and billing systems the app takes webhooks from are tried too: their ids are bare numbers.
            var systems = configuration.GetSection("Webhooks:Sources").GetChildren().Select(s => s.Key);
            var candidates = IdentifierSearch.Candidates(query, identity.Value.DefaultPhoneRegion, systems);
            if (candidates.Count > 0)
            {
                var owners = await identities.LookupAsync(candidates, ct).ConfigureAwait(false);
                if (candidates.FirstOrDefault(owners.ContainsKey) is { } key)
                    found = (await customers.ReadLiveAsync(owners[key].CustomerId, ct).ConfigureAwait(false))?.Document.Id;
            }
        }
        return found is { } id
            ? Results.Redirect($"{Prefix}/customers/{id.Value}", permanent: false, preserveMethod: false)
            : Page<Find>(new() { ["User"] = user, ["Query"] = query, ["NotFound"] = true }, StatusCodes.Status404NotFound);
    }

    private static async Task<IResult> CustomerAsync(string id, string? tab, HttpRequest request, IOptions<ConsoleOptions> options, CustomerStore customers,
        LedgerStore ledger, CancellationToken ct)
    {
        if (Require(request, options.Value, ConsoleRole.Agent, out var user) is { } refused) return refused;
        if (!CustomerStore.IsPossibleId(id) || await customers.ReadLiveAsync(new CustomerId(id), ct).ConfigureAwait(false) is not { } live)
            return Page<Message>(new() { ["User"] = user, ["Title"] = "No such customer", ["Text"] = $"No customer has the id {id}." }, StatusCodes.Status404NotFound);
        // A merged-away id leads to the customer it became part of.
        if (live.Document.Id.Value != id) return Results.Redirect($"{Prefix}/customers/{live.Document.Id.Value}{(tab is null ? "" : "?tab=" + Uri.EscapeDataString(tab))}");
        var touchpoint = tab is not null && TouchpointViews.TryParse(tab, out var chosen) ? chosen : Touchpoint.Phone;
        var decisions = await ledger.LatestAsync(live.Document.Id, LedgerLines, ct).ConfigureAwait(false);
        return Page<Customer360>(new() { ["User"] = user, ["View"] = live.Document, ["Tab"] = touchpoint, ["Ledger"] = decisions });
    }

    /// <summary>Every rule's statistics over the last 30 days, drawn (a marketer's).</summary>
    private static async Task<IResult> StatsAsync(string? rule, HttpRequest request, IOptions<ConsoleOptions> options, RuleStatsStore stats, RulesProvider provider,
        TimeProvider clock, CancellationToken ct)
    {
        if (Require(request, options.Value, ConsoleRole.Marketer, out var user) is { } refused) return refused;
        var active = await provider.GetAsync(ct).ConfigureAwait(false);
        var last = DateOnly.FromDateTime(clock.GetUtcNow().UtcDateTime);
        var first = last.AddDays(-29);
        var rules = await Task.WhenAll(active.Rules.Select(r => RulesAdminEndpoints.StatsOfAsync(r.Definition.Id, first, last, stats, ct))).ConfigureAwait(false);
        if (rules.Length == 0)
            return Page<Message>(new() { ["User"] = user, ["Title"] = "Rule statistics", ["Text"] = "The active rules document has no rules." });
        return Page<Stats>(new()
        {
            ["User"] = user, ["Rules"] = rules, ["Version"] = active.Version,
            ["From"] = RuleStatsDocument.DayName(first), ["To"] = RuleStatsDocument.DayName(last),
            ["Focus"] = rules.Any(r => r.RuleId == rule) ? rule : null,
        });
    }

    /// <summary>The rules workbench: the active document in the editor, and every version.</summary>
    private static async Task<IResult> RulesAsync(string? rule, HttpRequest request, IOptions<ConsoleOptions> options, RulesStore store, RulesProvider provider,
        CancellationToken ct)
    {
        if (Require(request, options.Value, ConsoleRole.Marketer, out var user) is { } refused) return refused;
        var active = await provider.GetActiveAsync(ct).ConfigureAwait(false);
        var text = ActiveText(active);
        return await WorkbenchAsync(user!, text, null, store, ct, edit: rule is null ? null : RuleForm.Read(text, rule)).ConfigureAwait(false);
    }

    /// <summary>A rule changed through the form: the active document with the change goes to the editor, with what it changes.</summary>
    private static async Task<IResult> FormAsync(HttpRequest request, IOptions<ConsoleOptions> options, RulesStore store, RulesProvider provider, CancellationToken ct)
    {
        if (Require(request, options.Value, ConsoleRole.Marketer, out var user) is { } refused) return refused;
        if (CrossSite(request)) return CrossSiteRefused();
        var form = RuleForm.From(await request.ReadFormAsync(ct).ConfigureAwait(false));
        return await ChangedInFormAsync(user!, form.WriteInto, $"{form.Id}: changed in the form", $"There is no rule '{form.Id}' in the active document.",
            StatusCodes.Status404NotFound, form, store, provider, ct).ConfigureAwait(false);
    }

    /// <summary>An admin separates a profile merged into this customer again; the receipt says what moved.</summary>
    private static async Task<IResult> UnmergeAsync(string id, HttpRequest request, IOptions<ConsoleOptions> options, Unmerging unmerging, CancellationToken ct)
    {
        if (Require(request, options.Value, ConsoleRole.Admin, out var user) is { } refused) return refused;
        if (CrossSite(request)) return CrossSiteRefused();
        var form = await request.ReadFormAsync(ct).ConfigureAwait(false);
        var report = await unmerging.UnmergeAsync(new CustomerId(id), new UnmergeRequest(null, form["mergedFrom"].ToString()), user!.Name, dryRun: false, ct)
            .ConfigureAwait(false);
        var text = report.Outcome == UnmergeOutcome.Unmerged
            ? $"Separated: {report.Detached} holds {report.Identifiers.Count} identifiers and {report.DetachedEvents} events again; {report.Kept} keeps {report.KeptEvents} events. By {report.By}, {report.At.UtcDateTime.ToString("d MMM yyyy HH:mm 'UTC'", CultureInfo.InvariantCulture)}."
            : $"Not separated ({report.Outcome}): {report.Reason}";
        return Page<Message>(new() { ["User"] = user, ["Title"] = "Unmerge receipt", ["Text"] = text },
            report.Outcome == UnmergeOutcome.Unmerged ? StatusCodes.Status200OK : StatusCodes.Status409Conflict);
    }

    /// <summary>Publishing a rules document: a marketer's (the workbench posts here); anyone else is refused, whatever the page showed.</summary>
    private static async Task<IResult> PublishAsync(HttpRequest request, IOptions<ConsoleOptions> options, RulesStore store, RulesProvider provider, CancellationToken ct)
    {
        if (Require(request, options.Value, ConsoleRole.Marketer, out var user) is { } refused) return refused;
        if (CrossSite(request)) return CrossSiteRefused();
        var (text, comment) = await EditedAsync(request, ct).ConfigureAwait(false);
        var (rules, errors) = RulesCompiler.Compile(text, "proposed");
        if (rules is null)
            return await WorkbenchAsync(user!, text, comment, store, ct, errors: errors, notice: "Not published: the document has problems.", status: StatusCodes.Status400BadRequest)
                .ConfigureAwait(false);
        var saved = await store.SaveAsync(text, user!.Name, comment, null, null, ct).ConfigureAwait(false);
        provider.Invalidate();
        return await WorkbenchAsync(user, text, null, store, ct, notice: $"Published: version {saved.Version} is active.", status: StatusCodes.Status201Created).ConfigureAwait(false);
    }

    /// <summary>Every problem of the edited document, at its line and column; nothing is stored.</summary>
    private static async Task<IResult> CheckAsync(HttpRequest request, IOptions<ConsoleOptions> options, RulesStore store, CancellationToken ct)
    {
        if (Require(request, options.Value, ConsoleRole.Marketer, out var user) is { } refused) return refused;
        if (CrossSite(request)) return CrossSiteRefused();
        var (text, comment) = await EditedAsync(request, ct).ConfigureAwait(false);
        var (rules, errors) = RulesCompiler.Compile(text, "proposed");
        var notice = rules is null ? null : $"No problem: {rules.Rules.Length} rules and {rules.Segments.Length} segments.";
        return await WorkbenchAsync(user!, text, comment, store, ct, errors: errors, notice: notice).ConfigureAwait(false);
    }

    /// <summary>What the edited document changes against the active version, line by line.</summary>
    private static async Task<IResult> DiffAsync(HttpRequest request, IOptions<ConsoleOptions> options, RulesStore store, RulesProvider provider, CancellationToken ct)
    {
        if (Require(request, options.Value, ConsoleRole.Marketer, out var user) is { } refused) return refused;
        if (CrossSite(request)) return CrossSiteRefused();
        var (text, comment) = await EditedAsync(request, ct).ConfigureAwait(false);
        var active = await provider.GetActiveAsync(ct).ConfigureAwait(false);
        var diff = RulesDiff.Of(active.Version?.Version ?? 0, 0, ActiveText(active), text);
        return await WorkbenchAsync(user!, text, comment, store, ct, diff: diff).ConfigureAwait(false);
    }

    /// <summary>Quiet hours and caps changed through the form: the active document with the change goes to the editor.</summary>
    private static async Task<IResult> PoliciesAsync(HttpRequest request, IOptions<ConsoleOptions> options, RulesStore store, RulesProvider provider, CancellationToken ct)
    {
        if (Require(request, options.Value, ConsoleRole.Marketer, out var user) is { } refused) return refused;
        if (CrossSite(request)) return CrossSiteRefused();
        var form = PoliciesForm.From(await request.ReadFormAsync(ct).ConfigureAwait(false));
        return await ChangedInFormAsync(user!, form.WriteInto, "quiet hours and caps: changed in the form", "The active document has no policies to change.",
            StatusCodes.Status400BadRequest, null, store, provider, ct).ConfigureAwait(false);
    }

    /// <summary>
    /// A form's change written into the active document (<paramref name="write"/>: null when it does not apply), put in the
    /// editor with what it changes and any problem, to review and publish like any edit.
    /// </summary>
    private static async Task<IResult> ChangedInFormAsync(ConsoleUser user, Func<string, string?> write, string comment, string notApplicable, int notApplicableStatus,
        RuleForm? edit, RulesStore store, RulesProvider provider, CancellationToken ct)
    {
        var active = await provider.GetActiveAsync(ct).ConfigureAwait(false);
        var current = ActiveText(active);
        if (write(current) is not { } text)
            return await WorkbenchAsync(user, current, null, store, ct, notice: notApplicable, status: notApplicableStatus).ConfigureAwait(false);
        var (_, errors) = RulesCompiler.Compile(text, "proposed");
        var diff = RulesDiff.Of(active.Version?.Version ?? 0, 0, current, text);
        return await WorkbenchAsync(user, text, comment, store, ct, errors: errors, diff: diff, edit: edit,
            notice: errors.Count == 0 ? "The change is in the editor: review it below, then publish." : "The change has problems: see below.").ConfigureAwait(false);
    }

    /// <summary>The active document's text: its version's, or the shipped default's.</summary>
    private static string ActiveText(ActiveRules active) => active.Version?.Text ?? DefaultRules.Json;

    /// <summary>The edited document's dry run on a random sample of live customers, with the audience estimate and examples.</summary>
    private static async Task<IResult> PreviewAsync(HttpRequest request, IOptions<ConsoleOptions> options, RulesStore store, CustomerStore customers,
        RuleStateStore states, TimeProvider clock, CancellationToken ct)
    {
        if (Require(request, options.Value, ConsoleRole.Marketer, out var user) is { } refused) return refused;
        if (CrossSite(request)) return CrossSiteRefused();
        var (text, comment) = await EditedAsync(request, ct).ConfigureAwait(false);
        var (rules, errors) = RulesCompiler.Compile(text, "proposed");
        if (rules is null)
            return await WorkbenchAsync(user!, text, comment, store, ct, errors: errors, notice: "Fix the problems first: a document with problems cannot be previewed.")
                .ConfigureAwait(false);
        var seed = Random.Shared.Next();
        var sample = await customers.SampleAsync(PreviewSample, new Random(seed), ct).ConfigureAwait(false);
        var note = sample.Exact
            ? $"Every live customer ({sample.Ids.Count})"
            : $"A random sample of {sample.Ids.Count} live customers (seed {seed}), scaled to about {sample.Population?.ToString("#,0", CultureInfo.InvariantCulture) ?? "an unknown number of"} customers";
        var preview = await RulesAdminEndpoints.PreviewOfAsync(rules, sample.Ids, sample, seed, note, customers, states, clock, ct).ConfigureAwait(false);
        return await WorkbenchAsync(user!, text, comment, store, ct, preview: preview).ConfigureAwait(false);
    }

    public const int PreviewSample = 400;

    /// <summary>Makes an earlier version active again, as a new version (if it still validates).</summary>
    private static async Task<IResult> RollbackAsync(int version, HttpRequest request, IOptions<ConsoleOptions> options, RulesStore store, RulesProvider provider,
        CancellationToken ct)
    {
        if (Require(request, options.Value, ConsoleRole.Marketer, out var user) is { } refused) return refused;
        if (CrossSite(request)) return CrossSiteRefused();
        if (await store.ReadVersionAsync(version, ct).ConfigureAwait(false) is not { } old)
            return Page<Message>(new() { ["User"] = user, ["Title"] = "No such version", ["Text"] = $"There is no rules version v{version}." }, StatusCodes.Status404NotFound);
        var (rules, errors) = RulesCompiler.Compile(old.Text, "proposed");
        if (rules is null)
            return await WorkbenchAsync(user!, old.Text, null, store, ct, errors: errors, notice: $"v{version} no longer validates: not made active.",
                status: StatusCodes.Status400BadRequest).ConfigureAwait(false);
        var saved = await store.SaveAsync(old.Text, user!.Name, $"rollback to v{version}", version, null, ct).ConfigureAwait(false);
        provider.Invalidate();
        return await WorkbenchAsync(user, old.Text, null, store, ct, notice: $"Rolled back: v{version}'s content is active as version {saved.Version}.").ConfigureAwait(false);
    }

    private static async Task<(string Text, string? Comment)> EditedAsync(HttpRequest request, CancellationToken ct)
    {
        var form = await request.ReadFormAsync(ct).ConfigureAwait(false);
        return (form["document"].ToString(), form["comment"].ToString() is { Length: > 0 } c ? c : null);
    }

    private static async Task<IResult> WorkbenchAsync(ConsoleUser user, string text, string? comment, RulesStore store, CancellationToken ct,
        IReadOnlyList<RuleError>? errors = null, RulesDiffBody? diff = null, string? notice = null, int status = StatusCodes.Status200OK, PreviewBody? preview = null,
        RuleForm? edit = null)
    {
        var pointer = await store.ReadPointerAsync(ct).ConfigureAwait(false);
        return Page<RulesWorkbench>(new()
        {
            ["User"] = user, ["Text"] = text, ["Comment"] = comment, ["Active"] = pointer?.Document.Version,
            ["Versions"] = RulesStore.Newest(pointer?.Document), ["Errors"] = errors ?? [], ["Diff"] = diff, ["Notice"] = notice, ["Preview"] = preview,
            ["RuleIds"] = RuleForm.Ids(text), ["EditRule"] = edit, ["Policies"] = PoliciesForm.Read(text),
        }, status);
    }

    /// <summary>An admin's privacy operation on the identifier typed: export, erase (a receipt, the erasure runs on its queue) or unsuppress.</summary>
    private static async Task<IResult> PrivacyAsync(HttpRequest request, IOptions<ConsoleOptions> options, IOptions<IdentityOptions> identity, Erasures erasures,
        PersonalData data, PrivacyStore privacy, ILoggerFactory logs, CancellationToken ct)
    {
        if (Require(request, options.Value, ConsoleRole.Admin, out var user) is { } refused) return refused;
        if (CrossSite(request)) return CrossSiteRefused();
        var form = await request.ReadFormAsync(ct).ConfigureAwait(false);
        var typed = form["identifier"].ToString().Trim();
        var operation = form["operation"].ToString();
        // The exact identifier: a key as written, else what the text most likely is (an e-mail, a phone number).
        var candidates = IdentifierSearch.Candidates(typed, identity.Value.PhoneRegion);
        var key = candidates.Count > 0 ? candidates[0] : null;
        if (key is null)
            return Page<PrivacyPage>(new() { ["User"] = user, ["Identifier"] = typed, ["Notice"] = "That is not an identifier." }, StatusCodes.Status400BadRequest);
        var audit = logs.CreateLogger(typeof(ConsoleEndpoints));
        LogPrivacy(audit, operation, user!.Name);
        switch (operation)
        {
            case "erase":
                var erasure = await erasures.RequestAsync(key, user.Name, ct).ConfigureAwait(false);
                return Page<PrivacyPage>(new() { ["User"] = user, ["Erasure"] = erasure, ["Notice"] = "Erasure requested." }, StatusCodes.Status202Accepted);
            case "unsuppress":
                return await privacy.UnsuppressAsync(key, ct).ConfigureAwait(false)
                    ? Page<PrivacyPage>(new() { ["User"] = user, ["Notice"] = "The identifier is no longer suppressed: it may be collected again." })
                    : Page<PrivacyPage>(new() { ["User"] = user, ["Identifier"] = typed, ["Notice"] = "That identifier is not suppressed." }, StatusCodes.Status404NotFound);
            default:
                return await data.FindAsync(key, [], ct).ConfigureAwait(false) is { } person
                    ? Page<PrivacyPage>(new() { ["User"] = user, ["Export"] = (await data.ExportAsync(person, ct).ConfigureAwait(false)).ToJsonString(Indented) })
                    : Page<PrivacyPage>(new() { ["User"] = user, ["Identifier"] = typed, ["Notice"] = "No customer has that identifier." }, StatusCodes.Status404NotFound);
        }
    }

    private static readonly System.Text.Json.JsonSerializerOptions Indented = new() { WriteIndented = true };

    [LoggerMessage(Level = LogLevel.Information, Message = "Console: privacy operation {Operation} by {Author}")]
    private static partial void LogPrivacy(ILogger logger, string operation, string author);

    /// <summary>Null when the user holds <paramref name="role"/>; else the answer: sign in first (401), or not allowed (403).</summary>
    private static IResult? Require(HttpRequest request, ConsoleOptions options, ConsoleRole role, out ConsoleUser? user)
    {
        user = ConsoleUser.Of(request, options);
        if (user is null) return SignInFirst(options);
        return user.Can(role)
            ? null
            : Page<Message>(new()
            {
                ["User"] = user,
                ["Title"] = "Not allowed",
                ["Text"] = $"This needs the {ConsoleUser.RoleName(role)} role; you are signed in as {ConsoleUser.RoleName(user.Role)}.",
            }, StatusCodes.Status403Forbidden);
    }

    /// <summary>
    /// Nobody signed in: the development sign-in locally; in Azure, App Service authentication's Entra ID sign-in, back to
    /// the console after; else (no sign-in configured) a 401 that says so.
    /// </summary>
    private static IResult SignInFirst(ConsoleOptions options) =>
        options.DevelopmentSignIn ? Results.Redirect(Prefix + "/signin")
        : options.TrustPlatformPrincipal ? Results.Redirect("/.auth/login/aad?post_login_redirect_uri=" + Uri.EscapeDataString(Prefix))
        : Page<Message>(new() { ["Title"] = "Sign in", ["Text"] = "No sign-in is configured for the console (README: Signing in to the console)." },
            StatusCodes.Status401Unauthorized);

    /// <summary>
    /// A form posted from another site: the browser says so (<c>Sec-Fetch-Site</c>, sent by every current browser); an older
    /// one, by an <c>Origin</c> that is not the host the request was sent to (the Functions host forwards with the original
    /// host in <c>X-Forwarded-Host</c> where it rewrites <c>Host</c>).
    /// </summary>
    private static bool CrossSite(HttpRequest request)
    {
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        if (site.Length > 0) return site is not ("same-origin" or "none");
        var origin = request.Headers.Origin.ToString();
        if (origin.Length == 0) return false;
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var url)) return true;
        var hosts = new[] { request.Host.Value, request.Headers["X-Forwarded-Host"].ToString() };
        return !hosts.Any(h => string.Equals(url.Authority, h, StringComparison.OrdinalIgnoreCase));
    }

    private static IResult CrossSiteRefused() => Results.StatusCode(StatusCodes.Status403Forbidden);

    private static RazorComponentResult<T> Page<T>(Dictionary<string, object?> parameters, int status = StatusCodes.Status200OK) where T : Microsoft.AspNetCore.Components.IComponent =>
        new(parameters) { StatusCode = status };
}
