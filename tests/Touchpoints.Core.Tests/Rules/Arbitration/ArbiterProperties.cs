using FsCheck;
using FsCheck.Fluent;
using Touchpoints.Core.Events;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Views;
using static Touchpoints.Core.Tests.Rules.Arbitration.Given;

namespace Touchpoints.Core.Tests.Rules.Arbitration;

/// <summary>One step of a customer's story: time passes, then a change with its causes, or the timer.</summary>
internal sealed record Step(int Minutes, string[] Causes, bool Timer)
{
    public override string ToString() => Timer ? $"+{Minutes}m timer" : $"+{Minutes}m change [{string.Join(", ", Causes)}]";
}

/// <summary>A customer and a story, from a start time.</summary>
internal sealed record Story(CustomerView View, DateTimeOffset Start, Step[] Steps)
{
    public override string ToString() =>
        $"zone={View.Traits.Timezone?.Value} consent=email:{View.Consent.StatusOf(ConsentChannel.Email)} sms:{View.Consent.StatusOf(ConsentChannel.Sms)} "
        + $"mail:{View.Consent.StatusOf(ConsentChannel.Mail)} owner={View.Touchpoints.Sales?.Owner?.Value} open={View.Touchpoints.Sales?.Opportunity?.Open} "
        + $"cart={View.Touchpoints.Web?.Cart?.Value} start={Start:O}\n  {string.Join("\n  ", Steps.Select(s => s.ToString()))}";
}

public class ArbiterProperties
{
    private static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(200);

    private const string Quiet = """{ "start": "21:00", "end": "08:00", "channels": ["sms", "push", "phone"] }""";
    private const string Caps = """
        [{ "channel": "email", "max": 2, "per": "week" }, { "channel": "push", "max": 2, "per": "day" },
         { "channel": "sms", "max": 1, "per": "36h" }, { "max": 3, "per": "day" }, { "max": 8, "per": "month" }]
        """;

    /// <summary>Every channel, categories with and without sales ownership, a delay rule, goals, hold-outs, cooldowns and alerts.</summary>
    private static readonly CompiledRules Everything = Doc($$"""
        {{Marketing("promo-email", "email", 80, Viewed, """, "category": "promotion", "goal": "web.track.Order Completed" """)}},
        {{Marketing("nurture-sms", "sms", 70, Viewed, """, "category": "nurture" """)}},
        {{Marketing("reminder-push", "push", 60, Added, """, "category": "reminder", "cooldown": "1d" """)}},
        {{Marketing("promo-push", "push", 55, Viewed, """, "category": "promotion", "holdout": 50, "goal": "web.track.Order Completed" """)}},
        {{Marketing("news-mail", "mail", 40, Ordered, """, "expiry": "6h" """)}},
        {{Marketing("phone-call", "phone", 35, Added)}},
        {{Marketing("in-app", "inApp", 20, Viewed, """, "category": "nurture", "cooldown": "12h" """)}},
        {{Marketing("promo-email-2", "email", 50, Added, """, "category": "promotion" """)}},
        { "id": "cart", "kind": "marketing", "channel": "email", "template": "cart-reminder", "priority": 65,
          "trigger": { "on": "delay", "cause": "{{Added}}", "after": "4h", "unless": ["{{Ordered}}"] },
          "conditions": { "fact": "touchpoints.web.cart.value", "op": "gt", "value": 0 } },
        { "id": "idle", "kind": "marketing", "channel": "push", "template": "miss-you", "priority": 10, "trigger": { "on": "inactivity", "after": "2d" } },
        {{Alert("ticket", 90, "crm.ticket.opened", """, "cooldown": "1h" """)}}
        """, caps: Caps, quiet: Quiet);

    private static readonly string[] Categories = ["promotion", "nurture"];

    private static Gen<CustomerView> Views =>
        from zone in Gen.Elements("Europe/London", "America/New_York", "Asia/Tokyo")
        from email in Gen.Elements(ConsentStatus.Granted, ConsentStatus.Denied, ConsentStatus.Unknown)
        from sms in Gen.Elements(ConsentStatus.Granted, ConsentStatus.Denied, ConsentStatus.Unknown)
        from phone in Gen.Elements(ConsentStatus.Granted, ConsentStatus.Denied, ConsentStatus.Unknown)
        from mail in Gen.Elements(ConsentStatus.Granted, ConsentStatus.Denied, ConsentStatus.Unknown)
        from owner in Gen.Elements<string?>(null, "maria")
        from open in Gen.Elements(true, false)
        from cart in Gen.Elements(0m, 40m)
        select Ann().InZone(zone).OwnedBy(owner, open).WithCart(cart)
            .WithConsent(ConsentChannel.Email, email).WithConsent(ConsentChannel.Sms, sms)
            .WithConsent(ConsentChannel.Phone, phone).WithConsent(ConsentChannel.Mail, mail);

    private static Gen<Step> Steps =>
        from minutes in Gen.Frequency((3, Gen.Choose(0, 120)), (2, Gen.Choose(120, 1440)), (1, Gen.Choose(1440, 6 * 1440)))
        from causes in Gen.Elements<string[]>([Viewed], [Added], [Ordered], [Viewed, Added], ["crm.ticket.opened"], [Added, Ordered], [])
        from timer in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
        select new Step(minutes, causes, timer);

    private static readonly DateTimeOffset[] Starts =
        [Now, new(2025, 3, 29, 19, 0, 0, TimeSpan.Zero), new(2025, 10, 25, 19, 0, 0, TimeSpan.Zero), new(2025, 11, 1, 20, 0, 0, TimeSpan.Zero)];

    private static Arbitrary<Story> Stories => Arb.From(
        from view in Views
        from start in Gen.Elements(Starts)
        from count in Gen.Choose(1, 30)
        from steps in Gen.ArrayOf(Steps, count)
        select new Story(view, start, steps),
        story => Enumerable.Range(0, story.Steps.Length).Select(i => story with { Steps = [.. story.Steps.Where((_, j) => j != i)] }));

    /// <summary>Plays a story: each step's time, what it was given and what it decided.</summary>
    private static List<(DateTimeOffset Now, CustomerView View, RuleState State, Step Step, EvaluationResult Result)> Play(CompiledRules rules, Story story)
    {
        var played = new List<(DateTimeOffset, CustomerView, RuleState, Step, EvaluationResult)>();
        var state = Fresh(story.View);
        var now = story.Start;
        var version = story.View.Version;
        foreach (var step in story.Steps)
        {
            now = now.AddMinutes(step.Minutes);
            var view = story.View with { Version = step.Timer ? version : ++version };
            var result = step.Timer ? Arbiter.OnSchedule(rules, view, state, now) : Arbiter.OnChange(rules, view, state, step.Causes, now);
            played.Add((now, view, state, step, result));
            state = result.State;
        }
        return played;
    }

    private static bool Sends(Decision d) => d.Outcome is DecisionOutcome.Queued or DecisionOutcome.Deferred;

    [Fact]
    public void No_cap_window_ever_holds_more_than_its_cap()
    {
        Check.One(Config, Prop.ForAll(Stories, story =>
        {
            var zone = TimeZoneInfo.FindSystemTimeZoneById(story.View.Traits.Timezone!.Value);
            var sent = Play(Everything, story).SelectMany(p => p.Result.Decisions)
                .Where(d => d.Kind == RuleKind.Marketing && Sends(d)).Select(d => (Channel: d.Channel!.Value, d.NotBefore)).ToArray();
            var failures = new List<string>();
            foreach (var cap in Everything.Policies.FrequencyCaps)
            {
                var times = sent.Where(s => cap.Channel is null || s.Channel == cap.Channel).Select(s => s.NotBefore).Order().ToArray();
                if (cap.Window.Unit == CapWindowUnit.Rolling)
                {
                    // Independently of CapWindows: every span [t, t + L) starting at a send.
                    foreach (var t in times)
                    {
                        var count = times.Count(x => x >= t && x < t + cap.Window.Rolling);
                        if (count > cap.Max) failures.Add($"{count} in {cap.Window} from {t:O} ({cap.Channel})");
                    }
                    continue;
                }
                foreach (var group in times.GroupBy(t => LocalKey(cap.Window.Unit, t, zone)).Where(g => g.Count() > cap.Max))
                    failures.Add($"{group.Count()} in the {cap.Window} of {group.Key} ({cap.Channel?.ToString() ?? "any"}): {string.Join(", ", group.Select(t => t.ToString("O", null)))}");
            }
            return (failures.Count == 0).Label($"{story}\n{string.Join("\n", failures)}");
        }));
    }

    /// <summary>The local calendar window of an instant, computed here without the product's code.</summary>
    private static DateTime LocalKey(CapWindowUnit unit, DateTimeOffset at, TimeZoneInfo zone)
    {
        var local = TimeZoneInfo.ConvertTime(at, zone).Date;
        return unit switch
        {
            CapWindowUnit.Day => local,
            CapWindowUnit.Week => local.AddDays(local.DayOfWeek == DayOfWeek.Sunday ? -6 : 1 - (int)local.DayOfWeek),
            _ => new DateTime(local.Year, local.Month, 1),
        };
    }

    [Fact]
    public void Nothing_ever_goes_out_on_a_channel_without_consent()
    {
        Check.One(Config, Prop.ForAll(Stories, story =>
        {
            var bad = Play(Everything, story).SelectMany(p => p.Result.Communications).Where(c =>
            {
                var policy = Everything.Policies.Consent[c.Channel];
                if (policy.RequiresConsentOf is not { } needed) return false;
                var status = story.View.Consent.StatusOf(needed);
                return status == ConsentStatus.Denied || status == ConsentStatus.Unknown && !policy.UnknownAllows;
            }).Select(c => $"{c.RuleId} on {c.Channel}").ToArray();
            return (bad.Length == 0).Label($"{story}\n{string.Join(", ", bad)}");
        }));
    }

    [Fact]
    public void A_listed_category_never_goes_to_a_customer_owned_by_sales_and_the_owner_hears_of_it()
    {
        Check.One(Config, Prop.ForAll(Stories, story =>
        {
            var owned = story.View.Touchpoints.Sales is { Owner: not null, Opportunity.Open: true };
            var categories = Everything.Rules.ToDictionary(r => r.Definition.Id, r => r.Definition.Category);
            var played = Play(Everything, story);
            var sent = played.SelectMany(p => p.Result.Communications).Select(c => c.RuleId)
                .Where(id => categories[id] is { } c && Categories.Contains(c)).ToArray();
            var salesOwned = played.SelectMany(p => p.Result.Decisions).Count(d => d.SuppressedBecause == SuppressionReason.SalesOwned);
            // One alert per owner and evaluation: the owner alerts of one evaluation come as one message, the rest in its digest.
            var ownerAlerts = played.SelectMany(p => p.Result.SalesAlerts)
                .SelectMany(a => new[] { (a.Template, a.Owner) }.Concat((a.Digest ?? []).Select(d => (d.Template, a.Owner))))
                .Where(a => a.Template == Arbiter.OwnerAlertTemplate).Select(a => (Owner: a.Owner, a.Template)).ToArray();
            return (owned ? sent.Length == 0 && ownerAlerts.Length == salesOwned && ownerAlerts.All(a => a.Owner == "maria") : salesOwned == 0 && ownerAlerts.Length == 0)
                .Label($"{story}\nsent: {string.Join(", ", sent)}; salesOwned: {salesOwned}; alerts: {ownerAlerts.Length}");
        }));
    }

    [Fact]
    public void When_only_one_fits_the_cap_the_highest_priority_wins_ties_going_to_the_first()
    {
        var cases = Arb.From(
            from count in Gen.Choose(2, 6)
            from priorities in Gen.ArrayOf(Gen.Choose(0, 100), count)
            from channels in Gen.ArrayOf(Gen.Elements("email", "push", "mail", "inApp"), count)
            from sent in Gen.Choose(0, 1)
            select (priorities, channels, sent));
        Check.One(Config.WithMaxTest(100), Prop.ForAll(cases, c =>
        {
            var rules = Doc(string.Join(",\n", c.priorities.Select((p, i) => Marketing($"r{i}", c.channels[i], p))),
                caps: """[{ "max": 2, "per": "day" }]""");
            var state = Fresh(Ann()).WithSent([.. Enumerable.Range(0, c.sent).Select(i => Sent("earlier", Now.AddHours(-1)))]);

            var result = Change(rules, Ann(), state);

            var best = c.priorities.Select((p, i) => (p, i)).OrderByDescending(x => x.p).ThenBy(x => x.i).Take(2 - c.sent).Select(x => $"r{x.i}");
            return result.Communications.Select(m => m.RuleId).SequenceEqual(best)
                .Label($"priorities {string.Join(", ", c.priorities)}; sent before {c.sent}; got {string.Join(", ", result.Communications.Select(m => m.RuleId))}");
        }));
    }

    [Fact]
    public void The_same_input_always_gives_the_same_result()
    {
        Check.One(Config.WithMaxTest(100), Prop.ForAll(Stories, story =>
        {
            var once = Play(Everything, story).Select(p => Show(p.Result)).ToArray();
            var twice = Play(Everything, story).Select(p => Show(p.Result)).ToArray();
            return once.SequenceEqual(twice).Label(story.ToString());
        }));
    }

    [Fact]
    public void Replaying_an_evaluation_on_the_state_it_produced_decides_nothing_new()
    {
        Check.One(Config, Prop.ForAll(Stories, story =>
        {
            var failures = new List<string>();
            foreach (var (now, view, _, step, result) in Play(Everything, story))
            {
                var replay = step.Timer ? Arbiter.OnSchedule(Everything, view, result.State, now) : Arbiter.OnChange(Everything, view, result.State, step.Causes, now);
                if (!replay.Decisions.IsEmpty || !replay.Communications.IsEmpty || !replay.SalesAlerts.IsEmpty)
                    failures.Add($"{step}: {string.Join(", ", replay.Decisions.Select(d => $"{d.RuleId} {d.Outcome}"))}");
                if (replay.Stats.Any(s => s.Counter is "queued" or "deferred" or "heldOut" || s.Counter.StartsWith("converted", StringComparison.Ordinal)))
                    failures.Add($"{step}: counted again {string.Join(", ", replay.Stats.Select(s => s.Counter))}");
            }
            return (failures.Count == 0).Label($"{story}\n{string.Join("\n", failures)}");
        }));
    }

    [Fact]
    public void Every_decision_id_is_unique_across_a_story()
    {
        Check.One(Config.WithMaxTest(100), Prop.ForAll(Stories, story =>
        {
            var ids = Play(Everything, story).SelectMany(p => p.Result.Decisions).Select(d => d.Id).ToArray();
            return (ids.Distinct(StringComparer.Ordinal).Count() == ids.Length).Label(story.ToString());
        }));
    }
}
