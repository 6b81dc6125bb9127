using System.Net;
using Touchpoints.FunctionsHost.Emulators;

namespace Touchpoints.Functions.Tests.Emulators;

public sealed class AzuriteTests
{
    [Fact]
    public async Task StartsBlobAndQueueServicesOnLoopback()
    {
        var azurite = await SharedEmulators.AzuriteAsync();
        using var http = new HttpClient();

        foreach (var endpoint in new[] { azurite.BlobEndpoint, azurite.QueueEndpoint })
        {
            Assert.Equal("127.0.0.1", endpoint.Host);
            // Unsigned requests are refused, which proves the service is up and checks auth like Azure does.
            using var response = await http.GetAsync(new Uri(endpoint, "?comp=list"));
            Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        }

        Assert.Contains($"QueueEndpoint={azurite.QueueEndpoint}", azurite.ConnectionString, StringComparison.Ordinal);
    }
}
