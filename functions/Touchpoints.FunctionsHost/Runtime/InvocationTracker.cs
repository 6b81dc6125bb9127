namespace Touchpoints.FunctionsHost.Runtime;

/// <summary>Counts invocations in flight (retries and output writes included) and their outcomes.</summary>
public sealed class InvocationTracker
{
    private int inFlight;
    private long started;
    private long succeeded;
    private long failed;

    public int InFlight => Volatile.Read(ref inFlight);

    public long Started => Interlocked.Read(ref started);

    public long Succeeded => Interlocked.Read(ref succeeded);

    public long Failed => Interlocked.Read(ref failed);

    /// <summary>Marks work in flight until the returned scope is disposed.</summary>
    public Scope Enter()
    {
        Interlocked.Increment(ref inFlight);
        return new Scope(this);
    }

    internal void Record(bool success)
    {
        Interlocked.Increment(ref started);
        if (success) Interlocked.Increment(ref succeeded);
        else Interlocked.Increment(ref failed);
    }

    public readonly struct Scope(InvocationTracker tracker) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref tracker.inFlight);
    }
}
