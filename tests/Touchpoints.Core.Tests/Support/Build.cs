using System.Collections.Immutable;
using System.Text.Json;
using Touchpoints.Core.Events;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Views;

namespace Touchpoints.Core.Tests.Support;

/// <summary>Builders of validated events and views for projection tests, and view comparison helpers.</summary>
internal static class Build
{
    public static readonly DateTimeOffset T0 = new(2025, 3, 3, 9, 0, 0, TimeSpan.Zero);

    /// <summary>An arrival an hour after <see cref="T0"/>: every test event is in the past.</summary>
    public static readonly ArrivalContext Arrival = new(T0.AddHours(1), T0.AddHours(1));

    public static readonly Identifier Anon = Identifiers.AnonymousId("anon-7f3a")!;
    public static readonly Identifier Email = Identifiers.Email("ann@example.com")!;

    public static CustomerView NewView(string id = "c-test") => CustomerView.Create(new CustomerId(id), T0.AddDays(-30));

    public static WebEvent Page(string id, DateTimeOffset at, string path, string? title = null, Campaign? campaign = null) => new()
    {
        EventId = id,
        OccurredAt = at,
        Identifiers = [Anon],
        Call = WebCall.Page,
        AnonymousId = Anon.Value,
        Page = new PageContext(path, "https://shop.example.com" + path, title, null, null),
        Campaign = campaign,
    };

    public static WebEvent Track(string id, DateTimeOffset at, string name, SpecEvent spec = SpecEvent.None, Commerce? commerce = null) => new()
    {
        EventId = id,
        OccurredAt = at,
        Identifiers = [Anon],
        Call = WebCall.Track,
        AnonymousId = Anon.Value,
        Name = name,
        Spec = spec,
        Commerce = commerce,
    };

    public static WebEvent Identify(string id, DateTimeOffset at, Traits traits) => new()
    {
        EventId = id,
        OccurredAt = at,
        Identifiers = [Anon, Email],
        Call = WebCall.Identify,
        AnonymousId = Anon.Value,
        UserId = "u-1001",
        Traits = traits,
    };

    public static SocialEvent Social(
        string id, DateTimeOffset at, SocialEventType kind, string handle = "annlee", string network = "x",
        long? followers = null, double? sentiment = null, double? rating = null, string? text = null) => new()
    {
        EventId = id,
        OccurredAt = at,
        Identifiers = [Identifiers.Social(network, handle)!],
        Kind = kind,
        Network = network,
        Handle = handle,
        Followers = followers,
        Sentiment = sentiment,
        Rating = rating,
        Text = text,
    };

    public static CrmEvent Crm(string id, DateTimeOffset at, CrmEventType kind, string system = "hubspot") => new()
    {
        EventId = id,
        OccurredAt = at,
        Identifiers = [Identifiers.Crm(system, "901")!, Email],
        Kind = kind,
        System = system,
        CrmId = "901",
    };

    public static CustomerView ApplyAll(CustomerView view, IEnumerable<IngestedEvent> events) =>
        events.Aggregate(view, (v, e) => CustomerProjection.Apply(v, e));

    public static CustomerView ApplyAll(IEnumerable<IngestedEvent> events) => ApplyAll(NewView(), events);

    public static string Json(CustomerView view) => JsonSerializer.Serialize(view, CoreJsonContext.Default.CustomerView);

    /// <summary>
    /// The view with its bookkeeping sets (recent order ids, closed ticket ids) in a canonical order:
    /// they are sets whose array order records arrival, not content.
    /// </summary>
    public static CustomerView Canonical(CustomerView view)
    {
        var t = view.Touchpoints;
        return view with
        {
            Touchpoints = t with
            {
                Billing = t.Billing is null ? null : t.Billing with { RecentOrderIds = Sorted(t.Billing.RecentOrderIds) },
                Support = t.Support is null ? null : t.Support with { ClosedTicketIds = Sorted(t.Support.ClosedTicketIds) },
            },
        };
    }

    public static ImmutableArray<string> Sorted(ImmutableArray<string> values) => [.. values.Order(StringComparer.Ordinal)];

    public static string CanonicalJson(CustomerView view) => Json(Canonical(view));
}
