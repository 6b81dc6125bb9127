using System.Collections;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Touchpoints.FunctionsHost.App;

/// <summary>
/// The app settings as <c>func start</c> sees them: <c>Values</c> of local.settings.json, where an environment variable of
/// the same name wins (Core Tools skips such a value), and explicit overrides (tests, command line) win over both.
/// Lookups are case-insensitive, as the host's configuration is.
/// </summary>
public sealed partial class AppSettings
{
    private readonly Dictionary<string, string> values;

    private AppSettings(Dictionary<string, string> values, string? file, int? localHttpPort)
    {
        this.values = values;
        File = file;
        LocalHttpPort = localHttpPort;
    }

    /// <summary>The settings file read, if any.</summary>
    public string? File { get; }

    /// <summary><c>Host.LocalHttpPort</c> of local.settings.json.</summary>
    public int? LocalHttpPort { get; }

    /// <summary>Every setting, as the handler's environment receives them (on top of the local host's own environment).</summary>
    public IReadOnlyDictionary<string, string> Values => values;

    public string? this[string name] => values.TryGetValue(name, out var value) ? value : null;

    public static AppSettings Empty { get; } = new(new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase), null, null);

    /// <param name="file">local.settings.json (or null for none).</param>
    /// <param name="environment">The process environment (null: the real one).</param>
    /// <param name="overrides">Settings that win over the file and the environment.</param>
    public static AppSettings Load(string? file, IReadOnlyDictionary<string, string?>? overrides = null, IDictionary? environment = null)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        int? port = null;
        if (file is not null)
        {
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(System.IO.File.ReadAllText(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            }
            catch (Exception e) when (e is JsonException or IOException)
            {
                throw new AppDefinitionException($"{file}: not a readable JSON settings file ({e.Message}).", e);
            }

            using (document)
            {
                if (document.RootElement.ValueKind == JsonValueKind.Object)
                {
                    foreach (var section in document.RootElement.EnumerateObject())
                    {
                        if (section.NameEquals("Values") && section.Value.ValueKind == JsonValueKind.Object)
                        {
                            foreach (var setting in section.Value.EnumerateObject())
                                values[setting.Name] = setting.Value.ValueKind == JsonValueKind.String ? setting.Value.GetString() ?? "" : setting.Value.GetRawText();
                        }
                        else if (section.NameEquals("Host") && section.Value.ValueKind == JsonValueKind.Object
                            && section.Value.TryGetProperty(nameof(LocalHttpPort), out var p) && p.TryGetInt32(out var number))
                        {
                            port = number;
                        }
                    }
                }
            }

            environment ??= Environment.GetEnvironmentVariables();
            foreach (var key in values.Keys.ToList())
            {
                if (environment[key] is string fromEnvironment)
                    values[key] = fromEnvironment;
            }
        }

        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            if (value is null) values.Remove(key);
            else values[key] = value;
        }

        return new AppSettings(values, file, port);
    }

    /// <summary>These settings with <paramref name="more"/> set over them (the host's own endpoints, known once started).</summary>
    internal AppSettings With(IReadOnlyDictionary<string, string> more)
    {
        var merged = new Dictionary<string, string>(values, StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in more) merged[key] = value;
        return new AppSettings(merged, File, LocalHttpPort);
    }

    /// <summary>A setting as the host reads it: our settings first, then the environment (app settings are environment variables in Azure).</summary>
    public string? Get(string name) => this[name] ?? Environment.GetEnvironmentVariable(name);

    /// <summary>Replaces every <c>%Name%</c> with its setting, as the host does in binding properties and handler arguments.</summary>
    /// <exception cref="KeyNotFoundException">A named setting does not exist.</exception>
    public string Resolve(string text) =>
        SettingReference().Replace(text, m => Get(m.Groups["name"].Value)
            ?? throw new KeyNotFoundException($"'%{m.Groups["name"].Value}%' does not resolve to a value: there is no setting '{m.Groups["name"].Value}'"));

    [GeneratedRegex("%(?<name>[^%]+)%")]
    private static partial Regex SettingReference();
}
