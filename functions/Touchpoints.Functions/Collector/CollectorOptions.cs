using Microsoft.Extensions.Options;

namespace Touchpoints.Functions.Collector;

/// <summary>
/// Settings <c>Collector__*</c>: one entry per website or app that sends events (<c>Collector__Sources__{name}__WriteKey</c>,
/// several keys comma-separated while one is being replaced) and the browser origins allowed to call
/// (<c>Collector__AllowedOrigins</c>, comma-separated, <c>*</c> for any). Write keys are public by design (they ship in
/// the page), as at Segment: they say which source an event is from, the origin list keeps other sites' browsers out.
/// </summary>
public sealed class CollectorOptions
{
    public const string Section = "Collector";

    public Dictionary<string, CollectorSource> Sources { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    public string? AllowedOrigins { get; set; }

    public IReadOnlyList<string> Origins =>
        (AllowedOrigins ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(o => o.TrimEnd('/')).ToArray();

    /// <summary>The source each write key belongs to.</summary>
    public Dictionary<string, string> SourcesByWriteKey()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, source) in Sources)
            foreach (var key in source.WriteKeys) result.TryAdd(key, name);
        return result;
    }
}

public sealed class CollectorSource
{
    public string? WriteKey { get; set; }

    public IReadOnlyList<string> WriteKeys => (WriteKey ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

internal sealed class CollectorOptionsValidator : IValidateOptions<CollectorOptions>
{
    public ValidateOptionsResult Validate(string? name, CollectorOptions options)
    {
        var failures = new List<string>();
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (source, settings) in options.Sources)
        {
            if (settings.WriteKeys.Count == 0) failures.Add($"Collector:Sources:{source}:WriteKey is required.");
            foreach (var key in settings.WriteKeys)
                if (!owners.TryAdd(key, source) && owners[key] != source)
                    failures.Add($"Collector:Sources:{source}:WriteKey repeats a write key of source '{owners[key]}'.");
        }
        foreach (var origin in options.Origins)
            if (origin != "*" && !Uri.TryCreate(origin, UriKind.Absolute, out _))
                failures.Add($"Collector:AllowedOrigins: '{origin}' is neither '*' nor an origin such as https://www.example.com.");
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
