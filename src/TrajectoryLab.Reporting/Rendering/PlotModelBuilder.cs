// Figure (library-agnostic) -> OxyPlot PlotModel. The one file that maps our series kinds onto OxyPlot types;
// styling choices (white background, light grid, Viridis colour axis, 13 px DejaVu Sans) live here.
using OxyPlot;
using OxyPlot.Annotations;
using OxyPlot.Axes;
using OxyPlot.Legends;
using TrajectoryLab.Reporting.Figures;
using Oxy = OxyPlot.Series;
using OxyAxis = OxyPlot.Axes.Axis;

namespace TrajectoryLab.Reporting.Rendering;

/// <summary>Builds an OxyPlot <see cref="PlotModel"/> from a <see cref="Figure"/>.</summary>
public static class PlotModelBuilder
{
    private const string ColorAxisKey = "color";
    private const int HeatmapRectangleLimit = 10_000; // above this many cells a bitmap keeps the SVG small

    /// <summary>Maps <paramref name="figure"/> to a plot model, drawing exactly the points given (thin first with <see
    /// cref="ScatterThinning.Apply"/>).</summary>
    /// <exception cref="ArgumentException">A series is inconsistent (array lengths) or uses <c>"y2"</c> without <see
    /// cref="Figure.Y2Axis"/>, or the figure has <see cref="Figure.Panels"/> (one model per panel; FigureRenderer composes them).
    /// </exception>
    public static PlotModel Build(Figure figure)
    {
        if (figure.Panels.Count > 0)
            throw new ArgumentException($"figure '{figure.Name}' is a panel figure: build a model per panel, not one for the grid");
        var model = new PlotModel
        {
            Title = figure.Title,
            Subtitle = figure.Subtitle,
            Background = OxyColors.White,
            DefaultFont = EmbeddedFont.SvgFamily,
            DefaultFontSize = 13,
            TitleFontSize = 16,
            SubtitleFontSize = 13,
            PlotAreaBorderColor = OxyColor.FromRgb(0x80, 0x80, 0x80),
        };
        model.Axes.Add(MakeAxis(figure.XAxis, AxisPosition.Bottom, "x"));
        model.Axes.Add(MakeAxis(figure.YAxis, AxisPosition.Left, "y"));
        if (figure.Y2Axis is { } y2)
            model.Axes.Add(MakeAxis(y2, AxisPosition.Right, "y2"));

        foreach (var s in figure.Series)
        {
            CheckYAxis(figure, s);
            switch (s)
            {
                case ReferenceLine r:
                    model.Annotations.Add(MakeReference(r));
                    break;
                case HeatmapSeries h:
                    model.Series.Add(MakeHeatmap(h));
                    break;
                case ScatterSeries sc:
                    model.Series.Add(MakeScatter(sc));
                    break;
                case LineSeries l:
                    model.Series.Add(MakeLine(l));
                    break;
                case BandSeries b:
                    model.Series.Add(MakeBand(b));
                    break;
                case HistogramSeries h:
                    model.Series.Add(MakeHistogram(h));
                    break;
                default:
                    throw new ArgumentException($"unknown series kind {s.GetType().Name}");
            }
        }

        var colorTitle = figure
            .Series.Select(s =>
                s switch
                {
                    HeatmapSeries h => (Used: true, h.ColorAxisTitle),
                    ScatterSeries { Values: not null } sc => (Used: true, sc.ColorAxisTitle),
                    _ => (Used: false, null),
                }
            )
            .FirstOrDefault(c => c.Used);
        if (colorTitle.Used)
        {
            model.Axes.Add(
                new LinearColorAxis
                {
                    Key = ColorAxisKey,
                    Position = AxisPosition.Right,
                    PositionTier = figure.Y2Axis is null ? 0 : 1,
                    Palette = OxyPalettes.Viridis(256),
                    Title = colorTitle.ColorAxisTitle,
                }
            );
        }

        if (
            figure.Legend != Figures.LegendPosition.None
            && figure.Series.Any(s => s is not ReferenceLine && !string.IsNullOrEmpty(s.Title))
        )
            model.Legends.Add(MakeLegend(figure.Legend));
        return model;
    }

    private static void CheckYAxis(Figure figure, FigureSeries s)
    {
        if (s.YAxis == "y2" && figure.Y2Axis is null)
            throw new ArgumentException($"series '{s.Title}' uses y2 but figure '{figure.Name}' has no Y2Axis");
        if (s.YAxis is not ("y" or "y2"))
            throw new ArgumentException($"series '{s.Title}': YAxis must be \"y\" or \"y2\", not \"{s.YAxis}\"");
    }

    private static OxyAxis MakeAxis(Figures.Axis a, AxisPosition position, string key)
    {
        OxyAxis axis = a.Log ? new LogarithmicAxis() : new LinearAxis();
        axis.Key = key;
        axis.Position = position;
        axis.Title = a.Title;
        axis.Minimum = a.Min ?? double.NaN;
        axis.Maximum = a.Max ?? double.NaN;
        axis.MajorGridlineStyle = key == "y2" ? LineStyle.None : LineStyle.Solid; // one grid is enough
        axis.MajorGridlineColor = OxyColor.FromRgb(0xE4, 0xE4, 0xE4);
        axis.MinorGridlineStyle = LineStyle.None;
        axis.AxislineColor = OxyColor.FromRgb(0x80, 0x80, 0x80);
        return axis;
    }

    private static Legend MakeLegend(Figures.LegendPosition p) =>
        new()
        {
            LegendPlacement = p == Figures.LegendPosition.OutsideRight ? LegendPlacement.Outside : LegendPlacement.Inside,
            LegendPosition = p switch
            {
                Figures.LegendPosition.TopLeft => OxyPlot.Legends.LegendPosition.TopLeft,
                Figures.LegendPosition.BottomRight => OxyPlot.Legends.LegendPosition.BottomRight,
                Figures.LegendPosition.BottomLeft => OxyPlot.Legends.LegendPosition.BottomLeft,
                Figures.LegendPosition.OutsideRight => OxyPlot.Legends.LegendPosition.RightTop,
                _ => OxyPlot.Legends.LegendPosition.TopRight,
            },
            LegendBackground = OxyColor.FromAColor(220, OxyColors.White),
            LegendBorder = OxyColor.FromRgb(0xC0, 0xC0, 0xC0),
        };

    private static OxyColor ColorOr(string? color, OxyColor fallback) => color is null ? fallback : OxyColor.Parse(color);

    private static void RequireSameLength(string title, params double[][] arrays)
    {
        if (arrays.Any(a => a.Length != arrays[0].Length))
            throw new ArgumentException($"series '{title}': arrays differ in length ({string.Join(", ", arrays.Select(a => a.Length))})");
    }

    private static Oxy.LineSeries MakeLine(LineSeries l)
    {
        RequireSameLength(l.Title, l.X, l.Y);
        var s = new Oxy.LineSeries
        {
            Title = NullIfEmpty(l.Title),
            YAxisKey = l.YAxis,
            Color = ColorOr(l.Color, OxyColors.Automatic),
            StrokeThickness = 1.8,
            LineStyle = l.Dashed ? LineStyle.Dash : LineStyle.Solid,
            MarkerType = l.Markers ? MarkerType.Circle : MarkerType.None,
            MarkerSize = 3,
        };
        for (var i = 0; i < l.X.Length; i++)
            s.Points.Add(new DataPoint(l.X[i], l.Y[i]));
        return s;
    }

    private static Oxy.ScatterSeries MakeScatter(ScatterSeries sc)
    {
        RequireSameLength(sc.Title, sc.Values is null ? [sc.X, sc.Y] : [sc.X, sc.Y, sc.Values]);
        var s = new Oxy.ScatterSeries
        {
            Title = NullIfEmpty(sc.Title),
            YAxisKey = sc.YAxis,
            MarkerType = MarkerType.Square,
            MarkerSize = sc.MarkerSize,
            MarkerStrokeThickness = 0,
            MarkerFill = ColorOr(sc.Color, OxyColors.Automatic),
            ColorAxisKey = sc.Values is null ? null : ColorAxisKey,
        };
        for (var i = 0; i < sc.X.Length; i++)
            s.Points.Add(new Oxy.ScatterPoint(sc.X[i], sc.Y[i], double.NaN, sc.Values?[i] ?? double.NaN));
        return s;
    }

    private static Oxy.AreaSeries MakeBand(BandSeries b)
    {
        RequireSameLength(b.Title, b.X, b.Lower, b.Upper);
        var color = ColorOr(b.Color, OxyColors.Automatic);
        var s = new Oxy.AreaSeries
        {
            Title = NullIfEmpty(b.Title),
            YAxisKey = b.YAxis,
            Color = color.IsAutomatic() ? color : OxyColor.FromAColor(90, color),
            Fill = color.IsAutomatic() ? color : OxyColor.FromAColor(60, color),
            StrokeThickness = 0.5,
        };
        for (var i = 0; i < b.X.Length; i++)
        {
            s.Points.Add(new DataPoint(b.X[i], b.Upper[i]));
            s.Points2.Add(new DataPoint(b.X[i], b.Lower[i]));
        }
        return s;
    }

    private static Oxy.HistogramSeries MakeHistogram(HistogramSeries h)
    {
        if (h.Edges.Length != h.Counts.Length + 1)
            throw new ArgumentException($"series '{h.Title}': {h.Edges.Length} edges for {h.Counts.Length} counts (need counts + 1)");
        var s = new Oxy.HistogramSeries
        {
            Title = NullIfEmpty(h.Title),
            YAxisKey = h.YAxis,
            FillColor = ColorOr(h.Color, OxyColors.Automatic),
            StrokeColor = OxyColors.White,
            StrokeThickness = 0.5,
        };
        for (var i = 0; i < h.Counts.Length; i++)
        {
            var width = h.Edges[i + 1] - h.Edges[i];
            s.Items.Add(new Oxy.HistogramItem(h.Edges[i], h.Edges[i + 1], h.Counts[i] * width, (int)Math.Round(h.Counts[i])));
        }
        return s;
    }

    private static Oxy.HeatMapSeries MakeHeatmap(HeatmapSeries h)
    {
        var ny = h.Values.Length;
        var nx = ny == 0 ? 0 : h.Values[0].Length;
        if (h.Values.Any(row => row.Length != nx))
            throw new ArgumentException($"series '{h.Title}': heatmap rows differ in length");
        var data = new double[nx, ny]; // OxyPlot indexes [x, y]
        for (var iy = 0; iy < ny; iy++)
        for (var ix = 0; ix < nx; ix++)
            data[ix, iy] = h.Values[iy][ix];
        return new Oxy.HeatMapSeries
        {
            Title = NullIfEmpty(h.Title),
            YAxisKey = h.YAxis,
            ColorAxisKey = ColorAxisKey,
            X0 = h.X0,
            X1 = h.X1,
            Y0 = h.Y0,
            Y1 = h.Y1,
            Data = data,
            Interpolate = false,
            RenderMethod = nx * ny <= HeatmapRectangleLimit ? Oxy.HeatMapRenderMethod.Rectangles : Oxy.HeatMapRenderMethod.Bitmap,
        };
    }

    private static LineAnnotation MakeReference(ReferenceLine r)
    {
        var color = ColorOr(r.Color, OxyColor.FromRgb(0x44, 0x44, 0x44));
        return new LineAnnotation
        {
            Type = r.Orientation == ReferenceOrientation.Horizontal ? LineAnnotationType.Horizontal : LineAnnotationType.Vertical,
            X = r.Value,
            Y = r.Value,
            YAxisKey = r.YAxis,
            Text = r.Title,
            Color = color,
            TextColor = color,
            LineStyle = LineStyle.Dash,
            StrokeThickness = 1.2,
            TextLinePosition = 0, // label at the left/bottom end, away from the default top-right legend
            TextHorizontalAlignment = HorizontalAlignment.Left,
        };
    }

    private static string? NullIfEmpty(string s) => string.IsNullOrEmpty(s) ? null : s;
}
