using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Touchpoints.FunctionsHost;

/// <summary>How to start a <see cref="LocalFunctionsHost"/>. Every property has a default that suits <c>start</c> in the repo.</summary>
public sealed class LocalHostOptions
{
    public const int DefaultPort = 7071;

    /// <summary>The function app folder (host.json, function folders, the handler). Default: <c>artifacts/app</c> at the repo root.</summary>
    public string? AppFolder { get; set; }

    /// <summary>local.settings.json to read. Default: the repo root's local.settings.json, else local.settings.sample.json, else the app folder's.</summary>
    public string? SettingsFile { get; set; }

    /// <summary>Settings that win over the file and the environment (a null value removes one).</summary>
    public IDictionary<string, string?> Settings { get; } = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);

    /// <summary>The HTTP port for triggers, the admin and the runtime API. Default: <c>Host.LocalHttpPort</c> of the settings, else 7071; 0 picks a free one.</summary>
    public int? Port { get; set; }

    /// <summary>
    /// The port of the host's Event Hubs namespace, spoken in AMQP on 127.0.0.1 (connection string
    /// <c>Endpoint=sb://127.0.0.1:{port};…;UseDevelopmentEmulator=true</c>). Default: a free port, shown at start.
    /// </summary>
    public int? EventHubsPort { get; set; }

    /// <summary>Hubs to offer besides those the app's bindings name (for tools that publish to a hub no function reads yet).</summary>
    public IList<string> Hubs { get; } = [];

        /// <summary>Partitions of every in-memory hub not listed in <see cref="HubPartitions"/>.</summary>
    public int PartitionCount { get; set; } = 4;

    /// <summary>Partitions per hub name, overriding <see cref="PartitionCount"/>.</summary>
    public IDictionary<string, int> HubPartitions { get; } = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Spread Event Hubs outputs over the partitions as Azure does (a custom handler's output binding cannot set a partition
    /// key), so local runs meet the same concurrency: one person's events and changes on several partitions at once. Off
    /// (<c>--keyed-outputs</c>) keeps them on one partition per person, a diagnostic aid only. Default: the setting
    /// <c>LocalHost__SpreadOutputs</c>, else on.
    /// </summary>
    public bool? SpreadOutputs { get; set; }

    /// <summary>Start the Cosmos DB server and Azurite when the settings point at loopback ports nothing listens on.</summary>
    public bool StartEmulators { get; set; } = true;

    /// <summary>
    /// Multiplies every retry delay of the functions' retry policies (0.01 turns 2 s into 20 ms), for tests and demos.
    /// Default: the setting <c>LocalHost__RetryDelayScale</c>, else 1.
    /// </summary>
    public double? RetryDelayScale { get; set; }

    /// <summary>Use a handler that is already running there (started in a debugger, say) instead of starting the app's executable.</summary>
    public Uri? HandlerUrl { get; set; }

    /// <summary>How long the handler has to answer its readiness probe (the host waits about 30 s).</summary>
    public TimeSpan HandlerStartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Where the host, the functions and the handler's output log to. Default: the console.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    public const string Usage = """
          --app <folder>            the function app folder (default: artifacts/app, published by building this project)
          --settings <file>         local.settings.json to use (default: local.settings.json at the repo root, else local.settings.sample.json)
          --port <n>                HTTP port for triggers and the admin/runtime API (default 7071; 0 = any free port)
          --partitions <n>          partitions per in-memory event hub (default 4)
          --retry-delay-scale <x>   multiply retry policy delays by x (e.g. 0.01)
          --handler-url <url>       use an already running handler instead of starting the app's executable
          --keyed-outputs           keep Event Hubs outputs naming one person on one partition (Azure spreads them: diagnostics only)
          --no-emulators            do not start the Cosmos DB server or Azurite
          --set <Name>=<value>      override a setting (repeatable)
        """;

    /// <summary>Reads the options above from <paramref name="arguments"/>; what it does not know is returned in <paramref name="rest"/>.</summary>
    /// <exception cref="ArgumentException">An option without its value, or a malformed value.</exception>
    public static LocalHostOptions Parse(IReadOnlyList<string> arguments, out List<string> rest)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var options = new LocalHostOptions();
        rest = [];
        for (var i = 0; i < arguments.Count; i++)
        {
            var argument = arguments[i];
            string Value() => i + 1 < arguments.Count ? arguments[++i] : throw new ArgumentException($"{argument} needs a value.");
            switch (argument)
            {
                case "--app":
                    options.AppFolder = Path.GetFullPath(Value());
                    break;
                case "--settings":
                    options.SettingsFile = Path.GetFullPath(Value());
                    break;
                case "--port":
                    options.Port = int.Parse(Value(), NumberStyles.None, CultureInfo.InvariantCulture);
                    break;
                case "--partitions":
                    options.PartitionCount = int.Parse(Value(), NumberStyles.None, CultureInfo.InvariantCulture);
                    break;
                case "--retry-delay-scale":
                    options.RetryDelayScale = double.Parse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture);
                    break;
                case "--handler-url":
                    options.HandlerUrl = new Uri(Value(), UriKind.Absolute);
                    break;
                case "--no-emulators":
                    options.StartEmulators = false;
                    break;
                case "--spread-outputs":
                    options.SpreadOutputs = true;
                    break;
                case "--keyed-outputs":
                    options.SpreadOutputs = false;
                    break;
                case "--set":
                    var setting = Value();
                    var equals = setting.IndexOf('=', StringComparison.Ordinal);
                    if (equals <= 0) throw new ArgumentException($"--set needs Name=value, not '{setting}'.");
                    options.Settings[setting[..equals]] = setting[(equals + 1)..];
                    break;
                default:
                    rest.Add(argument);
                    break;
            }
        }

        return options;
    }
}
