using System.Diagnostics;
using System.Net;
using System.Reflection.PortableExecutable;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using Touchpoints.Infrastructure.Tests.Support;

using Touchpoints.FunctionsHost.Runtime;

namespace Touchpoints.Infrastructure.Tests;

/// <summary>
/// Publishes the Functions app once, as azure.yaml's hook does (self-contained, ReadyToRun, for linux-x64 on a linux-x64
/// machine, else for the machine's own runtime so the result can still be started), into a temporary folder, with its
/// own artifacts path so it never touches the repository's bin/obj folders that other builds use.
/// </summary>
public sealed class PublishedApp : IAsyncLifetime
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "touchpoints-publish-" + Guid.NewGuid().ToString("N")[..8]);

    public string AppDir => Path.Combine(Root, "app");

    public static string RuntimeIdentifier =>
        OperatingSystem.IsLinux() && RuntimeInformation.OSArchitecture == Architecture.X64 ? "linux-x64" : RuntimeInformation.RuntimeIdentifier;

    public string Log { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var project = Path.Combine(CodeContract.FunctionsProject, "Touchpoints.Functions.csproj");
        var result = await Tooling.RunAsync(
            "dotnet",
            ["publish", project, "-c", "Release", "-r", RuntimeIdentifier, "--self-contained", "-p:PublishReadyToRun=true",
                "--artifacts-path", Path.Combine(Root, "artifacts"), "-o", AppDir, "--disable-build-servers", "-nodeReuse:false"],
            Tooling.RepoRoot,
            TimeSpan.FromMinutes(9)).ConfigureAwait(false);
        Log = result.Output + result.Error;
        if (result.ExitCode != 0) throw new InvalidOperationException($"dotnet publish failed ({result.ExitCode}):{Environment.NewLine}{Log}");
    }

    public Task DisposeAsync()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
        return Task.CompletedTask;
    }
}

public sealed class PublishTests(PublishedApp app) : IClassFixture<PublishedApp>
{
    private static string ExecutableName
    {
        get
        {
            var hostJson = JsonNode.Parse(File.ReadAllText(Path.Combine(CodeContract.FunctionsRoot, "host.json")))!;
            var name = (string)hostJson["customHandler"]!["description"]!["defaultExecutablePath"]!;
            return OperatingSystem.IsWindows() && !name.EndsWith(".exe", StringComparison.OrdinalIgnoreCase) ? name + ".exe" : name;
        }
    }

    [Fact]
    public void The_package_holds_host_json_every_function_and_the_executable_host_json_names()
    {
        Assert.Equal(File.ReadAllText(Path.Combine(CodeContract.FunctionsRoot, "host.json")), File.ReadAllText(Path.Combine(app.AppDir, "host.json")));
        foreach (var function in CodeContract.FunctionNames)
            Assert.True(File.Exists(Path.Combine(app.AppDir, function, "function.json")), $"{function}/function.json is missing from the package.");
        // At the root only: a second copy under App/ would be a folder the host takes for a function without function.json.
        Assert.False(Directory.Exists(Path.Combine(app.AppDir, "App")), "the package holds the source folder App/ as well");
        var executable = Path.Combine(app.AppDir, ExecutableName);
        Assert.True(File.Exists(executable), $"{ExecutableName} is missing from the package.");
        if (!OperatingSystem.IsWindows())
            Assert.True((File.GetUnixFileMode(executable) & UnixFileMode.UserExecute) != 0, $"{ExecutableName} is not executable.");
    }

    [Fact]
    public void The_handler_is_self_contained_and_compiled_ReadyToRun()
    {
        var runtime = OperatingSystem.IsWindows() ? "coreclr.dll" : OperatingSystem.IsMacOS() ? "libcoreclr.dylib" : "libcoreclr.so";
        Assert.True(File.Exists(Path.Combine(app.AppDir, runtime)), $"{runtime} is missing: the package is not self-contained.");

        using var pe = new PEReader(File.OpenRead(Path.Combine(app.AppDir, "Touchpoints.Functions.dll")));
        Assert.True(pe.PEHeaders.CorHeader!.ManagedNativeHeaderDirectory.Size > 0, "Touchpoints.Functions.dll has no ReadyToRun code.");
    }

    [Fact]
    public async Task The_published_handler_answers_the_hosts_readiness_probe_configured_by_environment_variables_only()
    {
        var port = LoopbackPorts.Free();
        var startInfo = new ProcessStartInfo(Path.Combine(app.AppDir, ExecutableName))
        {
            WorkingDirectory = app.AppDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var key in startInfo.Environment.Keys.Where(k => k.StartsWith("Cosmos__", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("Collector__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("Webhooks__", StringComparison.OrdinalIgnoreCase)
                     || k.StartsWith("ASPNETCORE_", StringComparison.OrdinalIgnoreCase) || k.Equals("DOTNET_URLS", StringComparison.OrdinalIgnoreCase)).ToArray())
            startInfo.Environment.Remove(key);
        // What the Functions host passes, plus the app settings as infra/ sets them in Azure (Cosmos is never reached
        // at start: CreateResources=false, and the client connects lazily).
        startInfo.Environment["FUNCTIONS_CUSTOMHANDLER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        startInfo.Environment["FUNCTIONS_CUSTOMHANDLER_WORKER_ID"] = Guid.NewGuid().ToString();
        startInfo.Environment["FUNCTIONS_APP_ROOT_PATH"] = app.AppDir;
        startInfo.Environment["Cosmos__AccountEndpoint"] = "https://127.0.0.1:9/";
        startInfo.Environment["Cosmos__ManagedIdentityClientId"] = Guid.NewGuid().ToString();
        startInfo.Environment["Cosmos__DatabaseName"] = "touchpoints";
        startInfo.Environment["Cosmos__CreateResources"] = "false";
        startInfo.Environment["Cosmos__ConnectionMode"] = "Direct";
        startInfo.Environment["Cosmos__LimitToEndpoint"] = "false";
        startInfo.Environment["Collector__Sources__website__WriteKey"] = "publish-test-write-key";
        startInfo.Environment["Collector__AllowedOrigins"] = "*";

        using var process = Process.Start(startInfo)!;
        var output = new StringBuilder();
        process.OutputDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { lock (output) output.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            // The host's own probe (it asks until the handler answers, for about 30 s), then one request to read the answer.
            var exited = process.WaitForExitAsync();
            Exception? failed = null;
            try
            {
                await ReadinessProbe.WaitAsync(new Uri($"http://127.0.0.1:{port}/"), TimeSpan.FromSeconds(30), exited, CancellationToken.None);
            }
            catch (Exception e) when (e is TimeoutException or InvalidOperationException)
            {
                failed = e;
            }
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            using var answer = failed is null ? await http.GetAsync(new Uri($"http://127.0.0.1:{port}/")) : null;

            string Log() { lock (output) return output.ToString(); }
            Assert.False(process.HasExited, $"The handler exited ({(process.HasExited ? process.ExitCode : 0)}):{Environment.NewLine}{Log()}");
            Assert.True(answer is not null, $"The handler did not answer GET / within 30 s ({failed?.Message}):{Environment.NewLine}{Log()}");
            Assert.Equal(HttpStatusCode.OK, answer!.StatusCode);
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}
