using System.Collections.Immutable;

namespace Touchpoints.Core.Rules;

public sealed record CompiledSegment(string Id, CompiledCondition When);

public sealed record CompiledRule(RuleDefinition Definition, int Order, CompiledCondition Conditions);

/// <summary>A rules document compiled once: every condition a delegate, ready to evaluate many customers.</summary>
public sealed record CompiledRules(RulesDocument Document, string Version, ImmutableArray<CompiledSegment> Segments, ImmutableArray<CompiledRule> Rules)
{
    public Policies Policies => Document.Policies;
}

/// <summary>Validates a document's meaning (facts, operators, values, references) and compiles it.</summary>
public static class RulesCompiler
{
    private static readonly string[] CausePrefixes = ["web.", "social.", "crm.", "segment.entered:", "segment.left:", "identity."];

    public static (CompiledRules? Rules, IReadOnlyList<RuleError> Errors) Compile(RulesDocument document, string version)
    {
        var errors = new List<RuleError>();
        var segmentIds = document.Segments.Select(s => s.Id).ToHashSet(StringComparer.Ordinal);
        var segments = document.Segments.Select(s => new CompiledSegment(s.Id, ConditionCompiler.Compile(s.When, errors))).ToImmutableArray();
        var rules = ImmutableArray.CreateBuilder<CompiledRule>();
        for (var i = 0; i < document.Rules.Length; i++)
        {
            var rule = document.Rules[i];
            CheckReferences($"$.rules[{i}]", rule.Channel, rule.Audience.Segments, rule.Trigger, rule.Goal, document.Policies.Consent, segmentIds, errors);
            var conditions = rule.Conditions is null ? CompiledCondition.Always : ConditionCompiler.Compile(rule.Conditions, errors);
            rules.Add(new CompiledRule(rule, i, conditions));
        }
        return errors.Count > 0 ? (null, errors) : (new CompiledRules(document, version, segments, rules.ToImmutable()), errors);
    }

    /// <summary>Reads, validates and compiles a document given as text: every error at once, with lines and columns.</summary>
    public static (CompiledRules? Rules, IReadOnlyList<RuleError> Errors) Compile(string json, string version)
    {
        var (document, errors) = RulesDocumentReader.Read(json);
        if (document is null) return (null, errors);
        var (rules, semantic) = Compile(document, version);
        if (semantic.Count == 0) return (rules, []);
        return (null, RulesDocumentReader.Locate(json, semantic));
    }

    /// <summary>What a rule refers to outside itself: its channel's consent mapping, segments, and causes.</summary>
    internal static void CheckReferences(
        string path, Channel? channel, ImmutableArray<string> audienceSegments, Trigger? trigger, string? goal,
        IReadOnlyDictionary<Channel, ConsentPolicy>? consent, IReadOnlySet<string> segmentIds, List<RuleError> errors)
    {
        if (channel is { } c && consent is not null && !consent.ContainsKey(c))
            errors.Add(new RuleError($"{path}.channel", $"channel '{Facts.Name(c)}' has no consent mapping in $.policies.consent"));
        foreach (var (segment, j) in audienceSegments.Select((s, j) => (s, j)))
            if (!segmentIds.Contains(segment)) errors.Add(new RuleError($"{path}.audience.segments[{j}]", $"unknown segment '{segment}'"));
        var causes = trigger switch
        {
            ChangeTrigger t => t.Causes.Select((cause, j) => (cause, $"{path}.trigger.causes[{j}]")),
            DelayTrigger d => d.Unless.Select((cause, j) => (cause, $"{path}.trigger.unless[{j}]")).Prepend((d.Cause, $"{path}.trigger.cause")),
            _ => [],
        };
        if (goal is not null) causes = causes.Append((goal, $"{path}.goal"));
        foreach (var (cause, causePath) in causes) CheckCause(cause, causePath, segmentIds, errors);
    }

    private static void CheckCause(string cause, string path, IReadOnlySet<string> segments, List<RuleError> errors)
    {
        if (!CausePrefixes.Any(p => cause.StartsWith(p, StringComparison.Ordinal)) || CausePrefixes.Contains(cause))
        {
            errors.Add(new RuleError(path, $"'{cause}' is not a cause: use an event type (web.track.Order Completed, crm.ticket.opened, social.review) or segment.entered:<id> / segment.left:<id>"));
            return;
        }
        var colon = cause.IndexOf(':', StringComparison.Ordinal);
        if (cause.StartsWith("segment.", StringComparison.Ordinal) && !segments.Contains(cause[(colon + 1)..]))
            errors.Add(new RuleError(path, $"unknown segment '{cause[(colon + 1)..]}'"));
    }
}
