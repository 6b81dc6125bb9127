using Azure.Core;
using Azure.Identity;
using Azure.Storage.Queues;

namespace Touchpoints.Functions.Storage;

/// <summary>The app's storage account (<c>AzureWebJobsStorage</c>): its queues (the rules') and blobs (history).</summary>
public static class StorageAccount
{
    /// <summary>
    /// Locally the connection string <c>AzureWebJobsStorage</c> (Azurite); in Azure the identity-based form the host uses too:
    /// <c>AzureWebJobsStorage__{service}ServiceUri</c> or <c>__accountName</c>, with <c>__clientId</c> of the user-assigned
    /// identity. The credential is made only in that case, never locally.
    /// </summary>
    /// <summary>The account's queues; messages base64-encoded, as the Functions host's queue trigger expects.</summary>
    public static QueueServiceClient Queues(IConfiguration configuration, QueueClientOptions? clientOptions = null)
    {
        var options = clientOptions ?? new QueueClientOptions();
        options.MessageEncoding = QueueMessageEncoding.Base64;
        return Connect(configuration, "queue", connection => new QueueServiceClient(connection, options), (uri, credential) => new QueueServiceClient(uri, credential, options));
    }

    public static T Connect<T>(IConfiguration configuration, string service, Func<string, T> withConnection, Func<Uri, TokenCredential, T> withIdentity)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(withConnection);
        ArgumentNullException.ThrowIfNull(withIdentity);
        var section = configuration.GetSection("AzureWebJobsStorage");
        if (!string.IsNullOrWhiteSpace(section.Value)) return withConnection(section.Value);
        var uri = section[service + "ServiceUri"] is { Length: > 0 } u ? new Uri(u)
            : section["accountName"] is { Length: > 0 } account ? new Uri($"https://{account}.{service}.core.windows.net")
            : throw new InvalidOperationException(
                $"No {service} storage: set AzureWebJobsStorage (a connection string) or AzureWebJobsStorage__{service}ServiceUri / __accountName.");
        return withIdentity(uri, new DefaultAzureCredential(new DefaultAzureCredentialOptions { ManagedIdentityClientId = section["clientId"] }));
    }
}
