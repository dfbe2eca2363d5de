// A plotting-library-agnostic figure: what an experiment wants drawn, saved as <name>.figure.json so
// `trajectorylab report` can re-render it. FigureRenderer turns it into OxyPlot SVG/PNG; nothing here knows OxyPlot.
// A figure is either one plot (axes + series) or a grid of such plots (Panels), e.g. a 2×2 summary for a paper.
namespace TrajectoryLab.Reporting.Figures;

/// <summary>One plot panel (axes, series and reference lines), or a grid of panels when <see cref="Panels"/> is set.</summary>
/// <param name="Name">File stem: the renderer writes <c>{Name}.svg</c>, <c>{Name}.png</c> and <c>{Name}.figure.json</c>.</param>
/// <param name="Title">Title drawn above the plot.</param>
/// <param name="XAxis">The bottom axis.</param>
/// <param name="YAxis">The left axis (series with <see cref="FigureSeries.YAxis"/> = <c>"y"</c>).</param>
public sealed record Figure(string Name, string Title, Axis XAxis, Axis YAxis)
{
    /// <summary>Optional right-hand axis for series with <see cref="FigureSeries.YAxis"/> = <c>"y2"</c> (e.g. λ(r) over a bifurcation
    /// diagram).</summary>
    public Axis? Y2Axis { get; init; }

    /// <summary>Series drawn in order (later ones on top).</summary>
    public IReadOnlyList<FigureSeries> Series { get; init; } = [];

    /// <summary>Optional line under the title.</summary>
    public string? Subtitle { get; init; }

    /// <summary>Where the legend goes. Default: inside, top right.</summary>
    public LegendPosition Legend { get; init; } = LegendPosition.TopRight;

    /// <summary>Image width in pixels (SVG user units). Default 900.</summary>
    public int Width { get; init; } = 900;

    /// <summary>Image height in pixels (SVG user units). Default 560.</summary>
    public int Height { get; init; } = 560;

    /// <summary>When non-empty, the figure is a grid of these plots, filled row by row, each with its own title, axes, series
    /// and legend in an equal cell of the <see cref="Width"/> × <see cref="Height"/> image. <see cref="Title"/> is drawn once
    /// above the grid; the outer figure's axes, <see cref="Subtitle"/> and <see cref="Legend"/> are not drawn, and it must
    /// have no <see cref="Series"/>. A panel's own Name, Width and Height are ignored, and a panel cannot have panels.</summary>
    public IReadOnlyList<Figure> Panels { get; init; } = [];

    /// <summary>Panels per row of the grid (at least 1; a grid with fewer panels has that many columns). Default 2.</summary>
    public int Columns { get; init; } = 2;
}

/// <summary>An axis: title, scale and optional fixed range (null bounds are fitted to the data).</summary>
/// <param name="Title">Axis title, units included (e.g. <c>"λ (nats/step)"</c>).</param>
public sealed record Axis(string Title)
{
    /// <summary>Logarithmic (base 10) scale; non-positive values are not drawn.</summary>
    public bool Log { get; init; }

    /// <summary>Fixed lower bound, or null to fit.</summary>
    public double? Min { get; init; }

    /// <summary>Fixed upper bound, or null to fit.</summary>
    public double? Max { get; init; }
}

/// <summary>Legend placement.</summary>
public enum LegendPosition
{
    /// <summary>Inside the plot area, top right.</summary>
    TopRight,

    /// <summary>Inside the plot area, top left.</summary>
    TopLeft,

    /// <summary>Inside the plot area, bottom right.</summary>
    BottomRight,

    /// <summary>Inside the plot area, bottom left.</summary>
    BottomLeft,

    /// <summary>Outside the plot area, right of it.</summary>
    OutsideRight,

    /// <summary>No legend.</summary>
    None,
}
