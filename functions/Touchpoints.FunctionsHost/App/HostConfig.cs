using System.Text.Json;
using System.Text.Json.Nodes;

namespace Touchpoints.FunctionsHost.App;

/// <summary><c>customHandler.description</c>: how to start the handler.</summary>
public sealed record HandlerDescription(
    string DefaultExecutablePath,
    string? WorkingDirectory,
    IReadOnlyList<string> Arguments,
    string? DefaultWorkerPath,
    IReadOnlyList<string> WorkerArguments);

/// <summary><c>extensions.eventHubs</c>, with the extension's defaults.</summary>
public sealed record EventHubsOptions(int MaxEventBatchSize = 100, int MinEventBatchSize = 1, TimeSpan? MaxWaitTime = null)
{
    public TimeSpan EffectiveMaxWaitTime => MaxWaitTime ?? TimeSpan.FromSeconds(60);
}

/// <summary><c>extensions.queues</c>, with the extension's defaults (base64 messages, 5 dequeues before the poison queue).</summary>
public sealed record QueuesOptions(
    int MaxDequeueCount = 5,
    int BatchSize = 16,
    int? NewBatchThreshold = null,
    TimeSpan? MaxPollingInterval = null,
    TimeSpan? VisibilityTimeout = null,
    bool Base64Messages = true)
{
    public TimeSpan EffectiveMaxPollingInterval => MaxPollingInterval ?? TimeSpan.FromMinutes(1);
}

/// <summary>What the local host needs of host.json.</summary>
public sealed record HostConfig(
    string File,
    HandlerDescription Handler,
    bool EnableForwardingHttpRequest,
    string RoutePrefix,
    EventHubsOptions EventHubs,
    QueuesOptions Queues,
    TimeSpan FunctionTimeout,
    IReadOnlyList<string>? Functions)
{
    /// <summary>The custom handler default when host.json sets no <c>functionTimeout</c>.</summary>
    public static readonly TimeSpan DefaultFunctionTimeout = TimeSpan.FromMinutes(30);

    public static HostConfig Load(string file, AppSettings settings)
    {
        if (!System.IO.File.Exists(file))
            throw new AppDefinitionException($"{file}: not found. The app folder must hold host.json (publish functions/Touchpoints.Functions, or pass --app).");
        JsonObject root;
        try
        {
            root = JsonNode.Parse(System.IO.File.ReadAllText(file), documentOptions: Json.DocumentOptions) as JsonObject
                ?? throw new AppDefinitionException($"{file}: must hold a JSON object.");
        }
        catch (JsonException e)
        {
            throw new AppDefinitionException($"{file}: invalid JSON ({e.Message}).", e);
        }

        return Parse(file, root, settings);
    }

    public static HostConfig Parse(string file, JsonObject root, AppSettings settings)
    {
        var problems = new List<string>();
        void Problem(string what) => problems.Add($"{file}: {what}");

        if (root.String("version") != "2.0")
            Problem("\"version\" must be \"2.0\".");

        var customHandler = root.Object("customHandler");
        var description = customHandler.Object("description");
        HandlerDescription? handler = null;
        if (customHandler is null)
            Problem("has no \"customHandler\" section: the local host only runs custom handler apps.");
        else if (description is null || string.IsNullOrWhiteSpace(description.String("defaultExecutablePath")))
            Problem("\"customHandler.description.defaultExecutablePath\" is required.");
        else
        {
            handler = new HandlerDescription(
                description.String("defaultExecutablePath")!,
                description.String("workingDirectory"),
                Strings(description, "arguments", settings, Problem),
                description.String("defaultWorkerPath"),
                Strings(description, "workerArguments", settings, Problem));
        }

        var extensions = root.Object("extensions");
        var eventHubsSection = extensions.Object("eventHubs");
        var queuesSection = extensions.Object("queues");
        EventHubsOptions eventHubs = new();
        QueuesOptions queues = new();
        TimeSpan? timeout = null;
        try
        {
            eventHubs = new EventHubsOptions(
                eventHubsSection.Int("maxEventBatchSize") ?? 100,
                eventHubsSection.Int("minEventBatchSize") ?? 1,
                eventHubsSection.Duration("maxWaitTime"));
            if (eventHubs.MaxEventBatchSize < 1) Problem("\"extensions.eventHubs.maxEventBatchSize\" must be at least 1.");
            if (eventHubs.MinEventBatchSize < 1 || eventHubs.MinEventBatchSize > eventHubs.MaxEventBatchSize)
                Problem("\"extensions.eventHubs.minEventBatchSize\" must be between 1 and maxEventBatchSize.");

            queues = new QueuesOptions(
                queuesSection.Int("maxDequeueCount") ?? 5,
                queuesSection.Int("batchSize") ?? 16,
                queuesSection.Int("newBatchThreshold"),
                queuesSection.Duration("maxPollingInterval"),
                queuesSection.Duration("visibilityTimeout"),
                !string.Equals(queuesSection.String("messageEncoding"), "none", StringComparison.OrdinalIgnoreCase));
            if (queues.MaxDequeueCount < 1) Problem("\"extensions.queues.maxDequeueCount\" must be at least 1.");
            if (queues.BatchSize is < 1 or > 32) Problem("\"extensions.queues.batchSize\" must be between 1 and 32.");

            timeout = root.Duration("functionTimeout");
        }
        catch (FormatException e)
        {
            Problem(e.Message + ".");
        }

        var functions = root.Property("functions") is JsonArray list
            ? list.Select(n => n?.ToString() ?? "").ToList()
            : null;

        if (problems.Count > 0) throw new AppDefinitionException(problems);
        return new HostConfig(
            file,
            handler!,
            customHandler.Bool("enableForwardingHttpRequest") ?? false,
            extensions.Object("http").String("routePrefix") ?? "api",
            eventHubs,
            queues,
            timeout ?? DefaultFunctionTimeout,
            functions);
    }

    private static List<string> Strings(JsonObject obj, string name, AppSettings settings, Action<string> problem)
    {
        var result = new List<string>();
        if (obj.Property(name) is not JsonArray array) return result;
        foreach (var item in array)
        {
            try
            {
                result.Add(settings.Resolve(item?.ToString() ?? ""));
            }
            catch (KeyNotFoundException e)
            {
                problem($"\"customHandler.description.{name}\": {e.Message}.");
            }
        }

        return result;
    }
}
