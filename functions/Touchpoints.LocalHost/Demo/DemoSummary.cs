using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Touchpoints.FunctionsHost;

namespace Touchpoints.LocalHost.Demo;

/// <summary>Renders the demo's progress and its report as plain text for a terminal.</summary>
public static class DemoSummary
{
    /// <summary>The touch point sections in the order the view defines them.</summary>
    public static readonly IReadOnlyList<string> TouchpointOrder = ["web", "email", "social", "phone", "mail", "inPerson", "sales", "support", "billing"];

    public static readonly IReadOnlyList<string> LifecycleOrder = ["anonymous", "known", "lead", "marketingQualified", "salesQualified", "customer", "churned"];

    private const int Width = 118;
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static string Header(DemoOptions options, LocalFunctionsHost host)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(host);
        return string.Create(Invariant,
            $"Touchpoints demo: {options.People} people over {options.Days} simulated days (seed {options.Seed}), through the real endpoints at {host.BaseAddress}"
            + $"{Environment.NewLine}Local host ready in {host.StartupTime.TotalSeconds:0.0}s{(host.StartedEmulators.Count > 0 ? "; started " + string.Join(", ", host.StartedEmulators) : "")}.");
    }

    /// <summary>One line per simulated day: what was sent, what was taken in, and how long it took.</summary>
    public static string Day(DayProgress day)
    {
        ArgumentNullException.ThrowIfNull(day);
        var o = day.Outcome;
        var refusals = o.Refused + o.Ignored > 0 ? string.Create(Invariant, $", {o.Refused} refused, {o.Ignored} ignored") : "";
        return string.Create(Invariant,
            $"  day {day.Day + 1,2}/{day.Days} {day.From:ddd dd MMM}  {day.Deliveries,5} deliveries in {day.Requests,4} requests → {o.Accepted,5} accepted{refusals}"
            + $"   sent in {day.Sending.TotalSeconds:0.0}s, idle after {day.Draining.TotalSeconds:0.0}s   elapsed {day.Elapsed.TotalSeconds:0.0}s");
    }

    public static string Render(DemoReport report)
    {
        using var writer = new StringWriter(Invariant);
        Write(report, writer);
        return writer.ToString();
    }

    public static void Write(DemoReport report, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(output);
        var scenario = report.Scenario;
        Title(output, "Traffic");
        output.WriteLine(string.Create(Invariant, $"  {scenario.Deliveries.Count} deliveries between {scenario.Start:yyyy-MM-dd HH:mm} and {scenario.End:yyyy-MM-dd HH:mm} UTC"));
        output.WriteLine(string.Create(Invariant, $"  {"door",-42} {"sent",7} {"accepted",9} {"refused",8} {"ignored",8} {"duplicate",10}"));
        foreach (var (kind, outcome) in report.Channels.OrderBy(c => c.Key))
            output.WriteLine(Row(Door(kind), outcome));
        output.WriteLine(Row("total", report.Total));
        var retried = report.FailedInvocations > 0 ? " (retried by their functions' retry policies; the host logs why)" : "";
        output.WriteLine(string.Create(Invariant, $"  {report.Invocations} function invocations, {report.FailedInvocations} failed attempts{retried}"));

        Title(output, "Customers");
        output.WriteLine(string.Create(Invariant,
            $"  {report.Customers.Count} customers (distinct surviving profiles) for {scenario.People.Count} people, {report.PeopleResolved} of them found under every identifier through the view API"));
        output.WriteLine(string.Create(Invariant,
            $"  {scenario.People.Count - report.PeopleNotYetRecognised} people are one customer each; {report.PeopleNotYetRecognised} are still more than one, rightly: no event has linked their identifiers yet (an anonymous visit before they identified themselves, say)"));
        output.WriteLine(report.ResolutionProblems.Count == 0
            ? string.Create(Invariant, $"  every group of identifiers the traffic linked leads to exactly one customer ({report.ExpectedCustomers} groups, {report.Customers.Count} customers)")
            : string.Create(Invariant, $"  {report.ResolutionProblems.Count} people resolve wrongly (an unknown identifier, or linked identifiers on different customers):"));
        foreach (var problem in report.ResolutionProblems.Take(5))
            output.WriteLine($"    #{problem.Person.Index} {problem.Person.Name}: {string.Join(", ", problem.CustomerByIdentity.Select(p => $"{p.Key} → {p.Value ?? "none"}"))}");
        var merged = report.Customers.Count(c => c.MergedFrom.Count > 0);
        output.WriteLine(string.Create(Invariant,
            $"  merges observed: {report.Merges} profiles folded into {merged} surviving customers (anonymous browsing joined to a known profile, mostly)"));

        Title(output, "Customers per touch point (those with a section)");
        var most = Math.Max(1, report.ByTouchpoint.Max(t => t.Customers));
        foreach (var (touchpoint, count) in report.ByTouchpoint)
            output.WriteLine(string.Create(Invariant, $"  {touchpoint,-10} {count,5}  {new string('█', (int)Math.Round(40.0 * count / most))}"));

        Title(output, "Customers per lifecycle stage");
        foreach (var (stage, count) in report.ByLifecycle)
            output.WriteLine(string.Create(Invariant, $"  {Words(stage),-20} {count,5}"));

        Title(output, "Refused and ignored");
        WriteRefusals(report, output);

        foreach (var section in report.Extensions)
        {
            Title(output, section.Title);
            foreach (var line in section.Lines) output.WriteLine("  " + line);
        }

        for (var i = 0; i < report.Featured.Count; i++)
        {
            Title(output, string.Create(Invariant, $"{i + 1}. {report.Featured[i].Title}"));
            WriteCustomer(report.Featured[i].Customer, output);
        }

        Title(output, "Timing");
        output.WriteLine(string.Create(Invariant,
            $"  sending and draining {report.Days.Count} days: {report.SendingTime.TotalSeconds:0.0}s ({report.Total.Sent / Math.Max(0.001, report.SendingTime.TotalSeconds):0} deliveries/s, end to end); summarising: {report.SummarisingTime.TotalSeconds:0.0}s"));
    }

    private static void WriteRefusals(DemoReport report, TextWriter output)
    {
        var lines = 0;
        void Reasons(string what, IEnumerable<string> reasons)
        {
            foreach (var group in reasons.GroupBy(r => r).OrderByDescending(g => g.Count()))
            {
                output.WriteLine(string.Create(Invariant, $"  {group.Count(),4} × {what}: {group.Key}"));
                lines++;
            }
        }

        Reasons("Segment event refused by the collector", report.Channels[DeliveryKind.Segment].Reasons.Select(r => r.Replace("collector: ", "", StringComparison.Ordinal)));
        Reasons("CRM delivery refused (400)", report.Channels[DeliveryKind.Crm].Reasons);
        Reasons("Stripe delivery refused (400)", report.Channels[DeliveryKind.Stripe].Reasons);
        foreach (var kind in new[] { DeliveryKind.Crm, DeliveryKind.Stripe })
        {
            var ignored = report.Channels[kind].Ignored;
            if (ignored == 0) continue;
            output.WriteLine(string.Create(Invariant, $"  {ignored,4} × {Door(kind)} delivery acknowledged but ignored: its event type is not mapped"));
            lines++;
        }

        Reasons("event refused by ingestion, kept in 'rejected'", report.IngestionRejections.Select(r => $"{r.Source}: {r.Reason}"));
        if (lines == 0) output.WriteLine("  nothing");
        var flawed = report.Scenario.Deliveries.Where(d => d.Flaw is not null).GroupBy(d => d.Flaw).ToList();
        if (flawed.Count == 0) return;
        output.WriteLine("  the deliberately flawed traffic sent:");
        foreach (var group in flawed)
            output.WriteLine(string.Create(Invariant, $"  {group.Count(),4} × {group.Key}"));
    }

    /// <summary>One customer view in full, readably: who, how they are known, lifecycle, consent, scores, every section, the journal.</summary>
    public static void WriteCustomer(DemoCustomer customer, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(customer);
        ArgumentNullException.ThrowIfNull(output);
        var v = customer.View;
        var traits = v["traits"] as JsonObject;
        string? Trait(string name) => (string?)traits?[name]?["value"];
        var who = new[] { Trait("name"), Trait("email") is { } email ? $"<{email}>" : null }.OfType<string>();
        var work = string.Join(", ", new[] { Trait("company"), Trait("title") }.OfType<string>());
        var where = string.Join(", ", new[] { Trait("locale"), Trait("timezone"), Trait("phone") }.OfType<string>());
        output.WriteLine("  " + string.Join(" · ", new[] { string.Join(" ", who), work, where }.Where(s => s.Length > 0).DefaultIfEmpty("(no name, email or company known)")));

        Field(output, "profile", string.Create(Invariant,
            $"{customer.Id}, version {v["version"]}, created {Time(v["createdAt"])}, updated {Time(v["updatedAt"])}")
            + (customer.MergedFrom.Count > 0 ? $"; merged from {string.Join(", ", customer.MergedFrom)}" : ""));
        Field(output, "demo people", string.Join("; ", customer.People.Select(p => $"#{p.Index} {p.Name}: {p.Story}")));
        Field(output, "identities", string.Join(", ", Strings(v["identities"])));
        Field(output, "lifecycle", Words((string?)v["lifecycle"] ?? "unknown"));
        var consent = (v["consent"] as JsonObject ?? []).Where(c => c.Value is JsonObject)
            .Select(c => $"{c.Key} {c.Value!["status"]} ({c.Value["source"]}, {Time(c.Value["at"])})").ToList();
        Field(output, "consent", consent.Count > 0 ? string.Join(" · ", consent) : "unknown on every channel");
        if (v["scores"] is JsonObject scores)
        {
            var reasons = (scores["reasons"] as JsonArray ?? []).OfType<JsonObject>().Take(4)
                .Select(r => string.Create(Invariant, $"{(string?)r["why"] ?? (string?)r["signal"]} ({Number(r["points"]):+0.#;-0.#})"));
            Field(output, "scores", string.Create(Invariant,
                $"value {scores["value"]} · engagement {scores["engagement"]} · profitability {Number(scores["profitability"]):#,0.00}")
                + (reasons.Any() ? " — " + string.Join("; ", reasons) : ""));
        }

        if (Strings(v["segments"]).ToList() is { Count: > 0 } segments) Field(output, "segments", string.Join(", ", segments));
        if (v["conflicts"] is JsonArray { Count: > 0 } conflicts)
            Field(output, "conflicts", string.Join("; ", conflicts.OfType<JsonObject>().Select(c => $"{c["identifier"]} vs {c["otherCustomerId"]}: {c["reason"]}")));

        output.WriteLine("  touch points");
        foreach (var name in TouchpointOrder)
        {
            if (customer.Section(name) is { } section)
                Field(output, "  " + name, Section(section), indent: 17);
        }

        var journal = (v["journal"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        output.WriteLine(string.Create(Invariant, $"  journal, newest first ({journal.Count} entries{(journal.Count >= 50 ? ", the latest 50 kept" : "")})"));
        foreach (var entry in journal.Take(25))
            output.WriteLine(string.Create(Invariant, $"    {Time(entry["at"]),-12}  {(string?)entry["touchpoint"],-9} {(string?)entry["summary"]}"));
        if (journal.Count > 25) output.WriteLine(string.Create(Invariant, $"    … {journal.Count - 25} older entries"));
    }

    /// <summary>A section in one line: its activity, then every member that says something (zeros and empty lists left out).</summary>
    internal static string Section(JsonObject section)
    {
        var parts = new List<string>();
        if (section["activity"] is JsonObject activity)
            parts.Add(string.Create(Invariant, $"{activity["count"]}× {Time(activity["firstAt"])} → {Time(activity["lastAt"])}"));
        foreach (var (name, value) in section)
        {
            if (name is "activity" or "recentOrderIds" or "closedTicketIds" or "sentimentSum" or "sentimentCount" or "ratingSum" or "followers") continue;
            if (Describe(name, value) is { Length: > 0 } text) parts.Add($"{Words(name)} {text}");
        }

        return string.Join(" · ", parts);
    }

    private static string? Describe(string name, JsonNode? value) => value switch
    {
        null => null,
        JsonValue v when v.GetValueKind() is JsonValueKind.Number => Number(v) == 0 ? null : Number(v).ToString(Number(v) % 1 == 0 ? "#,0" : "#,0.00#", Invariant),
        JsonValue v when v.GetValueKind() is JsonValueKind.True => "yes",
        JsonValue v when v.GetValueKind() is JsonValueKind.False => null,
        JsonValue v when name.EndsWith("At", StringComparison.Ordinal) => Time(v),
        JsonValue v => v.ToString(),
        JsonObject o when o.ContainsKey("value") && o.ContainsKey("at") && o.Count == 2 => Describe(name, o["value"]),
        JsonObject o when name == "opportunity" => string.Join(" ", new[]
        {
            (string?)o["id"], (string?)o["stage"], o["value"] is null ? null : Money(o["value"], o["currency"]),
            (bool?)o["open"] == true ? "(open)" : "(closed)",
        }.OfType<string>()),
        JsonObject o when name == "cart" && Number(o["items"]) == 0 => null,
        JsonObject o when name == "cart" => string.Create(Invariant, $"{o["items"]} items, {Money(o["value"], o["currency"])}"),
        JsonObject o when name == "lastOrder" => string.Create(Invariant, $"{o["id"]} {Money(o["amount"], o["currency"])} on {Time(o["at"])}"),
        JsonObject o when name == "last" => (string?)o["what"],
        JsonObject o => string.Join("/", o.Where(p => p.Value is JsonValue && !p.Key.EndsWith("At", StringComparison.Ordinal)).Select(p => p.Value!.ToString())),
        JsonArray { Count: 0 } => null,
        JsonArray a when name == "handles" => string.Join(", ", a.OfType<JsonObject>().Select(h =>
            string.Create(Invariant, $"{h["network"]} @{h["handle"]} ({Number(h["followers"]):#,0} followers)"))),
        JsonArray a when name == "lastPages" => string.Join(" ", a.OfType<JsonObject>().Select(p => (string?)p["path"] ?? "?")),
        JsonArray a when name == "openTickets" => string.Join("; ", a.OfType<JsonObject>().Select(t => $"{t["id"]} {t["subject"]}")),
        JsonArray a => string.Join(", ", a.Select(x => x is JsonValue ? x.ToString() : "…")),
        _ => null,
    };

    private static string Row(string door, SendOutcome o) =>
        string.Create(Invariant, $"  {door,-42} {o.Sent,7} {o.Accepted,9} {o.Refused,8} {o.Ignored,8} {o.Duplicates,10}");

    private static string Door(DeliveryKind kind) => kind switch
    {
        DeliveryKind.Segment => "Segment calls (POST api/v1/batch)",
        DeliveryKind.Crm => "CRM (Standard Webhooks)",
        DeliveryKind.Stripe => "Stripe (Stripe-Signature)",
        DeliveryKind.Social => "social (hub social-events)",
        _ => kind.ToString(),
    };

    private static void Title(TextWriter output, string title)
    {
        output.WriteLine();
        output.WriteLine("── " + title + " " + new string('─', Math.Max(3, Width - title.Length - 4)));
    }

    private static void Field(TextWriter output, string name, string text, int indent = 15)
    {
        var prefix = "  " + name.PadRight(indent - 2);
        var line = new StringBuilder(prefix);
        var first = true;
        foreach (var part in text.Split(" · "))
        {
            var piece = first ? part : " · " + part;
            if (!first && line.Length + piece.Length > Width)
            {
                output.WriteLine(line.ToString());
                line.Clear().Append(new string(' ', prefix.Length)).Append(part);
            }
            else
            {
                line.Append(piece);
            }

            first = false;
        }

        output.WriteLine(line.ToString());
    }

    private static IEnumerable<string> Strings(JsonNode? node) => (node as JsonArray ?? []).Select(x => (string?)x).OfType<string>();

    private static decimal Number(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? v.GetValue<decimal>() : 0;

    private static string Money(JsonNode? amount, JsonNode? currency) =>
        string.Create(Invariant, $"{Number(amount):#,0.00} {(string?)currency}").TrimEnd();

    private static string Time(JsonNode? node) =>
        node is JsonValue v && v.TryGetValue<string>(out var text) && DateTimeOffset.TryParse(text, Invariant, DateTimeStyles.AssumeUniversal, out var at)
            ? at.UtcDateTime.ToString("dd MMM HH:mm", Invariant)
            : node?.ToString() ?? "?";

    /// <summary><c>marketingQualified</c> → <c>marketing qualified</c>.</summary>
    internal static string Words(string name)
    {
        var text = new StringBuilder(name.Length + 4);
        foreach (var c in name)
        {
            if (char.IsUpper(c) && text.Length > 0) text.Append(' ');
            text.Append(char.ToLowerInvariant(c));
        }

        return text.ToString();
    }
}
