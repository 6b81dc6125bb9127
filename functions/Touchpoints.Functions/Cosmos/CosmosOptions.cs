using System.ComponentModel.DataAnnotations;
using Microsoft.Azure.Cosmos;

namespace Touchpoints.Functions.Cosmos;

/// <summary>Settings <c>Cosmos__*</c>. Locally an endpoint and key; in Azure the endpoint and a managed identity.</summary>
public sealed class CosmosOptions
{
    public const string Section = "Cosmos";

    [Required, Url]
    public string AccountEndpoint { get; set; } = "";

    /// <summary>Only for the local emulator. Without it the client authenticates with <c>DefaultAzureCredential</c>.</summary>
    public string? AccountKey { get; set; }

    /// <summary>The client id of the user-assigned managed identity (Azure), when there is one.</summary>
    public string? ManagedIdentityClientId { get; set; }

    [Required]
    public string DatabaseName { get; set; } = "touchpoints";

    /// <summary>Create the database and containers at start (locally); in Azure the infrastructure owns them.</summary>
    public bool CreateResources { get; set; }

    public ConnectionMode ConnectionMode { get; set; } = ConnectionMode.Direct;

    /// <summary>Talk only to the configured endpoint, not to the regions the account advertises (emulators, private links).</summary>
    public bool LimitToEndpoint { get; set; }
}

/// <summary>The containers the code uses, with the partition key each one assumes (the infrastructure must match).</summary>
public static class Containers
{
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
    };
}
