using Touchpoints.Infrastructure.Tests.Support;

namespace Touchpoints.Infrastructure.Tests;

/// <summary>azd packages what the Functions host needs: the handler self-contained for linux-x64, with ReadyToRun.</summary>
public sealed class AzureYamlTests
{
    [Fact]
    public void The_service_is_the_functions_project_hosted_as_a_function_app()
    {
        Assert.Equal("functions", AzureYaml.ServiceName);
        Assert.Equal("./functions/Touchpoints.Functions", AzureYaml.ServiceValue("project"));
        Assert.Equal("function", AzureYaml.ServiceValue("host"));
        Assert.True(File.Exists(Tooling.Path("functions", "Touchpoints.Functions", "App", "host.json")));
    }

    [Fact]
    public void Every_package_hook_publishes_self_contained_for_linux_x64_with_ReadyToRun_into_dist()
    {
        var dist = AzureYaml.ServiceValue("dist");
        Assert.Equal("custom", AzureYaml.ServiceValue("language"));
        Assert.NotNull(dist);
        Assert.StartsWith("../../artifacts/", dist, StringComparison.Ordinal);
        Assert.Equal(2, AzureYaml.HookCommands.Count);

        foreach (var command in AzureYaml.HookCommands)
        {
            Assert.Contains("dotnet publish ./Touchpoints.Functions.csproj -c Release -r linux-x64 --self-contained -p:PublishReadyToRun=true", command, StringComparison.Ordinal);
            Assert.Contains($"-o {dist}", command, StringComparison.Ordinal);
        }
    }
}
