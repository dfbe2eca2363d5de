// A monospace text table for reports (shown as preformatted text): a header, a rule, and rows whose first column is
// left-aligned and the others right-aligned, each column as wide as its widest cell.
namespace TrajectoryLab.Reporting.Tables;

/// <summary>Renders rows of cells as an aligned text table.</summary>
public static class TextTable
{
    /// <summary>A monospace table: a header row and rows of cells, columns padded to their widest cell.</summary>
    /// <param name="header">Column titles.</param>
    /// <param name="rows">Rows of cells, as many as <paramref name="header"/>.</param>
    public static string Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = new List<IReadOnlyList<string>> { header };
        all.AddRange(rows);
        var width = Enumerable.Range(0, header.Count).Select(c => all.Max(r => r[c].Length)).ToArray();
        return string.Join(
            "\n",
            all.Select(
                (r, i) =>
                    string.Join("  ", r.Select((cell, c) => c == 0 ? cell.PadRight(width[c]) : cell.PadLeft(width[c]))).TrimEnd()
                    + (i == 0 ? "\n" + string.Join("  ", width.Select(w => new string('-', w))) : "")
            )
        );
    }
}
