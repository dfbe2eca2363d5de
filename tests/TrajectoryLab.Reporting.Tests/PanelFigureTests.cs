// Multi-panel figures: a 2×2 grid draws every quadrant in the PNG, nests one svg per panel in the SVG, round-trips through
// JSON, re-renders from saved JSON, thins each panel's scatter, and refuses panels mixed with series.
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using SkiaSharp;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Rendering;

namespace TrajectoryLab.Reporting.Tests;

public sealed class PanelFigureTests
{
    private static Figure Grid() =>
        new("summary", "Experiment summary", new Axis(""), new Axis(""))
        {
            Width = 800,
            Height = 600,
            Panels =
            [
                Samples.Convergence(),
                new Figure("a", "lines", new Axis("x"), new Axis("y")) { Series = [new LineSeries("y = x", [0, 1, 2], [0, 1, 2])] },
                new Figure("b", "histogram", new Axis("v"), new Axis("count"))
                {
                    Series = [HistogramSeries.FromValues("v", [0, 1, 1, 2, 2, 2, 3], 4)],
                    Legend = LegendPosition.None,
                },
                new Figure("c", "scatter", new Axis("x") { Log = true }, new Axis("y"))
                {
                    Series = [new ScatterSeries("pts", [1, 10, 100], [3, 1, 2]) { MarkerSize = 3 }],
                },
            ],
        };

    [Fact]
    public void Png_has_the_requested_size_and_ink_in_every_quadrant()
    {
        using var bitmap = SKBitmap.Decode(FigureRenderer.ToPng(Grid()));
        Assert.Equal((800, 600), (bitmap.Width, bitmap.Height));
        Assert.Equal(SKColors.White, bitmap.GetPixel(1, 1));
        Assert.True(DarkPixels(bitmap, 200, 0, 600, 36) > 100, "no outer title ink");
        foreach (var (x0, y0) in new[] { (0, 36), (400, 36), (0, 318), (400, 318) })
            Assert.True(DarkPixels(bitmap, x0, y0, x0 + 400, y0 + 282) > 500, $"quadrant at ({x0}, {y0}) is blank");
    }

    [Fact]
    public void Svg_parses_and_nests_one_svg_per_panel_with_distinct_ids()
    {
        var svg = FigureRenderer.ToSvg(Grid());
        Assert.StartsWith("<?xml", svg);
        var doc = XDocument.Parse(svg);
        XNamespace ns = "http://www.w3.org/2000/svg";
        var root = doc.Root!;
        Assert.Equal(ns + "svg", root.Name);
        Assert.Equal(("800", "600"), ((string?)root.Attribute("width"), (string?)root.Attribute("height")));
        var nested = root.Elements(ns + "svg").ToArray();
        Assert.Equal(4, nested.Length);
        Assert.Equal(["0", "400", "0", "400"], nested.Select(e => (string?)e.Attribute("x")));
        Assert.Equal(["36", "36", "318", "318"], nested.Select(e => (string?)e.Attribute("y")));
        Assert.All(nested, e => Assert.Equal(("400", "282"), ((string?)e.Attribute("width"), (string?)e.Attribute("height"))));
        Assert.Equal("Experiment summary", root.Element(ns + "text")?.Value);
        foreach (var text in new[] { "Henon spectrum", "lines", "histogram", "scatter", "lambda_1", "count" })
            Assert.Contains(">" + text + "<", svg);

        // Every panel has its own clip paths; ids must stay unique and every url(#id) must resolve.
        var ids = doc.Descendants().Attributes("id").Select(a => a.Value).ToArray();
        Assert.NotEmpty(ids);
        Assert.Equal(ids.Length, ids.Distinct().Count());
        var refs = doc.Descendants().Attributes("clip-path").Select(a => a.Value["url(#".Length..^1]).ToArray();
        Assert.NotEmpty(refs);
        Assert.All(refs, r => Assert.Contains(r, ids));
    }

    [Fact]
    public void Json_round_trips_and_the_run_renderer_rerenders_the_grid()
    {
        using var dir = new TempFolder();
        var figure = Grid() with { Columns = 2 };
        var (json, svg, png) = FigureRenderer.Render(figure, dir.Path);
        var back = ReportingJson.Load<Figure>(json);
        Assert.Equal(JsonSerializer.Serialize(figure, ReportingJson.Options), JsonSerializer.Serialize(back, ReportingJson.Options));
        Assert.Equal(4, back.Panels.Count);
        Assert.Equal("histogram", back.Panels[2].Title);
        Assert.True(double.IsNaN(((LineSeries)back.Panels[0].Series[1]).Y[2]));

        var svgText = File.ReadAllText(svg);
        File.Delete(svg);
        File.Delete(png);
        Assert.Equal(["summary"], RunRenderer.Rerender(dir.Path).Figures);
        Assert.Equal(svgText, File.ReadAllText(svg));
        using var bitmap = SKBitmap.Decode(png);
        Assert.Equal((800, 600), (bitmap.Width, bitmap.Height));
    }

    [Fact]
    public void Panel_scatter_is_thinned_against_its_cell()
    {
        var rng = new Random(1);
        var x = Enumerable.Range(0, 50_000).Select(_ => rng.NextDouble()).ToArray();
        var y = Enumerable.Range(0, 50_000).Select(_ => rng.NextDouble()).ToArray();
        var panel = new Figure("p", "cloud", new Axis("x"), new Axis("y")) { Series = [new ScatterSeries("s", x, y)] };
        var grid = new Figure("g", "", new Axis(""), new Axis(""))
        {
            Width = 400,
            Height = 200,
            Panels = [panel, panel],
        };
        var thinned = ScatterThinning.Apply(grid);
        // 2 px cells on a 200 × 200 panel: at most 101 × 101 occupied cells.
        Assert.All(thinned.Panels, p => Assert.InRange(((ScatterSeries)p.Series[0]).X.Length, 1, 101 * 101));
        var alone = ((ScatterSeries)ScatterThinning.Apply(panel).Series[0]).X.Length; // its own 900 × 560
        Assert.True(((ScatterSeries)thinned.Panels[0].Series[0]).X.Length < alone);
    }

    [Fact]
    public void Bad_panel_figures_are_rejected()
    {
        var withSeries = Grid() with { Series = [new LineSeries("l", [1], [1])] };
        var e = Assert.Throws<ArgumentException>(() => FigureRenderer.ToPng(withSeries));
        Assert.Contains("both Panels and Series", e.Message);
        Assert.Throws<ArgumentException>(() => FigureRenderer.ToSvg(withSeries));
        using var dir = new TempFolder();
        Assert.Throws<ArgumentException>(() => FigureRenderer.Render(withSeries, dir.Path));
        Assert.Empty(Directory.EnumerateFiles(dir.Path));

        Assert.Throws<ArgumentException>(() => FigureRenderer.ToSvg(Grid() with { Columns = 0 }));
        Assert.Throws<ArgumentException>(() => FigureRenderer.ToSvg(Grid() with { Panels = [Grid()] }));
        Assert.Throws<ArgumentException>(() => PlotModelBuilder.Build(Grid()));
    }

    private static int DarkPixels(SKBitmap b, int x0, int y0, int x1, int y1)
    {
        var n = 0;
        for (var y = y0; y < y1; y++)
        for (var x = x0; x < x1; x++)
            if (b.GetPixel(x, y).Red < 128)
                n++;
        return n;
    }
}
