using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization;
using Touchpoints.Core.Identity;

using Touchpoints.Core.Events;

namespace Touchpoints.Core.Tests.Events;

// The Segment parser as it was before the one-pass reader (deserialize into a DTO, bags as JsonElement dictionaries), kept
// unchanged apart from its names as the specification the reader is checked against (SegmentReaderProperties).

/// <summary>A Segment Spec message as it arrives (https://segment.com/docs/connections/spec/common/).</summary>
internal sealed class ReferenceSegmentMessage
{
    [System.Text.Json.Serialization.JsonPropertyName(IngestedEvent.ScopeMember)] public string? Scope { get; set; }
    public string? Type { get; set; }
    [JsonConverter(typeof(StringOrNumberConverter))] public string? MessageId { get; set; }
    [JsonConverter(typeof(StringOrNumberConverter))] public string? AnonymousId { get; set; }
    [JsonConverter(typeof(StringOrNumberConverter))] public string? UserId { get; set; }
    [JsonConverter(typeof(StringOrNumberConverter))] public string? PreviousId { get; set; }
    [JsonConverter(typeof(StringOrNumberConverter))] public string? GroupId { get; set; }
    public string? Event { get; set; }
    public string? Name { get; set; }
    public Dictionary<string, JsonElement>? Properties { get; set; }
    public Dictionary<string, JsonElement>? Traits { get; set; }
    public ReferenceSegmentContext? Context { get; set; }
    public DateTimeOffset? Timestamp { get; set; }
    public DateTimeOffset? OriginalTimestamp { get; set; }
    public DateTimeOffset? SentAt { get; set; }
    public DateTimeOffset? ReceivedAt { get; set; }
}

internal sealed class ReferenceSegmentContext
{
    public Dictionary<string, JsonElement>? Page { get; set; }
    public Dictionary<string, JsonElement>? Campaign { get; set; }
    public Dictionary<string, JsonElement>? Traits { get; set; }
    public string? UserAgent { get; set; }
    public string? Ip { get; set; }
    public string? Locale { get; set; }
    public string? Timezone { get; set; }
}

/// <summary>The reference: turns Segment Spec messages into <see cref="WebEvent"/>s, correcting device clock skew as Segment does.</summary>
internal static class SegmentReferenceParser
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
        var message = EventParser.Deserialize(body, ReferenceJsonContext.Default.ReferenceSegmentMessage, out var malformed);
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
            foreach (var name in (ReadOnlySpan<string>)["price", "total", "revenue", "value", "quantity"])
                if (message.Properties?.TryGetValue(name, out var raw) == true && raw.ValueKind == JsonValueKind.Number && !raw.TryGetDecimal(out _))
                    errors.Add(new($"$.properties.{name}", $"must be between -{EventParser.MaxAmount} and {EventParser.MaxAmount}"));
            EventParser.CheckAmount(commerce.Price, "$.properties.price", errors);
            EventParser.CheckAmount(commerce.Total, "$.properties.total", errors);
            EventParser.CheckAmount(commerce.Revenue, "$.properties.revenue", errors);
            if (Loose.Decimal(message.Properties, "quantity") is < -EventParser.MaxQuantity or > EventParser.MaxQuantity)
                errors.Add(new("$.properties.quantity", $"must be between -{EventParser.MaxQuantity} and {EventParser.MaxQuantity}"));
        }

        if (errors.Count > 0) return ParseResult.Invalid(id, errors);

        var properties = message.Properties;
        var pageBag = message.Context?.Page;
        var page = call is WebCall.Page or WebCall.Screen || pageBag is not null
            ? new PageContext(
                Loose.String(properties, "path") ?? Loose.String(pageBag, "path"),
                Loose.String(properties, "url") ?? Loose.String(pageBag, "url"),
                Loose.String(properties, "title") ?? Loose.String(pageBag, "title") ?? message.Name,
                Loose.String(properties, "referrer") ?? Loose.String(pageBag, "referrer"),
                Loose.String(properties, "search") ?? Loose.String(pageBag, "search"))
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

    private static Traits ReadTraits(Dictionary<string, JsonElement>? bag, ReferenceSegmentContext? context)
    {
        var first = Loose.String(bag, "firstName") ?? Loose.String(bag, "first_name");
        var last = Loose.String(bag, "lastName") ?? Loose.String(bag, "last_name");
        // Only a name given whole, or both parts: one part alone updates that part, and the view composes the name.
        var name = Loose.String(bag, "name") ?? (first is not null && last is not null ? $"{first} {last}".Trim() : null);
        return new Traits
        {
            Name = name,
            FirstName = first,
            LastName = last,
            Email = Loose.String(bag, "email"),
            Phone = Loose.String(bag, "phone"),
            Company = CompanyName(bag),
            Title = Loose.String(bag, "title"),
            Locale = context?.Locale,
            Timezone = Loose.String(bag, "timezone") ?? context?.Timezone,
        };
    }

    // Segment's reserved "company" trait is an object ({ name, id, industry, employee_count }); many SDK users send a string.
    private static string? CompanyName(Dictionary<string, JsonElement>? bag) =>
        bag is not null && bag.TryGetValue("company", out var company)
            ? company.ValueKind == JsonValueKind.Object && company.TryGetProperty("name", out var n) ? Loose.String(n) : Loose.String(company)
            : null;

    private static Campaign? ReadCampaign(Dictionary<string, JsonElement>? bag)
    {
        if (bag is null) return null;
        var campaign = new Campaign(
            Loose.String(bag, "source"), Loose.String(bag, "medium"), Loose.String(bag, "name"),
            Loose.String(bag, "term"), Loose.String(bag, "content"));
        return campaign == new Campaign(null, null, null, null, null) ? null : campaign;
    }

    private static Commerce ReadCommerce(Dictionary<string, JsonElement>? p) => new()
    {
        ProductId = Loose.String(p, "product_id") ?? Loose.String(p, "productId"),
        ProductName = Loose.String(p, "name"),
        Price = Loose.Decimal(p, "price"),
        Quantity = Loose.Int(p, "quantity"),
        CartId = Loose.String(p, "cart_id") ?? Loose.String(p, "cartId"),
        OrderId = Loose.String(p, "order_id") ?? Loose.String(p, "orderId"),
        Total = Loose.Decimal(p, "total") ?? Loose.Decimal(p, "revenue") ?? Loose.Decimal(p, "value"),
        Revenue = Loose.Decimal(p, "revenue"),
        Currency = Loose.String(p, "currency"),
        ItemCount = Loose.Count(p, "products"),
        Query = Loose.String(p, "query"),
    };
}

[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    AllowTrailingCommas = true,
    AllowDuplicateProperties = false,
    ReadCommentHandling = JsonCommentHandling.Skip,
    Converters = [typeof(UtcTimestampConverter)])]
[JsonSerializable(typeof(ReferenceSegmentMessage))]
internal sealed partial class ReferenceJsonContext : JsonSerializerContext;
