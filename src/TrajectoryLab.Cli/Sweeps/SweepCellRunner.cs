// Runs one cell of a sweep (what `sweep cell` and a Slurm array task do): skip it if complete with the same hash;
// otherwise run it into cells/<id>.partial-<pid>/, write cell.json last, and rename the folder to cells/<id>/ (removing a
// stale folder of another hash first). A failed or cancelled run is renamed cells/<id>.failed-<pid>/ with its manifest,
// so nothing half-done ever looks complete.
using TrajectoryLab.Cli.Configuration;
using TrajectoryLab.Cli.Runs;
using TrajectoryLab.Core.IO;
using TrajectoryLab.Experiments;

namespace TrajectoryLab.Cli.Sweeps;

/// <summary>How one <c>sweep cell</c> ended.</summary>
public enum CellOutcome
{
    Skipped,
    Completed,
    Failed,
    Cancelled,
}

/// <summary>Runs single cells of a sweep.</summary>
public sealed class SweepCellRunner(ExperimentRunner runner, ExperimentRegistry registry, ProjectPaths paths)
{
    /// <summary>Runs cell <paramref name="index"/> of <paramref name="plan"/> into <paramref name="sweepFolder"/>.</summary>
    /// <param name="plan">The plan, loaded from the sweep file.</param>
    /// <param name="index">The cell index.</param>
    /// <param name="sweepFolder">The sweep's results folder.</param>
    /// <param name="cancellation">Stops the run at its next step.</param>
    /// <exception cref="ConfigException">The cell's configuration does not bind (the base file changed since planning).</exception>
    public CellOutcome Run(SweepPlan plan, int index, string sweepFolder, CancellationToken cancellation)
    {
        var cell = plan.Cells[index];
        var cells = SweepFolder.Cells(sweepFolder);
        var final = Path.Combine(cells, cell.Id);
        if (SweepFolder.IsComplete(final, cell.Hash))
            return CellOutcome.Skipped;

        var config = ExperimentConfig.Load(plan.BaseFile, plan.CellOverrides(cell));
        var experiment = registry.Find(plan.Kind) ?? throw new ConfigException(plan.File, "base", $"unknown kind '{plan.Kind}'");
        var options = (ExperimentOptions)StrictBinder.Bind(config.Root, experiment.OptionsType, config.SourceOf);
        if (options is IPreflight preflight && preflight.Check(paths) is var (key, problem))
            throw new ConfigException(plan.File, key, $"cell {cell.Id}: {problem}");

        foreach (
            var dead in Directory.Exists(cells)
                ? Directory.EnumerateDirectories(cells, cell.Id + SweepFolder.PartialMark + "*").ToList()
                : []
        )
            if (SweepStatus.PidOf(dead) is not { } other || !SweepStatus.IsAlive(other))
                Directory.Delete(dead, recursive: true); // killed mid-way
        var pid = Environment.ProcessId;
        var partial = Path.Combine(cells, $"{cell.Id}{SweepFolder.PartialMark}{pid}");
        if (Directory.Exists(partial))
            Directory.Delete(partial, recursive: true);
        Directory.CreateDirectory(partial);
        var now = DateTime.UtcNow;
        var started = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerSecond));
        var outcome = runner.RunIn(partial, started, plan.Name, plan.BaseFile, experiment, options, paths, cancellation);

        if (outcome.Status != RunStatus.Completed)
        {
            if (outcome.Error is not null)
                Console.Error.WriteLine($"{cell.Id}: failed: {outcome.Error}");
            var failed = Path.Combine(cells, $"{cell.Id}{SweepFolder.FailedMark}{pid}");
            if (Directory.Exists(failed))
                Directory.Delete(failed, recursive: true);
            Directory.Move(partial, failed);
            return outcome.Status == RunStatus.Cancelled ? CellOutcome.Cancelled : CellOutcome.Failed;
        }
        AtomicFile.WriteAllText(
            Path.Combine(partial, "cell.json"),
            System.Text.Json.JsonSerializer.Serialize(new CellRecord(cell.Index, cell.Id, cell.Hash, "completed"), Manifest.Json)
        );
        if (Directory.Exists(final))
            Directory.Delete(final, recursive: true); // stale: another configuration, or incomplete
        Directory.Move(partial, final);
        foreach (var old in Directory.EnumerateDirectories(cells, cell.Id + SweepFolder.FailedMark + "*").ToList())
            Directory.Delete(old, recursive: true);
        return CellOutcome.Completed;
    }
}
