// Report -> one self-contained report.html: figures are embedded as SVG data URIs (each keeps its own ids),
// token strips become coloured spans. Every piece of text is HTML-escaped.
using System.Globalization;
using System.Text;

namespace TrajectoryLab.Reporting.Reports;

/// <summary>Renders a <see cref="Report"/> as a self-contained HTML page.</summary>
public static class HtmlReport
{
    /// <summary>The HTML page; figures are read from <c>{figureFolder}/{name}.svg</c> (a missing file is reported in the page).</summary>
    public static string Render(Report report, string figureFolder)
    {
        var h = new StringBuilder();
        h.Append("<h1>").Append(Html.Encode(report.Title)).Append("</h1>\n");
        if (!string.IsNullOrEmpty(report.Lead))
            h.Append("<p class=\"lead\">").Append(Html.Encode(report.Lead)).Append("</p>\n");
        foreach (var section in report.Sections)
        {
            h.Append("<h2>").Append(Html.Encode(section.Heading)).Append("</h2>\n");
            foreach (var block in section.Blocks)
                Block(h, block, figureFolder);
        }
        return Html.Page(report.Title, h.ToString());
    }

    private static void Block(StringBuilder h, ReportBlock block, string figureFolder)
    {
        switch (block)
        {
            case Paragraph p:
                h.Append("<p>").Append(Html.Encode(p.Text)).Append("</p>\n");
                break;
            case KeyValueTable t:
                TableStart(h, t.Title, "quantity", "value");
                foreach (var r in t.Rows)
                    h.Append("<tr><td>")
                        .Append(Html.Encode(r.Key))
                        .Append("</td><td class=\"num\">")
                        .Append(Html.Encode(r.Value))
                        .Append("</td></tr>\n");
                h.Append("</table>\n");
                break;
            case ComparisonTable t:
                TableStart(h, t.Title, "quantity", "measured", "reference", "tolerance", "pass");
                foreach (var r in t.Rows)
                {
                    h.Append("<tr><td>").Append(Html.Encode(r.Name)).Append("</td>");
                    foreach (var v in new[] { r.Measured, r.Reference, r.Tolerance })
                        h.Append("<td class=\"num\">").Append(Html.Encode(Invariant.Display(v))).Append("</td>");
                    h.Append(r.Pass ? "<td class=\"pass\">pass</td>" : "<td class=\"fail\">FAIL</td>").Append("</tr>\n");
                }
                h.Append("</table>\n");
                break;
            case FigureBlock f:
                Figure(h, f, figureFolder);
                break;
            case Preformatted p:
                h.Append("<pre>").Append(Html.Encode(p.Text)).Append("</pre>\n");
                break;
            case TokenStrip s:
                Tokens(h, s);
                break;
            default:
                throw new ArgumentException($"unknown block kind {block.GetType().Name}");
        }
    }

    private static void TableStart(StringBuilder h, string? title, params string[] header)
    {
        h.Append("<table>\n");
        if (!string.IsNullOrEmpty(title))
            h.Append("<caption>").Append(Html.Encode(title)).Append("</caption>\n");
        h.Append("<tr>").AppendJoin("", header.Select(c => $"<th>{Html.Encode(c)}</th>")).Append("</tr>\n");
    }

    private static void Figure(StringBuilder h, FigureBlock f, string folder)
    {
        var svg = Path.Combine(folder, f.Name + ".svg");
        h.Append("<figure>");
        if (File.Exists(svg))
            h.Append("<img alt=\"")
                .Append(Html.Encode(f.Caption ?? f.Name))
                .Append("\" src=\"data:image/svg+xml;base64,")
                .Append(Convert.ToBase64String(File.ReadAllBytes(svg)))
                .Append("\">");
        else
            h.Append("<p class=\"missing\">figure ")
                .Append(Html.Encode(f.Name))
                .Append(" was not rendered (no ")
                .Append(Html.Encode(f.Name))
                .Append(".svg)</p>");
        if (!string.IsNullOrEmpty(f.Caption))
            h.Append("<figcaption>").Append(Html.Encode(f.Caption)).Append("</figcaption>");
        h.Append("</figure>\n");
    }

    /// <summary>Background alpha grows linearly from the strip's smallest finite value (clear) to its largest (0.85 orange).</summary>
    private static void Tokens(StringBuilder h, TokenStrip s)
    {
        var finite = s.Tokens.Select(t => t.Value).Where(double.IsFinite).ToArray();
        var lo = finite.Length > 0 ? finite.Min() : 0;
        var hi = finite.Length > 0 ? finite.Max() : 1;
        h.Append("<div class=\"tokens\">");
        foreach (var t in s.Tokens)
        {
            var title = Html.Encode(Invariant.Display(t.Value, 4));
            if (double.IsFinite(t.Value))
            {
                var alpha = hi > lo ? 0.85 * (t.Value - lo) / (hi - lo) : 0;
                h.Append("<span title=\"")
                    .Append(title)
                    .Append("\" style=\"background:rgba(230,85,13,")
                    .Append(alpha.ToString("0.###", CultureInfo.InvariantCulture))
                    .Append(")\">");
            }
            else
            {
                h.Append("<span title=\"").Append(title).Append("\">");
            }
            h.Append(Html.Encode(t.Text)).Append("</span>");
        }
        h.Append("</div>\n");
        if (!string.IsNullOrEmpty(s.ValueLabel))
            h.Append("<p class=\"scale\">colour: ")
                .Append(Html.Encode(s.ValueLabel))
                .Append(", from ")
                .Append(Html.Encode(Invariant.Display(lo, 4)))
                .Append(" (clear) to ")
                .Append(Html.Encode(Invariant.Display(hi, 4)))
                .Append(" (orange)</p>\n");
    }
}
