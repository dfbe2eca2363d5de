// Post-pass over OxyPlot's SVG: OxyPlot writes one ~135-byte <rect> element per scatter marker; runs of consecutive
// rects with the same size and style become one <path> (~25 bytes per marker). Same pixels, same paint order.
using System.Text;
using System.Text.RegularExpressions;

namespace TrajectoryLab.Reporting.Rendering;

/// <summary>Merges runs of identically styled <c>&lt;rect&gt;</c> lines in an OxyPlot SVG into single <c>&lt;path&gt;</c>
/// elements.</summary>
public static partial class SvgRectMerger
{
    // OxyPlot.SvgWriter writes one element per line: <rect x=".." y=".." width=".." height=".." style=".." [shape-rendering=".."] />
    [GeneratedRegex(
        """^(?<indent>\s*)<rect x="(?<x>[^"]+)" y="(?<y>[^"]+)" width="(?<w>[^"]+)" height="(?<h>[^"]+)" """
            + """(?<rest>style="[^"]*"(?: shape-rendering="[^"]*")?) />$"""
    )]
    private static partial Regex RectLine();

    /// <summary>Returns <paramref name="svg"/> with every run of two or more rects sharing width, height and style merged.</summary>
    public static string Merge(string svg)
    {
        var output = new StringBuilder(svg.Length / 2);
        var run = new List<Match>();
        foreach (var line in svg.Split('\n'))
        {
            var m = RectLine().Match(line.TrimEnd('\r'));
            if (run.Count > 0 && !(m.Success && SameShape(run[0], m)))
                Flush(run, output);
            if (m.Success)
                run.Add(m);
            else
                output.Append(line).Append('\n');
        }
        Flush(run, output);
        return output.ToString(0, output.Length - 1); // Split added one '\n' per line; the input had one fewer
    }

    private static bool SameShape(Match a, Match b) =>
        a.Groups["w"].Value == b.Groups["w"].Value
        && a.Groups["h"].Value == b.Groups["h"].Value
        && a.Groups["rest"].Value == b.Groups["rest"].Value;

    private static void Flush(List<Match> run, StringBuilder output)
    {
        if (run.Count == 0)
            return;
        var first = run[0];
        if (run.Count == 1)
        {
            output.Append(first.Value).Append('\n');
        }
        else
        {
            string w = first.Groups["w"].Value,
                h = first.Groups["h"].Value;
            output.Append(first.Groups["indent"].Value).Append("<path d=\"");
            foreach (var m in run)
                output
                    .Append('M')
                    .Append(m.Groups["x"].Value)
                    .Append(' ')
                    .Append(m.Groups["y"].Value)
                    .Append('h')
                    .Append(w)
                    .Append('v')
                    .Append(h)
                    .Append("h-")
                    .Append(w)
                    .Append('z');
            output.Append("\" ").Append(first.Groups["rest"].Value).Append(" />\n");
        }
        run.Clear();
    }
}
