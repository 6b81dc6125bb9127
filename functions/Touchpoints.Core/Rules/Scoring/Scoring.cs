using System.Collections.Immutable;
using System.Globalization;
using Touchpoints.Core.Views;

namespace Touchpoints.Core.Rules;

/// <summary>
/// The scores of a customer view, from the rules document's <see cref="ScoreModel"/>. Pure, deterministic and bounded: the
/// same view, model and <c>now</c> always give the same scores, and needs no history of other customers (no percentiles,
/// no training), so it works for a company's first customer.
/// <para>
/// Five signals, each in [0, 1]; <c>decay(t) = 0.5^(days since t / HalfLifeDays)</c> (1 for a time not in the past, 0 for
/// none); <c>sat(x, k) = 1 − e^(−x/k)</c> saturates smoothly (63% at <c>x = k</c>):
/// <list type="bullet">
/// <item><b>intent</b> = sat(2·pricing views + 0.5·product views + 4·checkouts started + cart, 8) · decay(last web
/// activity), where cart = 3 + 3·sat(cart value, RevenueScale) when the cart holds something, else 0.</item>
/// <item><b>engagement</b> = decay(last interaction anywhere) · (0.6·sat(interactions, 20) + 0.4·min(1, touch points used / 4)).</item>
/// <item><b>fit</b> = 0.4·[a title word is in FitTitles] + 0.3·[company known] + 0.3·[lead status qualified, or
/// lifecycle marketing-qualified or later]; CRM facts, so not decayed.</item>
/// <item><b>monetary</b> = sat(max(0, revenue − refunds), RevenueScale) · decay(last billing activity).</item>
/// <item><b>influence</b> = (0.6·min(1, log10(1 + followers) / log10(1 + FollowersScale)) + 0.4·sat(shares + mentions/2, 5))
/// · decay(last social activity).</item>
/// </list>
/// Points of a signal = 100 · weight · signal / Σ weights; Value = round(Σ points) ∈ [0, 100]; Engagement = round(100 ·
/// engagement) ∈ [0, 100]; Profitability = revenue − refunds − cost to serve. Reasons: the three signals with the most
/// points (ties by name), in words.
/// </para>
/// </summary>
public static class Scoring
{
    public const int ReasonLimit = 3;
    public const string CheckoutStartedCounter = "web.track.Checkout Started";

    private static readonly string[] QualifiedStatuses = ["mql", "sql", "qualified", "marketingqualified", "salesqualified", "marketingqualifiedlead",
        "salesqualifiedlead", "opportunity", "customer"];

    /// <param name="withReasons">False where only the figures matter (ageing probes the scores of many future moments).</param>
    public static CustomerScores Compute(CustomerView view, ScoreModel model, DateTimeOffset now, bool withReasons = true)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(model);
        var t = view.Touchpoints;
        var halfLife = model.HalfLifeDays > 0 ? model.HalfLifeDays : 30;
        double Decay(DateTimeOffset? at) => at is not { } time ? 0 : time >= now ? 1 : Math.Pow(0.5, (now - time).TotalDays / halfLife);
        var revenueScale = model.RevenueScale > 0 ? (double)model.RevenueScale : 1;

        // Intent
        var web = t.Web;
        var pricing = web?.PricingViews ?? 0;
        var products = web?.ProductViews ?? 0;
        var checkouts = view.Counters.GetValueOrDefault(CheckoutStartedCounter);
        var cart = web?.Cart is { Value: > 0 } or { Items: > 0 } ? web.Cart : null;
        var cartPoints = cart is null ? 0 : 3 + 3 * Sat((double)cart.Value, revenueScale);
        var intentRaw = 2.0 * pricing + 0.5 * products + 4.0 * checkouts + cartPoints;
        var intent = Sat(intentRaw, 8) * Decay(web?.Activity.LastAt);

        // Engagement
        var interactions = 0L;
        var used = 0;
        foreach (var (_, activity) in t.Active())
        {
            if (activity.Count <= 0) continue;
            interactions += activity.Count;
            used++;
        }
        var lastInteraction = Facts.LastInteraction(view);
        var engagement = Decay(lastInteraction) * (0.6 * Sat(interactions, 20) + 0.4 * Math.Min(1, used / 4.0));

        // Fit
        var title = view.Traits.Title?.Value;
        var titleWord = TitleMatch(title, model.FitTitles);
        var company = view.Traits.Company?.Value;
        var status = t.Sales?.LeadStatus?.Value;
        var qualified = IsQualified(status) || view.Lifecycle is LifecycleStage.MarketingQualified or LifecycleStage.SalesQualified or LifecycleStage.Customer;
        var fit = (titleWord is null ? 0 : 0.4) + (string.IsNullOrWhiteSpace(company) ? 0 : 0.3) + (qualified ? 0.3 : 0);

        // Monetary
        var billing = t.Billing;
        var net = billing is null ? 0m : billing.Revenue - billing.Refunds;
        var monetary = Sat((double)Math.Max(0m, net), revenueScale) * Decay(billing?.Activity.LastAt);

        // Influence
        var social = t.Social;
        var followers = social?.Followers ?? 0;
        var reach = followers <= 0 ? 0 : Math.Min(1, Math.Log10(1 + followers) / Math.Log10(1 + Math.Max(10, model.FollowersScale)));
        var shares = social?.Shares ?? 0;
        var mentions = social?.Mentions ?? 0;
        var influence = (0.6 * reach + 0.4 * Sat(shares + mentions / 2.0, 5)) * Decay(social?.Activity.LastAt);

        var w = model.Weights;
        var total = Positive(w.Intent) + Positive(w.Engagement) + Positive(w.Fit) + Positive(w.Monetary) + Positive(w.Influence);
        double Points(double weight, double signal) => total <= 0 ? 0 : 100 * Positive(weight) * Clamp01(signal) / total;

        var signals = new (string Signal, double Points, Func<string> Why)[]
        {
            ("intent", Points(w.Intent, intent), () => IntentWhy(pricing, products, checkouts, cart)),
            ("engagement", Points(w.Engagement, engagement), () => EngagementWhy(interactions, used, lastInteraction, now)),
            ("fit", Points(w.Fit, fit), () => FitWhy(title, titleWord, company, status, qualified)),
            ("monetary", Points(w.Monetary, monetary), () => MonetaryWhy(net, billing)),
            ("influence", Points(w.Influence, influence), () => InfluenceWhy(followers, shares, mentions)),
        };
        var value = (int)Math.Clamp(Math.Round(signals.Sum(s => s.Points), MidpointRounding.AwayFromZero), 0, 100);
        var reasons = !withReasons ? [] : signals
            .Where(s => Math.Round(s.Points, 1) > 0)
            .OrderByDescending(s => Math.Round(s.Points, 1))
            .ThenBy(s => s.Signal, StringComparer.Ordinal)
            .Take(ReasonLimit)
            .Select(s => new ScoreReason(s.Signal, Math.Round(s.Points, 1), s.Why()))
            .ToImmutableArray();
        var engagementScore = (int)Math.Clamp(Math.Round(100 * Clamp01(engagement), MidpointRounding.AwayFromZero), 0, 100);
        var profitability = billing is null ? 0m : billing.Revenue - billing.Refunds - billing.CostToServe;
        return new CustomerScores(value, engagementScore, profitability, reasons);
    }

    /// <summary>1 − e^(−x/k): 0 at 0, 63% at k, approaching 1.</summary>
    private static double Sat(double x, double k) => x <= 0 || k <= 0 ? 0 : 1 - Math.Exp(-x / k);

    private static double Positive(double x) => double.IsFinite(x) && x > 0 ? x : 0;

    private static double Clamp01(double x) => double.IsFinite(x) ? Math.Clamp(x, 0, 1) : 0;

    private static string? TitleMatch(string? title, ImmutableArray<string> fitTitles)
    {
        if (string.IsNullOrWhiteSpace(title) || fitTitles.IsDefaultOrEmpty) return null;
        var words = title.Split([' ', ',', '-', '/', '&', '.', '(', ')'], StringSplitOptions.RemoveEmptyEntries);
        foreach (var fitting in fitTitles)
            foreach (var word in words)
                if (string.Equals(word, fitting, StringComparison.OrdinalIgnoreCase)) return fitting;
        // A multi-word entry ("head of buying") matches as a phrase.
        foreach (var fitting in fitTitles)
            if (fitting.Contains(' ', StringComparison.Ordinal) && title.Contains(fitting, StringComparison.OrdinalIgnoreCase)) return fitting;
        return null;
    }

    internal static bool IsQualified(string? status)
    {
        if (string.IsNullOrWhiteSpace(status)) return false;
        var key = new string([.. status.Where(char.IsAsciiLetterOrDigit).Select(char.ToLowerInvariant)]);
        return QualifiedStatuses.Contains(key);
    }

    private static string IntentWhy(long pricing, long products, long checkouts, Cart? cart)
    {
        var parts = new List<string>();
        if (pricing > 0) parts.Add($"viewed pricing {Times(pricing)}");
        if (products > 0) parts.Add($"viewed products {Times(products)}");
        if (checkouts > 0) parts.Add($"started checkout {Times(checkouts)}");
        if (cart is not null) parts.Add($"has {Money(cart.Value, cart.Currency)} in the cart");
        return parts.Count == 0 ? "recent web activity" : Join(parts);
    }

    private static string EngagementWhy(long interactions, int used, DateTimeOffset? last, DateTimeOffset now) =>
        $"{interactions.ToString(CultureInfo.InvariantCulture)} interaction{(interactions == 1 ? "" : "s")} across {used.ToString(CultureInfo.InvariantCulture)} touch point{(used == 1 ? "" : "s")}, the last {Ago(last, now)}";

    private static string FitWhy(string? title, string? titleWord, string? company, string? status, bool qualified)
    {
        var parts = new List<string>();
        if (titleWord is not null) parts.Add($"title '{title}' matches '{titleWord}'");
        if (!string.IsNullOrWhiteSpace(company)) parts.Add($"works at {company}");
        if (qualified) parts.Add(status is null ? "is qualified" : $"lead status is {status}");
        return Join(parts);
    }

    private static string MonetaryWhy(decimal net, BillingSection? billing) =>
        $"{Money(net, billing?.Currency)} spent net of refunds over {Count(billing?.Orders ?? 0, "order")}";

    private static string InfluenceWhy(long followers, long shares, long mentions)
    {
        var parts = new List<string>();
        if (followers > 0) parts.Add($"{followers.ToString("#,0", CultureInfo.InvariantCulture)} followers");
        if (shares > 0) parts.Add($"shared {Times(shares)}");
        if (mentions > 0) parts.Add($"mentioned us {Times(mentions)}");
        return parts.Count == 0 ? "social activity" : Join(parts);
    }

    private static string Times(long n) => n == 1 ? "once" : n == 2 ? "twice" : $"{n.ToString(CultureInfo.InvariantCulture)} times";

    private static string Count(long n, string what) => $"{n.ToString(CultureInfo.InvariantCulture)} {what}{(n == 1 ? "" : "s")}";

    private static string Ago(DateTimeOffset? at, DateTimeOffset now)
    {
        if (at is null) return "unknown";
        var days = (int)Math.Floor((now - at.Value).TotalDays);
        return days <= 0 ? "today" : days == 1 ? "yesterday" : $"{days.ToString(CultureInfo.InvariantCulture)} days ago";
    }

    private static string Money(decimal amount, string? currency) => CustomerProjection.Money(amount, currency);

    private static string Join(List<string> parts) =>
        parts.Count <= 1 ? string.Concat(parts) : $"{string.Join(", ", parts.Take(parts.Count - 1))} and {parts[^1]}";
}
