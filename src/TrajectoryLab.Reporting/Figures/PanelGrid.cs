// Geometry and validation of panel figures (Figure.Panels): a title band across the top when the figure has a
// title, then rows × Columns equal cells on whole pixels. Shared by ScatterThinning (cell size) and the renderers.
namespace TrajectoryLab.Reporting.Figures;

/// <summary>Lays out the cells of a panel figure and checks that a figure is well formed as a grid.</summary>
internal static class PanelGrid
{
    /// <summary>Height of the band holding the outer title, in pixels (0 when the title is empty).</summary>
    public const int TitleBandHeight = 36;

    /// <summary>Font size of the outer title, in pixels.</summary>
    public const double TitleFontSize = 18;

    /// <summary>Throws when <paramref name="figure"/> is not a valid single plot or panel grid.</summary>
    /// <exception cref="ArgumentException">Columns &lt; 1, a panel figure with its own series, or a panel with panels.</exception>
    public static void Check(Figure figure)
    {
        if (figure.Columns < 1)
            throw new ArgumentException($"figure '{figure.Name}': Columns must be at least 1, not {figure.Columns}");
        if (figure.Panels.Count == 0)
            return;
        if (figure.Series.Count > 0)
            throw new ArgumentException(
                $"figure '{figure.Name}' has both Panels and Series; put the series into a panel (a panel figure draws only its panels)"
            );
        foreach (var panel in figure.Panels)
        {
            if (panel.Panels.Count > 0)
                throw new ArgumentException($"figure '{figure.Name}': panel '{panel.Name}' has panels of its own; panels do not nest");
        }
    }

    /// <summary>Height of the title band of <paramref name="figure"/>.</summary>
    public static int TitleBand(Figure figure) => string.IsNullOrEmpty(figure.Title) ? 0 : TitleBandHeight;

    /// <summary>The cell of each panel, in panel order (row by row).</summary>
    /// <exception cref="ArgumentException">The figure fails <see cref="Check"/>, or its cells would be under 1 pixel.</exception>
    public static Cell[] Cells(Figure figure)
    {
        Check(figure);
        var n = figure.Panels.Count;
        var columns = Math.Min(figure.Columns, Math.Max(1, n));
        var rows = (n + columns - 1) / columns;
        var top = TitleBand(figure);
        if (figure.Width < columns || figure.Height - top < rows)
            throw new ArgumentException(
                $"figure '{figure.Name}': {figure.Width} × {figure.Height} px is too small for {rows} × {columns} panels"
            );
        var cells = new Cell[n];
        for (var i = 0; i < n; i++)
        {
            int r = i / columns,
                c = i % columns;
            int x0 = c * figure.Width / columns,
                x1 = (c + 1) * figure.Width / columns;
            int y0 = top + r * (figure.Height - top) / rows,
                y1 = top + (r + 1) * (figure.Height - top) / rows;
            cells[i] = new Cell(x0, y0, x1 - x0, y1 - y0);
        }
        return cells;
    }

    /// <summary>A panel's rectangle in the outer image, in pixels.</summary>
    public readonly record struct Cell(int X, int Y, int Width, int Height);
}
