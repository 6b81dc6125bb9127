using System.Text.Json.Nodes;

namespace Touchpoints.FunctionsHost.App;

/// <summary>The binding types the local host plays (lower-case, as the host compares them case-insensitively).</summary>
public static class BindingTypes
{
    public const string HttpTrigger = "httptrigger";
    public const string Http = "http";
    public const string EventHubTrigger = "eventhubtrigger";
    public const string EventHub = "eventhub";
    public const string TimerTrigger = "timertrigger";
    public const string QueueTrigger = "queuetrigger";
    public const string Queue = "queue";

    /// <summary>Type → the direction it must have.</summary>
    public static readonly IReadOnlyDictionary<string, string> Supported = new Dictionary<string, string>
    {
        [HttpTrigger] = "in",
        [Http] = "out",
        [EventHubTrigger] = "in",
        [EventHub] = "out",
        [TimerTrigger] = "in",
        [QueueTrigger] = "in",
        [Queue] = "out",
    };

    public static bool IsTrigger(string type) => type.EndsWith("trigger", StringComparison.Ordinal);
}

/// <summary>One binding of a function.json, its <c>%Setting%</c> references resolved.</summary>
public sealed record BindingDefinition(string Type, string Direction, string Name, JsonObject Properties)
{
    public string? this[string property] => Properties.String(property);

    /// <summary><c>dataType</c>, lower-case; null when absent.</summary>
    public string? DataType => this["dataType"]?.ToLowerInvariant();

    public bool IsBinary => DataType == "binary";

    /// <summary><c>cardinality: many</c> (Event Hubs): the function takes batches.</summary>
    public bool IsMany => string.Equals(this["cardinality"], "many", StringComparison.OrdinalIgnoreCase);
}

/// <summary>A function of the app: <c>{Name}/function.json</c>.</summary>
public sealed record FunctionDefinition(
    string Name,
    string File,
    BindingDefinition Trigger,
    IReadOnlyList<BindingDefinition> Bindings,
    RetryPolicy? Retry)
{
    public IEnumerable<BindingDefinition> Outputs => Bindings.Where(b => b.Direction is "out" or "inout");

    /// <summary>Set for HTTP triggers.</summary>
    public RouteTemplate? Route { get; init; }

    /// <summary>HTTP methods (upper-case) the trigger accepts; null for all.</summary>
    public IReadOnlySet<string>? Methods { get; init; }

    /// <summary>Set for timer triggers.</summary>
    public TimerSchedule? Schedule { get; init; }

    /// <summary>
    /// An HTTP trigger whose only other binding is an <c>http</c> output: the one kind of function the host forwards the raw
    /// request to when host.json has <c>enableForwardingHttpRequest: true</c>.
    /// </summary>
    public bool IsHttpInAndOut =>
        Trigger.Type == BindingTypes.HttpTrigger && Bindings.Count == 2 && Bindings.Count(b => b.Type == BindingTypes.Http) == 1;

    public override string ToString() => $"{Name} ({Trigger.Properties.String("type")})";
}
