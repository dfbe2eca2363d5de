// Panel figures (Figure.Panels) as one image: each panel is its own OxyPlot model drawn into its PanelGrid cell,
// under the outer title. PNG: one Skia canvas, translated and clipped per cell. SVG: each panel's OxyPlot document
// nested as <svg x y width height>, its ids prefixed so that the clip paths of different panels do not collide.
using System.Text;
using System.Xml;
using System.Xml.Linq;
using OxyPlot;
using SkiaSharp;
using TrajectoryLab.Reporting.Figures;

namespace TrajectoryLab.Reporting.Rendering;

/// <summary>Composes the panels of a (validated, thinned) panel figure into one SVG document or PNG image.</summary>
internal static class PanelComposer
{
    private const double TitleFontWeight = 700;

    private static readonly XNamespace SvgNs = "http://www.w3.org/2000/svg";
    private static readonly XNamespace XLinkNs = "http://www.w3.org/1999/xlink";

    /// <summary>The SVG document of <paramref name="figure"/>: title text, then one nested svg element per panel.</summary>
    public static string Svg(Figure figure)
    {
        var cells = PanelGrid.Cells(figure);
        var root = new XElement(
            SvgNs + "svg",
            new XAttribute("width", figure.Width),
            new XAttribute("height", figure.Height),
            new XAttribute("version", "1.1"),
            new XAttribute(XNamespace.Xmlns + "xlink", XLinkNs.NamespaceName),
            new XElement(
                SvgNs + "rect",
                new XAttribute("x", 0),
                new XAttribute("y", 0),
                new XAttribute("width", figure.Width),
                new XAttribute("height", figure.Height),
                new XAttribute("style", "fill:rgb(255,255,255);stroke:none;")
            )
        );
        if (PanelGrid.TitleBand(figure) > 0)
            root.Add(
                new XElement(
                    SvgNs + "text",
                    new XAttribute("x", figure.Width / 2.0),
                    new XAttribute("y", TitleBaseline()),
                    new XAttribute("text-anchor", "middle"),
                    new XAttribute("font-family", EmbeddedFont.SvgFamily),
                    new XAttribute("font-size", PanelGrid.TitleFontSize),
                    new XAttribute("font-weight", "bold"),
                    new XAttribute("fill", "rgb(0,0,0)"),
                    figure.Title
                )
            );
        for (var i = 0; i < cells.Length; i++)
        {
            var cell = cells[i];
            var panelSvg = FigureRenderer.Svg(PlotModelBuilder.Build(figure.Panels[i]), cell.Width, cell.Height);
            root.Add(Nest(panelSvg, cell, $"panel{i + 1}-"));
        }

        using var stream = new MemoryStream();
        using (var writer = XmlWriter.Create(stream, new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) }))
            new XDocument(new XDeclaration("1.0", "utf-8", "no"), root).Save(writer);
        return new UTF8Encoding(false).GetString(stream.ToArray());
    }

    /// <summary>Writes the PNG of <paramref name="figure"/> (<see cref="Figure.Width"/> × <see cref="Figure.Height"/>, white).</summary>
    public static void WritePng(Figure figure, Stream stream)
    {
        var cells = PanelGrid.Cells(figure);
        FigureRenderer.DrawPng(figure.Width, figure.Height, stream, (canvas, context) =>
        {
            var band = PanelGrid.TitleBand(figure);
            if (band > 0)
                ((IRenderContext)context).DrawText(
                    new ScreenPoint(figure.Width / 2.0, band / 2.0),
                    figure.Title,
                    OxyColors.Black,
                    EmbeddedFont.SvgFamily,
                    PanelGrid.TitleFontSize,
                    TitleFontWeight,
                    0,
                    HorizontalAlignment.Center,
                    VerticalAlignment.Middle
                );
            for (var i = 0; i < cells.Length; i++)
            {
                var cell = cells[i];
                IPlotModel model = PlotModelBuilder.Build(figure.Panels[i]);
                model.Update(true);
                // Draw at the origin of a translated, clipped canvas: the panel cannot spill into its neighbours.
                canvas.Save();
                canvas.Translate(cell.X, cell.Y);
                canvas.ClipRect(new SKRect(0, 0, cell.Width, cell.Height));
                model.Render(context, new OxyRect(0, 0, cell.Width, cell.Height));
                canvas.Restore();
            }
        });
    }

    /// <summary>The baseline that vertically centres the title in its band, as EmbeddedFontRenderContext does in the PNG.</summary>
    private static double TitleBaseline()
    {
        using var font = new SKFont(EmbeddedFont.Typeface, (float)PanelGrid.TitleFontSize);
        var m = font.Metrics;
        return Math.Round(PanelGrid.TitleBandHeight / 2.0 - (m.Ascent + m.Descent) / 2.0, 2);
    }

    /// <summary>The root svg element of one panel's document, placed at <paramref name="cell"/>, with every id (and every
    /// reference to one) prefixed by <paramref name="prefix"/>.</summary>
    private static XElement Nest(string svg, PanelGrid.Cell cell, string prefix)
    {
        // The exporter's DOCTYPE names the SVG 1.1 DTD; it is skipped, never fetched. Dropping the layout whitespace lets the
        // outer writer indent the nested document at its depth.
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore, IgnoreWhitespace = true };
        using var reader = XmlReader.Create(new StringReader(svg), settings);
        var root = XDocument.Load(reader).Root ?? throw new InvalidOperationException("OxyPlot wrote an SVG without a root element");
        foreach (var a in root.DescendantsAndSelf().Attributes().ToArray())
        {
            if (a.IsNamespaceDeclaration)
                a.Remove(); // declared once on the outer svg
            else if (a.Name == "id")
                a.Value = prefix + a.Value;
            else if (a.Value.Contains("url(#", StringComparison.Ordinal))
                a.Value = a.Value.Replace("url(#", "url(#" + prefix, StringComparison.Ordinal);
            else if (a.Name.LocalName == "href" && a.Value.StartsWith('#'))
                a.Value = "#" + prefix + a.Value[1..];
        }
        root.SetAttributeValue("version", null);
        root.SetAttributeValue("x", cell.X);
        root.SetAttributeValue("y", cell.Y);
        root.SetAttributeValue("width", cell.Width);
        root.SetAttributeValue("height", cell.Height);
        return root;
    }
}
