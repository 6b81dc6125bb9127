using System.ComponentModel.DataAnnotations;
using Microsoft.Azure.Cosmos;
using Touchpoints.Core.Resources;

namespace Touchpoints.Functions.Storage;

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
    public string DatabaseName { get; set; } = Containers.DefaultDatabase;

    /// <summary>Create the database and containers at start (locally); in Azure the infrastructure owns them.</summary>
    public bool CreateResources { get; set; }

    public ConnectionMode ConnectionMode { get; set; } = ConnectionMode.Direct;

    /// <summary>Talk only to the configured endpoint, not to the regions the account advertises (emulators, private links).</summary>
    public bool LimitToEndpoint { get; set; }

    /// <summary>
    /// Customer views (with their ETags) an instance keeps between batches (<see cref="StoreCache"/>; 0: none). A view is a
    /// few KB of JSON and 10–20 KB in memory: the default keeps ~100 MB at most.
    /// </summary>
    [Range(0, 1_000_000, ErrorMessage = "Cosmos:CachedCustomers must be between 0 and 1000000.")]
    public int CachedCustomers { get; set; } = 5_000;

    /// <summary>Identifier → customer entries an instance keeps between batches (0: none); ~200 bytes each.</summary>
    [Range(0, 10_000_000, ErrorMessage = "Cosmos:CachedIdentifiers must be between 0 and 10000000.")]
    public int CachedIdentifiers { get; set; } = 100_000;
}
