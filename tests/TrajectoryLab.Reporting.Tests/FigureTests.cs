// Figure JSON round-trip, SVG content, scatter thinning, and input validation.
using System.Diagnostics;
using System.Text.Json;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Rendering;

namespace TrajectoryLab.Reporting.Tests;

public sealed class FigureTests
{
    [Fact]
    public void Figure_json_round_trips_every_series_kind_and_non_finite_values()
    {
        using var dir = new TempFolder();
        var figure = Samples.Convergence();
        var (json, _, _) = FigureRenderer.Render(figure, dir.Path);
        var back = ReportingJson.Load<Figure>(json);
        Assert.Equal(JsonSerializer.Serialize(figure, ReportingJson.Options), JsonSerializer.Serialize(back, ReportingJson.Options));
        Assert.True(double.IsNaN(((LineSeries)back.Series[1]).Y[2]));
        Assert.Equal("y2", back.Series[2].YAxis);
        Assert.Contains("\"kind\": \"heatmap\"", File.ReadAllText(json));
    }

    [Fact]
    public void Svg_contains_series_and_axis_titles()
    {
        var svg = FigureRenderer.ToSvg(Samples.Convergence());
        foreach (var text in new[] { "Henon spectrum", "lambda_1", "seed band", "steps", "lambda (nats/step)", "distance", "Sprott 0.4183", "value" })
            Assert.Contains(">" + text + "<", svg);
        Assert.StartsWith("<?xml", svg);
    }

    [Fact]
    public void Large_scatter_is_thinned_to_the_pixel_grid_and_stays_small()
    {
        // Logistic-map bifurcation diagram: 1000 values of r x 100 iterates after a transient = 100k points.
        var x = new double[100_000];
        var y = new double[100_000];
        for (var k = 0; k < 1000; k++)
        {
            var r = 2.8 + 1.2 * k / 999.0;
            var v = 0.5;
            for (var i = 0; i < 300; i++) v = r * v * (1 - v);
            for (var i = 0; i < 100; i++) { v = r * v * (1 - v); x[k * 100 + i] = r; y[k * 100 + i] = v; }
        }
        var figure = new Figure("bif", "bifurcation", new Axis("r"), new Axis("x"))
        {
            Y2Axis = new Axis("lambda"),
            Series = [new ScatterSeries("x", x, y) { MarkerSize = 0.5 }, new LineSeries("lambda(r)", [2.8, 4], [-1, 0.7]) { YAxis = "y2" }],
        };
        var thinned = (ScatterSeries)ScatterThinning.Apply(figure).Series[0];
        Assert.InRange(thinned.X.Length, 20_000, 100_000 - 1);
        Assert.True(((ScatterSeries)ScatterThinning.Apply(figure with { Series = [thinned] }).Series[0]).X.Length <= thinned.X.Length);
        var sw = Stopwatch.StartNew();
        var svg = FigureRenderer.ToSvg(figure);
        Assert.True(sw.ElapsedMilliseconds < 5000, $"SVG took {sw.ElapsedMilliseconds} ms");
        Assert.True(svg.Length < 2_000_000, $"SVG is {svg.Length} bytes");
        Assert.Contains("<path d=\"M", svg);
    }

    [Fact]
    public void Small_scatter_is_untouched()
    {
        var s = new ScatterSeries("s", [1, 1, 1], [2, 2, 2]);
        Assert.Same(s, ScatterThinning.Thin(s, new Axis("x"), new Axis("y"), 900, 560));
    }

    [Fact]
    public void Histogram_from_values_counts_finite_values_only()
    {
        var h = HistogramSeries.FromValues("h", [0, 0.5, 1, 1, double.NaN, double.PositiveInfinity], 2);
        Assert.Equal([0, 0.5, 1], h.Edges);
        Assert.Equal([1, 3], h.Counts);
    }

    [Fact]
    public void Bad_figures_are_rejected()
    {
        var noY2 = new Figure("f", "t", new Axis("x"), new Axis("y")) { Series = [new LineSeries("l", [1], [1]) { YAxis = "y2" }] };
        Assert.Throws<ArgumentException>(() => FigureRenderer.ToSvg(noY2));
        var ragged = new Figure("f", "t", new Axis("x"), new Axis("y")) { Series = [new LineSeries("l", [1, 2], [1])] };
        Assert.Throws<ArgumentException>(() => FigureRenderer.ToSvg(ragged));
        using var dir = new TempFolder();
        Assert.Throws<ArgumentException>(() => FigureRenderer.Render(ragged with { Series = [], Name = "../evil" }, dir.Path));
    }
}
