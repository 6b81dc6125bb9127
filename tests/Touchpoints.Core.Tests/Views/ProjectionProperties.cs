using FsCheck;
using FsCheck.Fluent;
using Touchpoints.Core.Events;
using Touchpoints.Core.Tests.Support;
using Touchpoints.Core.Views;
using static Touchpoints.Core.Tests.Support.Build;

namespace Touchpoints.Core.Tests.Views;

public class ProjectionProperties
{
    private static readonly DateTimeOffset Arrival = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static CustomerView ApplyWithPositions(CustomerView view, Step[] steps) =>
        steps.Select((s, i) => (s.Event, ArrivedAt: Arrival.AddHours(i * 7)))
            .Aggregate(view, (v, x) => CustomerProjection.Apply(v, x.Event, x.ArrivedAt));

    [Fact]
    public void Applying_events_twice_with_their_positions_equals_applying_them_once() =>
        Check.One(Gens.Config, Prop.ForAll(Gens.AnySteps, steps =>
        {
            var once = ApplyWithPositions(NewView(), steps);
            var twice = ApplyWithPositions(once, steps);
            return ReferenceEquals(once, twice).Label(Gens.Show(steps));
        }));

    [Fact]
    public void Applying_events_twice_without_positions_equals_applying_them_once() =>
        Check.One(Gens.Config, Prop.ForAll(Gens.AnySteps, steps =>
        {
            var events = steps.Select(s => s.Event).ToArray();
            var once = ApplyAll(events);
            var twice = ApplyAll(once, events);
            return ReferenceEquals(once, twice).Label(Gens.Show(steps));
        }));

    [Fact]
    public void Commutative_events_in_any_arrival_order_yield_the_same_view() =>
        Check.One(Gens.Config, Prop.ForAll(Gens.CommutativeSteps, steps =>
        {
            var asGenerated = CanonicalJson(ApplyAll(steps.Select(s => s.Event)));
            var rearranged = CanonicalJson(ApplyAll(steps.OrderBy(s => s.ArrivalKey).Select(s => s.Event)));
            return (asGenerated == rearranged).Label($"{Gens.Show(steps)}\n{asGenerated}\n!=\n{rearranged}");
        }));

    [Fact]
    public void Commutative_events_in_reverse_time_order_yield_the_same_view_as_in_time_order() =>
        Check.One(Gens.Config, Prop.ForAll(Gens.CommutativeSteps, steps =>
        {
            var inTime = CanonicalJson(ApplyAll(steps.OrderBy(s => s.Event.OccurredAt).Select(s => s.Event)));
            var late = CanonicalJson(ApplyAll(steps.OrderByDescending(s => s.Event.OccurredAt).Select(s => s.Event)));
            return (inTime == late).Label($"{Gens.Show(steps)}\n{inTime}\n!=\n{late}");
        }));

    /// <summary>Every "last" time the view holds, by name: a late event must never move one of them backwards.</summary>
    private static Dictionary<string, DateTimeOffset> LastStamps(CustomerView v)
    {
        var stamps = new Dictionary<string, DateTimeOffset>();
        void Add(string name, DateTimeOffset? at)
        {
            if (at is { } value) stamps[name] = value;
        }
        foreach (var (touchpoint, activity) in v.Touchpoints.Active()) Add($"{touchpoint}.Activity.LastAt", activity.LastAt);
        var t = v.Touchpoints;
        Add("Traits.Name", v.Traits.Name?.At);
        Add("Traits.Email", v.Traits.Email?.At);
        Add("Traits.Phone", v.Traits.Phone?.At);
        Add("Traits.Company", v.Traits.Company?.At);
        Add("Traits.Title", v.Traits.Title?.At);
        Add("Traits.Locale", v.Traits.Locale?.At);
        Add("Traits.Timezone", v.Traits.Timezone?.At);
        foreach (var channel in Enum.GetValues<ConsentChannel>()) Add($"Consent.{channel}", v.Consent[channel]?.At);
        Add("Web.LastUtm", t.Web?.LastUtm?.At);
        Add("Web.LastSearch", t.Web?.LastSearch?.At);
        Add("Web.Cart", t.Web?.Cart?.UpdatedAt);
        Add("Web.LastPages[0]", t.Web?.LastPages.FirstOrDefault()?.At);
        Add("Email.Last", t.Email?.Last.At);
        Add("Phone.Last", t.Phone?.Last.At);
        Add("Mail.Last", t.Mail?.Last.At);
        Add("InPerson.Last", t.InPerson?.Last.At);
        Add("Sales.Owner", t.Sales?.Owner?.At);
        Add("Sales.LeadStatus", t.Sales?.LeadStatus?.At);
        Add("Sales.Opportunity", t.Sales?.Opportunity?.UpdatedAt);
        Add("Sales.LastContactAt", t.Sales?.LastContactAt);
        Add("Support.LastTicketSubject", t.Support?.LastTicketSubject?.At);
        Add("Billing.LastOrder", t.Billing?.LastOrder?.At);
        foreach (var h in t.Social?.Handles ?? []) Add($"Social.{h.Network}/{h.Handle}.SeenAt", h.SeenAt);
        Add("Journal[0]", v.Journal.FirstOrDefault()?.At);
        return stamps;
    }

    private static Dictionary<string, DateTimeOffset> FirstStamps(CustomerView v)
    {
        var stamps = v.Touchpoints.Active().ToDictionary(a => $"{a.Touchpoint}.Activity.FirstAt", a => a.Activity.FirstAt);
        if (v.Touchpoints.Web?.FirstUtm is { } first) stamps["Web.FirstUtm"] = first.At;
        return stamps;
    }

    [Fact]
    public void A_late_event_never_moves_a_last_value_backwards_nor_a_first_value_forwards() =>
        Check.One(Gens.Config, Prop.ForAll(Gens.AnySteps, steps =>
        {
            var view = NewView();
            var problems = new List<string>();
            foreach (var step in steps.OrderBy(s => s.ArrivalKey))
            {
                var next = CustomerProjection.Apply(view, step.Event);
                var (lastBefore, lastAfter) = (LastStamps(view), LastStamps(next));
                foreach (var (name, at) in lastBefore)
                {
                    if (!lastAfter.TryGetValue(name, out var now)) problems.Add($"{Step.Describe(step.Event)} removed {name}");
                    else if (now < at) problems.Add($"{Step.Describe(step.Event)} moved {name} back from {at:O} to {now:O}");
                }
                var (firstBefore, firstAfter) = (FirstStamps(view), FirstStamps(next));
                foreach (var (name, at) in firstBefore)
                    if (firstAfter[name] > at) problems.Add($"{Step.Describe(step.Event)} moved {name} forward from {at:O} to {firstAfter[name]:O}");
                view = next;
            }
            return (problems.Count == 0).Label($"{Gens.Show(steps)}\n{string.Join("\n", problems)}");
        }));

    [Fact]
    public void Activity_counts_every_event_of_its_touch_point_exactly_once() =>
        Check.One(Gens.Config, Prop.ForAll(Gens.CommutativeSteps, steps =>
        {
            var view = ApplyAll(steps.Select(s => s.Event));
            var journalled = steps.Length;
            var total = view.Counters.Values.Sum();
            return (total == journalled).Label($"{Gens.Show(steps)}\ncounters {total} != events {journalled}");
        }));
}
