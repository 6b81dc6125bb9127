using System.Security.Cryptography;
using System.Text;
using Touchpoints.Core.Events;
using Touchpoints.Core.Identity;

namespace Touchpoints.Functions.Storage;

/// <summary>A document of the <c>identities</c> container: one identifier and the customer it resolves to.</summary>
public sealed record IdentityDocument(string Id, string Key, CustomerId CustomerId, DateTimeOffset ClaimedAt)
{
    /// <summary>
    /// The document id: the identifier key (<c>{type}:{value}</c>) itself, readable in the portal, unless it holds a
    /// character Cosmos DB forbids in ids (<c>/ \ ? #</c>) or one that gateways and the SDKs decode differently in a URL
    /// path (<c>%</c>): then <c>~</c> and the base64url SHA-256 of the key, safe in Gateway and Direct mode alike. The key is
    /// kept in the document (<see cref="Key"/>), so nothing needs the id to be reversible.
    /// </summary>
    public static string IdFor(string key)
    {
        if (key.AsSpan().IndexOfAny("/\\?#%") < 0) return key;
        var hash = Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        return "~" + hash.TrimEnd('=').Replace('+', '-').Replace('/', '_');
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
