using System.Text.Json.Nodes;
using Touchpoints.Functions.Ingestion;

namespace Touchpoints.Functions.Tests.Ingestion;

/// <summary>Where an identifier resolves in the store, as the tests that check convergence read it.</summary>
public static class Resolution
{
    /// <summary>
    /// The live customer an identifier resolves to and how many tombstones were followed to reach it; (null, -1) for a loop.
    /// <paramref name="read"/> reads a document by container and id (every container involved is partitioned by id).
    /// </summary>
    public static async Task<(string? Customer, int Hops)> ResolveAsync(Func<string, string, Task<JsonObject?>> read, string identityKey)
    {
        ArgumentNullException.ThrowIfNull(read);
        var id = (await read("identities", IdentityDocument.IdFor(identityKey)))?["customerId"]?.GetValue<string>();
        for (var hops = 0; id is not null && hops < 64; hops++)
        {
            var doc = await read("customers", id);
            if (doc is null) return (null, hops);
            if (doc["mergedInto"]?.GetValue<string>() is not { } next) return (id, hops);
            id = next;
        }
        return (null, -1);
    }
}
