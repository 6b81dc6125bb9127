using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Azure.Messaging.EventHubs;
using Azure.Messaging.EventHubs.Producer;
using Xunit.Abstractions;

namespace Touchpoints.EndToEnd.Tests;

/// <summary>
/// One person's traffic sent with the vendors' own libraries — Segment's analytics-node, Stripe's and Standard Webhooks'
/// signing — plus social events sent with the Event Hubs SDK, through the local host to the view API: an anonymous visitor, then a CRM
/// contact with their email, then an identify that links the two, then billing, support, sales and social.
/// </summary>
[Collection(LocalHostCollection.Name)]
public sealed class VendorLibraryTrafficTests(LocalHostFixture fixture, ITestOutputHelper output)
{
    private readonly string run = Guid.NewGuid().ToString("N")[..10];

    private string Anonymous => $"anon-{run}";

    private string User => $"user-{run}";

    private string Email => $"ada.{run}@example.org";

    private string CrmId => $"c{run}";

    private string StripeCustomer => $"cus_{run}";

    private string Handle => $"ada_{run}";

    [Fact]
    public async Task An_anonymous_visitor_met_by_every_touch_point_ends_up_as_one_customer_view_with_every_section()
    {
        try
        {
            await Run();
        }
        catch
        {
            output.WriteLine(fixture.Logs.ToString());
            throw;
        }
    }

    private async Task Run()
    {
        var sources = fixture.Sources;
        var now = DateTimeOffset.UtcNow;

        // 1. Anonymous browsing, through analytics-node to POST /api/v1/batch.
        var anonymous = await Segment(
            Call("page", new JsonObject { ["anonymousId"] = Anonymous, ["name"] = "Home", ["properties"] = new JsonObject { ["path"] = "/", ["title"] = "Home" } }),
            Call("page", new JsonObject { ["anonymousId"] = Anonymous, ["name"] = "Pricing", ["properties"] = new JsonObject { ["path"] = "/pricing", ["title"] = "Pricing" } }),
            Call("track", new JsonObject
            {
                ["anonymousId"] = Anonymous, ["event"] = "Product Viewed",
                ["properties"] = new JsonObject { ["product_id"] = "sku-330", ["name"] = "Ultralight Tent", ["price"] = 349 },
            }));
        Assert.Empty(anonymous["errors"]!.AsArray());
        Assert.NotEmpty(anonymous["requests"]!.AsArray());
        await fixture.IdleAsync();
        var visitor = await fixture.CustomerAsync("anonymousId:" + Anonymous);
        Assert.NotNull(visitor);
        Assert.Equal("anonymous", (string?)visitor["lifecycle"]);
        var visitorId = (string)visitor["id"]!;

        // 2. The CRM knows them by email: Standard Webhooks deliveries signed by the standardwebhooks package.
        await Crm(now, "contact.updated", new JsonObject { ["owner"] = "sam@touchpoints.example" },
            new JsonObject { ["name"] = "Ada Lovelace", ["company"] = "Analytical Engines", ["title"] = "CTO" });
        await Crm(now, "lead.status_changed", new JsonObject { ["status"] = "sql", ["owner"] = "sam@touchpoints.example" });
        await Crm(now, "opportunity.stage_changed", new JsonObject { ["objectId"] = "deal-" + run, ["stage"] = "Proposal", ["amount"] = 4800, ["currency"] = "EUR" });
        await Crm(now, "call.logged", new JsonObject { ["subject"] = "Discovery call", ["owner"] = "sam@touchpoints.example" });
        await Crm(now, "meeting.logged", new JsonObject { ["subject"] = "Proposal review", ["owner"] = "sam@touchpoints.example" });
        await Crm(now, "mail.sent", new JsonObject { ["subject"] = "Contract", ["channel"] = "post" });
        await Crm(now, "mail.sent", new JsonObject { ["subject"] = "Welcome aboard", ["channel"] = "email" });
        await Crm(now, "ticket.opened", new JsonObject { ["objectId"] = "T-" + run, ["subject"] = "Tent pole cracked" });
        await fixture.IdleAsync();
        var known = await fixture.CustomerAsync("email:" + Email);
        Assert.NotNull(known);
        var knownId = (string)known["id"]!;
        Assert.NotEqual(visitorId, knownId);

        // 3. They log in: the identify links the anonymous id to the user id and the email, and they order.
        var identified = await Segment(
            Call("identify", new JsonObject
            {
                ["userId"] = User, ["anonymousId"] = Anonymous,
                ["traits"] = new JsonObject { ["email"] = Email, ["name"] = "Ada Lovelace" },
            }),
            Call("track", new JsonObject
            {
                ["userId"] = User, ["anonymousId"] = Anonymous, ["event"] = "Order Completed",
                ["properties"] = new JsonObject { ["order_id"] = "ord-" + run, ["total"] = 349, ["currency"] = "EUR" },
            }));
        Assert.Empty(identified["errors"]!.AsArray());
        await fixture.IdleAsync();

        // 4. Billing: Stripe events signed by the stripe package.
        await Stripe("invoice.paid", new JsonObject
        {
            ["id"] = "in_" + run, ["object"] = "invoice", ["customer"] = StripeCustomer, ["customer_email"] = Email, ["amount_paid"] = 480000, ["currency"] = "eur",
        });
        await Stripe("charge.refunded", new JsonObject
        {
            ["id"] = "ch_" + run, ["object"] = "charge", ["customer"] = StripeCustomer, ["amount"] = 34900, ["amount_refunded"] = 34900,
            ["currency"] = "eur", ["billing_details"] = new JsonObject { ["email"] = Email },
        });
        await fixture.IdleAsync();

        // 5. Social: a listening tool written with Azure's Event Hubs SDK publishes to the social-events hub, keyed by the
        //    author's handle, through the local host's AMQP endpoint and its development connection string.
        await using (var producer = new EventHubProducerClient(fixture.Host.EventHubsConnectionString, Hubs.SocialEvents))
        {
            JsonObject[] mentions =
            [
                new JsonObject
                {
                    ["eventId"] = "soc-1-" + run, ["type"] = "social.mention", ["network"] = "x", ["handle"] = "@" + Handle, ["followers"] = 48_000,
                    ["text"] = "The new tent is superb", ["sentiment"] = 0.8, ["occurredAt"] = now.ToString("O"), ["email"] = Email,
                },
                new JsonObject
                {
                    ["eventId"] = "soc-2-" + run, ["type"] = "social.review", ["network"] = "x", ["handle"] = "@" + Handle, ["rating"] = 5,
                    ["text"] = "Five stars", ["sentiment"] = 0.9, ["occurredAt"] = now.AddMinutes(1).ToString("O"),
                },
            ];
            await producer.SendAsync(mentions.Select(m => new EventData(m.ToJsonString())), new SendEventOptions { PartitionKey = "social.x:" + Handle });
        }
        await fixture.IdleAsync();

        // Every identifier leads to the same customer: the CRM profile (the oldest known), with the visitor merged in.
        string[] identities =
        [
            "anonymousId:" + Anonymous, "userId:" + User, "email:" + Email, $"crm.hubspot:{CrmId}", "crm.stripe:" + StripeCustomer, "social.x:" + Handle,
        ];
        var views = await Task.WhenAll(identities.Select(fixture.CustomerAsync));
        Assert.All(views, v => Assert.Equal(knownId, (string?)v?["id"]));
        var view = views[0]!;
        Assert.Contains(visitorId, view["mergedFrom"]!.AsArray().Select(x => (string?)x));
        using (var tombstone = await fixture.Http.GetAsync(new Uri($"api/customers/{visitorId}", UriKind.Relative)))
            Assert.Equal(knownId, (string?)JsonNode.Parse(await tombstone.Content.ReadAsStringAsync())!["id"]);
        Assert.Equal("customer", (string?)view["lifecycle"]);
        Assert.Equal("Ada Lovelace", (string?)view["traits"]!["name"]!["value"]);
        Assert.Equal("Analytical Engines", (string?)view["traits"]!["company"]!["value"]);

        var t = view["touchpoints"]!;
        Assert.True((long)t["web"]!["pageViews"]! >= 2);
        Assert.True((long)t["web"]!["productViews"]! >= 1);
        Assert.True((long)t["web"]!["pricingViews"]! >= 1);
        Assert.Equal("sql", (string?)t["sales"]!["leadStatus"]!["value"]);
        Assert.Equal("deal-" + run, (string?)t["sales"]!["opportunity"]!["id"]);
        Assert.Equal(1, (long)t["phone"]!["activity"]!["count"]!);
        Assert.Equal(1, (long)t["inPerson"]!["activity"]!["count"]!);
        Assert.Equal(1, (long)t["mail"]!["activity"]!["count"]!);
        Assert.Equal(1, (long)t["email"]!["activity"]!["count"]!);
        Assert.Equal("T-" + run, (string?)t["support"]!["openTickets"]![0]!["id"]);
        Assert.Equal(1, (long)t["billing"]!["orders"]!);
        Assert.Equal(1, (long)t["billing"]!["invoicesPaid"]!);
        Assert.Equal(349m, (decimal)t["billing"]!["refunds"]!);
        Assert.Equal(1, (long)t["social"]!["mentions"]!);
        Assert.Equal(1, (long)t["social"]!["reviews"]!);
        Assert.Equal(48_000, (long)t["social"]!["handles"]![0]!["followers"]!);
        var journal = view["journal"]!.AsArray().Select(j => (string?)j!["touchpoint"]).ToHashSet();
        Assert.Superset(new HashSet<string?> { "web", "sales", "support", "phone", "inPerson", "mail", "email", "billing", "social" }, journal);

        // A touch point's own view: support sees the contact, the open ticket and the journal.
        var support = JsonNode.Parse(await fixture.Http.GetStringAsync(new Uri($"api/customers/{knownId}/views/support", UriKind.Relative)))!;
        Assert.Equal(Email, (string?)support["contact"]!["email"]);
        Assert.Single(support["openTickets"]!.AsArray());
        output.WriteLine(view.ToJsonString());
    }

    private static JsonObject Call(string type, JsonObject message)
    {
        message["type"] = type;
        return message;
    }

    private Task<JsonObject> Segment(params JsonObject[] calls) =>
        NodeScript.RunAsync("segment", new JsonObject
        {
            ["host"] = fixture.Host.BaseAddress.ToString().TrimEnd('/'),
            ["writeKey"] = fixture.Sources.WriteKey,
            ["calls"] = new JsonArray([.. calls]),
        });

    private async Task Crm(DateTimeOffset at, string type, JsonObject fields, JsonObject? traits = null)
    {
        var customer = new JsonObject { ["system"] = "hubspot", ["crmId"] = CrmId, ["email"] = Email };
        foreach (var (key, value) in traits ?? []) customer[key] = value?.DeepClone();
        var e = new JsonObject { ["eventId"] = $"crm-{type}-{fields["channel"]}-{run}", ["type"] = type, ["occurredAt"] = at.ToString("O"), ["customer"] = customer };
        foreach (var (key, value) in fields) e[key] = value?.DeepClone();
        var answer = await NodeScript.RunAsync("crm", new JsonObject
        {
            ["url"] = fixture.Url("api/webhooks/" + fixture.Sources.CrmSource).ToString(),
            ["secret"] = fixture.Sources.CrmSecret,
            ["msgId"] = $"msg_{type}_{fields["channel"]}_{run}",
            ["event"] = e,
        });
        Assert.True((int)answer["status"]! == 200, $"{type}: {answer.ToJsonString()}");
        Assert.Equal(1, (int)JsonNode.Parse((string)answer["body"]!)!["accepted"]!);
    }

    private async Task Stripe(string type, JsonObject data)
    {
        var answer = await NodeScript.RunAsync("stripe", new JsonObject
        {
            ["url"] = fixture.Url("api/webhooks/" + fixture.Sources.StripeSource).ToString(),
            ["secret"] = fixture.Sources.StripeSecret,
            ["event"] = new JsonObject
            {
                ["id"] = $"evt_{type.Replace('.', '_')}_{run}", ["object"] = "event", ["type"] = type, ["created"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                ["livemode"] = false, ["data"] = new JsonObject { ["object"] = data },
            },
        });
        Assert.True((int)answer["status"]! == 200, $"{type}: {answer.ToJsonString()}");
        Assert.Equal(1, (int)JsonNode.Parse((string)answer["body"]!)!["accepted"]!);
    }
}
