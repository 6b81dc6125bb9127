using System.Text.Json.Nodes;

namespace Touchpoints.Infrastructure.Tests.Support;

/// <summary>One app setting as the Bicep sets it: its name (interpolations as <c>*</c>) and its value, in the file that holds it.</summary>
public sealed record AppSetting(string Name, BicepFile File, JsonNode? Value)
{
    public string ValueText => Bicep.Text(Value);

    public string? Literal => Bicep.StringValue(File, Value);
}

/// <summary>What infra/ declares, read from the parse trees: main.bicep's data and the modules it calls.</summary>
public sealed class InfraModel
{
    public const string FunctionAppModulePath = "./app/functions.bicep";

    private InfraModel(IReadOnlyList<BicepFile> files)
    {
        Files = files;
        Main = files.Single(f => f.Path == "infra/main.bicep");
        FunctionApp = files.Single(f => f.Path == "infra/app/functions.bicep");
        AppSettings = CollectAppSettings();
    }

    public static async Task<InfraModel> LoadAsync() => new(await Bicep.InfraAsync().ConfigureAwait(false));

    public IReadOnlyList<BicepFile> Files { get; }

    public BicepFile Main { get; }

    public BicepFile FunctionApp { get; }

    /// <summary>Every app setting of the function app, by name (case-insensitive, as .NET configuration and the host read them).</summary>
    public IReadOnlyDictionary<string, AppSetting> AppSettings { get; }

    public BicepFile File(string relativePath) => Files.Single(f => f.Path == relativePath);

    /// <summary>The module call in main.bicep whose path is <paramref name="modulePath"/>.</summary>
    public JsonObject Module(string modulePath) =>
        Main.OfKind("module").SingleOrDefault(m => (string?)m["type"] == modulePath)
        ?? throw new InvalidOperationException($"main.bicep calls no module '{modulePath}'.");

    public JsonNode? ModuleParam(string modulePath, string param) => BicepFile.Body(Module(modulePath))?["params"]?[param];

    public bool HasSetting(string name) => AppSettings.ContainsKey(name);

    /// <summary>A connection prefix is set when the setting itself or any <c>prefix__*</c> is.</summary>
    public bool HasConnection(string prefix) =>
        AppSettings.Keys.Any(k => k.Equals(prefix, StringComparison.OrdinalIgnoreCase) || k.StartsWith(prefix + "__", StringComparison.OrdinalIgnoreCase));

    private Dictionary<string, AppSetting> CollectAppSettings()
    {
        var resource = FunctionApp.Resources("Microsoft.Web/sites/config").SingleOrDefault(r => (string?)BicepFile.Body(r)?["name"] == "appsettings")
            ?? throw new InvalidOperationException("infra/app/functions.bicep declares no Microsoft.Web/sites/config 'appsettings' resource.");
        var settings = new Dictionary<string, AppSetting>(StringComparer.OrdinalIgnoreCase);
        Collect(FunctionApp, BicepFile.Body(resource)!["properties"], settings, depth: 0);
        return settings;
    }

    // Follows union(), reduce() lambdas, conditions, vars, and module parameters (to their value at main.bicep's call)
    // down to the object literals whose keys are the settings.
    private void Collect(BicepFile file, JsonNode? node, Dictionary<string, AppSetting> into, int depth)
    {
        if (node is null || depth > 20) return;
        switch (node)
        {
            case JsonObject o when (string?)o["$ref"] is { } name:
                if (file.Var(name) is { } declared) Collect(file, declared, into, depth + 1);
                else if (file == FunctionApp && file.Param(name) is not null && ModuleParam(FunctionAppModulePath, name) is { } argument)
                    Collect(Main, argument, into, depth + 1);
                break;
            case JsonObject o when o.ContainsKey("$call"):
                foreach (var arg in o["$args"]!.AsArray()) Collect(file, arg, into, depth + 1);
                break;
            case JsonObject o when o.ContainsKey("$for") || o.ContainsKey("$if"):
                Collect(file, o["$body"], into, depth + 1);
                break;
            case JsonObject o when o.ContainsKey("$parts"):
                foreach (var part in o["$parts"]!.AsArray()) Collect(file, part, into, depth + 1);
                break;
            case JsonObject o when !o.ContainsKey("$expr"):
                foreach (var (key, value) in o)
                {
                    var setting = Bicep.Pattern(key);
                    into[setting] = new AppSetting(setting, file, value);
                }
                break;
        }
    }
}
