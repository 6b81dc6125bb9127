using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Touchpoints.Core.Events;

/// <summary>One reason an event was refused, with the JSON path of the offending member.</summary>
public sealed record ValidationError(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>Either a valid event or the reasons it is not one; never both.</summary>
public sealed record ParseResult
{
    public IngestedEvent? Event { get; private init; }
    public IReadOnlyList<ValidationError> Errors { get; private init; } = [];

    /// <summary>The event's id when one could be read, even from an invalid event (for the rejection record).</summary>
    public string? EventId { get; private init; }

    public bool IsValid => Event is not null;

    public static ParseResult Valid(IngestedEvent e) => new() { Event = e, EventId = e.EventId };

    public static ParseResult Invalid(string? eventId, IReadOnlyList<ValidationError> errors) => new() { EventId = eventId, Errors = errors };

    public static ParseResult Invalid(string? eventId, string path, string message) => Invalid(eventId, [new ValidationError(path, message)]);

    public string Reason => string.Join("; ", Errors);
}

/// <summary>Where and when an event body arrived: the fallbacks for times the body lacks, and the clock for sanity checks.</summary>
/// <param name="PhoneRegion">
/// The region (ISO 3166 alpha-2) a phone number written without its country is read in when the event does not say the
/// customer's own (<c>Identity__DefaultPhoneRegion</c>); null: such a number is no identifier.
/// </param>
public sealed record ArrivalContext(DateTimeOffset EnqueuedAt, DateTimeOffset Now, string? PhoneRegion = null)
{
    /// <summary>The region a phone number of a customer with <paramref name="locale"/> is read in: his own, else the default.</summary>
    public string? PhoneRegionFor(string? locale) => Identity.Phones.RegionOf(locale) ?? PhoneRegion;

    /// <summary>Events stamped further ahead than this are refused: a clock that wrong would corrupt every "last" value.</summary>
    public static readonly TimeSpan FutureTolerance = TimeSpan.FromDays(1);
}

/// <summary>Parses a body of any source.</summary>
public static class EventParser
{
    public static ParseResult Parse(EventSource source, string body, ArrivalContext arrival) => source switch
    {
        EventSource.Web => SegmentParser.Parse(body, arrival),
        EventSource.Social => SocialParser.Parse(body, arrival),
        EventSource.Crm => CrmParser.Parse(body, arrival),
        _ => throw new ArgumentOutOfRangeException(nameof(source), source, null),
    };

    internal static T? Deserialize<T>(string body, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info, out ValidationError? error)
        where T : class
    {
        error = null;
        if (string.IsNullOrWhiteSpace(body))
        {
            error = new ValidationError("$", "the body is empty");
            return null;
        }
        if (JsonText.HasLoneSurrogate(body))
        {
            error = new ValidationError("$", JsonText.LoneSurrogateMessage);
            return null;
        }
        try
        {
            var value = JsonSerializer.Deserialize(body, info);
            if (value is null) error = new ValidationError("$", "the body is not a JSON object");
            return value;
        }
        catch (JsonException ex)
        {
            error = new ValidationError(ex.Path ?? "$", "malformed JSON: " + FirstSentence(ex.Message));
            return null;
        }
    }

    private static string FirstSentence(string message)
    {
        var end = message.IndexOf(". ", StringComparison.Ordinal);
        return end < 0 ? message : message[..end];
    }

    /// <summary>
    /// The largest amount (price, total, revenue, cost) an event may carry: a trillion in any currency is no real order, and
    /// below it every sum a view keeps stays exact as a decimal and as the double Cosmos DB stores.
    /// </summary>
    public const decimal MaxAmount = 1_000_000_000_000m;

    public const int MaxQuantity = 1_000_000;

    internal static void CheckAmount(decimal? amount, string path, List<ValidationError> errors)
    {
        if (amount is { } a && (a > MaxAmount || a < -MaxAmount))
            errors.Add(new ValidationError(path, $"must be between -{MaxAmount} and {MaxAmount}"));
    }

    internal static void CheckNotFuture(DateTimeOffset at, string path, ArrivalContext arrival, List<ValidationError> errors)
    {
        if (at > arrival.Now + ArrivalContext.FutureTolerance)
            errors.Add(new ValidationError(path, $"{at:O} is in the future"));
    }
}

/// <summary>Reads the loosely typed members (Segment properties and traits) that SDKs fill with numbers or strings alike.</summary>
internal static class Loose
{
    public static string? String(IReadOnlyDictionary<string, JsonElement>? bag, string name) =>
        bag is not null && bag.TryGetValue(name, out var value) ? String(value) : null;

    public static string? String(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString() is { Length: > 0 } s ? s : null,
        JsonValueKind.Number => value.GetRawText(),
        _ => null,
    };

    public static decimal? Decimal(IReadOnlyDictionary<string, JsonElement>? bag, string name)
    {
        if (bag is null || !bag.TryGetValue(name, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.Number when value.TryGetDecimal(out var d) => d,
            JsonValueKind.String when decimal.TryParse(value.GetString(), NumberStyles.Number, CultureInfo.InvariantCulture, out var d) => d,
            _ => null,
        };
    }

    public static int? Int(IReadOnlyDictionary<string, JsonElement>? bag, string name) =>
        Decimal(bag, name) is { } d && d >= int.MinValue && d <= int.MaxValue ? (int)d : null;

    public static int? Count(IReadOnlyDictionary<string, JsonElement>? bag, string name) =>
        bag is not null && bag.TryGetValue(name, out var value) && value.ValueKind == JsonValueKind.Array ? value.GetArrayLength() : null;
}

/// <summary>
/// Event times. A time without an offset is taken as UTC, never as the clock of whatever machine parses it; a time that is
/// not ISO 8601 is an error naming the member.
/// </summary>
internal sealed class UtcTimestampConverter : JsonConverter<DateTimeOffset>
{
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String) throw new JsonException($"expected an ISO 8601 time, found {reader.TokenType}");
        return Parse(reader.GetString()!);
    }

    /// <summary>An ISO 8601 time (date and time, <c>T</c> between them); without an offset, UTC.</summary>
    public static DateTimeOffset Parse(string text) =>
        DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at) && text.Contains('T', StringComparison.OrdinalIgnoreCase)
            ? at
            : throw new JsonException($"'{text}' is not an ISO 8601 time");

    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}

/// <summary>Ids that SDKs send as numbers as often as strings (<c>"userId": 42</c>).</summary>
internal sealed class StringOrNumberConverter : JsonConverter<string?>
{
    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.ValueSpan),
        JsonTokenType.Null => null,
        _ => throw new JsonException($"expected a string or a number, found {reader.TokenType}"),
    };

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}
