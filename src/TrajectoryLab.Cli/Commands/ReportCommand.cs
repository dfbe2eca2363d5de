// `trajectorylab report <run folder>`: re-render a run's plots and report from its saved data.
using TrajectoryLab.Cli.Runs;
using TrajectoryLab.Reporting;
using TrajectoryLab.Reporting.Index;
using TrajectoryLab.Reporting.Rendering;

namespace TrajectoryLab.Cli.Commands;

/// <summary>Re-renders every figure (*.figure.json) and the report (report.json) of a run folder, then the results index.</summary>
public sealed class ReportCommand(ProjectPaths paths) : ICommand
{
    public string Name => "report";
    public string Summary => "re-render a run's plots and report from its saved data: trajectorylab report <run folder>";
    public string Help => """
        usage: trajectorylab report <run folder>

        Re-renders <name>.svg and <name>.png from every <name>.figure.json in the folder, and report.md and
        report.html from report.json, then rewrites results/index.html. Nothing is recomputed.
        """;

    public int Execute(IReadOnlyList<string> args, CancellationToken cancellation)
    {
        if (args.Count != 1) return Usage.Error(this, "expects exactly one run folder");
        var folder = args[0];
        if (!File.Exists(Path.Combine(folder, "report.json")))
            return Usage.Error(this, $"{folder}: not a run folder (no report.json)");
        RunRenderer.Rerender(folder);
        // A run folder is results/<experiment>/<timestamp>/: its index is two levels up.
        ResultsIndex.Write(Directory.GetParent(Path.GetFullPath(folder).TrimEnd('/'))?.Parent?.FullName ?? paths.Results);
        Console.WriteLine(Path.Combine(folder, "report.html"));
        return ExitCodes.Ok;
    }
}
