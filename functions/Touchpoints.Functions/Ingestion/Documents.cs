using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Touchpoints.Core.Events;
using Touchpoints.Core.Ingestion;

namespace Touchpoints.Functions.Ingestion;

/// <summary>A document of the <c>identities</c> container: one identifier and the customer it resolves to.</summary>
public sealed record IdentityDocument(string Id, string Key, string CustomerId, DateTimeOffset ClaimedAt)
{
    /// <summary>
    /// The document id is the identifier key (<c>{type}:{value}</c>), with the four characters Cosmos DB forbids in ids
    /// (and % itself) percent-encoded, so that any user id can be stored and the mapping stays reversible.
    /// </summary>
    public static string IdFor(string key)
    {
        if (key.AsSpan().IndexOfAny("/\\?#%") < 0) return key;
        var builder = new StringBuilder(key.Length + 8);
        foreach (var c in key)
            builder.Append(c switch { '/' => "%2F", '\\' => "%5C", '?' => "%3F", '#' => "%23", '%' => "%25", _ => c.ToString() });
        return builder.ToString();
    }
}

/// <summary>A refused event in the <c>rejected</c> container (partition key <c>/source</c>), kept for diagnosis and replay.</summary>
public sealed record RejectionDocument(
    string Id,
    string Source,
    string? EventId,
    string? Partition,
    long? SequenceNumber,
    string Reason,
    IReadOnlyList<ValidationError> Errors,
    string Body,
    DateTimeOffset RejectedAt);

[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(IdentityDocument))]
[JsonSerializable(typeof(RejectionDocument))]
[JsonSerializable(typeof(CustomerChanged))]
[JsonSerializable(typeof(IReadOnlyList<CustomerChanged>))]
public sealed partial class StoreJsonContext : JsonSerializerContext;
