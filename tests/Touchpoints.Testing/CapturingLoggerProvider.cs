using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Touchpoints.Testing;

/// <summary>Collects log lines from <paramref name="minimum"/> up, so that a failing test can show them (and a test can read them).</summary>
public sealed class CapturingLoggerProvider(LogLevel minimum = LogLevel.Information) : ILoggerProvider
{
    public ConcurrentQueue<string> Lines { get; } = new();

    public LogLevel Minimum { get; } = minimum;

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    public override string ToString() => string.Join(Environment.NewLine, Lines);

    private sealed class Logger(CapturingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= provider.Minimum;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            provider.Lines.Enqueue($"{DateTimeOffset.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}");
    }
}
