using System.Text;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;

namespace Touchpoints.Functions.Rules;

/// <summary>A line diff of two rules versions' texts (DiffPlex), for a marketer to read before rolling back or after a change.</summary>
public static class RulesDiff
{
    public static RulesDiffBody Of(int from, int to, string older, string newer)
    {
        var model = InlineDiffBuilder.Diff(older, newer, ignoreWhiteSpace: false);
        var lines = new List<RulesDiffLine>(model.Lines.Count);
        var text = new StringBuilder();
        foreach (var line in model.Lines)
        {
            var op = line.Type switch
            {
                ChangeType.Inserted => "+",
                ChangeType.Deleted => "-",
                _ => "=",
            };
            lines.Add(new RulesDiffLine(op, line.Text));
            text.Append(op == "=" ? ' ' : op[0]).Append(' ').Append(line.Text).Append('\n');
        }
        return new RulesDiffBody(from, to, lines.Count(l => l.Op == "+"), lines.Count(l => l.Op == "-"), lines, text.ToString());
    }
}
