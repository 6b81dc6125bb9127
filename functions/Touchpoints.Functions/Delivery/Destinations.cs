using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.Options;
using StandardWebhooks;

namespace Touchpoints.Functions.Delivery;

/// <summary>Standard Webhooks signatures (https://www.standardwebhooks.com), with the StandardWebhooks library.</summary>
public static class Signing
{
    private const string Prefix = "whsec_";

    public static bool IsValidSecret(string? secret)
    {
        if (secret is null || !secret.StartsWith(Prefix, StringComparison.Ordinal)) return false;
        var bytes = new byte[secret.Length];
        return Convert.TryFromBase64String(secret[Prefix.Length..], bytes, out var length) && length is >= 24 and <= 64;
    }

    /// <summary>
    /// The <c>webhook-signature</c> value: one <c>v1,…</c> per secret, space-separated, as the specification allows for
    /// rotation; a receiver accepts the message if any signature matches a secret it holds.
    /// </summary>
    public static string Signature(IEnumerable<string> secrets, string id, DateTimeOffset timestamp, string body) =>
        string.Join(' ', secrets.Select(s => new StandardWebhook(s).Sign(id, timestamp, body)));
}

/// <summary>A destination answered with a failure (or not at all) after the retries of one invocation.</summary>
public sealed class DestinationFailedException(string destination, string message, Exception? inner = null)
    : Exception($"{destination}: {message}", inner)
{
    public string Destination { get; } = destination;
}

/// <summary>
/// Posts a message to its destination, signed: <c>webhook-id</c> is the decision's id (the same on every retry and
/// redelivery, so a receiver drops a duplicate), <c>webhook-timestamp</c> the send time, <c>webhook-signature</c> one HMAC per
/// secret. The HTTP client retries transient failures with exponential backoff and jitter (the resilience handler
/// registered with it); what still fails is a <see cref="DestinationFailedException"/>, for the queue's own retries.
/// </summary>
public sealed partial class Destinations(IHttpClientFactory clients, TimeProvider clock, ILogger<Destinations> logger)
{
    public const string HttpClientName = "destinations";

    public async Task SendAsync(string name, DestinationOptions destination, string id, string body, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var timestamp = clock.GetUtcNow();
        using var request = new HttpRequestMessage(HttpMethod.Post, destination.Url);
        request.Content = new StringContent(body, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));
        request.Headers.Add("webhook-id", id);
        request.Headers.Add("webhook-timestamp", timestamp.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", Signing.Signature(destination.SecretList, id, timestamp, body));
        HttpResponseMessage response;
        try
        {
            response = await clients.CreateClient(HttpClientName).SendAsync(request, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is HttpRequestException or TimeoutException or Polly.Timeout.TimeoutRejectedException
                                      or Polly.CircuitBreaker.BrokenCircuitException || (e is TaskCanceledException && !ct.IsCancellationRequested))
        {
            LogUnreachable(logger, name, e.GetType().Name);
            throw new DestinationFailedException(name, "unreachable: " + e.Message, e);
        }
        using (response)
        {
            if (response.IsSuccessStatusCode) return;
            LogRefused(logger, name, (int)response.StatusCode);
            throw new DestinationFailedException(name, $"answered {(int)response.StatusCode} {response.ReasonPhrase}");
        }
    }

    /// <summary>The client's retries: the attempts and backoff the settings give, retrying what the resilience handler deems transient.</summary>
    public static void Configure(Microsoft.Extensions.Http.Resilience.HttpStandardResilienceOptions resilience, DeliveryOptions options)
    {
        ArgumentNullException.ThrowIfNull(resilience);
        ArgumentNullException.ThrowIfNull(options);
        resilience.Retry.MaxRetryAttempts = Math.Max(1, options.Retries);
        resilience.Retry.ShouldHandle = options.Retries == 0 ? _ => ValueTask.FromResult(false) : resilience.Retry.ShouldHandle;
        resilience.Retry.Delay = options.RetryDelay;
        resilience.Retry.BackoffType = Polly.DelayBackoffType.Exponential;
        resilience.Retry.UseJitter = true;
        resilience.AttemptTimeout.Timeout = options.AttemptTimeout;
        resilience.TotalRequestTimeout.Timeout = options.AttemptTimeout * (options.Retries + 1) + options.RetryDelay * Math.Pow(2, options.Retries + 1);
        resilience.CircuitBreaker.SamplingDuration = options.AttemptTimeout * 2 > resilience.CircuitBreaker.SamplingDuration
            ? options.AttemptTimeout * 2
            : resilience.CircuitBreaker.SamplingDuration;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Destination {Destination} unreachable ({Error}); the message will be retried")]
    private static partial void LogUnreachable(ILogger logger, string destination, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Destination {Destination} answered {Status}; the message will be retried")]
    private static partial void LogRefused(ILogger logger, string destination, int status);
}
