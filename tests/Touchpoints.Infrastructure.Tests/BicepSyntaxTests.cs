using Touchpoints.Infrastructure.Tests.Support;

namespace Touchpoints.Infrastructure.Tests;

/// <summary>
/// The reader behind the contract tests: tree-sitter-bicep gives every file's declarations with literal values (what the
/// contract compares with the code), and reports syntax it cannot read. Whether the files compile is the real compiler's
/// to say (<see cref="BicepCompileTests"/>).
/// </summary>
public sealed class BicepSyntaxTests
{
    public static TheoryData<string> InfraFiles() =>
        [.. Bicep.InfraFiles().Select(f => Path.GetRelativePath(Tooling.RepoRoot, f).Replace('\\', '/'))];

    [Theory]
    [MemberData(nameof(InfraFiles))]
    public async Task Every_bicep_file_parses_without_syntax_errors(string file)
    {
        var parsed = await Bicep.InfraFileAsync(file);

        Assert.True(parsed.Errors.Count == 0, $"{file}:{Environment.NewLine}{string.Join(Environment.NewLine, parsed.Errors)}");
        Assert.NotEmpty(parsed.Declarations);
    }

    [Fact]
    public async Task A_broken_snippet_is_reported_with_the_line_of_its_error()
    {
        const string broken = """
            param name string

            resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
              name: name
              properties: {
                minimumTlsVersion:
              }
            }
            """;

        var parsed = await Bicep.ParseSourceAsync(broken);

        Assert.NotEmpty(parsed.Errors);
        Assert.Contains(parsed.Errors, e => e.Line is >= 6 and <= 7);
    }

    [Fact]
    public async Task An_unclosed_object_is_reported()
    {
        var parsed = await Bicep.ParseSourceAsync("var settings = {\n  a: 'b'\n\noutput o string = 'x'\n");

        Assert.NotEmpty(parsed.Errors);
    }

    [Fact]
    public async Task The_parse_tree_gives_literals_as_values_and_expressions_as_text()
    {
        var parsed = await Bicep.ParseSourceAsync("""
            param suffix string
            var hubs = [
              { name: 'web-events', groups: [ 'a' ], receive: true, partitions: 4 }
            ]
            var key = 'Section__${suffix}__Key'
            output id string = guid(suffix, 'x')
            """);

        Assert.Empty(parsed.Errors);
        Assert.Equal("""[{"name":"web-events","groups":["a"],"receive":true,"partitions":4}]""", parsed.Var("hubs")!.ToJsonString());
        Assert.Equal("Section__*__Key", Bicep.Pattern((string)parsed.Var("key")!["$expr"]!));
        Assert.True(Bicep.IsCall(parsed.Find("output", "id")!["value"], "guid"));
    }
}
