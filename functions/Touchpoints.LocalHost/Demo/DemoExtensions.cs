namespace Touchpoints.LocalHost.Demo;

/// <summary>What an extension of the demo summary can look at once the traffic has been sent and drained.</summary>
/// <param name="Host">The running local host (its hubs, e.g. <c>Host.ReadEvents("…")</c>, its settings, its status).</param>
/// <param name="Http">A client for the local host's address (HTTP functions under <c>api/</c>, the runtime API).</param>
public sealed record DemoContext(LocalFunctionsHost Host, HttpClient Http, DemoScenario Scenario, IReadOnlyList<DemoCustomer> Customers);

/// <summary>
/// THE EXTENSION POINT of the demo summary. The summary prints the traffic, the customers, their touch points, lifecycle
/// stages, merges and rejections; whatever this returns is printed after that, one titled block per section, and kept in
/// <see cref="DemoReport.Extensions"/> for tests.
/// </summary>
public static class DemoExtensions
{
    /// <summary>
    /// Collects the extra summary sections. To come here: the communications and alerts the rules produced, per queue,
    /// with their reasons (read the queues or their output hubs through <see cref="DemoContext.Host"/>), and the rule
    /// statistics (how often each rule fired, per segment and score band, from the customers' views).
    /// </summary>
    public static Task<IReadOnlyList<SummarySection>> CollectAsync(DemoContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult<IReadOnlyList<SummarySection>>([]);
    }
}
