using Touchpoints.Core.Events;
using static Touchpoints.Core.Views.CustomerProjection;

namespace Touchpoints.Core.Views;

/// <summary>Orders, revenue, refunds and cost to serve, whichever source reports them.</summary>
public static class BillingProjection
{
    public static BillingSection Order(BillingSection? billing, string? orderId, decimal amount, string? currency, DateTimeOffset at)
    {
        var b = Touch(billing, at);
        // The web's "Order Completed" and the billing system's "order.placed" for one order count once.
        if (orderId is not null && b.RecentOrderIds.Contains(orderId)) return b;
        var ids = orderId is null ? b.RecentOrderIds : b.RecentOrderIds.Insert(0, orderId);
        if (ids.Length > BillingSection.RecentOrderIdsLimit) ids = ids.RemoveAt(ids.Length - 1);
        return b with
        {
            Orders = b.Orders + 1,
            Revenue = b.Revenue + amount,
            RecentOrderIds = ids,
            LastOrder = b.LastOrder is not null && b.LastOrder.At > at ? b.LastOrder : new Order(orderId, amount, currency, at),
            Currency = currency ?? b.Currency,
        };
    }

    public static BillingSection InvoicePaid(BillingSection? billing, string? invoiceId, decimal amount, string? currency, DateTimeOffset at)
    {
        var b = Touch(billing, at);
        if (invoiceId is not null && b.RecentOrderIds.Contains(invoiceId)) return b;
        var ids = invoiceId is null ? b.RecentOrderIds : b.RecentOrderIds.Insert(0, invoiceId);
        if (ids.Length > BillingSection.RecentOrderIdsLimit) ids = ids.RemoveAt(ids.Length - 1);
        return b with { InvoicesPaid = b.InvoicesPaid + 1, Revenue = b.Revenue + amount, RecentOrderIds = ids, Currency = currency ?? b.Currency };
    }

    public static BillingSection Refund(BillingSection? billing, decimal amount, string? currency, DateTimeOffset at)
    {
        var b = Touch(billing, at);
        return b with { RefundCount = b.RefundCount + 1, Refunds = b.Refunds + amount, Currency = b.Currency ?? currency };
    }

    /// <summary>Cost to serve (a support call, a shipment) is billing data but not a billing interaction.</summary>
    public static BillingSection Cost(BillingSection? billing, decimal cost, DateTimeOffset at)
    {
        var b = billing ?? new BillingSection { Activity = new Activity(at, at, 0) };
        // Widens the time span as it does for a new section, so that the result does not depend on arrival order.
        return b with { Activity = b.Activity.Span(at), CostToServe = b.CostToServe + cost };
    }

    private static BillingSection Touch(BillingSection? billing, DateTimeOffset at) =>
        billing is null ? new BillingSection { Activity = Activity.Of(at) } : billing with { Activity = billing.Activity.Add(at) };

    internal static BillingSection Merge(BillingSection a, BillingSection b) => a with
    {
        Activity = a.Activity.Union(b.Activity),
        Orders = a.Orders + b.Orders,
        Revenue = a.Revenue + b.Revenue,
        RefundCount = a.RefundCount + b.RefundCount,
        Refunds = a.Refunds + b.Refunds,
        CostToServe = a.CostToServe + b.CostToServe,
        InvoicesPaid = a.InvoicesPaid + b.InvoicesPaid,
        LastOrder = a.LastOrder is null ? b.LastOrder : b.LastOrder is null || a.LastOrder.At >= b.LastOrder.At ? a.LastOrder : b.LastOrder,
        RecentOrderIds = [.. a.RecentOrderIds.Concat(b.RecentOrderIds).Distinct().Take(BillingSection.RecentOrderIdsLimit)],
        Currency = a.Currency ?? b.Currency,
    };
}
