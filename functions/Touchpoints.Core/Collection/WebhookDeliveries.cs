using System.Collections.Frozen;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Touchpoints.Core.Events;

namespace Touchpoints.Core.Collection;

/// <summary>
/// One delivery of a webhook: its id at the sender (the deduplication key), the sender's event type, and either the
/// canonical CRM event it maps to or the reason it is ignored.
/// </summary>
public sealed record WebhookDelivery(string Id, string? Type, JsonObject? Event, string? Ignored)
{
    public static WebhookDelivery Mapped(string id, string? type, JsonObject e) => new(id, type, e, null);

    public static WebhookDelivery Skipped(string id, string? type, string reason) => new(id, type, null, reason);
}

/// <summary>What a webhook request carries; <see cref="Errors"/> non-empty means the request itself is refused (400).</summary>
public sealed record WebhookBatch(IReadOnlyList<WebhookDelivery> Deliveries, IReadOnlyList<ValidationError> Errors)
{
    public static WebhookBatch Refused(params ValidationError[] errors) => new([], errors);

    /// <summary>A duplicate key makes a body ambiguous: refused as malformed (400), never resolved by guessing.</summary>
    public static readonly JsonDocumentOptions Strict = new() { AllowDuplicateProperties = false };

    /// <summary>The body as JSON, or null with the refusal a malformed body gets.</summary>
    public static JsonDocument? Parse(string body, out WebhookBatch? refused)
    {
        refused = null;
        if (Events.JsonText.HasLoneSurrogate(body))
        {
            refused = Refused(new ValidationError("$", Events.JsonText.LoneSurrogateMessage));
            return null;
        }
        try
        {
            return JsonDocument.Parse(body, Strict);
        }
        catch (JsonException e)
        {
            refused = Refused(new ValidationError(e.Path ?? "$", "malformed JSON"));
            return null;
        }
    }
}

/// <summary>Builds and checks canonical CRM events (<c>Schemas/crm-event.schema.json</c>) for the webhook mappers.</summary>
public static class CanonicalCrm
{
    public static string Time(DateTimeOffset at) => at.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>
    /// The partition key of a canonical CRM event: the contact as its system knows it (<c>crm.{system}:{id}</c>), else its user
    /// id, email or phone. One contact's events then keep their order on one partition (a ticket opened before it is closed).
    /// </summary>
    public static string? PartitionKey(JsonObject e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e["customer"] is not JsonObject c) return null;
        static string? Text(JsonNode? node) => node is JsonValue v && v.TryGetValue<string>(out var s) && !string.IsNullOrWhiteSpace(s) ? s.Trim() : null;
        return Text(c["crmId"]) is { } id && Text(c["system"]) is { } system ? $"crm.{system.ToLowerInvariant()}:{id}"
            : Text(c["userId"]) is { } user ? "userId:" + user
            : Text(c["email"]) is { } email ? "email:" + email.ToLowerInvariant()
            : Text(c["phone"]) is { } phone ? "phone:" + phone
            : null;
    }

    /// <summary>
    /// The delivery with its mapped event when that event passes ingestion's own validation, else ignored with the reasons:
    /// the sender cannot fix a mapping, so refusing it would only make it retry.
    /// </summary>
    public static WebhookDelivery Checked(string id, string? type, JsonObject e, DateTimeOffset now, string? phoneRegion = null)
    {
        ArgumentNullException.ThrowIfNull(e);
        var result = CrmParser.Parse(e.ToJsonString(), new ArrivalContext(now, now, phoneRegion));
        return result.IsValid ? WebhookDelivery.Mapped(id, type, e) : WebhookDelivery.Skipped(id, type, "the mapped event is not valid: " + result.Reason);
    }

    /// <summary>A customer object with only the members that have a value.</summary>
    public static JsonObject Customer(string system, string? crmId, params (string Name, string? Value)[] members)
    {
        ArgumentNullException.ThrowIfNull(members);
        var customer = new JsonObject { ["system"] = system };
        if (!string.IsNullOrWhiteSpace(crmId)) customer["crmId"] = crmId;
        foreach (var (name, value) in members)
            if (!string.IsNullOrWhiteSpace(value)) customer[name] = value.Trim();
        return customer;
    }
}

/// <summary>Standard Webhooks deliveries: the body is one canonical CRM event.</summary>
public static class StandardWebhookEvents
{
    /// <summary>
    /// The event keeps its own <c>eventId</c> (the producer's stable id); one without gets <c>{source}-{webhook-id}</c>, so a
    /// redelivery carries the same id either way. An unknown type is ignored; an invalid event of a known type refuses the
    /// request (the producer speaks our schema and can fix it), and nothing is recorded, so the fixed redelivery goes through.
    /// </summary>
    public static WebhookBatch Map(string source, string deliveryId, string body, DateTimeOffset now, string? phoneRegion = null)
    {
        if (Events.JsonText.HasLoneSurrogate(body)) return WebhookBatch.Refused(new ValidationError("$", Events.JsonText.LoneSurrogateMessage));
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body, documentOptions: WebhookBatch.Strict);
        }
        catch (JsonException e)
        {
            return WebhookBatch.Refused(new ValidationError(e.Path ?? "$", "malformed JSON"));
        }
        if (root is not JsonObject e1) return WebhookBatch.Refused(new ValidationError("$", "the body must be a JSON object (one CRM event)"));

        var type = e1["type"] is JsonValue t && t.GetValueKind() == JsonValueKind.String ? t.GetValue<string>() : null;
        if (type is null || !CrmParser.Types.ContainsKey(type))
            return new WebhookBatch([WebhookDelivery.Skipped(deliveryId, type, $"event type '{type}' is not a CRM event type")], []);
        if (e1["eventId"] is null || e1["eventId"] is JsonValue id && id.GetValueKind() == JsonValueKind.String && string.IsNullOrWhiteSpace(id.GetValue<string>()))
            e1["eventId"] = $"{source}-{deliveryId}";

        var result = CrmParser.Parse(e1.ToJsonString(), new ArrivalContext(now, now, phoneRegion));
        return result.IsValid ? new WebhookBatch([WebhookDelivery.Mapped(deliveryId, type, e1)], []) : new WebhookBatch([], result.Errors);
    }
}

/// <summary>Amounts Stripe sends in the currency's minor unit (https://docs.stripe.com/currencies#zero-decimal).</summary>
public static class StripeMoney
{
    private static readonly FrozenSet<string> ZeroDecimal = FrozenSet.ToFrozenSet(
        ["BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"],
        StringComparer.OrdinalIgnoreCase);

    private static readonly FrozenSet<string> ThreeDecimal = FrozenSet.ToFrozenSet(["BHD", "JOD", "KWD", "OMR", "TND"], StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Major units. ISK, although zero-decimal, is sent by Stripe with two decimals for backwards compatibility, so it
    /// divides by 100 like the two-decimal currencies.
    /// </summary>
    public static decimal FromMinorUnits(long amount, string? currency) =>
        currency is not null && ZeroDecimal.Contains(currency) ? amount
        : currency is not null && ThreeDecimal.Contains(currency) ? amount / 1000m
        : amount / 100m;
}

/// <summary>Stripe events (https://docs.stripe.com/api/events/object) mapped to canonical CRM events.</summary>
public static class StripeEvents
{
    public const string System = "stripe";

    public static WebhookBatch Map(string source, string body, DateTimeOffset now, string? phoneRegion = null)
    {
        if (WebhookBatch.Parse(body, out var refused) is not { } document) return refused!;
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return WebhookBatch.Refused(new ValidationError("$", "the body must be a Stripe event object"));
            var id = Str(root, "id");
            if (string.IsNullOrWhiteSpace(id)) return WebhookBatch.Refused(new ValidationError("$.id", "is required"));
            var type = Str(root, "type");
            var obj = root.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object
                && data.TryGetProperty("object", out var o) && o.ValueKind == JsonValueKind.Object ? o : default;
            var created = root.TryGetProperty("created", out var c) && c.TryGetInt64(out var s) ? DateTimeOffset.FromUnixTimeSeconds(s) : now;
            return new WebhookBatch([MapOne(source, id, type, obj, created, now, phoneRegion)], []);
        }
    }

    private static WebhookDelivery MapOne(string source, string id, string? type, JsonElement obj, DateTimeOffset created, DateTimeOffset now, string? phoneRegion)
    {
        if (obj.ValueKind != JsonValueKind.Object) return WebhookDelivery.Skipped(id, type, "the event has no data.object");
        var e = new JsonObject { ["eventId"] = $"{source}-{id}", ["occurredAt"] = CanonicalCrm.Time(created) };
        switch (type)
        {
            case "customer.created" or "customer.updated":
                e["type"] = "contact.updated";
                e["customer"] = CanonicalCrm.Customer(System, Str(obj, "id"),
                    ("email", Str(obj, "email")), ("name", Str(obj, "name")), ("phone", Str(obj, "phone")));
                break;
            case "checkout.session.completed":
            {
                var details = Obj(obj, "customer_details");
                e["type"] = "order.placed";
                e["customer"] = CanonicalCrm.Customer(System, CustomerId(obj),
                    ("email", Str(details, "email") ?? Str(obj, "customer_email")), ("name", Str(details, "name")), ("phone", Str(details, "phone")));
                Money(e, obj, "amount_total");
                break;
            }
            case "invoice.paid":
                e["type"] = "invoice.paid";
                e["customer"] = CanonicalCrm.Customer(System, CustomerId(obj),
                    ("email", Str(obj, "customer_email")), ("name", Str(obj, "customer_name")), ("phone", Str(obj, "customer_phone")));
                Money(e, obj, "amount_paid");
                break;
            case "charge.refunded":
            {
                var billing = Obj(obj, "billing_details");
                e["type"] = "refund.issued";
                e["customer"] = CanonicalCrm.Customer(System, CustomerId(obj),
                    ("email", Str(billing, "email") ?? Str(obj, "receipt_email")), ("name", Str(billing, "name")), ("phone", Str(billing, "phone")));
                // amount_refunded is the charge's total refunded so far (several partial refunds add up).
                Money(e, obj, "amount_refunded");
                break;
            }
            default:
                return WebhookDelivery.Skipped(id, type, $"Stripe event type '{type}' is not mapped");
        }
        if (type != "customer.created" && type != "customer.updated") e["objectId"] = Str(obj, "id");
        return CanonicalCrm.Checked(id, type, e, now, phoneRegion);
    }

    private static void Money(JsonObject e, JsonElement obj, string member)
    {
        var currency = Str(obj, "currency")?.ToUpperInvariant();
        if (obj.TryGetProperty(member, out var a) && a.TryGetInt64(out var minor)) e["amount"] = StripeMoney.FromMinorUnits(minor, currency);
        if (currency is not null) e["currency"] = currency;
    }

    /// <summary><c>customer</c> is an id, or the customer object when the event was expanded.</summary>
    private static string? CustomerId(JsonElement obj) =>
        obj.TryGetProperty("customer", out var c) ? c.ValueKind switch
        {
            JsonValueKind.String => c.GetString(),
            JsonValueKind.Object => Str(c, "id"),
            _ => null,
        } : null;

    private static JsonElement Obj(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Object ? v : default;

    internal static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name, out var v) ? v.ValueKind switch
        {
            JsonValueKind.String => v.GetString() is { Length: > 0 } s ? s : null,
            JsonValueKind.Number => v.GetRawText(),
            _ => null,
        } : null;
}

/// <summary>
/// HubSpot webhook subscriptions (https://developers.hubspot.com/docs/api/webhooks): the body is an array of events, each
/// its own delivery (<c>eventId</c>).
/// </summary>
public static class HubSpotEvents
{
    public const string System = "hubspot";

    /// <summary>Contact properties that update the customer's traits, and the canonical member each one fills.</summary>
    private static readonly FrozenDictionary<string, string> TraitProperties = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        ["email"] = "email", ["firstname"] = "firstName", ["lastname"] = "lastName", ["phone"] = "phone",
        ["company"] = "company", ["jobtitle"] = "title",
    }.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

    private static readonly string[] ContactMembers = ["associatedContactId", "contactId"];

    public static WebhookBatch Map(string source, string body, DateTimeOffset now, string? phoneRegion = null)
    {
        if (WebhookBatch.Parse(body, out var refused) is not { } document) return refused!;
        using (document)
        {
            var root = document.RootElement;
            IEnumerable<JsonElement> items = root.ValueKind switch
            {
                JsonValueKind.Array => root.EnumerateArray(),
                JsonValueKind.Object => [root],
                _ => [],
            };
            var deliveries = new List<WebhookDelivery>();
            var errors = new List<ValidationError>();
            var index = 0;
            foreach (var item in items)
            {
                var id = StripeEvents.Str(item, "eventId");
                if (id is null) errors.Add(new ValidationError($"$[{index}].eventId", "is required"));
                else deliveries.Add(MapOne(source, id, item, now, phoneRegion));
                index++;
            }
            if (root.ValueKind is not (JsonValueKind.Array or JsonValueKind.Object))
                errors.Add(new ValidationError("$", "the body must be an array of HubSpot events"));
            return errors.Count > 0 ? WebhookBatch.Refused([.. errors]) : new WebhookBatch(deliveries, []);
        }
    }

    private static WebhookDelivery MapOne(string source, string id, JsonElement item, DateTimeOffset now, string? phoneRegion)
    {
        var type = StripeEvents.Str(item, "subscriptionType");
        var objectId = StripeEvents.Str(item, "objectId");
        var property = StripeEvents.Str(item, "propertyName");
        var value = StripeEvents.Str(item, "propertyValue");
        var occurredAt = item.TryGetProperty("occurredAt", out var o) && o.TryGetInt64(out var ms) ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : now;
        var e = new JsonObject { ["eventId"] = $"{source}-{id}", ["occurredAt"] = CanonicalCrm.Time(occurredAt) };

        switch (type)
        {
            case "contact.creation":
                e["type"] = "contact.updated";
                e["customer"] = CanonicalCrm.Customer(System, objectId);
                break;
            case "contact.propertyChange" when property is not null && TraitProperties.TryGetValue(property, out var member):
                e["type"] = "contact.updated";
                e["customer"] = CanonicalCrm.Customer(System, objectId, (member, value));
                break;
            case "contact.propertyChange" when property is "hs_lead_status" or "lifecyclestage":
                e["type"] = "lead.status_changed";
                e["customer"] = CanonicalCrm.Customer(System, objectId);
                e["status"] = value;
                break;
            case "contact.propertyChange" when property is "hubspot_owner_id":
                e["type"] = "contact.updated";
                e["customer"] = CanonicalCrm.Customer(System, objectId);
                e["owner"] = value;
                break;
            case "contact.propertyChange":
                return WebhookDelivery.Skipped(id, type, $"contact property '{property}' is not mapped");
            case "deal.creation" or "deal.propertyChange":
            {
                // Subscription webhooks name only the deal; only a payload naming its contact (a workflow webhook, say) can be
                // attributed to a customer.
                var contact = ContactMembers.Select(m => StripeEvents.Str(item, m)).FirstOrDefault(c => c is not null);
                if (contact is null) return WebhookDelivery.Skipped(id, type, "the deal event names no associated contact, so no customer");
                var stage = property == "dealstage" ? value : StripeEvents.Str(item, "dealstage");
                if (type == "deal.propertyChange" && property is not ("dealstage" or "amount"))
                    return WebhookDelivery.Skipped(id, type, $"deal property '{property}' is not mapped");
                if (string.IsNullOrWhiteSpace(stage)) return WebhookDelivery.Skipped(id, type, "the deal event carries no stage");
                e["type"] = "opportunity.stage_changed";
                e["customer"] = CanonicalCrm.Customer(System, contact);
                e["objectId"] = objectId;
                e["stage"] = stage;
                var amount = property == "amount" ? value : StripeEvents.Str(item, "amount");
                if (decimal.TryParse(amount, NumberStyles.Number, CultureInfo.InvariantCulture, out var a)) e["amount"] = a;
                break;
            }
            default:
                return WebhookDelivery.Skipped(id, type, $"HubSpot subscription type '{type}' is not mapped");
        }
        return CanonicalCrm.Checked(id, type, e, now, phoneRegion);
    }
}
