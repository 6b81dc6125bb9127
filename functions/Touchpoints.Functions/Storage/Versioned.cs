namespace Touchpoints.Functions.Storage;

/// <summary>A document with the ETag it was read at: the condition of the next write.</summary>
public sealed record Versioned<T>(T Document, string ETag);

/// <summary>Another writer changed the document since it was read.</summary>
public sealed class ConcurrentUpdateException(string id) : Exception($"'{id}' was changed by another writer.");
