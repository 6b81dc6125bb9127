using Touchpoints.LocalHost.Demo;
using Xunit.Abstractions;

namespace Touchpoints.EndToEnd.Tests;

/// <summary>The <c>demo</c> command's scenario at a small size, through the same code path as the command.</summary>
[Collection(LocalHostCollection.Name)]
public sealed class DemoScenarioTests(LocalHostFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public void The_same_seed_generates_the_same_traffic()
    {
        var end = new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

        var first = DemoTraffic.Generate(40, end, 5, seed: 7);
        var second = DemoTraffic.Generate(40, end, 5, seed: 7);

        Assert.Equal(first.Deliveries.Select(d => d.Body.ToJsonString()), second.Deliveries.Select(d => d.Body.ToJsonString()));
        Assert.All(first.Deliveries, d => Assert.InRange(d.At, end.AddDays(-5), end));
        Assert.Equal(first.Deliveries.Count, first.Deliveries.Select(d => (d.Kind, d.EventId)).Distinct().Count());
    }

    [Fact]
    public async Task Every_customer_of_the_demo_rebuilt_from_its_history_equals_the_view_ingestion_wrote()
    {
        var run = await fixture.DemoAsync();
        var section = Assert.Single(run.Report.Extensions, s => s.Title == DemoExtensions.HistoryTitle);
        output.WriteLine(string.Join(Environment.NewLine, section.Lines));

        var checkedOnly = await HistoryRebuilds.RebuildAllAsync(fixture.Http, dryRun: true, pageSize: 25, onPage: null, CancellationToken.None);
        output.WriteLine(checkedOnly.Describe(dryRun: true));
        Assert.Empty(checkedOnly.Refusals);
        Assert.Equal(0, checkedOnly.Differs);
        Assert.True(checkedOnly.Unchanged >= run.Report.Customers.Count, checkedOnly.Describe(dryRun: true));
        Assert.True(checkedOnly.Events >= run.Report.Channels.Values.Sum(c => c.Accepted) / 2, checkedOnly.Describe(dryRun: true));

        // Rebuilt for real: nothing to write, every view already what its history gives.
        var rebuilt = await HistoryRebuilds.RebuildAllAsync(fixture.Http, dryRun: false, pageSize: 25, onPage: null, CancellationToken.None);
        Assert.Equal((0, 0), (rebuilt.Rebuilt, rebuilt.Refused));

        // The local host's command does the same against a running host: 0 when every view is what its history gives.
        Assert.Equal(0, await Touchpoints.LocalHost.Commands.RebuildCommand.RunAsync(["--dry-run", "--url", fixture.Host.BaseAddress.ToString()], CancellationToken.None));
        Assert.Equal(2, await Touchpoints.LocalHost.Commands.RebuildCommand.RunAsync(["--page-size"], CancellationToken.None));
    }

    [Fact]
    public async Task The_demo_at_a_small_size_prints_a_summary_whose_figures_agree()
    {
        var run = await fixture.DemoAsync();
        output.WriteLine(run.Summary);
        var (report, summary) = (run.Report, run.Summary);
        var scenario = report.Scenario;

        // Every delivery was sent once, and each door's outcome adds up.
        Assert.Equal(LocalHostFixture.SmallDemo.Days, report.Days.Count);
        Assert.Equal(scenario.Deliveries.Count, report.Days.Sum(d => d.Deliveries));
        foreach (var (kind, outcome) in report.Channels)
        {
            Assert.Equal(scenario.Deliveries.Count(d => d.Kind == kind), outcome.Sent);
            Assert.Equal(outcome.Sent, outcome.Accepted + outcome.Refused + outcome.Ignored + outcome.Duplicates);
        }

        // The deliberately flawed traffic, and only it, was refused — each at the door meant to refuse it.
        Assert.Equal(report.Flawed(DeliveryKind.Segment), report.Channels[DeliveryKind.Segment].Refused);
        Assert.Equal(report.Flawed(DeliveryKind.Crm), report.Channels[DeliveryKind.Crm].Refused);
        Assert.Equal(report.Flawed(DeliveryKind.Stripe), report.Channels[DeliveryKind.Stripe].Ignored);
        Assert.Equal(report.Flawed(DeliveryKind.Social), report.IngestionRejections.Count);
        Assert.All(report.IngestionRejections, r => Assert.Equal("social", r.Source));

        // Customers: every group of identifiers the traffic linked is exactly one customer, and there are no others.
        Assert.True(report.ResolutionProblems.Count == 0,
            "People who do not resolve as their traffic linked them:" + Environment.NewLine
            + string.Join(Environment.NewLine, report.ResolutionProblems.Select(p => $"#{p.Person.Index} {p.Person.Story}: "
                + string.Join(", ", p.CustomerByIdentity.Select(i => $"{i.Key} → {i.Value ?? "none"}"))))
            + Environment.NewLine + "Failed invocations the host logged:" + Environment.NewLine
            + string.Join(Environment.NewLine, fixture.Logs.Lines.Where(l => l.Contains("Failed", StringComparison.Ordinal)).Take(10)));
        Assert.Equal(scenario.People.Count, report.PeopleResolved);
        Assert.Equal(report.ExpectedCustomers, report.Customers.Count);
        Assert.Equal(report.Customers.Count, report.ByLifecycle.Sum(l => l.Customers));
        Assert.All(report.ByTouchpoint, t => Assert.InRange(t.Customers, 0, report.Customers.Count));
        Assert.Equal(report.Customers.Count(c => c.Section("web") is not null), report.ByTouchpoint.Single(t => t.Touchpoint == "web").Customers);
        Assert.True(report.Merges > 0, "an anonymous visit merged into a known profile");
        Assert.Equal(report.Customers.Sum(c => c.MergedFrom.Count), report.Merges);

        // The featured customers are what their titles say, and the summary prints them with their journals.
        Assert.NotEmpty(report.Featured);
        foreach (var featured in report.Featured)
        {
            Assert.Contains(featured.Title, summary, StringComparison.Ordinal);
            Assert.Contains(featured.Customer.Id, summary, StringComparison.Ordinal);
        }

        static bool MergedVisitorTurnedCustomer(DemoCustomer c) => c.MergedFrom.Count > 0 && c.Lifecycle == "customer" && c.Section("web") is not null;
        if (report.Customers.Any(MergedVisitorTurnedCustomer)) Assert.Contains(report.Featured, f => MergedVisitorTurnedCustomer(f.Customer));
        Assert.Contains("journal, newest first", summary, StringComparison.Ordinal);
        Assert.Contains(string.Create(System.Globalization.CultureInfo.InvariantCulture, $"{report.Customers.Count} customers"), summary, StringComparison.Ordinal);
        Assert.Equal(report.Days.Count, summary.Split('\n').Count(l => l.TrimStart().StartsWith("day ", StringComparison.Ordinal)));
    }
}
