// `trajectorylab report <run folder>`: re-render every figure and the report of a run from its saved JSON.
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Rendering;
using TrajectoryLab.Reporting.Reports;

namespace TrajectoryLab.Reporting;

/// <summary>Re-renders a run folder from saved data.</summary>
public static class RunRenderer
{
    /// <summary>Renders every <c>*.figure.json</c> in <paramref name="runFolder"/> to SVG/PNG, then <c>report.json</c> (if present) to
    /// Markdown/HTML.</summary>
    /// <returns>The figure names re-rendered and whether a report was re-rendered.</returns>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="InvalidDataException">A saved JSON file is unreadable (message names it).</exception>
    public static (IReadOnlyList<string> Figures, bool Report) Rerender(string runFolder)
    {
        if (!Directory.Exists(runFolder))
            throw new DirectoryNotFoundException($"no run folder {runFolder}");
        var names = new List<string>();
        foreach (var path in Directory.EnumerateFiles(runFolder, "*" + FigureRenderer.JsonSuffix).Order(StringComparer.Ordinal))
        {
            var figure = ReportingJson.Load<Figure>(path);
            FigureRenderer.RenderImages(figure, runFolder);
            names.Add(figure.Name);
        }
        var reportJson = Path.Combine(runFolder, ReportWriter.JsonName);
        if (File.Exists(reportJson))
            ReportWriter.WriteViews(ReportingJson.Load<Report>(reportJson), runFolder);
        return (names, File.Exists(reportJson));
    }
}
