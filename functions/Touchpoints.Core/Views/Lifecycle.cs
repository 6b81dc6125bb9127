namespace Touchpoints.Core.Views;

/// <summary>The lifecycle stage, derived from the view so that it can never disagree with it.</summary>
public static class Lifecycle
{
    private static readonly string[] Churned = ["churned", "churn", "lostcustomer", "cancelled", "canceled"];
    private static readonly string[] SalesQualified = ["sql", "salesqualified", "salesqualifiedlead", "opportunity"];
    private static readonly string[] MarketingQualified = ["mql", "marketingqualified", "marketingqualifiedlead"];
    private static readonly string[] Customers = ["customer", "won", "closedwon"];

    public static LifecycleStage Of(CustomerView view)
    {
        var t = view.Touchpoints;
        var status = Key(t.Sales?.LeadStatus?.Value);
        if (status is not null && Churned.Contains(status)) return LifecycleStage.Churned;
        if (t.Billing is { } b && (b.Orders > 0 || b.InvoicesPaid > 0) || t.Sales?.OpportunitiesWon > 0 || status is not null && Customers.Contains(status))
            return LifecycleStage.Customer;
        if (t.Sales?.Opportunity is { Open: true } || status is not null && SalesQualified.Contains(status)) return LifecycleStage.SalesQualified;
        if (status is not null && MarketingQualified.Contains(status)) return LifecycleStage.MarketingQualified;
        if (status is not null) return LifecycleStage.Lead;
        return Identity.IdentifierKey.AnyKnown(view.Identities) ? LifecycleStage.Known : LifecycleStage.Anonymous;
    }

    private static string? Key(string? status) =>
        status?.ToLowerInvariant().Replace(" ", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).Replace("-", "", StringComparison.Ordinal);
}
