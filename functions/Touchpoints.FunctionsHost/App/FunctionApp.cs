using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Touchpoints.FunctionsHost.App;

/// <summary>
/// An app folder as the Functions host reads it: host.json and one <c>{FunctionName}/function.json</c> per function,
/// validated up front so that a mistake fails the start with the file named, not the first invocation.
/// </summary>
public sealed partial class FunctionApp
{
    private FunctionApp(string root, HostConfig host, IReadOnlyList<FunctionDefinition> functions, IReadOnlyList<string> disabled)
    {
        Root = root;
        Host = host;
        Functions = functions;
        Disabled = disabled;
    }

    public string Root { get; }

    public HostConfig Host { get; }

    /// <summary>The enabled functions, by name.</summary>
    public IReadOnlyList<FunctionDefinition> Functions { get; }

    /// <summary>Functions left out by <c>"disabled": true</c> or an <c>AzureWebJobs.{Name}.Disabled</c> setting.</summary>
    public IReadOnlyList<string> Disabled { get; }

    public FunctionDefinition? Find(string name) =>
        Functions.FirstOrDefault(f => string.Equals(f.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <exception cref="AppDefinitionException">Every problem found, each naming its file.</exception>
    public static FunctionApp Load(string root, AppSettings settings)
    {
        root = Path.GetFullPath(root);
        if (!Directory.Exists(root))
            throw new AppDefinitionException($"{root}: the app folder does not exist. Build functions/Touchpoints.LocalHost (it publishes the handler to artifacts/app) or pass --app.");
        var host = HostConfig.Load(Path.Combine(root, "host.json"), settings);

        var problems = new List<string>();
        var functions = new List<FunctionDefinition>();
        var disabled = new List<string>();
        foreach (var directory in Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal))
        {
            var file = Path.Combine(directory, "function.json");
            if (!File.Exists(file)) continue;
            var name = Path.GetFileName(directory);
            if (host.Functions is not null && !host.Functions.Contains(name, StringComparer.OrdinalIgnoreCase)) continue;

            var definition = ReadFunction(name, file, settings, problems, out var isDisabled);
            if (isDisabled) disabled.Add(name);
            else if (definition is not null) functions.Add(definition);
        }

        if (functions.Count == 0 && disabled.Count == 0 && problems.Count == 0)
            problems.Add($"{root}: no function found (no {{FunctionName}}/function.json folder).");
        if (problems.Count > 0) throw new AppDefinitionException(problems);
        return new FunctionApp(root, host, functions, disabled);
    }

    /// <summary>Reads and validates one function.json; problems are added to <paramref name="problems"/>.</summary>
    public static FunctionDefinition? ReadFunction(string name, string file, AppSettings settings, List<string> problems, out bool disabled)
    {
        disabled = false;
        var before = problems.Count;
        void Problem(string what) => problems.Add($"{file}: {what}");

        if (!FunctionName().IsMatch(name))
            Problem($"\"{name}\" is not a valid function name (letters, digits, '_' and '-', starting with a letter).");

        JsonObject root;
        try
        {
            if (JsonNode.Parse(File.ReadAllText(file), documentOptions: Json.DocumentOptions) is not JsonObject parsed)
            {
                Problem("must hold a JSON object.");
                return null;
            }

            root = parsed;
        }
        catch (JsonException e)
        {
            Problem($"invalid JSON ({e.Message}).");
            return null;
        }

        disabled = root.Bool("disabled") == true
            || string.Equals(settings.Get($"AzureWebJobs.{name}.Disabled"), "true", StringComparison.OrdinalIgnoreCase);

        if (root.Property("bindings") is not JsonArray bindingArray || bindingArray.Count == 0)
        {
            Problem("\"bindings\" must be a non-empty array.");
            return null;
        }

        var bindings = new List<BindingDefinition>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < bindingArray.Count; i++)
        {
            if (bindingArray[i] is not JsonObject raw)
            {
                Problem($"binding #{i + 1} is not an object.");
                continue;
            }

            var type = raw.String("type");
            var bindingName = raw.String("name");
            var direction = raw.String("direction")?.ToLowerInvariant();
            var label = $"binding #{i + 1}{(bindingName is null ? "" : $" '{bindingName}'")}";
            if (string.IsNullOrWhiteSpace(type))
            {
                Problem($"{label} has no \"type\".");
                continue;
            }

            var key = type.ToLowerInvariant();
            if (string.IsNullOrWhiteSpace(bindingName))
                Problem($"{label} ({type}) has no \"name\".");
            else if (!BindingName().IsMatch(bindingName))
                Problem($"{label} ({type}): \"{bindingName}\" is not a valid binding name (a letter then letters and digits, or $return).");
            else if (!names.Add(bindingName))
                Problem($"{label} ({type}): the name \"{bindingName}\" is used twice.");

            if (!BindingTypes.Supported.TryGetValue(key, out var expectedDirection))
            {
                Problem($"{label} has the binding type \"{type}\", which the local host does not support " +
                        $"(supported: httpTrigger, http, eventHubTrigger, eventHub, timerTrigger, queueTrigger, queue).");
                continue;
            }

            if (direction is null)
                Problem($"{label} ({type}) has no \"direction\".");
            else if (direction != expectedDirection)
                Problem($"{label} ({type}) must have \"direction\": \"{expectedDirection}\", not \"{direction}\".");

            var resolved = new JsonObject();
            foreach (var (property, value) in raw)
            {
                if (value is JsonValue v && v.GetValueKind() == JsonValueKind.String)
                {
                    try
                    {
                        resolved[property] = settings.Resolve(v.GetValue<string>());
                    }
                    catch (KeyNotFoundException e)
                    {
                        Problem($"{label} ({type}) \"{property}\": {e.Message}.");
                        resolved[property] = v.GetValue<string>();
                    }
                }
                else
                {
                    resolved[property] = value?.DeepClone();
                }
            }

            var binding = new BindingDefinition(key, direction ?? expectedDirection, bindingName ?? "", resolved);
            ValidateBinding(binding, label, settings, Problem);
            bindings.Add(binding);
        }

        var triggers = bindings.Where(b => BindingTypes.IsTrigger(b.Type)).ToList();
        if (problems.Count > before) return null;   // the bindings already failed: a missing trigger would only repeat it
        if (triggers.Count != 1)
            Problem(triggers.Count == 0 ? "has no trigger binding." : $"has {triggers.Count} trigger bindings; a function has exactly one.");
        if (bindings.Any(b => b.Type == BindingTypes.Http) && triggers.FirstOrDefault()?.Type != BindingTypes.HttpTrigger)
            Problem("an \"http\" output binding needs an httpTrigger.");

        var retry = RetryPolicy.Parse(root.Object("retry"), what => Problem(what));
        if (problems.Count > before) return null;

        var trigger = triggers[0];
        RouteTemplate? route = null;
        IReadOnlySet<string>? methods = null;
        TimerSchedule? schedule = null;
        if (trigger.Type == BindingTypes.HttpTrigger)
        {
            try
            {
                route = RouteTemplate.Parse(trigger["route"] ?? name);
            }
            catch (FormatException e)
            {
                Problem($"binding '{trigger.Name}' (httpTrigger): {e.Message}.");
            }

            if (trigger.Properties.Property("methods") is JsonArray list && list.Count > 0)
                methods = list.Select(m => (m?.ToString() ?? "").ToUpperInvariant()).ToHashSet(StringComparer.Ordinal);
        }
        else if (trigger.Type == BindingTypes.TimerTrigger)
        {
            try
            {
                schedule = TimerSchedule.Parse(trigger["schedule"] ?? "", TimeZone(settings));
            }
            catch (FormatException e)
            {
                Problem($"binding '{trigger.Name}' (timerTrigger) \"schedule\": {e.Message}.");
            }
        }

        if (problems.Count > before) return null;
        return new FunctionDefinition(name, file, trigger, bindings, retry) { Route = route, Methods = methods, Schedule = schedule };
    }

    private static void ValidateBinding(BindingDefinition binding, string label, AppSettings settings, Action<string> problem)
    {
        void Require(string property)
        {
            if (string.IsNullOrWhiteSpace(binding[property]))
                problem($"{label} ({binding.Type}) needs \"{property}\".");
        }

        switch (binding.Type)
        {
            case BindingTypes.EventHubTrigger or BindingTypes.EventHub:
                Require("eventHubName");
                if (binding["connection"] is { } hubConnection && settings.Get(hubConnection) is null
                    && settings.Get(hubConnection + "__fullyQualifiedNamespace") is null)
                    problem($"{label} ({binding.Type}): the connection setting \"{hubConnection}\" does not exist.");
                if (binding.Type == BindingTypes.EventHubTrigger && binding["cardinality"] is { } cardinality
                    && !cardinality.Equals("one", StringComparison.OrdinalIgnoreCase) && !cardinality.Equals("many", StringComparison.OrdinalIgnoreCase))
                    problem($"{label} (eventHubTrigger): \"cardinality\" must be \"one\" or \"many\".");
                break;
            case BindingTypes.QueueTrigger or BindingTypes.Queue:
                Require("queueName");
                if (binding["queueName"] is { } queue && !QueueName().IsMatch(queue))
                    problem($"{label} ({binding.Type}): \"{queue}\" is not a valid queue name (3-63 lower-case letters, digits and single hyphens).");
                if (StorageConnection(binding, settings) is null)
                    problem($"{label} ({binding.Type}): the connection setting \"{binding["connection"] ?? "AzureWebJobsStorage"}\" does not exist.");
                break;
            case BindingTypes.TimerTrigger:
                Require("schedule");
                break;
        }

        if (binding.DataType is { } dataType and not ("string" or "binary" or "stream"))
            problem($"{label} ({binding.Type}): \"dataType\" must be \"string\", \"binary\" or \"stream\", not \"{dataType}\".");
    }

    /// <summary>The storage connection string of a queue binding: its <c>connection</c> setting, also tried with the <c>AzureWebJobs</c> prefix as the host does.</summary>
    public static string? StorageConnection(BindingDefinition binding, AppSettings settings)
    {
        var name = binding["connection"];
        if (string.IsNullOrEmpty(name)) return settings.Get("AzureWebJobsStorage");
        return settings.Get(name) ?? settings.Get("AzureWebJobs" + name);
    }

    /// <summary>The time zone NCRONTAB schedules run in: <c>WEBSITE_TIME_ZONE</c> (or <c>TZ</c>) when set, else the machine's.</summary>
    public static TimeZoneInfo TimeZone(AppSettings settings)
    {
        var id = settings.Get("WEBSITE_TIME_ZONE") ?? settings.Get("TZ");
        if (string.IsNullOrWhiteSpace(id)) return TimeZoneInfo.Local;
        try
        {
            return TimeZoneInfo.FindSystemTimeZoneById(id);
        }
        catch (TimeZoneNotFoundException)
        {
            return TimeZoneInfo.Local;
        }
    }

    [GeneratedRegex("^[a-zA-Z][a-zA-Z0-9_-]{0,127}$")]
    private static partial Regex FunctionName();

    [GeneratedRegex(@"^([a-zA-Z][a-zA-Z0-9]{0,127}|\$return)$")]
    private static partial Regex BindingName();

    [GeneratedRegex("^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex QueueName();
}
