// Writes a run's report.json (the model), report.md and report.html into its run folder, each atomically.
using TrajectoryLab.Core.IO;

namespace TrajectoryLab.Reporting.Reports;

/// <summary>Writes the three report files of a run folder.</summary>
public static class ReportWriter
{
    /// <summary>File name of the saved report model.</summary>
    public const string JsonName = "report.json";

    /// <summary>Writes <c>report.json</c>, <c>report.md</c> and <c>report.html</c> into <paramref name="runFolder"/>.</summary>
    /// <remarks>Render figures first: the HTML embeds <c>{name}.svg</c> files found in the folder at this moment.</remarks>
    public static void Write(Report report, string runFolder)
    {
        ReportingJson.Save(Path.Combine(runFolder, JsonName), report);
        WriteViews(report, runFolder);
    }

    /// <summary>Writes only <c>report.md</c> and <c>report.html</c> (used when re-rendering from report.json).</summary>
    public static void WriteViews(Report report, string runFolder)
    {
        AtomicFile.WriteAllText(Path.Combine(runFolder, "report.md"), MarkdownReport.Render(report));
        AtomicFile.WriteAllText(Path.Combine(runFolder, "report.html"), HtmlReport.Render(report, runFolder));
    }
}
