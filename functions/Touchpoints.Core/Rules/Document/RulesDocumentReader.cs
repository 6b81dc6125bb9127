using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Touchpoints.Core.Events;
using Touchpoints.Core.Views;

namespace Touchpoints.Core.Rules;

/// <summary>
/// Reads a rules document strictly: every unknown member, missing member, wrong type or value out of range is reported at
/// once with its JSON path, and with its line and column when the document was given as text.
/// </summary>
public static class RulesDocumentReader
{
    public static (RulesDocument? Document, IReadOnlyList<RuleError> Errors) Read(string json)
    {
        if (Events.JsonText.HasLoneSurrogate(json)) return (null, [new RuleError("$", Events.JsonText.LoneSurrogateMessage)]);
        JsonDocument parsed;
        try
        {
            parsed = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            return (null, [new RuleError(e.Path ?? "$", "malformed JSON: " + e.Message.Split(". ")[0])
            {
                Line = (int?)e.LineNumber + 1, Column = (int?)e.BytePositionInLine + 1,
            }]);
        }
        catch (ArgumentException)
        {
            // Text that is not valid Unicode (a lone surrogate) cannot even be read as JSON.
            return (null, [new RuleError("$", "malformed text: the document holds a character that is not valid Unicode (a lone surrogate)")]);
        }
        using (parsed)
        {
            var (document, errors) = Read(parsed.RootElement);
            return (document, Locate(json, errors));
        }
    }

    /// <summary>Adds line and column to errors found in <paramref name="json"/>.</summary>
    public static IReadOnlyList<RuleError> Locate(string json, IEnumerable<RuleError> errors)
    {
        var positions = Positions.Of(json);
        return [.. errors.Select(positions.Locate)];
    }

    public static (RulesDocument? Document, IReadOnlyList<RuleError> Errors) Read(JsonElement root)
    {
        var errors = new List<RuleError>();
        // The compiler's checks (facts, operators, references) of what could be read, run only when the document has other
        // errors and will not reach the compiler: every error of a document is reported at once.
        var deferred = new List<Action<Checks>>();
        var o = new Obj(root, "$", errors, "$schema", "policies", "scores", "segments", "rules");
        ImmutableDictionary<Channel, ConsentPolicy>? consent = null;
        var policies = o.Object("policies", required: true) is { } p ? ReadPolicies(p, out consent) : null;
        var scores = o.Object("scores", required: true) is { } s ? ReadScores(s) : null;
        var segments = o.Array("segments").Select((e, i) => ReadSegment(e, $"$.segments[{i}]", errors, deferred)).ToImmutableArray();
        var rules = o.Array("rules", required: true).Select((e, i) => ReadRule(e, $"$.rules[{i}]", errors, deferred)).ToImmutableArray();

        Duplicates(segments.Select((x, i) => (x?.Id, $"$.segments[{i}].id")), "segment", errors);
        Duplicates(rules.Select((x, i) => (x?.Id, $"$.rules[{i}].id")), "rule", errors);
        if (errors.Count > 0)
        {
            var checks = new Checks(consent, SegmentIds(root), errors);
            foreach (var check in deferred) check(checks);
        }
        if (errors.Count > 0 || policies is null || scores is null) return (null, errors);
        return (new RulesDocument { Policies = policies, Scores = scores, Segments = segments!, Rules = rules! }, errors);
    }

    /// <summary>What the deferred checks compare against: the consent mappings that could be read, and every segment id written.</summary>
    private sealed record Checks(IReadOnlyDictionary<Channel, ConsentPolicy>? Consent, IReadOnlySet<string> SegmentIds, List<RuleError> Errors);

    private static HashSet<string> SegmentIds(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object && root.TryGetProperty("segments", out var segments) && segments.ValueKind == JsonValueKind.Array
            ? segments.EnumerateArray()
                .Where(e => e.ValueKind == JsonValueKind.Object && e.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
                .Select(e => e.GetProperty("id").GetString()!).ToHashSet(StringComparer.Ordinal)
            : [];

    private static Policies? ReadPolicies(Obj o, out ImmutableDictionary<Channel, ConsentPolicy>? consentRead)
    {
        consentRead = null;
        var timezone = o.String("defaultTimezone", required: true);
        if (timezone is not null && !TimeZoneInfo.TryFindSystemTimeZoneById(timezone, out _))
            o.Error("defaultTimezone", $"'{timezone}' is not a time zone: use an IANA name such as Europe/London");
        var caps = o.Array("frequencyCaps").Select((e, i) => Obj.For(e, $"{o.Path}.frequencyCaps[{i}]", o.Errors, "channel", "max", "per") is { } c
            ? ReadCap(c) : null).ToArray();
        QuietHours? quiet = null;
        if (o.Object("quietHours") is { } q)
        {
            var start = q.Time("start", required: true);
            var end = q.Time("end", required: true);
            var channels = q.Array("channels").Select((e, i) => Obj.Enum<Channel>(e, $"{q.Path}.channels[{i}]", o.Errors)).ToArray();
            if (start == end && start is not null) q.Error("end", "must differ from start");
            if (start is { } s && end is { } en && channels.All(c => c is not null))
                quiet = new QuietHours(s, en, channels.Length == 0 ? [.. Enum.GetValues<Channel>()] : [.. channels.Select(c => c!.Value)]);
        }
        var consent = ImmutableDictionary.CreateBuilder<Channel, ConsentPolicy>();
        if (o.Object("consent", required: true) is { } map)
        {
            foreach (var property in map.Element.EnumerateObject())
            {
                var path = $"{map.Path}.{property.Name}";
                if (!Obj.TryEnum<Channel>(property.Name, out var channel))
                {
                    o.Errors.Add(new RuleError(path, $"'{property.Name}' is not a channel: use {Names<Channel>()}"));
                    continue;
                }
                if (Obj.For(property.Value, path, o.Errors, "requires", "unknown") is not { } policy) continue;
                ConsentChannel? requires = policy.Has("requires") && policy.Element.GetProperty("requires").ValueKind == JsonValueKind.Null
                    ? null
                    : policy.Enum<ConsentChannel>("requires", required: true);
                var unknown = policy.String("unknown") ?? "deny";
                if (unknown is not ("allow" or "deny")) policy.Error("unknown", "must be allow or deny");
                consent[channel] = new ConsentPolicy(requires, unknown == "allow");
            }
            consentRead = consent.ToImmutable();
        }
        SalesOwnership? ownership = null;
        if (o.Object("salesOwnership") is { } so)
        {
            var categories = so.Array("suppressCategories").Select((e, i) => Obj.StringOf(e, $"{so.Path}.suppressCategories[{i}]", o.Errors)).ToArray();
            var priority = so.Int("alertPriority") ?? 70;
            if (priority is < 0 or > 100) so.Error("alertPriority", "must be between 0 and 100");
            ownership = new SalesOwnership([.. categories.OfType<string>()], so.Bool("alertOwner") ?? true, priority,
                so.Duration("digestWindow") ?? TimeSpan.FromHours(1));
        }
        PriorityTiers? tiers = null;
        if (o.Object("priorityTiers", required: true) is { } t)
        {
            var high = t.Int("high", required: true);
            var normal = t.Int("normal", required: true);
            if (high is < 0 or > 100) t.Error("high", "must be between 0 and 100");
            if (normal is < 0 or > 100) t.Error("normal", "must be between 0 and 100");
            if (high <= normal) t.Error("high", "must be above normal");
            if (high is not null && normal is not null) tiers = new PriorityTiers(high.Value, normal.Value);
        }
        Spacing? spacing = null;
        if (o.Object("spacing") is { } sp)
        {
            var any = sp.Duration("any") ?? TimeSpan.Zero;
            var gaps = ImmutableDictionary.CreateBuilder<Channel, TimeSpan>();
            if (sp.Has("channels") && sp.Element.GetProperty("channels") is { ValueKind: JsonValueKind.Object } perChannel)
            {
                foreach (var property in perChannel.EnumerateObject())
                {
                    var path = $"{sp.Path}.channels.{property.Name}";
                    if (!Obj.TryEnum<Channel>(property.Name, out var channel))
                        o.Errors.Add(new RuleError(path, $"'{property.Name}' is not a channel: use {Names<Channel>()}"));
                    else if (property.Value.ValueKind != JsonValueKind.String || !Durations.TryParse(property.Value.GetString(), out var gap))
                        o.Errors.Add(new RuleError(path, "must be a duration such as 12h or 2d"));
                    else gaps[channel] = gap;
                }
            }
            else if (sp.Has("channels")) sp.Error("channels", "must be an object of channel: duration");
            var exempt = sp.Array("exempt").Select((e, i) => Obj.StringOf(e, $"{sp.Path}.exempt[{i}]", o.Errors)).OfType<string>().ToArray();
            spacing = new Spacing(any, gaps.ToImmutable(), [.. exempt]);
        }
        if (timezone is null || tiers is null || caps.Any(c => c is null)) return null;
        return new Policies
        {
            DefaultTimezone = timezone, FrequencyCaps = [.. caps!], QuietHours = quiet, Consent = consent.ToImmutable(),
            SalesOwnership = ownership, PriorityTiers = tiers, Spacing = spacing,
        };
    }

    private static FrequencyCap? ReadCap(Obj c)
    {
        var channel = c.Has("channel") ? c.Enum<Channel>("channel") : null;
        var max = c.Int("max", required: true);
        if (max < 0) c.Error("max", "must not be negative");
        var per = c.String("per", required: true);
        CapWindow? window = per switch
        {
            null => null,
            "day" => new CapWindow(CapWindowUnit.Day),
            "week" => new CapWindow(CapWindowUnit.Week),
            "month" => new CapWindow(CapWindowUnit.Month),
            _ when Durations.TryParse(per, out var span) => new CapWindow(CapWindowUnit.Rolling, span),
            _ => null,
        };
        if (per is not null && window is null) c.Error("per", $"'{per}' is not a window: use day, week, month or a duration (7d, P7D)");
        if (c.Has("channel") && channel is null) return null;
        return max is null || window is null ? null : new FrequencyCap(channel, max.Value, window);
    }

    private static ScoreModel? ReadScores(Obj o)
    {
        ScoreWeights? weights = null;
        if (o.Object("weights", required: true) is { } w)
        {
            double Weight(string name)
            {
                var value = w.Number(name, required: true) ?? 0;
                if (value < 0) w.Error(name, "must not be negative");
                return value;
            }
            weights = new ScoreWeights(Weight("intent"), Weight("engagement"), Weight("fit"), Weight("monetary"), Weight("influence"));
            if (weights.Intent + weights.Engagement + weights.Fit + weights.Monetary + weights.Influence <= 0)
                o.Error("weights", "at least one weight must be positive");
        }
        var halfLife = o.Number("halfLifeDays", required: true);
        if (halfLife <= 0) o.Error("halfLifeDays", "must be positive");
        var revenueScale = o.Number("revenueScale", required: true);
        if (revenueScale <= 0) o.Error("revenueScale", "must be positive");
        var followersScale = o.Number("followersScale", required: true);
        if (followersScale < 10) o.Error("followersScale", "must be at least 10");
        var titles = o.Array("fitTitles").Select((e, i) => Obj.StringOf(e, $"{o.Path}.fitTitles[{i}]", o.Errors)).OfType<string>();
        if (weights is null || halfLife is null || revenueScale is null || followersScale is null) return null;
        return new ScoreModel
        {
            Weights = weights, HalfLifeDays = halfLife.Value, FitTitles = [.. titles], RevenueScale = (decimal)revenueScale.Value,
            FollowersScale = (long)followersScale.Value,
        };
    }

    private static SegmentDefinition? ReadSegment(JsonElement e, string path, List<RuleError> errors, List<Action<Checks>> deferred)
    {
        if (Obj.For(e, path, errors, "id", "description", "when") is not { } o) return null;
        var id = o.Id("id");
        var when = o.Has("when") ? ReadCondition(o.Element.GetProperty("when"), $"{path}.when", errors) : o.Missing<Condition>("when");
        if (when is not null) deferred.Add(c => ConditionCompiler.Compile(when, c.Errors));
        return id is null || when is null ? null : new SegmentDefinition(id, o.String("description"), when);
    }

    private static RuleDefinition? ReadRule(JsonElement e, string path, List<RuleError> errors, List<Action<Checks>> deferred)
    {
        if (Obj.For(e, path, errors, "id", "description", "kind", "category", "channel", "template", "priority", "audience", "trigger",
                "conditions", "cooldown", "expiry", "holdout", "goal", "attributionWindow", "dueIn", "nextStep", "paused") is not { } o)
            return null;
        var id = o.Id("id");
        var kind = o.Enum<RuleKind>("kind", required: true);
        var channel = o.Enum<Channel>("channel", required: kind == RuleKind.Marketing);
        if (kind == RuleKind.SalesAlert && o.Has("channel")) o.Error("channel", "a sales alert goes to the owner's queue, not to a channel");
        var template = o.String("template", required: true);
        var priority = o.Int("priority", required: true);
        if (priority is < 0 or > 100) o.Error("priority", $"{priority} is out of range: use 0 to 100");
        var holdout = o.Number("holdout") ?? 0;
        if (holdout is < 0 or > 100) o.Error("holdout", "must be a percentage between 0 and 100");
        if (kind == RuleKind.SalesAlert && holdout > 0) o.Error("holdout", "sales alerts are not held out");
        var audience = Audience.Everyone;
        if (o.Object("audience") is { } a)
        {
            var segments = a.Array("segments").Select((x, i) => Obj.StringOf(x, $"{a.Path}.segments[{i}]", errors)).OfType<string>();
            var stages = a.Array("lifecycle").Select((x, i) => Obj.Enum<LifecycleStage>(x, $"{a.Path}.lifecycle[{i}]", errors)).ToArray();
            audience = new Audience([.. segments], [.. stages.OfType<LifecycleStage>()]);
        }
        var trigger = o.Object("trigger", required: true) is { } t ? ReadTrigger(t) : null;
        var conditions = o.Has("conditions") ? ReadCondition(o.Element.GetProperty("conditions"), $"{path}.conditions", errors) : null;
        var cooldown = o.Duration("cooldown") ?? TimeSpan.Zero;
        var expiry = o.Duration("expiry");
        var attribution = o.Duration("attributionWindow") ?? TimeSpan.FromDays(7);
        var dueIn = o.Duration("dueIn");
        if (kind == RuleKind.Marketing && o.Has("dueIn")) o.Error("dueIn", "only sales alerts are due");
        var goal = o.String("goal");
        deferred.Add(c =>
        {
            RulesCompiler.CheckReferences(path, channel, audience.Segments, trigger, goal, c.Consent, c.SegmentIds, c.Errors);
            if (conditions is not null) ConditionCompiler.Compile(conditions, c.Errors);
        });
        if (id is null || kind is null || template is null || priority is null || trigger is null || (kind == RuleKind.Marketing && channel is null))
            return null;
        return new RuleDefinition
        {
            Id = id, Description = o.String("description"), Kind = kind.Value, Category = o.String("category"), Channel = channel,
            Template = template, Priority = priority.Value, Audience = audience, Trigger = trigger, Conditions = conditions,
            Cooldown = cooldown, Expiry = expiry, Holdout = holdout, Goal = goal, AttributionWindow = attribution,
            DueIn = dueIn, NextStep = o.String("nextStep"), Paused = o.Bool("paused") ?? false,
        };
    }

    private static Trigger? ReadTrigger(Obj t)
    {
        var on = t.String("on", required: true);
        switch (on)
        {
            case "change":
                t.Only("on", "causes");
                return new ChangeTrigger([.. t.Array("causes").Select((x, i) => Obj.StringOf(x, $"{t.Path}.causes[{i}]", t.Errors)).OfType<string>()]);
            case "delay":
                t.Only("on", "cause", "after", "unless");
                var cause = t.String("cause", required: true);
                var after = t.Duration("after", required: true);
                var unless = t.Array("unless").Select((x, i) => Obj.StringOf(x, $"{t.Path}.unless[{i}]", t.Errors)).OfType<string>();
                return cause is null || after is null ? null : new DelayTrigger(cause, after.Value, [.. unless]);
            case "inactivity":
                t.Only("on", "after");
                return t.Duration("after", required: true) is { } idle ? new InactivityTrigger(idle) : null;
            case null:
                return null;
            default:
                t.Error("on", $"'{on}' is not a trigger: use change, delay or inactivity");
                return null;
        }
    }

    private static Condition? ReadCondition(JsonElement e, string path, List<RuleError> errors)
    {
        if (e.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new RuleError(path, "a condition is an object: {all: [...]}, {any: [...]}, {not: {...}} or {fact, op, value}"));
            return null;
        }
        if (e.TryGetProperty("all", out var all) || e.TryGetProperty("any", out all))
        {
            var name = e.TryGetProperty("all", out _) ? "all" : "any";
            var o = new Obj(e, path, errors, name);
            if (all.ValueKind != JsonValueKind.Array || all.GetArrayLength() == 0)
            {
                o.Error(name, "must be a non-empty array of conditions");
                return null;
            }
            var parts = all.EnumerateArray().Select((x, i) => ReadCondition(x, $"{path}.{name}[{i}]", errors)).ToArray();
            if (parts.Any(c => c is null)) return null;
            return name == "all" ? new AllOf([.. parts!]) { Path = path } : new AnyOf([.. parts!]) { Path = path };
        }
        if (e.TryGetProperty("not", out var not))
        {
            _ = new Obj(e, path, errors, "not");
            return ReadCondition(not, $"{path}.not", errors) is { } inner ? new Negation(inner) { Path = path } : null;
        }
        var p = new Obj(e, path, errors, "fact", "op", "value");
        var fact = p.String("fact", required: true);
        var op = p.Enum<Comparison>("op", required: true);
        if (op is not (Comparison.Exists or Comparison.Changed) && op is not null && !p.Has("value")) p.Missing("value");
        if (fact is null || op is null) return null;
        return new Predicate(fact, op.Value, p.Has("value") ? p.Element.GetProperty("value").Clone() : null) { Path = path };
    }

    private static void Duplicates(IEnumerable<(string? Id, string Path)> ids, string what, List<RuleError> errors)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (id, path) in ids)
            if (id is not null && !seen.Add(id)) errors.Add(new RuleError(path, $"duplicate {what} id '{id}'"));
    }

    internal static string Names<T>() where T : struct, Enum => string.Join(", ", Enum.GetValues<T>().Select(Facts.Name));

    /// <summary>An object being read: remembers its path, reports unknown members, and reads typed members.</summary>
    private sealed class Obj
    {
        public Obj(JsonElement element, string path, List<RuleError> errors, params string[]? allowed)
        {
            Element = element;
            Path = path;
            Errors = errors;
            if (element.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new RuleError(path, "must be an object"));
                return;
            }
            if (allowed is not null) Only(allowed);
        }

        public JsonElement Element { get; }
        public string Path { get; }
        public List<RuleError> Errors { get; }

        public static Obj? For(JsonElement e, string path, List<RuleError> errors, params string[]? allowed)
        {
            if (e.ValueKind == JsonValueKind.Object) return new Obj(e, path, errors, allowed);
            errors.Add(new RuleError(path, "must be an object"));
            return null;
        }

        public void Only(params string[] allowed)
        {
            if (Element.ValueKind != JsonValueKind.Object) return;
            foreach (var property in Element.EnumerateObject())
                if (!allowed.Contains(property.Name, StringComparer.Ordinal))
                    Errors.Add(new RuleError($"{Path}.{property.Name}", $"unknown member '{property.Name}': allowed are {string.Join(", ", allowed)}"));
        }

        public bool Has(string name) =>
            Element.ValueKind == JsonValueKind.Object && Element.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Undefined;

        public void Error(string name, string message) => Errors.Add(new RuleError($"{Path}.{name}", message));

        public T? Missing<T>(string name) where T : class
        {
            Error(name, "is required");
            return null;
        }

        public void Missing(string name) => Error(name, "is required");

        private JsonElement? Get(string name, bool required)
        {
            if (Has(name)) return Element.GetProperty(name);
            if (required) Missing(name);
            return null;
        }

        public Obj? Object(string name, bool required = false)
        {
            if (Get(name, required) is not { } e) return null;
            return For(e, $"{Path}.{name}", Errors, AllowedFor(name));
        }

        /// <summary>The members each named object may have; null where the reader checks them itself.</summary>
        private static string[]? AllowedFor(string name) => name switch
        {
            "policies" => ["defaultTimezone", "frequencyCaps", "quietHours", "consent", "salesOwnership", "priorityTiers", "spacing"],
            "spacing" => ["any", "channels", "exempt"],
            "quietHours" => ["start", "end", "channels"],
            "consent" or "trigger" => null,
            "salesOwnership" => ["suppressCategories", "alertOwner", "alertPriority", "digestWindow"],
            "priorityTiers" => ["high", "normal"],
            "scores" => ["weights", "halfLifeDays", "fitTitles", "revenueScale", "followersScale"],
            "weights" => ["intent", "engagement", "fit", "monetary", "influence"],
            "audience" => ["segments", "lifecycle"],
            _ => [],
        };

        public IEnumerable<JsonElement> Array(string name, bool required = false)
        {
            if (Get(name, required) is not { } e) return [];
            if (e.ValueKind == JsonValueKind.Array) return [.. e.EnumerateArray()];
            Error(name, "must be an array");
            return [];
        }

        public string? String(string name, bool required = false)
        {
            if (Get(name, required) is not { } e) return null;
            if (e.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(e.GetString())) return e.GetString();
            Error(name, "must be a non-empty string");
            return null;
        }

        public string? Id(string name)
        {
            var id = String(name, required: true);
            if (id is not null && !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                Error(name, $"'{id}' is not an id: use letters, digits, - _ or .");
                return null;
            }
            return id;
        }

        public double? Number(string name, bool required = false)
        {
            if (Get(name, required) is not { } e) return null;
            if (e.ValueKind == JsonValueKind.Number) return e.GetDouble();
            Error(name, "must be a number");
            return null;
        }

        public int? Int(string name, bool required = false)
        {
            if (Get(name, required) is not { } e) return null;
            if (e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var n)) return n;
            Error(name, "must be a whole number");
            return null;
        }

        public bool? Bool(string name)
        {
            if (Get(name, false) is not { } e) return null;
            if (e.ValueKind is JsonValueKind.True or JsonValueKind.False) return e.GetBoolean();
            Error(name, "must be true or false");
            return null;
        }

        public TimeSpan? Duration(string name, bool required = false)
        {
            if (Get(name, required) is not { } e) return null;
            if (e.ValueKind == JsonValueKind.String && Durations.TryParse(e.GetString(), out var span)) return span;
            Error(name, $"'{e.ToString()}' is not a duration: use ISO 8601 (PT4H, P30D) or 15m, 4h, 30d, 2w");
            return null;
        }

        public TimeOnly? Time(string name, bool required = false)
        {
            var text = String(name, required);
            if (text is null) return null;
            if (TimeOnly.TryParseExact(text, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time)) return time;
            Error(name, $"'{text}' is not a local time: use HH:mm, e.g. 21:00");
            return null;
        }

        public T? Enum<T>(string name, bool required = false) where T : struct, Enum =>
            Get(name, required) is { } e ? Enum<T>(e, $"{Path}.{name}", Errors) : null;

        public static T? Enum<T>(JsonElement e, string path, List<RuleError> errors) where T : struct, Enum
        {
            if (e.ValueKind == JsonValueKind.String && TryEnum<T>(e.GetString()!, out var value)) return value;
            errors.Add(new RuleError(path, $"'{e.ToString()}' is not one of {Names<T>()}"));
            return null;
        }

        public static bool TryEnum<T>(string text, out T value) where T : struct, Enum
        {
            value = default;
            foreach (var candidate in System.Enum.GetValues<T>())
            {
                if (Facts.Name(candidate) != text) continue;
                value = candidate;
                return true;
            }
            return false;
        }

        public static string? StringOf(JsonElement e, string path, List<RuleError> errors)
        {
            if (e.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(e.GetString())) return e.GetString();
            errors.Add(new RuleError(path, "must be a non-empty string"));
            return null;
        }
    }

    /// <summary>Where each JSON path starts in the text, so errors can name a line and column.</summary>
    private sealed class Positions
    {
        private readonly Dictionary<string, (int Line, int Column)> starts = new(StringComparer.Ordinal);

        public static Positions Of(string json)
        {
            var positions = new Positions();
            var bytes = Encoding.UTF8.GetBytes(json);
            var lineStarts = new List<int> { 0 };
            for (var i = 0; i < bytes.Length; i++) if (bytes[i] == '\n') lineStarts.Add(i + 1);
            (int, int) At(long offset)
            {
                var line = lineStarts.BinarySearch((int)offset);
                if (line < 0) line = ~line - 1;
                return (line + 1, Encoding.UTF8.GetCharCount(bytes, lineStarts[line], (int)offset - lineStarts[line]) + 1);
            }
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            var stack = new Stack<(string Path, int Index, bool IsArray)>();
            string? property = null;
            var current = "$";
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.PropertyName:
                        property = reader.GetString();
                        positions.starts.TryAdd($"{stack.Peek().Path}.{property}", At(reader.TokenStartIndex));
                        continue;
                    case JsonTokenType.StartObject or JsonTokenType.StartArray:
                        current = Next(stack, property, current);
                        positions.starts.TryAdd(current, At(reader.TokenStartIndex));
                        stack.Push((current, 0, reader.TokenType == JsonTokenType.StartArray));
                        break;
                    case JsonTokenType.EndObject or JsonTokenType.EndArray:
                        stack.Pop();
                        break;
                    default:
                        positions.starts.TryAdd(Next(stack, property, current), At(reader.TokenStartIndex));
                        break;
                }
                property = null;
            }
            return positions;
        }

        private static string Next(Stack<(string Path, int Index, bool IsArray)> stack, string? property, string current)
        {
            if (stack.Count == 0) return "$";
            var (path, index, isArray) = stack.Pop();
            stack.Push((path, isArray ? index + 1 : index, isArray));
            return isArray ? $"{path}[{index}]" : $"{path}.{property}";
        }

        public RuleError Locate(RuleError error)
        {
            for (var path = error.Path; path.Length > 0; path = Parent(path))
                if (starts.TryGetValue(path, out var at)) return error with { Line = at.Line, Column = at.Column };
            return error;
        }

        private static string Parent(string path)
        {
            var cut = Math.Max(path.LastIndexOf('.'), path.LastIndexOf('['));
            return cut <= 0 ? "" : path[..cut];
        }
    }
}
