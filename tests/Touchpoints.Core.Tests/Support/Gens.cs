using FsCheck;
using FsCheck.Fluent;
using Touchpoints.Core.Events;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Views;

namespace Touchpoints.Core.Tests.Support;

/// <summary>An event and the key that decides its place in a second arrival order.</summary>
internal sealed record Step(IngestedEvent Event, int ArrivalKey)
{
    public override string ToString() => $"{Describe(Event)} (arrival key {ArrivalKey})";

    public static string Describe(IngestedEvent e) => e switch
    {
        WebEvent w => $"{w.Type}#{w.EventId}@{At(w)} path={w.Page?.Path} commerce={w.Commerce} campaign={w.Campaign?.Name}{Show(w.Traits)}",
        SocialEvent s => $"{s.Type}#{s.EventId}@{At(s)} {s.Network}/{s.Handle} followers={s.Followers} sentiment={s.Sentiment} rating={s.Rating}",
        CrmEvent c => $"{c.Type}#{c.EventId}@{At(c)} object={c.ObjectId} amount={c.Amount} cost={c.Cost} owner={c.Owner} status={c.Status} stage={c.Stage} channel={c.Channel} consent={c.ConsentChannel}:{c.Consent}{Show(c.Traits)}",
        _ => e.ToString(),
    };

    private static string At(IngestedEvent e) => e.OccurredAt.ToString("MM-dd HH:mm:ss.fff", System.Globalization.CultureInfo.InvariantCulture);

    private static string Show(Touchpoints.Core.Events.Traits t) => t.IsEmpty ? "" : $" name={t.Name} company={t.Company}";
}

/// <summary>
/// Generators over small pools (one customer's handles, a few owners, pages, tickets) so that shrunk counterexamples read
/// like a story. Every event gets a distinct id and a distinct time.
/// </summary>
internal static class Gens
{
    public static readonly Config Config = Config.QuickThrowOnFailure.WithMaxTest(300);

    private static readonly Campaign Spring = new("newsletter", "email", "spring", null, null);
    private static readonly Campaign Retarget = new("google", "cpc", "retarget", "trail shoes", null);

    private delegate IngestedEvent Make(int index, DateTimeOffset at);

    private static Gen<Make> Page =>
        from path in Gen.Elements("/", "/pricing", "/shoes/trail", "/blog/how-to-choose")
        from campaign in Gen.Elements<Campaign?>(null, null, Spring, Retarget)
        select (Make)((i, at) => Build.Page($"p{i}", at, path, campaign: campaign));

    private static Gen<Make> ProductViewed =>
        from sku in Gen.Elements("sku-1", "sku-2")
        select (Make)((i, at) => Build.Track($"pv{i}", at, "Product Viewed", SpecEvent.ProductViewed, new Commerce { ProductId = sku }));

    private static Gen<Make> EmailOpened => Gen.Constant((Make)((i, at) => Build.Track($"eo{i}", at, "Email Opened", SpecEvent.EmailOpened)));

    private static Gen<Make> Social =>
        from kind in Gen.Elements(Enum.GetValues<SocialEventType>())
        from who in Gen.Elements(("x", "annlee"), ("instagram", "ann.lee"))
        from followers in Gen.Elements<long?>(null, 120, 4500)
        // Multiples of 1/4 add exactly in any order: the sums compare bit for bit.
        from sentiment in Gen.Elements<double?>(null, -0.5, 0.25, 0.75, 1)
        from rating in Gen.Elements<double?>(null, 1, 4, 5)
        select (Make)((i, at) => Build.Social($"s{i}", at, kind, who.Item2, who.Item1, followers, sentiment,
            kind == SocialEventType.Review ? rating : null));

    private static Gen<Make> Order =>
        from web in Gen.Elements(true, false)
        from amount in Gen.Elements(10m, 25.5m, 100m)
        select (Make)((i, at) => web
            ? Build.Track($"oc{i}", at, "Order Completed", SpecEvent.OrderCompleted, new Commerce { OrderId = $"o{i}", Total = amount, Currency = "EUR" })
            : Build.Crm($"op{i}", at, CrmEventType.OrderPlaced, "stripe") with { ObjectId = $"o{i}", Amount = amount, Currency = "EUR" });

    private static Gen<Make> Money =>
        from kind in Gen.Elements(CrmEventType.InvoicePaid, CrmEventType.RefundIssued)
        from amount in Gen.Elements(5m, 480m)
        from cost in Gen.Elements<decimal?>(null, 2.5m)
        select (Make)((i, at) => Build.Crm($"m{i}", at, kind, "stripe") with { ObjectId = $"inv{i}", Amount = amount, Currency = "EUR", Cost = cost });

    private static Gen<Make> Ticket =>
        from open in Gen.Elements(true, false)
        from ticket in Gen.Elements("T1", "T2", "T3")
        from subject in Gen.Elements<string?>(null, "Parcel never arrived", "Wrong size")
        select (Make)((i, at) => Build.Crm($"t{i}", at, open ? CrmEventType.TicketOpened : CrmEventType.TicketClosed) with { ObjectId = ticket, Subject = subject });

    private static Gen<Make> Contact =>
        from kind in Gen.Elements(CrmEventType.CallLogged, CrmEventType.MeetingLogged, CrmEventType.MailSent)
        from owner in Gen.Elements<string?>(null, "maria", "li")
        from channel in Gen.Elements<string?>(null, "email", "post")
        from subject in Gen.Elements<string?>(null, "Renewal", "QBR")
        select (Make)((i, at) => Build.Crm($"k{i}", at, kind) with { Owner = owner, Channel = channel, Subject = subject });

    private static Gen<Make> Consent =>
        from channel in Gen.Elements(Enum.GetValues<ConsentChannel>())
        from status in Gen.Elements(ConsentStatus.Granted, ConsentStatus.Denied)
        select (Make)((i, at) => Build.Crm($"cc{i}", at, CrmEventType.ConsentChanged) with { ConsentChannel = channel, Consent = status, Channel = channel.ToString(), Status = status.ToString() });

    private static Gen<Make> Traits =>
        from name in Gen.Elements<string?>(null, "Ann Lee", "Ann Lee-Smith")
        from company in Gen.Elements<string?>(null, "Acme", "Initech")
        from owner in Gen.Elements<string?>(null, "maria", "li")
        from web in Gen.Elements(true, false)
        select (Make)((i, at) => web
            ? Build.Identify($"id{i}", at, new Touchpoints.Core.Events.Traits { Name = name, Company = company })
            : Build.Crm($"cu{i}", at, CrmEventType.ContactUpdated) with { Owner = owner, Traits = new Touchpoints.Core.Events.Traits { Name = name, Company = company } });

    private static Gen<Make> Sales =>
        from lead in Gen.Elements(true, false)
        from status in Gen.Elements("New", "MQL", "SQL")
        from stage in Gen.Elements("Discovery", "Proposal", "Closed Won", "Closed Lost")
        from owner in Gen.Elements<string?>(null, "maria", "li")
        select (Make)((i, at) => lead
            ? Build.Crm($"ls{i}", at, CrmEventType.LeadStatusChanged) with { Status = status, Owner = owner }
            : Build.Crm($"os{i}", at, CrmEventType.OpportunityStageChanged) with { ObjectId = "opp-7", Stage = stage, Owner = owner, Amount = 1000m });

    /// <summary>Events whose effect on the view does not depend on their arrival order.</summary>
    private static Gen<Make> Commutative => Gen.OneOf(Page, ProductViewed, EmailOpened, Social, Order, Money, Ticket, Contact, Consent, Traits, Sales);

    private static Gen<Make> Cart =>
        from kind in Gen.Elements(SpecEvent.ProductAdded, SpecEvent.ProductRemoved, SpecEvent.CartViewed, SpecEvent.CheckoutStarted, SpecEvent.Unsubscribed, SpecEvent.ProductsSearched)
        from price in Gen.Elements(9.5m, 40m)
        from quantity in Gen.Elements<int?>(null, 1, 3)
        from query in Gen.Elements("shoes", "socks")
        select (Make)((i, at) => Build.Track($"w{i}", at, kind.ToString(), kind,
            new Commerce { ProductId = "sku-1", Price = price, Quantity = quantity, Total = price * 2, ItemCount = 2, Currency = "EUR", Query = query }));

    /// <summary>Any event, including the order-dependent ones (carts, sessions).</summary>
    private static Gen<Make> Any => Gen.Frequency((6, Commutative), (2, Cart));

    /// <summary>
    /// Up to <paramref name="max"/> events with distinct ids and times (seconds after <see cref="Build.T0"/>, below
    /// <paramref name="spanSeconds"/>), in generation order, each with a key for a second arrival order.
    /// </summary>
    private static Gen<Step[]> Steps(Gen<Make> kinds, int max, int spanSeconds) =>
        from count in Gen.Choose(1, max)
        from makes in Gen.ArrayOf(kinds, count)
        from seconds in Gen.ArrayOf(Gen.Choose(0, spanSeconds - 10), count)
        from keys in Gen.ArrayOf(Gen.Choose(0, 1000), count)
        // The index in milliseconds keeps times distinct (ties would make the order of equal "last" values arbitrary).
        select makes.Select((make, i) => new Step(make(i, Build.T0.AddSeconds(seconds[i]).AddMilliseconds(i)), keys[i]))
            .Where(UniqueTicketEvents()).ToArray();

    // A ticket opens once and closes once: two openings of one ticket are not commutative (which time is "opened at"?).
    private static Func<Step, bool> UniqueTicketEvents()
    {
        var seen = new HashSet<(CrmEventType, string?)>();
        return s => s.Event is not CrmEvent { Kind: CrmEventType.TicketOpened or CrmEventType.TicketClosed } c || seen.Add((c.Kind, c.ObjectId));
    }

    /// <summary>Shrinks by dropping one event at a time, so a counterexample ends as the few events that matter.</summary>
    private static IEnumerable<Step[]> Shrink(Step[] steps) =>
        Enumerable.Range(0, steps.Length).Select(i => steps.Where((_, j) => j != i).ToArray());

    /// <summary>Commutative events, all within one web session (30 minutes).</summary>
    public static Arbitrary<Step[]> CommutativeSteps => Arb.From(Steps(Commutative, 14, 1800), Shrink);

    /// <summary>Any events, spread over ten days.</summary>
    public static Arbitrary<Step[]> AnySteps => Arb.From(Steps(Any, 16, 10 * 24 * 3600), Shrink);

    /// <summary>Two disjoint lists of commutative events: a survivor's and a loser's.</summary>
    public static Arbitrary<(Step[] Survivor, Step[] Loser)> TwoProfiles =>
        Arb.From(
            from steps in Steps(Commutative, 16, 1800)
            from split in Gen.Choose(0, steps.Length)
            select (steps[..split], steps[split..]),
            pair => Shrink(pair.Item1).Select(s => (s, pair.Item2)).Concat(Shrink(pair.Item2).Select(l => (pair.Item1, l))));

    public static string Show(IEnumerable<Step> steps) => string.Join("\n  ", steps.Select(s => s.ToString()));
}
