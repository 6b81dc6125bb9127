using Touchpoints.Core.Identity;
using System.Text.RegularExpressions;
using Touchpoints.Core.Events;
using Touchpoints.Core.Rules;
using Touchpoints.Core.Views;
using static Touchpoints.Core.Tests.Rules.Arbitration.Given;

namespace Touchpoints.Core.Tests.Rules.Arbitration;

public partial class ArbiterTests
{
    [GeneratedRegex("^d-[0-9a-f]{24}$")]
    private static partial Regex IdFormat();

    [Fact]
    public void A_matching_change_rule_queues_a_communication_with_recipient_reasons_and_queue()
    {
        var rules = Doc(Marketing("welcome", priority: 50, extra: """, "conditions": { "fact": "traits.email", "op": "exists" }"""));

        var result = Change(rules, Ann());

        var decision = Assert.Single(result.Decisions);
        Assert.Equal(DecisionOutcome.Queued, decision.Outcome);
        Assert.Equal("communications-normal", decision.Queue);
        Assert.Equal(Now, decision.NotBefore);
        Assert.Equal("v7", decision.Occurrence);
        Assert.Matches(IdFormat(), decision.Id);
        Assert.Equal($"on {Viewed}", decision.Reasons[0]);
        Assert.Contains("email is known (is ann@example.com)", decision.Reasons);
        var message = Assert.Single(result.Communications);
        Assert.Equal(decision.Id, message.Id);
        Assert.Equal(new Recipient("Ann Lee", "ann@example.com", "en-GB", "Europe/London"), message.Recipient);
        Assert.Equal(Channel.Email, message.Channel);
        Assert.Equal("welcome-template", message.Template);
        Assert.Equal(1, result.Stat("welcome", "evaluated"));
        Assert.Equal(1, result.Stat("welcome", "queued"));
        Assert.All(result.Stats, s => Assert.Equal(new DateOnly(2025, 3, 3), s.Day));
        Assert.Equal(7, result.State.LastVersion);
        Assert.Equal(decision.Id, Assert.Single(result.State.Sent).DecisionId);
        Assert.Contains(decision.Id, result.State.Decided);
    }

    [Fact]
    public void A_rule_whose_causes_do_not_intersect_the_change_is_not_evaluated_and_one_without_causes_is()
    {
        var rules = Doc($$"""
            {{Marketing("on-order", cause: Ordered)}},
            { "id": "any", "kind": "marketing", "channel": "push", "template": "t", "priority": 10, "trigger": { "on": "change" } }
            """);

        var result = Change(rules, Ann(), causes: Viewed);

        Assert.Equal("any", Assert.Single(result.Decisions).RuleId);
        Assert.Equal("on any change", result.Decisions[0].Reasons[0]);
        Assert.Equal(0, result.Stat("on-order", "evaluated"));
    }

    [Theory]
    [InlineData(80, "communications-high")]
    [InlineData(70, "communications-high")]
    [InlineData(69, "communications-normal")]
    [InlineData(30, "communications-normal")]
    [InlineData(29, "communications-low")]
    public void Priority_tiers_route_to_the_high_normal_or_low_queue(int priority, string queue)
    {
        var result = Change(Doc(Marketing("r", priority: priority)), Ann());

        Assert.Equal(queue, Assert.Single(result.Decisions).Queue);
    }

    [Fact]
    public void Audience_segments_and_lifecycle_must_hold_and_a_miss_on_a_change_records_nothing()
    {
        var rules = Doc(
            $$"""
            {{Marketing("vip", extra: """, "audience": { "segments": ["big"] }""")}},
            {{Marketing("leads", channel: "push", extra: """, "audience": { "lifecycle": ["lead", "known"] }""")}},
            {{Marketing("customers", channel: "sms", extra: """, "audience": { "lifecycle": ["customer"] }""")}}
            """,
            segments: """{ "id": "big", "when": { "fact": "scores.value", "op": "gte", "value": 60 } }""");

        var outsider = Change(rules, Ann());
        var insider = Change(rules, Ann() with { Segments = ["big"] });

        Assert.Equal(["leads"], outsider.Decisions.Select(d => d.RuleId));
        Assert.Equal(1, outsider.Stat("vip", "evaluated"));
        Assert.Equal(["vip", "leads"], insider.Decisions.Select(d => d.RuleId));
    }

    [Fact]
    public void A_rule_in_cooldown_is_suppressed_and_one_past_it_is_sent()
    {
        var rules = Doc(Marketing("r", extra: """, "cooldown": "3d" """));

        var recent = Change(rules, Ann(), Fresh(Ann()).WithSent(Sent("r", Now.AddDays(-1))));
        var past = Change(rules, Ann(), Fresh(Ann()).WithSent(Sent("r", Now.AddDays(-4))));

        var suppressed = recent.Only("r");
        Assert.Equal(SuppressionReason.Cooldown, suppressed.SuppressedBecause);
        Assert.Equal("last sent 1 day ago, within the cooldown of 3 days", suppressed.Explanation);
        Assert.Equal(1, recent.Stat("r", "suppressed.cooldown"));
        Assert.Empty(recent.Communications);
        Assert.Equal(DecisionOutcome.Queued, past.Only("r").Outcome);
    }

    [Theory]
    [InlineData("email", ConsentChannel.Email, ConsentStatus.Denied, false, "email consent is denied")]
    [InlineData("email", ConsentChannel.Email, ConsentStatus.Unknown, true, null)]
    [InlineData("email", ConsentChannel.Email, ConsentStatus.Granted, true, null)]
    [InlineData("sms", ConsentChannel.Sms, ConsentStatus.Unknown, false, "sms consent is unknown, which does not allow sms")]
    [InlineData("sms", ConsentChannel.Sms, ConsentStatus.Granted, true, null)]
    [InlineData("push", ConsentChannel.Email, ConsentStatus.Denied, true, null)]
    public void Consent_follows_the_channel_policy(string channel, ConsentChannel consent, ConsentStatus status, bool sent, string? explanation)
    {
        var view = Ann().WithConsent(consent, status);
        if (channel == "push") view = view.WithConsent(ConsentChannel.Sms, ConsentStatus.Denied).WithConsent(ConsentChannel.Phone, ConsentStatus.Denied);

        var result = Change(Doc(Marketing("r", channel: channel)), view);

        var decision = result.Only("r");
        Assert.Equal(sent, decision.Outcome == DecisionOutcome.Queued);
        if (!sent) Assert.Equal((SuppressionReason.Consent, explanation), (decision.SuppressedBecause!.Value, decision.Explanation));
    }

    [Theory]
    [InlineData("email", "email", "no email address")]
    [InlineData("sms", "phone", "no phone number")]
    [InlineData("phone", "phone", "no phone number")]
    [InlineData("push", "userId", "no user id to reach the app (push)")]
    [InlineData("inApp", "userId", "no user id to reach the app (inApp)")]
    [InlineData("mail", "name", "no name to address a letter to")]
    public void A_channel_without_an_address_is_suppressed(string channel, string missing, string explanation)
    {
        var ann = Ann().WithConsent(ConsentChannel.Sms, ConsentStatus.Granted).WithConsent(ConsentChannel.Phone, ConsentStatus.Granted);
        var view = missing switch
        {
            "email" => ann with { Traits = ann.Traits with { Email = null } },
            "phone" => ann with { Traits = ann.Traits with { Phone = null } },
            "userId" => ann with { Identities = ["email:ann@example.com"] },
            _ => ann with { Traits = ann.Traits with { Name = null } },
        };
        var rules = Doc(Marketing("r", channel: channel));

        var without = Change(rules, view).Only("r");
        var with = Change(rules, ann);

        Assert.Equal((SuppressionReason.NoAddress, explanation), (without.SuppressedBecause!.Value, without.Explanation));
        Assert.Equal(DecisionOutcome.Queued, with.Only("r").Outcome);
        var expected = missing switch { "email" => "ann@example.com", "phone" => "+447700900123", "userId" => "u-1001", _ => "Ann Lee" };
        Assert.Equal(expected, Assert.Single(with.Communications).Recipient.Address);
    }

    [Fact]
    public void A_listed_category_for_a_customer_owned_by_sales_with_an_open_opportunity_alerts_the_owner_instead()
    {
        var rules = Doc(Marketing("spring-sale", extra: """, "category": "promotion" """));
        var view = Ann().OwnedBy("maria@ourco.com", openOpportunity: true) with
        {
            Journal = [.. Enumerable.Range(1, 7).Select(i => new JournalEntry(Now.AddHours(-i), Touchpoint.Web, $"viewed page {i}", $"e{i}"))],
        };
        var state = Fresh(view).WithSent(Sent("newsletter", Now.AddDays(-2)), Sent("old-news", Now.AddDays(-40)));

        var result = Change(rules, view, state);

        var suppressed = result.Only("spring-sale");
        Assert.Equal(SuppressionReason.SalesOwned, suppressed.SuppressedBecause);
        Assert.Equal("maria@ourco.com owns this customer with an open opportunity (Proposal); promotion marketing waits", suppressed.Explanation);
        Assert.Empty(result.Communications);
        var alert = Assert.Single(result.SalesAlerts);
        Assert.Equal("maria@ourco.com", alert.Owner);
        Assert.Equal(Arbiter.OwnerAlertTemplate, alert.Template);
        Assert.Equal(70, alert.Priority);
        Assert.Equal("spring-sale", alert.RuleId);
        Assert.Equal("marketing wanted to send 'spring-sale-template' (promotion) on email (rule spring-sale)", alert.Reasons[0]);
        Assert.Equal(["e1", "e2", "e3", "e4", "e5"], alert.RecentActivity.Select(e => e.EventId));
        Assert.Equal(["newsletter"], alert.RecentMarketing.Select(m => m.RuleId));
        Assert.Equal(Now.AddDays(1), alert.Due);
        Assert.NotEqual(suppressed.Id, alert.Id);
        var alertDecision = Assert.Single(result.Decisions, d => d.Template == Arbiter.OwnerAlertTemplate);
        Assert.Equal((RuleKind.SalesAlert, "sales-alerts", alert.Id), (alertDecision.Kind, alertDecision.Queue, alertDecision.Id));
        Assert.Equal(1, result.Stat("spring-sale", "suppressed.salesOwned"));
        Assert.Equal(1, result.Stat("spring-sale", "ownerAlerted"));
    }

    [Theory]
    [InlineData("maria", false, "promotion", true)]
    [InlineData(null, true, "promotion", true)]
    [InlineData("maria", true, "reminder", true)]
    [InlineData("maria", true, "nurture", false)]
    public void Sales_ownership_needs_an_owner_an_open_opportunity_and_a_listed_category(string? owner, bool open, string category, bool sent)
    {
        var rules = Doc(Marketing("r", extra: $$""", "category": "{{category}}" """));

        var result = Change(rules, Ann().OwnedBy(owner, open));

        Assert.Equal(sent, result.Only("r").Outcome == DecisionOutcome.Queued);
    }

    [Fact]
    public void Without_alertOwner_a_sales_owned_suppression_raises_no_alert()
    {
        var rules = Doc(Marketing("r", extra: """, "category": "promotion" """),
            ownership: """{ "suppressCategories": ["promotion"], "alertOwner": false }""");

        var result = Change(rules, Ann().OwnedBy("maria", true));

        Assert.Equal(SuppressionReason.SalesOwned, Assert.Single(result.Decisions).SuppressedBecause);
        Assert.Empty(result.SalesAlerts);
    }

    [Fact]
    public void A_sales_alert_rule_goes_to_sales_alerts_uncapped_without_quiet_hours_and_unassigned_without_owner()
    {
        var rules = Doc(
            Alert("ticket-vip", extra: """, "dueIn": "4h", "nextStep": "Call within the day", "expiry": "2d" """),
            caps: """[{ "max": 0, "per": "day" }]""",
            quiet: """{ "start": "00:00", "end": "23:59" }""");

        var result = Change(rules, Ann(), causes: "crm.ticket.opened");

        var decision = Assert.Single(result.Decisions);
        Assert.Equal((DecisionOutcome.Queued, "sales-alerts", Now), (decision.Outcome, decision.Queue, decision.NotBefore));
        var alert = Assert.Single(result.SalesAlerts);
        Assert.Null(alert.Owner);
        Assert.Equal(Now.AddHours(4), alert.Due);
        Assert.Equal(Now.AddDays(2), alert.ExpiresAt);
        Assert.Equal("Call within the day", alert.NextStep);
        Assert.Equal(new Recipient("Ann Lee", "ann@example.com", "en-GB", "Europe/London"), alert.Customer);
        Assert.Empty(result.Communications);
        Assert.Equal(1, result.Stat("ticket-vip", "queued"));
    }

    [Fact]
    public void A_full_hold_out_records_a_held_out_decision_with_a_pending_goal_and_sends_nothing()
    {
        var rules = Doc(Marketing("r", extra: $$""", "holdout": 100, "goal": "{{Ordered}}", "attributionWindow": "3d" """));

        var result = Change(rules, Ann());

        var decision = result.Only("r");
        Assert.Equal(DecisionOutcome.HeldOut, decision.Outcome);
        Assert.Equal(Now.AddDays(3), decision.AttributionUntil);
        Assert.Empty(result.Communications);
        Assert.Equal(new PendingGoal(decision.Id, "r", Ordered, false, Now.AddDays(3)), Assert.Single(result.State.Pending));
        Assert.Equal(1, result.Stat("r", "heldOut"));
        Assert.True(Assert.Single(result.State.Sent).HeldOut);
    }

    [Fact]
    public void The_hold_out_is_a_stable_share_of_customers_per_rule()
    {
        var ids = Enumerable.Range(0, 4000).Select(i => $"c-{i}").ToArray();

        var heldA = ids.Count(id => Arbiter.HoldoutBucket(new CustomerId(id), "rule-a") < 20);
        var heldB = ids.Where(id => Arbiter.HoldoutBucket(new CustomerId(id), "rule-b") < 20).ToArray();

        Assert.InRange(heldA, 700, 900);
        Assert.InRange(heldB.Length, 700, 900);
        Assert.NotEqual(ids.Where(id => Arbiter.HoldoutBucket(new CustomerId(id), "rule-a") < 20), heldB);
        Assert.All(ids.Take(50), id => Assert.Equal(Arbiter.HoldoutBucket(new CustomerId(id), "rule-a"), Arbiter.HoldoutBucket(new CustomerId(id), "rule-a")));
        Assert.All(ids, id => Assert.InRange(Arbiter.HoldoutBucket(new CustomerId(id), "rule-a"), 0, 99.999999));
    }

    [Fact]
    public void Held_out_customers_observe_the_rules_cooldown_like_treated_ones()
    {
        var rules = Doc(Marketing("r", extra: """, "holdout": 100, "cooldown": "2d" """));

        var first = Change(rules, Ann());
        var second = Change(rules, Ann() with { Version = 8 }, first.State, Now.AddDays(1));

        Assert.Equal(DecisionOutcome.HeldOut, first.Only("r").Outcome);
        Assert.Equal(SuppressionReason.Cooldown, second.Only("r").SuppressedBecause);
    }

    [Fact]
    public void Candidates_are_taken_by_priority_while_the_caps_allow_and_the_rest_say_which_cap()
    {
        var rules = Doc(
            $$"""
            {{Marketing("low", priority: 10)}},
            {{Marketing("high", priority: 90)}},
            {{Marketing("mid", priority: 50)}},
            {{Marketing("mid-too", priority: 50)}},
            {{Marketing("push", channel: "push", priority: 5)}}
            """,
            caps: """[{ "channel": "email", "max": 2, "per": "week" }, { "max": 3, "per": "day" }]""");

        var result = Change(rules, Ann());

        Assert.Equal(["high", "mid", "push"], result.Communications.Select(c => c.RuleId));
        Assert.Equal("2 per week on email already", result.Only("mid-too").Explanation);
        Assert.Equal("2 per week on email already", result.Only("low").Explanation);
        Assert.Equal(SuppressionReason.FrequencyCap, result.Only("low").SuppressedBecause);
        Assert.Equal(["high", "mid", "mid-too", "low", "push"], result.Decisions.Select(d => d.RuleId));
    }

    [Fact]
    public void Caps_count_what_was_sent_before_but_not_sales_alerts_or_hold_outs()
    {
        var rules = Doc(Marketing("r"), caps: """[{ "max": 2, "per": "week" }]""");
        // Monday 09:00: the week began at 00:00 today.
        var alert = new SentRecord("d-a", "alert", RuleKind.SalesAlert, null, null, "t", Now.AddHours(-2));
        var heldOut = Sent("h", Now.AddHours(-2)) with { HeldOut = true };

        var one = Change(rules, Ann(), Fresh(Ann()).WithSent(Sent("x", Now.AddHours(-2)), alert, heldOut));
        var two = Change(rules, Ann(), Fresh(Ann()).WithSent(Sent("x", Now.AddHours(-2)), Sent("y", Now.AddHours(-1), Channel.Sms)));
        var lastWeek = Change(rules, Ann(), Fresh(Ann()).WithSent(Sent("x", Now.AddHours(-10)), Sent("y", Now.AddHours(-1), Channel.Sms)));

        Assert.Equal(DecisionOutcome.Queued, one.Only("r").Outcome);
        Assert.Equal("2 per week on any channel already", two.Only("r").Explanation);
        Assert.Equal(DecisionOutcome.Queued, lastWeek.Only("r").Outcome);
    }

    [Fact]
    public void Quiet_hours_defer_to_the_window_end_and_expiry_counts_from_delivery()
    {
        var rules = Doc(
            $$"""
            {{Marketing("short", channel: "push", priority: 60, extra: """, "expiry": "6h" """)}},
            {{Marketing("long", channel: "push", priority: 50, extra: """, "expiry": "2d" """)}},
            {{Marketing("mail", channel: "email", priority: 40)}}
            """,
            quiet: """{ "start": "21:00", "end": "08:00", "channels": ["push", "sms"] }""");
        var late = new DateTimeOffset(2025, 3, 3, 22, 0, 0, TimeSpan.Zero);

        var result = Change(rules, Ann(), now: late);

        var expired = result.Only("short");
        Assert.Equal(SuppressionReason.Expired, expired.SuppressedBecause);
        Assert.Equal("quiet hours hold it until 2025-03-04 08:00 Europe/London, past its expiry of 6 hours", expired.Explanation);
        var deferred = result.Only("long");
        Assert.Equal(DecisionOutcome.Deferred, deferred.Outcome);
        Assert.Equal(new DateTimeOffset(2025, 3, 4, 8, 0, 0, TimeSpan.Zero), deferred.NotBefore);
        Assert.Equal(deferred.NotBefore.AddDays(2), deferred.ExpiresAt);
        Assert.Equal("quiet hours: delivered at 2025-03-04 08:00 Europe/London", deferred.Explanation);
        Assert.Equal(deferred.NotBefore, Assert.Single(result.Communications, c => c.RuleId == "long").NotBefore);
        Assert.Equal(deferred.NotBefore, result.State.Sent.Single(s => s.RuleId == "long").At);
        Assert.Equal(DecisionOutcome.Queued, result.Only("mail").Outcome);
        Assert.Equal(1, result.Stat("long", "deferred"));
        Assert.Equal(1, result.Stat("short", "suppressed.expired"));
    }

    [Fact]
    public void Decision_ids_derive_from_rule_customer_and_occurrence()
    {
        var id = Arbiter.DecisionId("r", new CustomerId("c-1"), "v3");

        Assert.Matches(IdFormat(), id);
        Assert.Equal(id, Arbiter.DecisionId("r", new CustomerId("c-1"), "v3"));
        Assert.NotEqual(id, Arbiter.DecisionId("r", new CustomerId("c-1"), "v4"));
        Assert.NotEqual(id, Arbiter.DecisionId("r", new CustomerId("c-2"), "v3"));
        Assert.NotEqual(id, Arbiter.DecisionId("s", new CustomerId("c-1"), "v3"));
        Assert.Matches(IdFormat(), Arbiter.OwnerAlertId("r", new CustomerId("c-1"), "v3"));
    }

    [Fact]
    public void A_replayed_change_decides_nothing_new_and_a_new_version_decides_again()
    {
        var rules = Doc(Marketing("r"));

        var first = Change(rules, Ann());
        var replay = Change(rules, Ann(), first.State);
        var next = Change(rules, Ann() with { Version = 8 }, first.State, Now.AddMinutes(5));

        Assert.Single(first.Communications);
        Assert.Empty(replay.Decisions);
        Assert.Empty(replay.Communications);
        Assert.Empty(replay.Stats);
        Assert.Equal("v8", Assert.Single(next.Decisions).Occurrence);
    }

    [Fact]
    public void Changed_compares_with_the_facts_remembered_from_the_last_change()
    {
        var rules = Doc(Marketing("stage", extra: """, "conditions": { "fact": "lifecycle", "op": "changed" }"""));
        var known = Ann();
        var lead = Ann() with { Version = 9, Lifecycle = LifecycleStage.Lead };

        var first = Change(rules, known);
        var same = Change(rules, known with { Version = 8 }, first.State, Now.AddHours(1));
        var moved = Change(rules, lead, same.State, Now.AddHours(2));

        Assert.Single(first.Communications);
        Assert.Equal("known", first.State.Facts["lifecycle"]);
        Assert.Empty(same.Decisions);
        Assert.Equal("lifecycle stage changed (is lead)", Assert.Single(moved.Decisions).Reasons[1]);
        Assert.Equal(["lifecycle"], Arbiter.ChangedFacts(rules));
    }

    [Fact]
    public void State_stays_bounded_over_many_evaluations()
    {
        var rules = Doc($$"""{{Marketing("a")}}, {{Marketing("b", channel: "push")}}, {{Marketing("c", channel: "mail", extra: $", \"goal\": \"{Ordered}\", \"attributionWindow\": \"1d\"")}}""");
        var state = Fresh(Ann());
        for (var i = 0; i < 300; i++)
        {
            var result = Change(rules, Ann() with { Version = 10 + i }, state, Now.AddHours(i));
            state = result.State;
        }

        Assert.Equal(Arbiter.DecidedLimit, state.Decided.Length);
        Assert.Equal(Arbiter.SentLimit, state.Sent.Length);
        Assert.All(state.Sent, s => Assert.True(s.At > Now.AddHours(299).AddDays(-30)));
        Assert.Single(state.Pending);
        var later = Change(rules, Ann() with { Version = 999 }, state, Now.AddDays(40), "web.track.Page");
        Assert.Empty(later.State.Pending);
    }

    [Fact]
    public void Preview_evaluates_every_rule_as_if_triggered_now_and_shows_why_others_do_not_apply()
    {
        var rules = Doc($$"""
            {{Marketing("on-view")}},
            { "id": "cart", "kind": "marketing", "channel": "email", "template": "cart", "priority": 60,
              "trigger": { "on": "delay", "cause": "{{Added}}", "after": "4h" },
              "conditions": { "fact": "touchpoints.web.cart.value", "op": "gt", "value": 0 } },
            { "id": "idle", "kind": "marketing", "channel": "push", "template": "miss-you", "priority": 20, "trigger": { "on": "inactivity", "after": "30d" } },
            {{Alert("ticket")}}
            """);
        var first = Change(rules, Ann());

        var preview = Arbiter.Preview(rules, Ann(), first.State, Now);

        Assert.All(preview.Decisions, d => Assert.Equal("preview", d.Occurrence));
        Assert.Equal(SuppressionReason.Audience, preview.Only("cart").SuppressedBecause);
        Assert.Equal("its conditions do not hold", preview.Only("cart").Explanation);
        Assert.Equal(DecisionOutcome.Queued, preview.Only("on-view").Outcome);
        Assert.Equal(DecisionOutcome.Queued, preview.Only("idle").Outcome);
        Assert.Single(preview.SalesAlerts);
        Assert.Empty(preview.Stats);
        Assert.Equal(Show(preview), Show(Arbiter.Preview(rules, Ann(), first.State, Now)));
    }

    [Fact]
    public void Stats_count_per_utc_day()
    {
        var rules = Doc(Marketing("r"));
        var late = new DateTimeOffset(2025, 3, 3, 23, 30, 0, TimeSpan.Zero);

        var result = Change(rules, Ann().InZone("Asia/Tokyo"), now: late);

        Assert.All(result.Stats, s => Assert.Equal(new DateOnly(2025, 3, 3), s.Day));
    }
}
