using System.Text.Json.Nodes;

namespace Touchpoints.LocalHost.Demo;

/// <summary>What to simulate.</summary>
public sealed record DemoOptions
{
    public int People { get; init; } = 300;

    public int Days { get; init; } = 14;

    public int Seed { get; init; } = DemoTraffic.DefaultSeed;

    /// <summary>The end of the simulated period (default: now).</summary>
    public DateTimeOffset? End { get; init; }

    /// <summary>Webhook deliveries in flight at once (senders deliver concurrently too).</summary>
    public int WebhookConcurrency { get; init; } = 4;

    /// <summary>
    /// Wait until the pipeline is idle after each run of deliveries through one door, so that no two hubs' batches about
    /// one person are ingested at the same moment: for checks of exact figures. The demo itself races them, as production does.
    /// </summary>
    public bool SettleBetweenDoors { get; init; }

    /// <summary>
    /// Hold the delivery functions during the last simulated day, as a night's messages wait for the morning: at the end the
    /// customers and the marketer change things before they go out (<see cref="DemoGuard"/>), and the send-time guard drops
    /// what no longer holds.
    /// </summary>
    public bool HoldLastDay { get; init; } = true;

    /// <summary>How long one simulated day may take to drain before the demo gives up.</summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// The demo's clock: the end of the simulated period, signatures' timestamps, and when it looks at schedules. The app runs
    /// in its own process on the system's clock, so a demo against it keeps the system's too.
    /// </summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}

/// <summary>One simulated day, sent and drained.</summary>
/// <param name="Elapsed">Since the first delivery of the first day.</param>
/// <param name="DrainedAt">When the day's traffic was processed (wall clock): what the functions decided for it was decided by then.</param>
public sealed record DayProgress(int Day, int Days, DateTimeOffset From, int Deliveries, int Requests, SendOutcome Outcome, TimeSpan Sending, TimeSpan Draining, TimeSpan Elapsed,
    DateTimeOffset DrainedAt);

/// <summary>An event ingestion refused and kept in the <c>rejected</c> container.</summary>
public sealed record IngestionRejection(string Source, string? EventId, string Reason);

/// <summary>A surviving customer profile that demo people resolve to, with its view as the view API returned it.</summary>
public sealed record DemoCustomer(string Id, JsonObject View, IReadOnlyList<DemoPerson> People)
{
    public string Lifecycle => (string?)View["lifecycle"] ?? "unknown";

    public IReadOnlyList<string> Touchpoints => View["touchpoints"] is JsonObject t ? [.. t.Where(p => p.Value is JsonObject).Select(p => p.Key)] : [];

    public IReadOnlyList<string> MergedFrom => View["mergedFrom"] is JsonArray a ? [.. a.Select(x => (string?)x).OfType<string>()] : [];

    public JsonObject? Section(string touchpoint) => View["touchpoints"]?[touchpoint] as JsonObject;
}

/// <summary>
/// A person with an identifier the view API does not know, or with identifiers that their events linked but that lead to
/// more than one customer (the identity graph failed to join them).
/// </summary>
public sealed record ResolutionProblem(DemoPerson Person, IReadOnlyDictionary<string, string?> CustomerByIdentity);

/// <summary>One of the customers the summary shows in full, and why it was chosen.</summary>
public sealed record FeaturedCustomer(string Title, DemoCustomer Customer);

/// <summary>A block of the summary contributed by an extension (see <see cref="DemoExtensions"/>).</summary>
public sealed record SummarySection(string Title, IReadOnlyList<string> Lines);

/// <summary>Everything the demo measured and found; <see cref="DemoSummary"/> renders it.</summary>
public sealed record DemoReport
{
    public required DemoOptions Options { get; init; }

    public required DemoScenario Scenario { get; init; }

    public required IReadOnlyList<DayProgress> Days { get; init; }

    /// <summary>What each front door did with its traffic.</summary>
    public required IReadOnlyDictionary<DeliveryKind, SendOutcome> Channels { get; init; }

    /// <summary>Events the ingestion functions refused (kept in <c>rejected</c>), of this demo's traffic only.</summary>
    public required IReadOnlyList<IngestionRejection> IngestionRejections { get; init; }

    /// <summary>The distinct surviving customers the demo people resolve to.</summary>
    public required IReadOnlyList<DemoCustomer> Customers { get; init; }

    /// <summary>People not found under any of their identifiers, or found as more than one customer.</summary>
    public required IReadOnlyList<ResolutionProblem> ResolutionProblems { get; init; }

    public required IReadOnlyList<FeaturedCustomer> Featured { get; init; }

    /// <summary>Blocks added by <see cref="DemoExtensions.CollectAsync"/> (communications, alerts, rule statistics, …).</summary>
    public IReadOnlyList<SummarySection> Extensions { get; init; } = [];

    /// <summary>Function invocations the local host ran during the demo, and how many of those attempts failed (each is retried per its function's policy).</summary>
    public long Invocations { get; init; }

    public long FailedInvocations { get; init; }

    public required TimeSpan SendingTime { get; init; }

    public required TimeSpan SummarisingTime { get; init; }

    public SendOutcome Total => Channels.Values.Aggregate(SendOutcome.Empty, (a, b) => a.Add(b));

    /// <summary>Profiles folded into the survivors: every anonymous (or duplicate) profile that a later event joined to a known one.</summary>
    public int Merges => Customers.Sum(c => c.MergedFrom.Count);

    /// <summary>People found through the view API under every identifier their traffic revealed.</summary>
    public int PeopleResolved => Scenario.People.Count(p => p.Identities.Count > 0) - ResolutionProblems.Count(p => p.CustomerByIdentity.Values.Any(v => v is null));

    /// <summary>People who are, rightly, still several customer profiles: no event has linked their identifiers yet.</summary>
    public int PeopleNotYetRecognised => Scenario.People.Count(p => p.IdentityGroups.Count > 1);

    /// <summary>How many customers the traffic should have made: one per group of linked identifiers, of every person.</summary>
    public int ExpectedCustomers => Scenario.People.Sum(p => p.IdentityGroups.Count);

    /// <summary>Customers per touch point section, in the view's order of touch points.</summary>
    public IReadOnlyList<(string Touchpoint, int Customers)> ByTouchpoint =>
        [.. DemoSummary.TouchpointOrder.Select(t => (t, Customers.Count(c => c.Touchpoints.Contains(t))))];

    public IReadOnlyList<(string Stage, int Customers)> ByLifecycle =>
        [.. DemoSummary.LifecycleOrder.Concat(Customers.Select(c => c.Lifecycle).Where(l => !DemoSummary.LifecycleOrder.Contains(l)).Distinct())
            .Select(stage => (stage, Customers.Count(c => c.Lifecycle == stage)))];

    /// <summary>Deliberately flawed deliveries sent, per kind.</summary>
    public int Flawed(DeliveryKind kind) => Scenario.Deliveries.Count(d => d.Kind == kind && d.Flaw is not null);
}
