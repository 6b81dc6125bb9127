using System.Collections.Frozen;
using System.Collections.Immutable;
using Touchpoints.Core.Events;
using Touchpoints.Core.Views;

namespace Touchpoints.Core.Rules;

public enum FactType { Number, Text, Time, Flag, List }

/// <summary>
/// What a condition is evaluated against: the current view, the clock, and — for <c>changed</c> — the values the facts had
/// when the customer was last evaluated (null: never evaluated before).
/// </summary>
public sealed class EvaluationContext(CustomerView view, DateTimeOffset now, IReadOnlyDictionary<string, string?>? previousFacts = null)
{
    public CustomerView View { get; } = view;
    public DateTimeOffset Now { get; } = now;
    public IReadOnlyDictionary<string, string?>? PreviousFacts { get; } = previousFacts;
}

/// <summary>A path of the customer view a condition may test, with its type and a typed reader.</summary>
public sealed record Fact(string Path, FactType Type, string Description)
{
    public Func<CustomerView, double?>? Number { get; init; }
    public Func<CustomerView, string?>? Text { get; init; }
    public Func<CustomerView, DateTimeOffset?>? Time { get; init; }
    public Func<CustomerView, bool?>? Flag { get; init; }
    public Func<CustomerView, IReadOnlyCollection<string>>? List { get; init; }

    /// <summary>The value as remembered between evaluations, for <c>changed</c>.</summary>
    public string? Snapshot(CustomerView view) => Read(view) switch
    {
        null => null,
        double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        DateTimeOffset t => t.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        IEnumerable<string> list => string.Join("\u001f", list),
        var other => other.ToString(),
    };

    /// <summary>The value as an object, for explanations and the reference interpreter (never on the compiled path).</summary>
    public object? Read(CustomerView view) => Type switch
    {
        FactType.Number => Number!(view),
        FactType.Text => Text!(view),
        FactType.Time => Time!(view),
        FactType.Flag => Flag!(view),
        _ => List!(view),
    };
}

/// <summary>
/// Every fact a rules document may name. Conditions are checked against this catalog when a document is validated, so a
/// typo in a fact path or an operator that does not fit the fact's type is an error before anything runs.
/// </summary>
public static class Facts
{
    /// <summary><c>counters.{event type}</c>: how often the customer did that (e.g. <c>counters.web.track.Product Viewed</c>).</summary>
    public const string CounterPrefix = "counters.";

    public static readonly FrozenDictionary<string, Fact> Catalog = Build().ToFrozenDictionary(f => f.Path, StringComparer.Ordinal);

    public static Fact? Find(string path)
    {
        if (Catalog.TryGetValue(path, out var fact)) return fact;
        if (!path.StartsWith(CounterPrefix, StringComparison.Ordinal) || path.Length == CounterPrefix.Length) return null;
        var type = path[CounterPrefix.Length..];
        return new Fact(path, FactType.Number, $"how many {type} events") { Number = v => v.Counters.TryGetValue(type, out var n) ? n : 0 };
    }

    private static IEnumerable<Fact> Build()
    {
        Fact N(string path, string what, Func<CustomerView, double?> read) => new(path, FactType.Number, what) { Number = read };
        Fact S(string path, string what, Func<CustomerView, string?> read) => new(path, FactType.Text, what) { Text = read };
        Fact T(string path, string what, Func<CustomerView, DateTimeOffset?> read) => new(path, FactType.Time, what) { Time = read };
        Fact F(string path, string what, Func<CustomerView, bool?> read) => new(path, FactType.Flag, what) { Flag = read };
        Fact L(string path, string what, Func<CustomerView, IReadOnlyCollection<string>> read) => new(path, FactType.List, what) { List = read };

        yield return S("lifecycle", "lifecycle stage", v => Name(v.Lifecycle));
        yield return L("segments", "segments", v => v.Segments);
        yield return L("identities", "identifier keys", v => v.Identities);
        yield return N("scores.value", "value score", v => v.Scores?.Value);
        yield return N("scores.engagement", "engagement score", v => v.Scores?.Engagement);
        yield return N("scores.profitability", "profitability", v => (double?)v.Scores?.Profitability);
        yield return T("createdAt", "first seen", v => v.CreatedAt);
        yield return T("lastInteractionAt", "last interaction anywhere", v => LastInteraction(v));

        yield return S("traits.name", "name", v => v.Traits.Name?.Value);
        yield return S("traits.email", "email", v => v.Traits.Email?.Value);
        yield return S("traits.phone", "phone", v => v.Traits.Phone?.Value);
        yield return S("traits.company", "company", v => v.Traits.Company?.Value);
        yield return S("traits.title", "job title", v => v.Traits.Title?.Value);
        yield return S("traits.locale", "locale", v => v.Traits.Locale?.Value);
        yield return S("traits.timezone", "time zone", v => v.Traits.Timezone?.Value);

        foreach (var channel in Enum.GetValues<ConsentChannel>())
            yield return S($"consent.{Name(channel)}", $"{Name(channel)} consent", v => Name(v.Consent.StatusOf(channel)));

        foreach (var touchpoint in Enum.GetValues<Touchpoint>())
        {
            var prefix = $"touchpoints.{Name(touchpoint)}.activity";
            yield return N($"{prefix}.count", $"{Name(touchpoint)} interactions", v => Activity(v, touchpoint)?.Count ?? 0);
            yield return T($"{prefix}.firstAt", $"first {Name(touchpoint)} interaction", v => Activity(v, touchpoint)?.FirstAt);
            yield return T($"{prefix}.lastAt", $"last {Name(touchpoint)} interaction", v => Activity(v, touchpoint)?.LastAt);
        }

        yield return N("touchpoints.web.sessions", "web sessions", v => v.Touchpoints.Web?.Sessions ?? 0);
        yield return N("touchpoints.web.pageViews", "page views", v => v.Touchpoints.Web?.PageViews ?? 0);
        yield return N("touchpoints.web.productViews", "product views", v => v.Touchpoints.Web?.ProductViews ?? 0);
        yield return N("touchpoints.web.pricingViews", "pricing page views", v => v.Touchpoints.Web?.PricingViews ?? 0);
        yield return S("touchpoints.web.lastSearch", "last search", v => v.Touchpoints.Web?.LastSearch?.Value);
        yield return N("touchpoints.web.cart.value", "cart value", v => (double?)v.Touchpoints.Web?.Cart?.Value ?? 0);
        yield return N("touchpoints.web.cart.items", "items in cart", v => v.Touchpoints.Web?.Cart?.Items ?? 0);
        yield return T("touchpoints.web.cart.updatedAt", "cart last changed", v => v.Touchpoints.Web?.Cart?.UpdatedAt);
        yield return S("touchpoints.web.firstUtm.source", "first campaign source", v => v.Touchpoints.Web?.FirstUtm?.Value.Source);
        yield return S("touchpoints.web.lastUtm.source", "last campaign source", v => v.Touchpoints.Web?.LastUtm?.Value.Source);
        yield return S("touchpoints.web.lastUtm.campaign", "last campaign", v => v.Touchpoints.Web?.LastUtm?.Value.Name);

        yield return N("touchpoints.social.followers", "followers", v => v.Touchpoints.Social?.Followers ?? 0);
        yield return N("touchpoints.social.mentions", "mentions", v => v.Touchpoints.Social?.Mentions ?? 0);
        yield return N("touchpoints.social.shares", "shares", v => v.Touchpoints.Social?.Shares ?? 0);
        yield return N("touchpoints.social.reviews", "reviews", v => v.Touchpoints.Social?.Reviews ?? 0);
        yield return N("touchpoints.social.positiveReviews", "positive reviews", v => v.Touchpoints.Social?.PositiveReviews ?? 0);
        yield return N("touchpoints.social.averageSentiment", "average sentiment", v => v.Touchpoints.Social?.AverageSentiment);
        yield return N("touchpoints.social.averageRating", "average rating", v => v.Touchpoints.Social?.AverageRating);

        yield return S("touchpoints.sales.owner", "sales owner", v => v.Touchpoints.Sales?.Owner?.Value);
        yield return S("touchpoints.sales.leadStatus", "lead status", v => v.Touchpoints.Sales?.LeadStatus?.Value);
        yield return S("touchpoints.sales.opportunity.stage", "opportunity stage", v => v.Touchpoints.Sales?.Opportunity?.Stage);
        yield return N("touchpoints.sales.opportunity.value", "opportunity value", v => (double?)v.Touchpoints.Sales?.Opportunity?.Value);
        yield return F("touchpoints.sales.opportunity.open", "an open opportunity", v => v.Touchpoints.Sales?.Opportunity?.Open ?? false);
        yield return N("touchpoints.sales.opportunitiesWon", "opportunities won", v => v.Touchpoints.Sales?.OpportunitiesWon ?? 0);
        yield return T("touchpoints.sales.lastContactAt", "last sales contact", v => v.Touchpoints.Sales?.LastContactAt);

        yield return N("touchpoints.support.openTickets", "open tickets", v => v.Touchpoints.Support?.OpenTickets.Length ?? 0);
        yield return N("touchpoints.support.ticketsOpened", "tickets opened", v => v.Touchpoints.Support?.TicketsOpened ?? 0);
        yield return S("touchpoints.support.lastTicketSubject", "last ticket subject", v => v.Touchpoints.Support?.LastTicketSubject?.Value);

        yield return N("touchpoints.billing.orders", "orders", v => v.Touchpoints.Billing?.Orders ?? 0);
        yield return N("touchpoints.billing.revenue", "revenue", v => (double?)v.Touchpoints.Billing?.Revenue ?? 0);
        yield return N("touchpoints.billing.refunds", "refunded amount", v => (double?)v.Touchpoints.Billing?.Refunds ?? 0);
        yield return N("touchpoints.billing.refundCount", "refunds", v => v.Touchpoints.Billing?.RefundCount ?? 0);
        yield return N("touchpoints.billing.costToServe", "cost to serve", v => (double?)v.Touchpoints.Billing?.CostToServe ?? 0);
        yield return N("touchpoints.billing.lastOrder.amount", "last order amount", v => (double?)v.Touchpoints.Billing?.LastOrder?.Amount);
        yield return T("touchpoints.billing.lastOrder.at", "last order", v => v.Touchpoints.Billing?.LastOrder?.At);
    }

    public static DateTimeOffset? LastInteraction(CustomerView view)
    {
        DateTimeOffset? last = null;
        foreach (var (_, activity) in view.Touchpoints.Active())
            if (activity.Count > 0 && (last is null || activity.LastAt > last)) last = activity.LastAt;
        return last;
    }

    private static Activity? Activity(CustomerView v, Touchpoint touchpoint)
    {
        foreach (var (t, activity) in v.Touchpoints.Active())
            if (t == touchpoint) return activity;
        return null;
    }

    /// <summary>The JSON name of an enum value (camelCase), as documents and facts spell it.</summary>
    public static string Name<T>(T value) where T : struct, Enum
    {
        var text = value.ToString();
        return char.ToLowerInvariant(text[0]) + text[1..];
    }
}
