using Microsoft.Extensions.Options;
using Touchpoints.Core.Rules;
using Touchpoints.Functions.Storage;

namespace Touchpoints.Functions.Rules;

/// <summary>The rules in force: a stored version, or the shipped default when none is stored.</summary>
public sealed record ActiveRules(CompiledRules Rules, RulesVersionDocument? Version)
{
    public bool IsDefault => Version is null;
}

/// <summary>
/// The compiled active rules, cached per instance. Every <see cref="RulesOptions.RefreshInterval"/> at most, one point read
/// of the pointer tells whether a new version is active; only then is it read and compiled. A stored version that no longer
/// compiles (the compiler grew stricter) is logged and the last good rules stay in force.
/// </summary>
public sealed partial class RulesProvider(RulesStore store, IOptions<RulesOptions> options, TimeProvider clock, ILogger<RulesProvider> logger) : IDisposable
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private ActiveRules? current;
    private long checkedAt = long.MinValue;

    public async Task<CompiledRules> GetAsync(CancellationToken ct) => (await GetActiveAsync(ct).ConfigureAwait(false)).Rules;

    public async Task<ActiveRules> GetActiveAsync(CancellationToken ct)
    {
        var cached = Volatile.Read(ref current);
        if (cached is not null && Fresh()) return cached;
        await gate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (current is not null && Fresh()) return current;
            var loaded = await LoadAsync(current, ct).ConfigureAwait(false);
            Volatile.Write(ref current, loaded);
            Volatile.Write(ref checkedAt, clock.GetUtcNow().UtcTicks);
            return loaded;
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Forgets the cache, so that this instance uses a version it just stored at once.</summary>
    public void Invalidate() => Volatile.Write(ref checkedAt, long.MinValue);

    private bool Fresh()
    {
        var at = Volatile.Read(ref checkedAt);
        return at != long.MinValue && clock.GetUtcNow().UtcTicks - at < options.Value.RefreshInterval.Ticks;
    }

    private async Task<ActiveRules> LoadAsync(ActiveRules? previous, CancellationToken ct)
    {
        var pointer = await store.ReadPointerAsync(ct).ConfigureAwait(false);
        if (pointer is null) return previous is { IsDefault: true } ? previous : new ActiveRules(DefaultRules.Compiled, null);
        var number = pointer.Document.Version;
        if (previous?.Version?.Version == number) return previous;
        var version = await store.ReadVersionAsync(number, ct).ConfigureAwait(false);
        if (version is null)
        {
            LogMissing(logger, number);
            return previous ?? new ActiveRules(DefaultRules.Compiled, null);
        }
        var (rules, errors) = RulesCompiler.Compile(version.Text, VersionName(number));
        if (rules is null)
        {
            LogInvalid(logger, number, string.Join("; ", errors));
            return previous ?? new ActiveRules(DefaultRules.Compiled, null);
        }
        LogLoaded(logger, number, version.Author);
        return new ActiveRules(rules, version);
    }

    public void Dispose() => gate.Dispose();

    public static string VersionName(int version) => "v" + version.ToString(System.Globalization.CultureInfo.InvariantCulture);

    [LoggerMessage(Level = LogLevel.Information, Message = "Rules v{Version} (by {Author}) are now in force")]
    private static partial void LogLoaded(ILogger logger, int version, string author);

    [LoggerMessage(Level = LogLevel.Error, Message = "The active rules pointer names v{Version}, which does not exist; keeping the rules in force")]
    private static partial void LogMissing(ILogger logger, int version);

    [LoggerMessage(Level = LogLevel.Error, Message = "Stored rules v{Version} no longer compile ({Errors}); keeping the rules in force")]
    private static partial void LogInvalid(ILogger logger, int version, string errors);
}
