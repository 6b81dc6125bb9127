using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Touchpoints.Core.Identity;

/// <summary>
/// The id of a customer profile: the <c>id</c> of its document in <c>customers</c>, the partition key of its ledger and rule
/// state, what identity documents point at. A type of its own so that a customer id is never passed where an identifier key,
/// a rule id or a decision id is expected (they are all strings underneath); it reads and writes as a plain JSON string, so
/// stored documents and messages are unchanged by it. It converts implicitly to <see cref="string"/> (for the stores and
/// logs that take one), never from one: a customer id is made by <see cref="IdentityResolver.NewCustomerId(Identifier)"/>
/// or read from what was stored.
/// </summary>
[JsonConverter(typeof(CustomerIdJsonConverter))]
public readonly record struct CustomerId : IComparable<CustomerId>
{
    private readonly string? value;

    public CustomerId(string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        this.value = value;
    }

    public string Value => value ?? throw new InvalidOperationException("An uninitialised customer id.");

    /// <summary>
    /// <c>default(CustomerId)</c>: what a message or document without a customer id deserializes to (the JSON reader leaves a
    /// missing property at its default), so input from outside is checked with this before use.
    /// </summary>
    public bool IsDefault => value is null;

    /// <summary>A customer id from an untrusted string (a route, a query), or false for an empty one.</summary>
    public static bool TryParse([NotNullWhen(true)] string? value, out CustomerId id)
    {
        id = string.IsNullOrEmpty(value) ? default : new CustomerId(value);
        return !string.IsNullOrEmpty(value);
    }

    public int CompareTo(CustomerId other) => string.CompareOrdinal(Value, other.Value);

    public static bool operator <(CustomerId left, CustomerId right) => left.CompareTo(right) < 0;
    public static bool operator <=(CustomerId left, CustomerId right) => left.CompareTo(right) <= 0;
    public static bool operator >(CustomerId left, CustomerId right) => left.CompareTo(right) > 0;
    public static bool operator >=(CustomerId left, CustomerId right) => left.CompareTo(right) >= 0;

    public override string ToString() => Value;

    public static implicit operator string(CustomerId id) => id.Value;
}

/// <summary>Reads and writes a <see cref="CustomerId"/> as the JSON string it is, also as a property name.</summary>
public sealed class CustomerIdJsonConverter : JsonConverter<CustomerId>
{
    public override CustomerId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.GetString() is { Length: > 0 } value ? new CustomerId(value) : throw new JsonException("A customer id must be a non-empty string.");

    public override void Write(Utf8JsonWriter writer, CustomerId value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.Value);
    }

    public override CustomerId ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Read(ref reader, typeToConvert, options);

    public override void WriteAsPropertyName(Utf8JsonWriter writer, CustomerId value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WritePropertyName(value.Value);
    }
}

/// <summary>
/// An optional customer id that reads an empty string as none: identity conflicts written before customer ids had a type of
/// their own stored "" for "no other profile".
/// </summary>
public sealed class OptionalCustomerIdJsonConverter : JsonConverter<CustomerId?>
{
    public override bool HandleNull => true;

    public override CustomerId? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? null
        : reader.GetString() is { Length: > 0 } value ? new CustomerId(value) : null;

    public override void Write(Utf8JsonWriter writer, CustomerId? value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is { } id) writer.WriteStringValue(id.Value);
        else writer.WriteNullValue();
    }
}
