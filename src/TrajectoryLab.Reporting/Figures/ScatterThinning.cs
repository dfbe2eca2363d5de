// Pixel-grid deduplication for large scatter plots (a 100k-point bifurcation diagram): two points that would
// land in the same marker-sized cell draw the same pixels, so only the first is kept. SVG size and render time
// then scale with the covered area, not the point count.
namespace TrajectoryLab.Reporting.Figures;

/// <summary>Thins a scatter series to at most one point per grid cell.</summary>
/// <remarks>The grid spans the series' own data range (narrowed to the axis' fixed Min/Max where set; points
/// outside a fixed range are invisible and dropped), in log10 space on log axes, with cells of
/// 2·<see cref="ScatterSeries.MarkerSize"/> pixels on a <c>width × height</c> canvas. The plot area is smaller than
/// the canvas, so a cell is never larger than a marker on screen. The first point of each cell is kept (with its colour value).</remarks>
public static class ScatterThinning
{
    /// <summary>Series with more points than this are thinned. 20 000.</summary>
    public const int Threshold = 20_000;

    /// <summary>The figure with every scatter series thinned against its own axes (others untouched); in a panel figure, every
    /// panel's scatter series against that panel's axes and cell size.</summary>
    /// <exception cref="ArgumentException">A panel figure is malformed (see <see cref="Figure.Panels"/>).</exception>
    public static Figure Apply(Figure figure)
    {
        if (figure.Panels.Count == 0)
            return ThinSeries(figure, figure.Width, figure.Height);
        var cells = PanelGrid.Cells(figure);
        return figure with { Panels = figure.Panels.Select((p, i) => ThinSeries(p, cells[i].Width, cells[i].Height)).ToArray() };
    }

    private static Figure ThinSeries(Figure figure, int width, int height) =>
        figure with
        {
            Series = figure
                .Series.Select(s =>
                    s is ScatterSeries sc
                        ? Thin(sc, figure.XAxis, sc.YAxis == "y2" && figure.Y2Axis is { } y2 ? y2 : figure.YAxis, width, height)
                        : s
                )
                .ToArray(),
        };

    /// <summary>Returns <paramref name="series"/> itself when it has at most <see cref="Threshold"/> points, else the thinned
    /// copy.</summary>
    public static ScatterSeries Thin(ScatterSeries series, Axis xAxis, Axis yAxis, int width, int height)
    {
        if (series.X.Length <= Threshold)
            return series;
        var cell = Math.Max(1.0, 2 * series.MarkerSize);
        var gx = Grid.For(series.X, xAxis, width / cell);
        var gy = Grid.For(series.Y, yAxis, height / cell);
        var seen = new HashSet<long>();
        var keep = new List<int>();
        for (var i = 0; i < series.X.Length; i++)
        {
            var cx = gx.Cell(series.X[i]);
            var cy = gy.Cell(series.Y[i]);
            if (cx < 0 || cy < 0)
                continue;
            if (seen.Add(cx * (gy.Cells + 1) + cy))
                keep.Add(i);
        }
        return series with
        {
            X = keep.Select(i => series.X[i]).ToArray(),
            Y = keep.Select(i => series.Y[i]).ToArray(),
            Values = series.Values is null ? null : keep.Select(i => series.Values[i]).ToArray(),
        };
    }

    /// <summary>One axis of the grid: maps a value to a cell index, or −1 when it is not drawn.</summary>
    private readonly record struct Grid(bool Log, double Lo, double Hi, long Cells)
    {
        public static Grid For(double[] values, Axis axis, double cells)
        {
            var t = values.Select(v => Transform(axis.Log, v)).Where(double.IsFinite).ToArray();
            var lo =
                axis.Min is { } min ? Transform(axis.Log, min)
                : t.Length > 0 ? t.Min()
                : 0;
            var hi =
                axis.Max is { } max ? Transform(axis.Log, max)
                : t.Length > 0 ? t.Max()
                : 1;
            return new Grid(axis.Log, lo, hi, Math.Max(1, (long)Math.Ceiling(cells)));
        }

        public long Cell(double v)
        {
            var t = Transform(Log, v);
            if (!double.IsFinite(t) || t < Lo || t > Hi)
                return -1;
            return Hi > Lo ? (long)((t - Lo) / (Hi - Lo) * Cells) : 0;
        }

        private static double Transform(bool log, double v) => log ? (v > 0 ? Math.Log10(v) : double.NaN) : v;
    }
}
