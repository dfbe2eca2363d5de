// The colours series are drawn in when a figure does not choose its own: matplotlib's tab10 start, so that plots read
// like the ones researchers already know.
namespace TrajectoryLab.Reporting.Figures;

/// <summary>The default series colours.</summary>
public static class SeriesColors
{
    /// <summary>Colours for up to eight series (matplotlib's tab10 start).</summary>
    public static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];
}
