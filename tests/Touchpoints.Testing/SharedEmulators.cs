using Touchpoints.FunctionsHost.Emulators;

namespace Touchpoints.Testing;

/// <summary>
/// One cosmosdb-server and one Azurite for a whole test assembly, started by the first fixture that asks (the two in
/// parallel when both are wanted) and stopped when the test process exits. Fixtures keep out of each other's way by
/// what they name: a database of their own (<see cref="NewDatabaseName"/>), queues they clear, ids they make fresh.
/// </summary>
public static class SharedEmulators
{
    private static readonly Lazy<Task<CosmosServer>> Cosmos = new(() => CosmosServer.StartAsync(), LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<Task<Azurite>> Storage = new(() => Azurite.StartAsync(), LazyThreadSafetyMode.ExecutionAndPublication);

    static SharedEmulators() => AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();

    public static Task<CosmosServer> CosmosAsync() => Cosmos.Value;

    public static Task<Azurite> AzuriteAsync() => Storage.Value;

    /// <summary>A database name no other fixture of this run uses: <c>{purpose}-{8 hex}</c>.</summary>
    public static string NewDatabaseName(string purpose) => $"{purpose}-{Guid.NewGuid().ToString("N")[..8]}";

    // The emulators are child processes: left running they would outlive the test run.
    private static void Stop()
    {
        if (Cosmos.IsValueCreated && Cosmos.Value.IsCompletedSuccessfully) Cosmos.Value.Result.DisposeAsync().AsTask().GetAwaiter().GetResult();
        if (Storage.IsValueCreated && Storage.Value.IsCompletedSuccessfully) Storage.Value.Result.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
