using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;
using Touchpoints.Core.Identity;

namespace Touchpoints.Core.Events;

/// <summary>Turns Segment Spec messages into <see cref="WebEvent"/>s, correcting device clock skew as Segment does.</summary>
public static class SegmentParser
{
    private static readonly FrozenDictionary<string, WebCall> Calls = new Dictionary<string, WebCall>(StringComparer.OrdinalIgnoreCase)
    {
        ["track"] = WebCall.Track, ["identify"] = WebCall.Identify, ["page"] = WebCall.Page,
        ["screen"] = WebCall.Screen, ["group"] = WebCall.Group, ["alias"] = WebCall.Alias,
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    // Segment's spec names, matched ignoring case, spaces and underscores ("product_viewed" from RudderStack-style SDKs).
    private static readonly FrozenDictionary<string, SpecEvent> SpecEvents = new Dictionary<string, SpecEvent>
    {
        ["productviewed"] = SpecEvent.ProductViewed, ["productadded"] = SpecEvent.ProductAdded,
        ["productremoved"] = SpecEvent.ProductRemoved, ["cartviewed"] = SpecEvent.CartViewed,
        ["checkoutstarted"] = SpecEvent.CheckoutStarted, ["ordercompleted"] = SpecEvent.OrderCompleted,
        ["orderrefunded"] = SpecEvent.OrderRefunded, ["productssearched"] = SpecEvent.ProductsSearched,
        ["emailopened"] = SpecEvent.EmailOpened, ["emaillinkclicked"] = SpecEvent.EmailLinkClicked,
        ["unsubscribed"] = SpecEvent.Unsubscribed, ["signedup"] = SpecEvent.SignedUp,
    }.ToFrozenDictionary();

    public static ParseResult Parse(string body, ArrivalContext arrival)
    {
        if (string.IsNullOrWhiteSpace(body)) return ParseResult.Invalid(null, "$", "the body is empty");
        if (JsonText.HasLoneSurrogate(body)) return ParseResult.Invalid(null, "$", JsonText.LoneSurrogateMessage);
        var message = SegmentReader.Read(body, out var malformed);
        if (message is null) return ParseResult.Invalid(null, [malformed!]);

        var errors = new List<ValidationError>();
        var id = message.MessageId?.Trim();
        if (string.IsNullOrEmpty(id)) errors.Add(new("$.messageId", "is required"));

        WebCall call = default;
        var known = false;
        if (string.IsNullOrWhiteSpace(message.Type)) errors.Add(new("$.type", "is required"));
        else if (!(known = Calls.TryGetValue(message.Type.Trim(), out call)))
            errors.Add(new("$.type", $"'{message.Type}' is not one of track, identify, page, screen, group, alias"));

        if (string.IsNullOrWhiteSpace(message.UserId) && string.IsNullOrWhiteSpace(message.AnonymousId))
            errors.Add(new("$", "userId or anonymousId is required"));
        // An unknown type is one error, not also the missing members of whatever call the default value names.
        switch (known ? call : (WebCall?)null)
        {
            case WebCall.Track when string.IsNullOrWhiteSpace(message.Event):
                errors.Add(new("$.event", "is required for track"));
                break;
            case WebCall.Alias when string.IsNullOrWhiteSpace(message.PreviousId):
                errors.Add(new("$.previousId", "is required for alias"));
                break;
            case WebCall.Group when string.IsNullOrWhiteSpace(message.GroupId):
                errors.Add(new("$.groupId", "is required for group"));
                break;
        }

        var receivedAt = message.ReceivedAt ?? arrival.EnqueuedAt;
        var original = message.OriginalTimestamp ?? message.Timestamp;
        // Segment: timestamp = receivedAt − (sentAt − originalTimestamp); the device clock's error cancels out. Ticks, so that
        // absurd pairs (year 1 sent in year 9999) are an error of the event, not an overflow of the batch.
        var occurredAt = receivedAt;
        if (original is { } o && message.SentAt is { } sent)
        {
            var ticks = receivedAt.UtcTicks - (sent.UtcTicks - o.UtcTicks);
            if (ticks < DateTimeOffset.MinValue.UtcTicks || ticks > DateTimeOffset.MaxValue.UtcTicks)
                errors.Add(new("$.sentAt", "and the timestamp are too far apart to correct the device clock"));
            else occurredAt = new DateTimeOffset(ticks, TimeSpan.Zero);
        }
        else if (original is { } at) occurredAt = at;
        EventParser.CheckNotFuture(occurredAt, "$.timestamp", arrival, errors);
        // A device clock a little ahead (no sentAt to correct it): the event happened when it was received, as Segment does.
        if (occurredAt > receivedAt) occurredAt = receivedAt;

        var traitsBag = call == WebCall.Identify || call == WebCall.Group ? message.Traits : message.Context?.Traits ?? message.Traits;
        var traits = ReadTraits(traitsBag, message.Context);
        var identifiers = new List<Identifier>(4);
        Add(identifiers, Identifiers.UserId(message.UserId));
        Add(identifiers, Identifiers.AnonymousId(message.AnonymousId));
        // alias links the id a visitor had before signing up; treating it as an anonymous id lets it merge into the user.
        if (call == WebCall.Alias) Add(identifiers, Identifiers.AnonymousId(message.PreviousId));
        Add(identifiers, Identifiers.Email(traits.Email));
        Add(identifiers, Identifiers.Phone(traits.Phone, arrival.PhoneRegionFor(traits.Locale)));
        if (errors.Count == 0 && identifiers.Count == 0)
            errors.Add(new("$", "no usable identifier: userId and anonymousId are blocked placeholder values"));

        var spec = call == WebCall.Track && SpecEvents.TryGetValue(Normalise(message.Event ?? ""), out var specEvent) ? specEvent : SpecEvent.None;
        var commerce = spec == SpecEvent.None ? null : ReadCommerce(message.Properties);
        if (commerce is not null)
        {
            // A number too large for a decimal reads as absent; it must be refused, not ignored.
            foreach (var (member, name) in AmountMembers)
                if (message.Properties?.IsNumberOutOfRange(member) == true)
                    errors.Add(new($"$.properties.{name}", $"must be between -{EventParser.MaxAmount} and {EventParser.MaxAmount}"));
            EventParser.CheckAmount(commerce.Price, "$.properties.price", errors);
            EventParser.CheckAmount(commerce.Total, "$.properties.total", errors);
            EventParser.CheckAmount(commerce.Revenue, "$.properties.revenue", errors);
            if (message.Properties?.Decimal(BagMember.Quantity) is < -EventParser.MaxQuantity or > EventParser.MaxQuantity)
                errors.Add(new("$.properties.quantity", $"must be between -{EventParser.MaxQuantity} and {EventParser.MaxQuantity}"));
        }

        if (errors.Count > 0) return ParseResult.Invalid(id, errors);

        var properties = message.Properties;
        var pageBag = message.Context?.Page;
        var page = call is WebCall.Page or WebCall.Screen || pageBag is not null
            ? new PageContext(
                properties?.String(BagMember.Path) ?? pageBag?.String(BagMember.Path),
                properties?.String(BagMember.Url) ?? pageBag?.String(BagMember.Url),
                properties?.String(BagMember.Title) ?? pageBag?.String(BagMember.Title) ?? message.Name,
                properties?.String(BagMember.Referrer) ?? pageBag?.String(BagMember.Referrer),
                properties?.String(BagMember.Search) ?? pageBag?.String(BagMember.Search))
            : null;

        return ParseResult.Valid(new WebEvent
        {
            EventId = id!,
            Scope = message.Scope,
            OccurredAt = occurredAt,
            Identifiers = identifiers,
            Call = call,
            AnonymousId = message.AnonymousId,
            UserId = message.UserId,
            PreviousId = message.PreviousId,
            GroupId = message.GroupId,
            Name = call == WebCall.Track ? message.Event!.Trim() : message.Name,
            Spec = spec,
            Traits = traits,
            Page = page,
            Campaign = ReadCampaign(message.Context?.Campaign),
            Commerce = commerce,
            UserAgent = message.Context?.UserAgent,
            Ip = message.Context?.Ip,
            ReceivedAt = receivedAt,
        });
    }

    private static void Add(List<Identifier> identifiers, Identifier? identifier)
    {
        if (identifier is not null && !identifiers.Contains(identifier)) identifiers.Add(identifier);
    }

    private static string Normalise(string name) =>
        string.Create(name.Length, name, (span, n) =>
        {
            var i = 0;
            foreach (var c in n)
                if (c is not (' ' or '_' or '-')) span[i++] = char.ToLowerInvariant(c);
            span[i..].Fill(' ');
        }).TrimEnd();

    private static readonly (BagMember Member, string Name)[] AmountMembers =
        [(BagMember.Price, "price"), (BagMember.Total, "total"), (BagMember.Revenue, "revenue"), (BagMember.Value, "value"), (BagMember.Quantity, "quantity")];

    private static Traits ReadTraits(SegmentBag? bag, SegmentContext? context)
    {
        var first = bag?.String(BagMember.FirstName) ?? bag?.String(BagMember.FirstNameSnake);
        var last = bag?.String(BagMember.LastName) ?? bag?.String(BagMember.LastNameSnake);
        // Only a name given whole, or both parts: one part alone updates that part, and the view composes the name.
        var name = bag?.String(BagMember.Name) ?? (first is not null && last is not null ? $"{first} {last}".Trim() : null);
        return new Traits
        {
            Name = name,
            FirstName = first,
            LastName = last,
            Email = bag?.String(BagMember.Email),
            Phone = bag?.String(BagMember.Phone),
            Company = CompanyName(bag),
            Title = bag?.String(BagMember.Title),
            Locale = context?.Locale,
            Timezone = bag?.String(BagMember.Timezone) ?? context?.Timezone,
        };
    }

    // Segment's reserved "company" trait is an object ({ name, id, industry, employee_count }); many SDK users send a string.
    private static string? CompanyName(SegmentBag? bag) =>
        bag is not null && bag.TryGet(BagMember.Company, out var company)
            ? company.Kind == JsonTokenType.StartObject ? company.ObjectName : bag.String(BagMember.Company)
            : null;

    private static Campaign? ReadCampaign(SegmentBag? bag)
    {
        if (bag is null) return null;
        var campaign = new Campaign(
            bag.String(BagMember.Source), bag.String(BagMember.Medium), bag.String(BagMember.Name),
            bag.String(BagMember.Term), bag.String(BagMember.Content));
        return campaign == new Campaign(null, null, null, null, null) ? null : campaign;
    }

    private static Commerce ReadCommerce(SegmentBag? p) => new()
    {
        ProductId = p?.String(BagMember.ProductIdSnake) ?? p?.String(BagMember.ProductId),
        ProductName = p?.String(BagMember.Name),
        Price = p?.Decimal(BagMember.Price),
        Quantity = p?.Int(BagMember.Quantity),
        CartId = p?.String(BagMember.CartIdSnake) ?? p?.String(BagMember.CartId),
        OrderId = p?.String(BagMember.OrderIdSnake) ?? p?.String(BagMember.OrderId),
        Total = p?.Decimal(BagMember.Total) ?? p?.Decimal(BagMember.Revenue) ?? p?.Decimal(BagMember.Value),
        Revenue = p?.Decimal(BagMember.Revenue),
        Currency = p?.String(BagMember.Currency),
        ItemCount = p?.Count(BagMember.Products),
        Query = p?.String(BagMember.Query),
    };
}
