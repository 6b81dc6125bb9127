namespace Touchpoints.Core.Resources;

/// <summary>
/// The Event Hubs the app reads and writes. Defined once here: the functions, their <c>function.json</c> bindings (checked
/// by a test), the local host's demo, the tests and the contract test against the Bicep all read these names.
/// </summary>
public static class Hubs
{
    /// <summary>Website events (Segment HTTP API), written by the collector.</summary>
    public const string WebEvents = "web-events";
    /// <summary>Signed CRM and billing webhooks, translated to canonical events.</summary>
    public const string CrmEvents = "crm-events";
    /// <summary>Social-listening tools publish here directly.</summary>
    public const string SocialEvents = "social-events";
    /// <summary>One message per customer view written: its version and what caused it; the rules read it.</summary>
    public const string CustomerChanges = "customer-changes";

    public static readonly IReadOnlyList<string> All = [WebEvents, CrmEvents, SocialEvents, CustomerChanges];
}

/// <summary>The Cosmos DB containers, with the partition key each one assumes (the infrastructure must match).</summary>
public static class Containers
{
    /// <summary>The database name unless <c>Cosmos__DatabaseName</c> says otherwise.</summary>
    public const string DefaultDatabase = "touchpoints";

    public const string Customers = "customers";
    public const string Identities = "identities";
    public const string Rejected = "rejected";
    /// <summary>Webhook deliveries already received, for deduplication (<c>/source</c>, per-item TTL).</summary>
    public const string Webhooks = "webhooks";
    /// <summary>The rules documents: each version, and the pointer to the active one (<c>/id</c>).</summary>
    public const string Config = "config";
    /// <summary>Per customer: the rules' state (id <c>state</c>) and the ledger of every decision (<c>/customerId</c>).</summary>
    public const string Communications = "communications";
    /// <summary>Scheduled evaluations by due minute and shard (<c>/bucket</c>), so the timer reads only what is due.</summary>
    public const string WakeUps = "wakeups";
    /// <summary>Per rule and day, the decision and conversion counters (<c>/ruleId</c>).</summary>
    public const string RuleStats = "rulestats";
    /// <summary>Data subjects' requests: erasures with their receipts, and the suppression list (<c>/id</c>).</summary>
    public const string Privacy = "privacy";

    public static readonly IReadOnlyDictionary<string, string> PartitionKeys = new Dictionary<string, string>
    {
        [Customers] = "/id",
        [Identities] = "/id",
        [Rejected] = "/source",
        [Webhooks] = "/source",
        [Config] = "/id",
        [Communications] = "/customerId",
        [WakeUps] = "/bucket",
        [RuleStats] = "/ruleId",
        [Privacy] = "/id",
    };
}

/// <summary>The blob containers of the app's storage account (<c>AzureWebJobsStorage</c>).</summary>
public static class BlobContainers
{
    /// <summary>
    /// Every customer's history: <c>{customerId}/{segment}</c>, append blobs of the events accepted for that profile, as
    /// accepted, one chunk per write of its view. Views are rebuilt from it; erasure deletes it.
    /// </summary>
    public const string History = "history";

    public static readonly IReadOnlyList<string> All = [History];
}

/// <summary>The storage queues the rules write: communications by priority tier, and sales alerts.</summary>
public static class Queues
{
    public const string CommunicationsHigh = "communications-high";
    public const string CommunicationsNormal = "communications-normal";
    public const string CommunicationsLow = "communications-low";
    public const string SalesAlerts = "sales-alerts";
    /// <summary>Erasure requests, carried out by <c>ErasePeople</c> in two passes.</summary>
    public const string Erasures = "erasures";

    public static readonly IReadOnlyList<string> Communications = [CommunicationsHigh, CommunicationsNormal, CommunicationsLow];

    /// <summary>The queues holding messages about customers (what erasure must reach).</summary>
    public static readonly IReadOnlyList<string> Messages = [.. Communications, SalesAlerts];

    public static readonly IReadOnlyList<string> All = [.. Messages, Erasures];
}

/// <summary>The names of the settings the app and its tools share (as environment variables: <c>__</c> separates sections).</summary>
public static class SettingNames
{
    public const string CosmosAccountEndpoint = "Cosmos__AccountEndpoint";
    public const string CosmosAccountKey = "Cosmos__AccountKey";
    public const string CosmosDatabaseName = "Cosmos__DatabaseName";
    /// <summary>The storage account of the Functions host, and of the rules' queues.</summary>
    public const string Storage = "AzureWebJobsStorage";
    /// <summary>The Event Hubs namespace of every trigger and output.</summary>
    public const string EventHubConnection = "EventHubConnection";

    /// <summary>A setting of the delivery destination <paramref name="name"/>: <c>Url</c>, <c>Secrets</c> or <c>Routes</c>.</summary>
    public static string DeliveryDestination(string name, string field) => $"Delivery__Destinations__{name}__{field}";
}
