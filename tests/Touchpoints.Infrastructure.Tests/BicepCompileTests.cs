using Touchpoints.Infrastructure.Tests.Support;

namespace Touchpoints.Infrastructure.Tests;

/// <summary>
/// Every Bicep file of <c>infra/</c> compiles and lints clean with the real compiler: an error or a warning (unused
/// parameter, secret in an output, missing API version, …) fails here, as it would fail or blemish <c>azd provision</c>.
/// </summary>
public sealed class BicepCompileTests
{
    public static TheoryData<string> InfraFiles() => BicepSyntaxTests.InfraFiles();

    [Theory]
    [MemberData(nameof(InfraFiles))]
    public async Task Every_bicep_file_builds_and_lints_without_an_error_or_a_warning(string file)
    {
        var (built, template, buildDiagnostics) = await BicepCompiler.BuildAsync(file);
        var (linted, lintDiagnostics) = await BicepCompiler.LintAsync(file);

        var diagnostics = buildDiagnostics.Concat(lintDiagnostics).Distinct().ToList();
        Assert.True(diagnostics.Count == 0, $"{file}:{Environment.NewLine}{string.Join(Environment.NewLine, diagnostics)}");
        Assert.Equal((0, 0), (built, linted));
        Assert.Contains("\"$schema\"", template, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broken_file_fails_the_build_with_the_line_of_each_error_and_warning()
    {
        var folder = Directory.CreateTempSubdirectory("bicep-broken-");
        try
        {
            var file = Path.Combine(folder.FullName, "broken.bicep");
            await File.WriteAllTextAsync(file, """
                param unused string
                param count int = 'three'

                resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
                  name: 'st${count}'
                  location: 42
                  kind: 'StorageV2'
                  sku: { name: 'Standard_LRS' }
                  properties: { minimumTlsVersion: 'TLS1_2' }
                }
                """);

            var (built, _, diagnostics) = await BicepCompiler.BuildAsync(file);

            Assert.NotEqual(0, built);
            Assert.Contains(diagnostics, d => d is { Level: "Error", Line: 2 });
            Assert.Contains(diagnostics, d => d is { Level: "Warning", Line: 1, Code: "no-unused-params" });
            // A resource property of the wrong type is only a warning to Bicep (resource types may be inaccurate): here it fails.
            Assert.Contains(diagnostics, d => d is { Level: "Warning", Line: 6, Code: "BCP036" });
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
