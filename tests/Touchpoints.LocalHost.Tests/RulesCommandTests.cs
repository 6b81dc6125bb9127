using Touchpoints.LocalHost.Commands;

namespace Touchpoints.LocalHost.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleOutput
{
    public const string Name = "console output";
}

/// <summary><c>rules validate &lt;file&gt;</c>: a marketer's check before pushing a document.</summary>
[Collection(ConsoleOutput.Name)]
public sealed class RulesCommandTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("rules-cli-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static async Task<(int Exit, string Output)> RunAsync(params string[] args)
    {
        var original = Console.Out;
        using var output = new StringWriter();
        Console.SetOut(output);
        try
        {
            return (await RulesCommand.RunAsync(args, CancellationToken.None), output.ToString());
        }
        finally
        {
            Console.SetOut(original);
        }
    }

    [Fact]
    public async Task The_shipped_default_document_is_valid()
    {
        var file = Path.Combine(folder, "rules.json");
        File.WriteAllText(file, Core.Rules.DefaultRules.Json);

        var (exit, output) = await RunAsync("validate", file);

        Assert.Equal(0, exit);
        Assert.Contains("valid", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_error_is_printed_with_file_line_column_and_path()
    {
        var file = Path.Combine(folder, "broken.json");
        File.WriteAllText(file, """
            {
              "policies": { "defaultTimezone": "Europe/London", "consent": {}, "priorityTiers": { "high": 70, "normal": 30 } },
              "scores": { "weights": { "intent": 1, "engagement": 1, "fit": 1, "monetary": 1, "influence": 1 },
                          "halfLifeDays": 14, "revenueScale": 500, "followersScale": 100000 },
              "rules": [
                { "id": "x", "kind": "marketing", "channel": "email", "template": "t", "priority": 120,
                  "trigger": { "on": "change", "causes": ["web.page"] },
                  "conditions": { "fact": "touchpoints.web.cart.valeu", "op": "gt", "value": 0 } }
              ]
            }
            """);

        var (exit, output) = await RunAsync("validate", file);

        Assert.Equal(1, exit);
        Assert.Contains($"{file}:6:", output, StringComparison.Ordinal);
        Assert.Contains("$.rules[0].priority: 120 is out of range", output, StringComparison.Ordinal);
        Assert.Contains("did you mean 'touchpoints.web.cart.value'", output, StringComparison.Ordinal);
        Assert.Contains("has no consent mapping", output, StringComparison.Ordinal);
        Assert.Contains("3 errors", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_file_or_command_is_a_usage_error()
    {
        Assert.Equal(2, (await RunAsync("validate", Path.Combine(folder, "nope.json"))).Exit);
        Assert.Equal(2, (await RunAsync("push")).Exit);
    }
}
