// The kinds of series a Figure can hold. Saved polymorphically (JSON property "kind"); values may be NaN/±∞
// (a line breaks at NaN). Arrays are data, not copies: callers should not mutate them after building a Figure.
using System.Text.Json.Serialization;

namespace TrajectoryLab.Reporting.Figures;

/// <summary>Base of every series kind.</summary>
/// <param name="Title">Legend entry; an empty title keeps the series out of the legend.</param>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(LineSeries), "line")]
[JsonDerivedType(typeof(ScatterSeries), "scatter")]
[JsonDerivedType(typeof(BandSeries), "band")]
[JsonDerivedType(typeof(HistogramSeries), "histogram")]
[JsonDerivedType(typeof(HeatmapSeries), "heatmap")]
[JsonDerivedType(typeof(ReferenceLine), "reference")]
public abstract record FigureSeries(string Title)
{
    /// <summary>Y axis the series is drawn against: <c>"y"</c> (left, default) or <c>"y2"</c> (right; needs <see
    /// cref="Figure.Y2Axis"/>).</summary>
    public string YAxis { get; init; } = "y";

    /// <summary>Optional colour as <c>#rrggbb</c> or <c>#aarrggbb</c>; null takes the next palette colour.</summary>
    public string? Color { get; init; }
}

/// <summary>A polyline through (X[i], Y[i]), e.g. a convergence curve.</summary>
public sealed record LineSeries(string Title, double[] X, double[] Y) : FigureSeries(Title)
{
    /// <summary>Dashed stroke.</summary>
    public bool Dashed { get; init; }

    /// <summary>Small circle markers at the data points.</summary>
    public bool Markers { get; init; }
}

/// <summary>Unconnected points, e.g. a bifurcation diagram.</summary>
/// <remarks>Above <see cref="ScatterThinning.Threshold"/> points the renderer keeps one point per marker-sized
/// pixel cell (see <see cref="ScatterThinning"/>): the picture is unchanged and the SVG stays small.</remarks>
public sealed record ScatterSeries(string Title, double[] X, double[] Y) : FigureSeries(Title)
{
    /// <summary>Optional per-point value mapped through the figure's colour axis (same length as X).</summary>
    public double[]? Values { get; init; }

    /// <summary>Title of the colour axis when <see cref="Values"/> is set (a figure has one colour axis, titled by its first colour-mapped
    /// series).</summary>
    public string? ColorAxisTitle { get; init; }

    /// <summary>Square marker half-size in pixels. Default 1 (a 2×2 px dot).</summary>
    public double MarkerSize { get; init; } = 1;
}

/// <summary>A filled band between Lower[i] and Upper[i] at X[i], e.g. a confidence interval or the spread over seeds.</summary>
public sealed record BandSeries(string Title, double[] X, double[] Lower, double[] Upper) : FigureSeries(Title);

/// <summary>Bars over bins [Edges[i], Edges[i+1]) with height Counts[i] (Counts.Length = Edges.Length − 1).</summary>
public sealed record HistogramSeries(string Title, double[] Edges, double[] Counts) : FigureSeries(Title)
{
    /// <summary>Bins raw values into <paramref name="bins"/> equal-width bins over their finite range; NaN/±∞ are left out.</summary>
    public static HistogramSeries FromValues(string title, IEnumerable<double> values, int bins)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        var finite = values.Where(double.IsFinite).ToArray();
        var lo = finite.Length == 0 ? 0 : finite.Min();
        var hi = finite.Length == 0 ? 1 : finite.Max();
        if (hi <= lo)
            hi = lo + 1; // all values equal: one unit-wide range keeps the bins non-empty
        var edges = Enumerable.Range(0, bins + 1).Select(i => lo + (hi - lo) * i / bins).ToArray();
        var counts = new double[bins];
        foreach (var v in finite)
            counts[Math.Min(bins - 1, (int)((v - lo) / (hi - lo) * bins))]++;
        return new HistogramSeries(title, edges, counts);
    }
}

/// <summary>A colour map of Values[iy][ix] over the rectangle [X0, X1] × [Y0, Y1], cell centres evenly spaced,
/// e.g. effective rank by layer × position.</summary>
public sealed record HeatmapSeries(string Title, double X0, double X1, double Y0, double Y1, double[][] Values) : FigureSeries(Title)
{
    /// <summary>Title of the colour axis (a figure has one colour axis, titled by its first colour-mapped series).</summary>
    public string? ColorAxisTitle { get; init; }
}

/// <summary>A labelled horizontal (y = Value) or vertical (x = Value) reference line, e.g. a literature value.</summary>
public sealed record ReferenceLine(string Title, ReferenceOrientation Orientation, double Value) : FigureSeries(Title);

/// <summary>Direction of a <see cref="ReferenceLine"/>.</summary>
public enum ReferenceOrientation
{
    /// <summary>y = Value across the plot.</summary>
    Horizontal,

    /// <summary>x = Value across the plot.</summary>
    Vertical,
}
