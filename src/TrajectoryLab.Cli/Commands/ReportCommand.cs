// `trajectorylab report <run folder>`: render a run's tables, plots and report again from its saved result, without
// measuring anything (runs of experiments that save no typed result: re-render their saved figures and report).
using Microsoft.Extensions.Logging;
using TrajectoryLab.Cli.Configuration;
using TrajectoryLab.Reporting;
using TrajectoryLab.Reporting.Index;

namespace TrajectoryLab.Cli.Commands;

/// <summary>Renders a run folder again from result.json and config.json, then the results index.</summary>
public sealed class ReportCommand(ProjectPaths paths, ExperimentRegistry registry, ILoggerFactory loggers) : ICommand
{
    public string Name => "report";
    public string Summary => "render a run's tables, plots and report again from its saved result: trajectorylab report <run folder>";
    public string Help =>
        """
            usage: trajectorylab report <run folder>

            Reads the run's typed result (result.json) and its effective configuration (config.json) and renders every
            table (CSV), figure (SVG, PNG) and the report (report.md, report.html, report.json) again, then rewrites
            results/index.html. Nothing is measured: delete the tables and figures, or change the report code, and the
            folder comes back from its result alone. Runs without a result.json re-render their saved figures and report.
            """;

    public int Execute(IReadOnlyList<string> args, CancellationToken cancellation)
    {
        if (args.Count != 1)
            return Usage.Error(this, "expects exactly one run folder");
        var folder = args[0];
        if (!File.Exists(Path.Combine(folder, "manifest.json")))
            return Usage.Error(this, $"{folder}: not a run folder (no manifest.json)");
        var manifest = Manifest.Load(folder);
        var experiment = registry.Find(manifest.Kind);
        if (experiment is not null && File.Exists(Path.Combine(folder, ResultFile.FileName)))
        {
            ExperimentOptions options;
            object result;
            try
            {
                var config = ExperimentConfig.Load(Path.Combine(folder, "config.json"), new Dictionary<string, string?>());
                options = (ExperimentOptions)StrictBinder.Bind(config.Root, experiment.OptionsType, config.SourceOf);
                result = ResultFile.Load(folder, experiment.ResultType);
            }
            catch (Exception e) when (e is ConfigException or InvalidDataException)
            {
                Console.Error.WriteLine($"trajectorylab report: {e.Message}");
                return ExitCodes.BadInput;
            }
            var context = new RunContext(
                manifest.Experiment,
                folder,
                loggers.CreateLogger($"TrajectoryLab.{manifest.Experiment}"),
                cancellation
            );
            experiment.Report(options, result, context);
            manifest = manifest with { Headline = context.Headlines };
            ExperimentRunner.WriteReport(context, manifest);
            manifest.Save(folder);
        }
        else if (File.Exists(Path.Combine(folder, "report.json")))
            RunRenderer.Rerender(folder);
        else
            return Usage.Error(this, $"{folder}: nothing to render (no result.json and no report.json)");
        // A run folder is results/<experiment>/<timestamp>/: its index is two levels up.
        ResultsIndex.Write(Directory.GetParent(Path.GetFullPath(folder).TrimEnd('/'))?.Parent?.FullName ?? paths.Results);
        Console.WriteLine(Path.Combine(folder, "report.html"));
        return ExitCodes.Ok;
    }
}
