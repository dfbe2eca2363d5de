// Report -> Markdown (GitHub flavour). Figures link to <name>.png beside report.md.
using System.Text;

namespace TrajectoryLab.Reporting.Reports;

/// <summary>Renders a <see cref="Report"/> as Markdown.</summary>
public static class MarkdownReport
{
    /// <summary>The Markdown text, '\n' line ends, ending in one newline.</summary>
    public static string Render(Report report)
    {
        var md = new StringBuilder();
        md.Append("# ").Append(OneLine(report.Title)).Append("\n\n");
        if (!string.IsNullOrEmpty(report.Lead))
            md.Append(report.Lead).Append("\n\n");
        foreach (var section in report.Sections)
        {
            md.Append("## ").Append(OneLine(section.Heading)).Append("\n\n");
            foreach (var block in section.Blocks)
                Block(md, block);
        }
        return md.ToString().TrimEnd('\n') + "\n";
    }

    private static void Block(StringBuilder md, ReportBlock block)
    {
        switch (block)
        {
            case Paragraph p:
                md.Append(p.Text).Append("\n\n");
                break;
            case KeyValueTable t:
                Table(md, t.Title, ["quantity", "value"], "|---|---:|", t.Rows.Select(r => new[] { r.Key, r.Value }));
                break;
            case ComparisonTable t:
                Table(
                    md,
                    t.Title,
                    ["quantity", "measured", "reference", "tolerance", "pass"],
                    "|---|---:|---:|---:|:---:|",
                    t.Rows.Select(r =>
                        new[]
                        {
                            r.Name,
                            Invariant.Display(r.Measured),
                            Invariant.Display(r.Reference),
                            Invariant.Display(r.Tolerance),
                            r.Pass ? "pass" : "FAIL",
                        }
                    )
                );
                break;
            case FigureBlock f:
                md.Append("![").Append(OneLine(f.Caption ?? f.Name)).Append("](").Append(Uri.EscapeDataString(f.Name)).Append(".png)\n\n");
                if (!string.IsNullOrEmpty(f.Caption))
                    md.Append('*').Append(OneLine(f.Caption)).Append("*\n\n");
                break;
            case Preformatted p:
                Fenced(md, p.Text);
                break;
            case TokenStrip s:
                if (!string.IsNullOrEmpty(s.ValueLabel))
                    md.Append("Tokens (coloured by ").Append(s.ValueLabel).Append(" in report.html):\n\n");
                Fenced(md, string.Concat(s.Tokens.Select(t => t.Text)));
                break;
            default:
                throw new ArgumentException($"unknown block kind {block.GetType().Name}");
        }
    }

    private static void Table(StringBuilder md, string? title, string[] header, string rule, IEnumerable<string[]> rows)
    {
        if (!string.IsNullOrEmpty(title))
            md.Append("**").Append(OneLine(title)).Append("**\n\n");
        md.Append("| ").AppendJoin(" | ", header).Append(" |\n").Append(rule).Append('\n');
        foreach (var row in rows)
            md.Append("| ").AppendJoin(" | ", row.Select(Cell)).Append(" |\n");
        md.Append('\n');
    }

    private static void Fenced(StringBuilder md, string text)
    {
        // The fence must be longer than any backtick run inside the text.
        var longest = 0;
        for (int i = 0, run = 0; i < text.Length; i++)
            longest = Math.Max(longest, run = text[i] == '`' ? run + 1 : 0);
        var fence = new string('`', Math.Max(3, longest + 1));
        md.Append(fence).Append("text\n").Append(text.TrimEnd('\n')).Append('\n').Append(fence).Append("\n\n");
    }

    private static string Cell(string s) => OneLine(s).Replace("|", "\\|");

    private static string OneLine(string s) => s.ReplaceLineEndings(" ");
}
