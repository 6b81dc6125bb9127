using System.Collections.Immutable;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Rules;
using Touchpoints.Functions.Rules;

namespace Touchpoints.Functions.Tests.Rules;

/// <summary>
/// Rules under the concurrency Azure delivers: one customer's changes evaluated at once on several partitions and by the
/// timer, a writer that dies between its decision and its sends, a profile merged away with schedules armed, and a profile
/// so new that it may yet be merged away.
/// </summary>
[Collection(RulesCollection.Name)]
public sealed class ConcurrencyTests(RulesFixture fixture) : IAsyncLifetime
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(10);

    public async Task InitializeAsync()
    {
        await fixture.PutRulesAsync(TestRules.Document);
        await fixture.ClearQueuesAsync();
        await fixture.DeleteSchedulerCursorAsync();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    private RuleRunner Runner => fixture.Services.GetRequiredService<RuleRunner>();

    [Fact]
    public async Task Two_evaluations_of_one_customer_that_read_the_same_state_queue_its_message_once()
    {
        var ann = new Shopper(fixture, "race");
        await fixture.IngestAsync(ann.Identify(), ann.Order(90m));
        var rules = await fixture.Services.GetRequiredService<RulesProvider>().GetAsync(CancellationToken.None);
        string[] causes = ["web.track.Order Completed"];

        // Both evaluations read the view and the state before either writes: each decides the thank-you.
        var bothRead = new Barrier(2);
        var calls = 0;
        EvaluationResult? Evaluate(Core.Views.CustomerView view, RuleState state, DateTimeOffset now)
        {
            if (Interlocked.Increment(ref calls) <= 2) bothRead.SignalAndWait(TimeSpan.FromSeconds(30));
            return Arbiter.OnChange(rules, view, state, causes, now);
        }
        var results = await Task.WhenAll(
            Task.Run(() => Runner.RunAsync(new CustomerId(ann.CustomerId), Evaluate, CancellationToken.None)),
            Task.Run(() => Runner.RunAsync(new CustomerId(ann.CustomerId), Evaluate, CancellationToken.None)));

        // The loser of the state write decided again, saw the winner's decision, and sent nothing.
        Assert.Equal(3, calls);
        Assert.Equal(1, results.Sum(r => r.Sent));
        var thanks = Assert.Single(await fixture.PeekAsync(Queues.CommunicationsHigh), m => m.CustomerId == ann.CustomerId);
        Assert.Equal("order-thanks", thanks.Template);
        Assert.Single(await fixture.LedgerAsync(ann.CustomerId));
    }

    [Fact]
    public async Task Decisions_whose_writer_died_before_sending_are_sent_once_after_its_lease_by_the_next_look_at_the_customer()
    {
        var bea = new Shopper(fixture, "died");
        var changes = await fixture.IngestAsync(bea.Identify(), bea.Order(75m));
        Assert.Equal(200, (await fixture.EvaluateAsync(changes)).Status);
        var id = Assert.Single(await fixture.LedgerAsync(bea.CustomerId))["id"]!.GetValue<string>();

        // As if the writer died right after claiming: the state holds the claim, nothing was sent, nothing recorded.
        var state = (await fixture.ReadAsync("communications", "state", bea.CustomerId))!;
        Assert.Equal(id, state["state"]!["outbox"]![0]!["decisions"]![0]!["id"]!.GetValue<string>());
        await Communications.DeleteItemStreamAsync(id, new PartitionKey(bea.CustomerId));
        await fixture.ClearQueuesAsync();

        // The host retries the batch within the lease: the claim may still be its writer's, so it is left to the timer.
        Assert.Equal(200, (await fixture.EvaluateAsync(changes)).Status);
        Assert.Empty(await fixture.PeekAsync(Queues.CommunicationsHigh));
        Assert.Empty(await fixture.LedgerAsync(bea.CustomerId));

        // After the lease, the wake-up written for it carries it out: sent once, recorded once.
        fixture.Clock.Advance(PendingEvaluation.Lease + TimeSpan.FromMinutes(1));
        var (status, body) = await fixture.RunTimerAsync();
        Assert.True(status == 200, body.ToJsonString());
        var message = Assert.Single(await fixture.PeekAsync(Queues.CommunicationsHigh));
        Assert.Equal(id, message.Body["id"]!.GetValue<string>());
        Assert.Equal(id, Assert.Single(await fixture.LedgerAsync(bea.CustomerId))["id"]!.GetValue<string>());

        // Later looks find it carried out: nothing goes again.
        Assert.Equal(200, (await fixture.EvaluateAsync(changes)).Status);
        fixture.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(200, (await fixture.RunTimerAsync()).Status);
        Assert.Equal(1, await fixture.CountAsync(Queues.CommunicationsHigh));
    }

    [Fact]
    public async Task A_visitor_merged_into_a_known_customer_brings_his_armed_cart_reminder_which_goes_to_the_customer()
    {
        var cid = new Shopper(fixture, "merge");
        await fixture.IngestAndEvaluateAsync(cid.Identify());
        var anonymousId = "anon-" + Guid.NewGuid().ToString("N")[..12];
        var visitor = IdentityResolver.NewCustomerId(Identifier.TryParseKey("anonymousId:" + anonymousId)!);
        var addedAt = fixture.Clock.GetUtcNow();
        await fixture.IngestAndEvaluateAsync(Anonymous(anonymousId, "Product Added",
            """{"product_id":"tent-2p","name":"Two-person tent","price":249.0,"quantity":1,"currency":"GBP"}"""));
        Assert.Equal("cart-reminder", (await StateAsync(visitor))!["armed"]![0]!["ruleId"]!.GetValue<string>());

        // He identifies: the visitor's profile is merged into the known customer, whose evaluation takes over its state.
        fixture.Clock.Advance(TimeSpan.FromMinutes(1));
        await fixture.IngestAndEvaluateAsync(IdentifyWith(cid, anonymousId));

        var survivor = (await StateAsync(cid.CustomerId))!;
        Assert.Equal("cart-reminder", Assert.Single(survivor["armed"]!.AsArray())!["ruleId"]!.GetValue<string>());
        Assert.Contains(visitor, survivor["absorbed"]!.AsArray().Select(a => a!.GetValue<string>()));
        Assert.Equal(cid.CustomerId, (await StateAsync(visitor))!["mergedInto"]!.GetValue<string>());

        // Due: one reminder, to the customer's address; none under the visitor's id.
        fixture.Clock.Advance(addedAt + TimeSpan.FromMinutes(17) - fixture.Clock.GetUtcNow());
        var (status, body) = await fixture.RunTimerAsync();
        Assert.True(status == 200, body.ToJsonString());
        var reminder = Assert.Single(await fixture.PeekAsync(Queues.CommunicationsNormal));
        Assert.Equal(cid.CustomerId, reminder.CustomerId);
        Assert.Equal(cid.Email, reminder.Body["recipient"]!["address"]!.GetValue<string>());
        Assert.Empty(await fixture.LedgerAsync(visitor));
    }

    [Fact]
    public async Task A_new_profiles_decisions_wait_for_the_settle_window_and_are_then_decided_once()
    {
        var dee = new Shopper(fixture, "new");
        var changes = await fixture.IngestAsync(dee.Identify(), dee.Order(60m));
        var start = fixture.Clock.GetUtcNow();

        await SettlingEvaluator.EvaluateAsync(Bodies(changes), CancellationToken.None);

        Assert.Empty(await fixture.PeekAsync(Queues.CommunicationsHigh));
        var armed = Assert.Single((await StateAsync(dee.CustomerId))!["armed"]!.AsArray())!;
        Assert.Equal("order-thanks", armed["ruleId"]!.GetValue<string>());
        Assert.Equal(start + Settle, armed["dueAt"]!.GetValue<DateTimeOffset>());
        Assert.StartsWith(ArmedSchedule.SettlePrefix, armed["occurrence"]!.GetValue<string>(), StringComparison.Ordinal);

        // Settled: the timer decides it, with the reasons of the change.
        fixture.Clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(200, (await fixture.RunTimerAsync()).Status);
        var thanks = Assert.Single(await fixture.PeekAsync(Queues.CommunicationsHigh));
        Assert.Equal(dee.CustomerId, thanks.CustomerId);
        Assert.Contains("on web.track.Order Completed", thanks.Body["reasons"]!.AsArray().Select(r => r!.GetValue<string>()));
        Assert.Empty((await StateAsync(dee.CustomerId))!["armed"]!.AsArray());

        // A settled profile's next order is decided at once.
        await SettlingEvaluator.EvaluateAsync(Bodies(await fixture.IngestAsync(dee.Order(30m))), CancellationToken.None);
        Assert.Equal(2, await fixture.CountAsync(Queues.CommunicationsHigh));
    }

    [Fact]
    public async Task A_throw_away_profile_merged_within_the_settle_window_gets_no_message_and_the_survivor_decides_for_the_customer()
    {
        var eli = new Shopper(fixture, "throwaway");
        await SettlingEvaluator.EvaluateAsync(Bodies(await fixture.IngestAsync(eli.Identify())), CancellationToken.None);
        fixture.Clock.Advance(TimeSpan.FromMinutes(1)); // the known customer has settled
        var anonymousId = "anon-" + Guid.NewGuid().ToString("N")[..12];
        var visitor = IdentityResolver.NewCustomerId(Identifier.TryParseKey("anonymousId:" + anonymousId)!);

        // An order lands on a fresh anonymous profile a moment before the identify that merges it.
        await SettlingEvaluator.EvaluateAsync(Bodies(await fixture.IngestAsync(Anonymous(anonymousId, "Order Completed",
            """{"order_id":"o-throwaway","total":45.0,"currency":"GBP"}"""))), CancellationToken.None);
        fixture.Clock.Advance(TimeSpan.FromSeconds(2));
        await SettlingEvaluator.EvaluateAsync(Bodies(await fixture.IngestAsync(IdentifyWith(eli, anonymousId))), CancellationToken.None);
        Assert.Empty(await fixture.PeekAsync(Queues.CommunicationsHigh));

        fixture.Clock.Advance(TimeSpan.FromMinutes(2));
        var (status, body) = await fixture.RunTimerAsync();
        Assert.True(status == 200, body.ToJsonString());

        var thanks = Assert.Single(await fixture.PeekAsync(Queues.CommunicationsHigh));
        Assert.Equal(eli.CustomerId, thanks.CustomerId);
        Assert.Equal(eli.Email, thanks.Body["recipient"]!["address"]!.GetValue<string>());
        Assert.Empty(await fixture.LedgerAsync(visitor));
    }

    private ChangeEvaluator SettlingEvaluator => new(fixture.Services.GetRequiredService<RulesProvider>(), Runner,
        Options.Create(new RulesOptions { SettleWindow = Settle }), NullLogger<ChangeEvaluator>.Instance);

    private static ImmutableArray<string> Bodies(JsonArray changes) => [.. changes.Select(c => c!.ToJsonString())];

    private Container Communications => fixture.Client.GetContainer(fixture.Database, Containers.Communications);

    private async Task<JsonNode?> StateAsync(string customerId) => (await fixture.ReadAsync("communications", "state", customerId))?["state"];

    private string Anonymous(string anonymousId, string name, string properties) => $$"""
        {"type":"track","event":"{{name}}","messageId":"{{Guid.NewGuid():N}}","anonymousId":"{{anonymousId}}","properties":{{properties}},
         "timestamp":"{{RulesFixture.Iso(fixture.Clock.GetUtcNow())}}"}
        """;

    private string IdentifyWith(Shopper shopper, string anonymousId) => $$"""
        {"type":"identify","messageId":"{{Guid.NewGuid():N}}","userId":"{{shopper.UserId}}","anonymousId":"{{anonymousId}}",
         "traits":{"email":"{{shopper.Email}}"},"timestamp":"{{RulesFixture.Iso(fixture.Clock.GetUtcNow())}}"}
        """;
}
