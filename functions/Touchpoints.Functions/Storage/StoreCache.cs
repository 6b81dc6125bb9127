using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Touchpoints.Core.Identity;
using Touchpoints.Core.Views;

namespace Touchpoints.Functions.Storage;

/// <summary>
/// What an instance last read or wrote of customer views and identity documents, with their ETags, so that the next batch
/// of the same customers (Zipf traffic: most events are of a few customers) need not read them again. Never a source of
/// truth: everything decided from a cached entry is committed by a conditional write on its ETag, so a stale entry costs a
/// refused write and a re-read, never a wrong one — and a batch that loses a race resolves again from the store itself.
/// Bounded by <see cref="CosmosOptions.CachedCustomers"/> and <see cref="CosmosOptions.CachedIdentifiers"/> entries
/// (least recently used go first, in compactions of a quarter).
/// </summary>
public sealed class StoreCache : IDisposable
{
    private readonly MemoryCache? views;
    private readonly MemoryCache? owners;

    public StoreCache(IOptions<CosmosOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var o = options.Value;
        if (o.CachedCustomers > 0) views = new MemoryCache(new MemoryCacheOptions { SizeLimit = o.CachedCustomers, CompactionPercentage = 0.25 });
        if (o.CachedIdentifiers > 0) owners = new MemoryCache(new MemoryCacheOptions { SizeLimit = o.CachedIdentifiers, CompactionPercentage = 0.25 });
    }

    private static readonly MemoryCacheEntryOptions One = new() { Size = 1 };

    public bool TryGetView(CustomerId id, out Versioned<CustomerView> view)
    {
        view = null!;
        return views is not null && views.TryGetValue(id.Value, out view!);
    }

    public void SetView(Versioned<CustomerView> view)
    {
        ArgumentNullException.ThrowIfNull(view);
        views?.Set(view.Document.Id.Value, view, One);
    }

    public void ForgetView(CustomerId id) => views?.Remove(id.Value);

    public bool TryGetOwner(string key, out IdentityOwner owner)
    {
        owner = null!;
        return owners is not null && owners.TryGetValue(key, out owner!);
    }

    public void SetOwner(string key, IdentityOwner owner) => owners?.Set(key, owner, One);

    public void ForgetOwner(string key) => owners?.Remove(key);

    public void Dispose()
    {
        views?.Dispose();
        owners?.Dispose();
    }
}
