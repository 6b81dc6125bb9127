using System.Collections;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

using Touchpoints;

namespace Touchpoints.Infrastructure.Tests.Support;

public sealed record Binding(string Function, string Type, string Direction, JsonObject Json)
{
    public string? this[string property] => Json[property] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public bool IsEventHubs => Type is "eventHubTrigger" or "eventHub";

    public bool IsStorage => Type is "queueTrigger" or "queue" or "blobTrigger" or "blob" or "timerTrigger";

    /// <summary>The binding's connection setting prefix (storage bindings default to AzureWebJobsStorage).</summary>
    public string? Connection => this["connection"] is { Length: > 0 } c ? c : IsStorage ? "AzureWebJobsStorage" : null;

    public override string ToString() => $"{Function}: {Type} ({Direction})";
}

/// <summary>What the code needs from its infrastructure, discovered from the function.json files and the Functions assembly.</summary>
public static partial class CodeContract
{
    public static string FunctionsProject => Tooling.Path("functions", "Touchpoints.Functions");

    /// <summary>The app root as the host reads it: host.json and one folder per function.</summary>
    public static string FunctionsRoot => Tooling.Path("functions", "Touchpoints.Functions", "App");

    public static IReadOnlyList<string> FunctionNames { get; } =
        Directory.GetDirectories(FunctionsRoot).Where(d => File.Exists(Path.Combine(d, "function.json")))
            .Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal).ToArray();

    public static IReadOnlyList<Binding> Bindings { get; } = FunctionNames.SelectMany(name =>
    {
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(FunctionsRoot, name, "function.json")))!.AsObject();
        return json["bindings"]!.AsArray().Select(b => b!.AsObject())
            .Select(b => new Binding(name, (string?)b["type"] ?? "", (string?)b["direction"] ?? "", b));
    }).ToArray();

    /// <summary>Every <c>%Setting%</c> in any function.json.</summary>
    public static IReadOnlyList<(string Function, string Setting)> SettingExpressions { get; } = FunctionNames.SelectMany(name =>
        SettingExpression().Matches(File.ReadAllText(Path.Combine(FunctionsRoot, name, "function.json")))
            .Select(m => (name, m.Groups[1].Value))).Distinct().ToArray();

    public static IEnumerable<Binding> Triggers(string type) => Bindings.Where(b => b.Type == type);

    private static readonly Assembly[] Assemblies = LoadAssemblies();

    private static Assembly[] LoadAssemblies()
    {
        var functions = typeof(Touchpoints.Functions.HandlerApp).Assembly;
        return [functions, .. functions.GetReferencedAssemblies().Where(a => a.Name?.StartsWith("Touchpoints.", StringComparison.Ordinal) == true).Select(Assembly.Load)];
    }

    /// <summary>Options classes: every type with a <c>public const string Section</c>.</summary>
    public static IReadOnlyList<(Type Type, string Section)> OptionsClasses { get; } = Assemblies
        .SelectMany(a => a.GetTypes())
        .Select(t => (Type: t, Field: t.GetField("Section", BindingFlags.Public | BindingFlags.Static)))
        .Where(x => x.Field is { IsLiteral: true } && x.Field.FieldType == typeof(string))
        .Select(x => (x.Type, (string)x.Field!.GetRawConstantValue()!))
        .OrderBy(x => x.Item2, StringComparer.Ordinal).ToArray();

    /// <summary>
    /// Every setting the options classes bind, as <c>Section__Property</c>; a dictionary's keys (a source's name, say) are <c>*</c>:
    /// <c>Collector__Sources__*__WriteKey</c>.
    /// </summary>
    public static IReadOnlyList<string> OptionKeys { get; } = OptionsClasses
        .SelectMany(o => Keys(o.Type, o.Section, depth: 0)).Distinct(StringComparer.OrdinalIgnoreCase).ToArray();

    private static IEnumerable<string> Keys(Type type, string prefix, int depth)
    {
        if (depth > 5) yield break;
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            var key = $"{prefix}__{property.Name}";
            var propertyType = property.PropertyType;
            var element = DictionaryValueType(propertyType) ?? ListElementType(propertyType);
            // The binder fills settable properties and collections it can add to (get-only computed values are not bound).
            var bound = property.SetMethod is { IsPublic: true } || (element is not null && property.GetMethod is { IsPublic: true } && !propertyType.IsArray && !IsReadOnlyInterface(propertyType));
            if (!bound || property.GetIndexParameters().Length > 0) continue;
            if (element is not null)
            {
                if (IsLeaf(element)) yield return $"{key}__*";
                else foreach (var k in Keys(element, $"{key}__*", depth + 1)) yield return k;
            }
            else if (IsLeaf(propertyType)) yield return key;
            else foreach (var k in Keys(propertyType, key, depth + 1)) yield return k;
        }
    }

    private static bool IsLeaf(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(TimeSpan) || t == typeof(Uri)
            || t == typeof(DateTimeOffset) || t == typeof(DateTime) || t == typeof(Guid);
    }

    private static bool IsReadOnlyInterface(Type type) =>
        type.IsGenericType && type.GetGenericTypeDefinition() is var d && (d == typeof(IReadOnlyList<>) || d == typeof(IReadOnlyCollection<>) || d == typeof(IReadOnlyDictionary<,>) || d == typeof(IEnumerable<>));

    private static Type? DictionaryValueType(Type type) =>
        type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>))?.GetGenericArguments()[1];

    private static Type? ListElementType(Type type) =>
        type == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(type) || DictionaryValueType(type) is not null
            ? null
            : type.GetInterfaces().Append(type).FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IEnumerable<>))?.GetGenericArguments()[0];

    /// <summary>Containers the code uses with the partition key it assumes: the one source of names, <see cref="Core.Resources.Containers"/>.</summary>
    public static IReadOnlyDictionary<string, string> Containers => Core.Resources.Containers.PartitionKeys;

    /// <summary>The queues the code writes (<see cref="Core.Resources.Queues"/>) and those its bindings name.</summary>
    public static IReadOnlySet<string> Queues { get; } =
        Core.Resources.Queues.All.Concat(Bindings.Where(b => b.Type is "queue" or "queueTrigger").Select(b => b["queueName"]!)).ToHashSet(StringComparer.Ordinal);

    /// <summary>The hubs the handler publishes to itself, with the Event Hubs SDK (the collector's and the webhooks').</summary>
    public static IReadOnlyList<string> HubsPublishedByTheHandler => [Touchpoints.Functions.Collector.CollectorEndpoints.Hub, Touchpoints.Functions.Webhooks.WebhookEndpoints.Hub];

    /// <summary>The database the code opens by default (<c>CosmosOptions.DatabaseName</c>).</summary>
    public static string DatabaseName => new Touchpoints.Functions.Storage.CosmosOptions().DatabaseName;

    [GeneratedRegex("%([A-Za-z0-9_:.-]+)%")]
    private static partial Regex SettingExpression();
}
