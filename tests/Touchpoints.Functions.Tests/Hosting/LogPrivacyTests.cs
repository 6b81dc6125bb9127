using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Touchpoints.Functions.Tests.Hosting;

/// <summary>Logs carry no secrets and no personal data: no function key, no identifier from a request's URL.</summary>
[Collection(HandlerCollection.Name)]
public sealed class LogPrivacyTests(HandlerFixture fixture)
{
    [Theory]
    [InlineData(null, false)]
    [InlineData("Information", true)]
    public async Task Request_urls_with_a_function_key_and_an_email_reach_the_logs_only_when_an_operator_asks_for_request_logging(
        string? aspNetCoreLevel, bool logged)
    {
        var capture = new CaptureProvider();
        var settings = fixture.Settings();
        if (aspNetCoreLevel is not null) settings["Logging:LogLevel:Microsoft.AspNetCore"] = aspNetCoreLevel;
        await using var app = HandlerApp.Build([], builder =>
        {
            builder.WebHost.UseTestServer();
            builder.Configuration.AddInMemoryCollection(settings);
            builder.Logging.AddProvider(capture);
        });
        await app.StartAsync();
        using var client = app.GetTestClient();

        using var found = await client.GetAsync("/api/customers?identity=email:hedda.secret%40example.com&code=s3cr3t-function-key");
        using var byId = await client.GetAsync("/api/customers/c-nobody?code=s3cr3t-function-key");

        Assert.Equal(404, (int)found.StatusCode);
        Assert.Equal(logged, capture.Lines.Any(l => l.Contains("s3cr3t", StringComparison.Ordinal) || l.Contains("hedda", StringComparison.OrdinalIgnoreCase)));
    }

    private sealed class CaptureProvider : ILoggerProvider
    {
        public ConcurrentQueue<string> Lines { get; } = new();

        public ILogger CreateLogger(string categoryName) => new Capture(categoryName, Lines);

        public void Dispose()
        {
        }

        private sealed class Capture(string category, ConcurrentQueue<string> lines) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)}");
        }
    }
}
