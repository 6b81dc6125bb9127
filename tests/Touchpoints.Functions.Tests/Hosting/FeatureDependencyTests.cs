using System.Text.RegularExpressions;

namespace Touchpoints.Functions.Tests.Hosting;

/// <summary>
/// The handler's folders depend in one direction: features on <c>Storage</c> and <c>Hosting</c>, never on each other (but
/// ingestion reading the active rules to score), and <c>Storage</c> and <c>Hosting</c> on no feature. Read from the sources:
/// every <c>using Touchpoints.Functions.X;</c> and every qualified <c>Touchpoints.Functions.X.</c> a file names.
/// </summary>
public sealed partial class FeatureDependencyTests
{
    private static readonly string[] Features = ["Collector", "Webhooks", "Ingestion", "Views", "Rules", "Privacy", "Delivery", "Console"];

    private static readonly IReadOnlyDictionary<string, string[]> Allowed = new Dictionary<string, string[]>
    {
        ["Hosting"] = [],
        ["Storage"] = [],
        ["Collector"] = ["Hosting", "Storage"],
        ["Webhooks"] = ["Hosting", "Storage"],
        ["Views"] = ["Hosting", "Storage"],
        ["Rules"] = ["Hosting", "Storage"],
        ["Privacy"] = ["Hosting", "Storage"],
        // Scoring at ingestion uses the rules document in force (RulesProvider).
        ["Ingestion"] = ["Hosting", "Storage", "Rules"],
        // Delivery checks messages against the active rules and holds them on the rules' queues.
        ["Delivery"] = ["Hosting", "Storage", "Rules"],
        // The console reads customers and the ledger, publishes rules through the rules' provider, runs privacy operations
        // and unmerges (history's, in ingestion).
        ["Console"] = ["Hosting", "Storage", "Rules", "Privacy", "Ingestion"],
    };

    [Fact]
    public void Every_folder_of_the_handler_depends_only_on_what_its_layer_allows()
    {
        var project = Path.GetDirectoryName(FunctionFolderTests.AppFolder())!;
        var found = new List<string>();
        foreach (var folder in Allowed.Keys)
        {
            var files = Directory.GetFiles(Path.Combine(project, folder), "*.cs", SearchOption.AllDirectories);
            Assert.NotEmpty(files);
            foreach (var file in files)
            {
                foreach (Match m in Reference().Matches(File.ReadAllText(file)))
                {
                    var target = m.Groups["folder"].Value;
                    if (target != folder && Allowed.ContainsKey(target) && !Allowed[folder].Contains(target))
                        found.Add($"{folder}/{Path.GetFileName(file)} uses {target}");
                }
            }
        }
        Assert.Empty(found);
    }

    [Fact]
    public void Every_feature_folder_is_known_to_the_layering()
    {
        var project = Path.GetDirectoryName(FunctionFolderTests.AppFolder())!;
        var folders = Directory.GetDirectories(project).Select(Path.GetFileName)
            .Where(d => d is not ("App" or "bin" or "obj" or "Properties")).Order(StringComparer.Ordinal);
        Assert.Equal(Allowed.Keys.Order(StringComparer.Ordinal), folders);
        Assert.All(Features, f => Assert.Contains(f, Allowed.Keys));
    }

    [GeneratedRegex(@"Touchpoints\.Functions\.(?<folder>[A-Z][A-Za-z]+)\b")]
    private static partial Regex Reference();
}
