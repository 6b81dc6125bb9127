using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Azure.Identity;
using Microsoft.Azure.Cosmos;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Touchpoints.Core;

namespace Touchpoints.Functions.Storage;

/// <summary>
/// The app's storage: one Cosmos DB client and database (created locally where the settings allow it) and every store on
/// them. Features take the stores they need; none opens a container itself.
/// </summary>
public static class StorageRegistration
{
    public static JsonSerializerOptions DocumentOptions { get; } = Documents();

    private static JsonSerializerOptions Documents()
    {
        var options = new JsonSerializerOptions(CoreJsonContext.Default.Options)
        {
            TypeInfoResolver = JsonTypeInfoResolver.Combine(CoreJsonContext.Default, DecisionsJsonContext.Default, StorageJsonContext.Default),
        };
        foreach (var converter in DecisionsJsonContext.Converters) options.Converters.Add(converter);
        return options;
    }

    public static IServiceCollection AddStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<CosmosOptions>().Bind(configuration.GetSection(CosmosOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(sp => CreateClient(sp.GetRequiredService<IOptions<CosmosOptions>>().Value));
        services.AddSingleton(sp => sp.GetRequiredService<CosmosClient>().GetDatabase(sp.GetRequiredService<IOptions<CosmosOptions>>().Value.DatabaseName));
        services.AddHostedService<CosmosResources>();
        services.AddSingleton<StoreCache>();
        services.AddSingleton<CustomerStore>();
        services.AddSingleton<IdentityStore>();
        services.AddSingleton<RejectionStore>();
        services.AddSingleton<DeliveryStore>();
        services.AddSingleton<RulesStore>();
        services.AddSingleton<RuleStateStore>();
        services.AddSingleton<LedgerStore>();
        services.AddSingleton<RuleStatsStore>();
        services.AddSingleton<WakeUpStore>();
        services.AddSingleton<SchedulerCursorStore>();
        services.AddSingleton<EventPublisher>();
        services.AddSingleton<PrivacyStore>();
        services.AddOptions<HistoryOptions>().Bind(configuration.GetSection(HistoryOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(sp => new HistoryStore(sp.GetRequiredService<IConfiguration>(), sp.GetRequiredService<IOptions<HistoryOptions>>()));
        return services;
    }

    public static CosmosClient CreateClient(CosmosOptions options) => CreateClient(options, ClientOptions(options));

    public static CosmosClient CreateClient(CosmosOptions options, CosmosClientOptions clientOptions) =>
        string.IsNullOrEmpty(options.AccountKey)
            ? new CosmosClient(options.AccountEndpoint, new DefaultAzureCredential(new DefaultAzureCredentialOptions
            {
                ManagedIdentityClientId = options.ManagedIdentityClientId,
            }), clientOptions)
            : new CosmosClient(options.AccountEndpoint, options.AccountKey, clientOptions);

    public static CosmosClientOptions ClientOptions(CosmosOptions options) =>
        new()
        {
            // The SDK's own System.Text.Json serializer (instead of its default Newtonsoft.Json), on our source-generated
            // contracts: one document shape, no reflection.
            UseSystemTextJsonSerializerWithOptions = DocumentOptions,
            ConnectionMode = options.ConnectionMode,
            LimitToEndpoint = options.LimitToEndpoint,
            ApplicationName = "touchpoints",
            // Cosmos DB's own spans (source Azure.Cosmos.Operation: one per operation, with its request charge and status).
            CosmosClientTelemetryOptions = new CosmosClientTelemetryOptions { DisableDistributedTracing = false },
            // Throttling is retried by the SDK first; only what outlasts this reaches the handler, which then fails the
            // invocation so the trigger's retry policy replays the batch.
            MaxRetryAttemptsOnRateLimitedRequests = 9,
            MaxRetryWaitTimeOnRateLimitedRequests = TimeSpan.FromSeconds(30),
        };
}

/// <summary>Creates the database and containers at start where the settings allow it (locally).</summary>
internal sealed class CosmosResources(CosmosClient client, IOptions<CosmosOptions> options) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var o = options.Value;
        if (!o.CreateResources) return;
        var database = (await client.CreateDatabaseIfNotExistsAsync(o.DatabaseName, cancellationToken: cancellationToken).ConfigureAwait(false)).Database;
        foreach (var (name, partitionKey) in Containers.PartitionKeys)
            await database.CreateContainerIfNotExistsAsync(name, partitionKey, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
