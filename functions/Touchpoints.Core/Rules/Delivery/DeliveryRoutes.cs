using Touchpoints.Core.Resources;

namespace Touchpoints.Core.Rules;

/// <summary>What a destination can take: a channel's communications, by the channel's name, or the sales alerts.</summary>
public static class DeliveryRoutes
{
    public const string SalesAlerts = Queues.SalesAlerts;

    public static IReadOnlyList<string> All { get; } = [.. Enum.GetValues<Channel>().Select(Facts.Name), SalesAlerts];
}
