namespace Touchpoints.Core.Rules;

/// <summary>
/// The rules document a new installation starts with (<c>Rules/Document/default-rules.json</c>, embedded): an outdoor gear shop with
/// a sales team. Compiled once, on first use, as version <see cref="Version"/>.
/// </summary>
public static class DefaultRules
{
    public const string Version = "default";
    public const string ResourceName = "Touchpoints.Core.Rules.default-rules.json";

    private static readonly Lazy<string> LazyJson = new(Load);
    private static readonly Lazy<CompiledRules> LazyCompiled = new(Compile);

    /// <summary>The document's text, as shipped.</summary>
    public static string Json => LazyJson.Value;

    /// <summary>The document compiled; throws if it does not validate (a build that ships a broken default is a bug).</summary>
    public static CompiledRules Compiled => LazyCompiled.Value;

    private static string Load()
    {
        using var stream = typeof(DefaultRules).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"the embedded resource {ResourceName} is missing from {typeof(DefaultRules).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    private static CompiledRules Compile()
    {
        var (rules, errors) = RulesCompiler.Compile(Json, Version);
        return rules ?? throw new InvalidOperationException("the default rules document does not validate: " + string.Join("; ", errors));
    }
}
