// `trajectorylab sweep plan|cell|run|submit|status|merge`: experiment grids run cell by cell (locally or as a Slurm job
// array) and merged into one report. The file format and folder layout are described in Sweeps/SweepPlan.cs and
// Sweeps/SweepFolder.cs; the Slurm side in Sweeps/Slurm/.
using System.Globalization;
using TrajectoryLab.Cli.Configuration;
using TrajectoryLab.Cli.Runs;
using TrajectoryLab.Cli.Sweeps;
using TrajectoryLab.Cli.Sweeps.Slurm;
using TrajectoryLab.Experiments;

namespace TrajectoryLab.Cli.Commands;

/// <summary>Plans, runs, inspects and merges sweeps.</summary>
public sealed class SweepCommand(ExperimentCatalog catalog, ExperimentRegistry registry, ExperimentRunner runner, ProjectPaths paths)
    : ICommand
{
    /// <inheritdoc/>
    public string Name => "sweep";

    /// <inheritdoc/>
    public string Summary => "experiment grids: trajectorylab sweep plan|run|submit|cell|status|merge <sweep.json | sweep folder>";

    /// <inheritdoc/>
    public string Help =>
        """
            usage: trajectorylab sweep plan <sweep.json>                      the cells: index, id, config hash, overrides
                   trajectorylab sweep run <sweep.json> [--jobs N] [--results DIR]
                                                                              runs every incomplete cell, N child processes at a time
                   trajectorylab sweep cell <sweep.json> --index I [--results DIR]
                                                                              runs one cell (what a Slurm array task runs)
                   trajectorylab sweep submit <sweep.json> --slurm [--partition P] [--gpus-per-task G] [--cpus-per-task C]
                                       [--time T] [--max-concurrent C] [--dry-run] [--results DIR]
                                                                              one Slurm job array (--array=<cells not done>%C) whose
                                                                              tasks run `sweep cell --index $SLURM_ARRAY_TASK_ID`;
                                                                              prints the job id (--dry-run: writes the script only)
                   trajectorylab sweep status <sweep.json | sweep folder> [--results DIR]
                                                                              done / running / failed / missing cells, and the
                                                                              Slurm queue's state of each submitted cell
                   trajectorylab sweep merge <sweep folder | sweep.json> [--results DIR] [--plots N]
                                                                              merged.csv, merged.safetensors, grid plots, report

            A sweep file (experiments/sweeps/*.json) names a base experiment and a grid of overrides:
              { "base": "generate", "overrides": { "maxNewTokens": 32 },
                "axes": [ { "key": "temperature", "values": [0.5, 1.0] },
                          { "key": "topK", "range": { "from": 0, "count": 3, "step": 10 } },
                          { "zip": [ { "key": "a", "values": [1, 2] }, { "key": "b", "values": [3, 4] } ] } ],
                "seeds": 3 }
            Axes cross in file order (last fastest); zipped axes advance together; "seeds": N adds seed = 1..N.
            Keys are `run --set` keys. Every cell's configuration is bound and validated when the sweep is planned.

            Results go to results/sweeps/<sweep name>/ (or DIR/sweeps/<sweep name>/ with --results DIR): plan.json and
            cells/<id>/, a run folder with cell.json written last. Re-running skips cells complete with the same
            configuration hash and re-runs failed, half-finished or changed ones.
            """;

    /// <inheritdoc/>
    public int Execute(IReadOnlyList<string> args, CancellationToken cancellation)
    {
        if (args.Count < 2)
            return Usage.Error(this, "expected a verb (plan, run, cell, status, merge) and a sweep file or folder");
        var (verb, target) = (args[0], args[1]);
        string? results = null,
            partition = null,
            time = null;
        int jobs = 1,
            index = -1,
            plots = 8,
            gpus = 0,
            cpus = 1,
            maxConcurrent = 0;
        bool slurm = false,
            dryRun = false;
        for (int i = 2; i < args.Count; i++)
        {
            if (args[i] == "--slurm")
            {
                slurm = true;
                continue;
            }
            if (args[i] == "--dry-run")
            {
                dryRun = true;
                continue;
            }
            if (i + 1 >= args.Count)
                return Usage.Error(this, $"{args[i]} needs a value");
            var value = args[++i];
            switch (args[i - 1])
            {
                case "--results":
                    results = value;
                    break;
                case "--partition":
                    partition = value;
                    break;
                case "--time":
                    time = value;
                    break;
                case "--jobs" when int.TryParse(value, CultureInfo.InvariantCulture, out jobs) && jobs >= 1:
                    break;
                case "--index" when int.TryParse(value, CultureInfo.InvariantCulture, out index) && index >= 0:
                    break;
                case "--plots" when int.TryParse(value, CultureInfo.InvariantCulture, out plots) && plots >= 0:
                    break;
                case "--gpus-per-task" when int.TryParse(value, CultureInfo.InvariantCulture, out gpus) && gpus >= 0:
                    break;
                case "--cpus-per-task" when int.TryParse(value, CultureInfo.InvariantCulture, out cpus) && cpus >= 1:
                    break;
                case "--max-concurrent" when int.TryParse(value, CultureInfo.InvariantCulture, out maxConcurrent) && maxConcurrent >= 1:
                    break;
                default:
                    return Usage.Error(this, $"unexpected argument '{args[i - 1]} {value}'");
            }
        }
        if (verb == "submit" && !slurm)
            return Usage.Error(this, "sweep submit needs --slurm (the only scheduler it submits to)");
        var slurmOptions = new SlurmOptions(
            Partition: partition,
            GpusPerTask: gpus,
            CpusPerTask: cpus,
            Time: time,
            MaxConcurrent: maxConcurrent > 0 ? maxConcurrent : null
        );
        try
        {
            return verb switch
            {
                "plan" => Plan(Load(target)),
                "cell" => index < 0 ? Usage.Error(this, "sweep cell needs --index I") : Cell(Load(target), index, results, cancellation),
                "run" => RunAll(Load(target), results, jobs, cancellation),
                "submit" => Submit(Load(target), results, slurmOptions, dryRun),
                "status" => Status(target, results),
                "merge" => Merge(target, results, plots),
                _ => Usage.Error(this, $"unknown verb '{verb}' (plan, run, submit, cell, status, merge)"),
            };
        }
        catch (Exception e) when (e is ConfigException or FileNotFoundException or ArgumentException or InvalidDataException)
        {
            Console.Error.WriteLine($"trajectorylab sweep {verb}: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (SlurmException e)
        {
            Console.Error.WriteLine($"trajectorylab sweep {verb}: {e.Message}");
            return ExitCodes.Failed;
        }
    }

    SweepPlan Load(string file) => SweepPlan.Load(file, catalog, kind => registry.Find(kind)?.OptionsType);

    /// <summary>results/sweeps/&lt;name&gt;, under --results DIR when given.</summary>
    string FolderOf(string name, string? results) => Path.Combine(results ?? paths.Results, "sweeps", name);

    /// <summary>A sweep folder given directly, or the folder of a sweep file.</summary>
    (SweepPlan Plan, string Folder) Open(string target, string? results)
    {
        if (Directory.Exists(target))
            return (SweepFolder.ReadPlan(target), target);
        if (!File.Exists(target))
            throw new FileNotFoundException($"'{target}' is neither a sweep folder nor a sweep file");
        var plan = Load(target);
        var folder = FolderOf(plan.Name, results);
        SweepFolder.WritePlan(plan, folder);
        return (plan, folder);
    }

    static int Plan(SweepPlan plan)
    {
        foreach (var c in plan.Cells)
            Console.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{c.Index}\t{c.Id}\t{c.Hash}\t{string.Join(" ", plan.AxisKeys.Select((k, i) => $"{k}={c.Values[i]}"))}"
                )
            );
        Console.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"{plan.Cells.Count} cells ({string.Join(" × ", plan.AxisKeys)}) of {Path.GetFileName(plan.BaseFile)}"
            )
        );
        return ExitCodes.Ok;
    }

    int Cell(SweepPlan plan, int index, string? results, CancellationToken cancellation)
    {
        if (index >= plan.Cells.Count)
            return Usage.Error(this, $"--index {index} is past the last cell ({plan.Cells.Count - 1})");
        var folder = FolderOf(plan.Name, results);
        if (!File.Exists(Path.Combine(folder, "plan.json")))
            SweepFolder.WritePlan(plan, folder);
        var outcome = new SweepCellRunner(runner, registry, paths).Run(plan, index, folder, cancellation);
        Console.WriteLine($"{plan.Cells[index].Id}: {outcome.ToString().ToLowerInvariant()}");
        return outcome switch
        {
            CellOutcome.Skipped or CellOutcome.Completed => ExitCodes.Ok,
            CellOutcome.Cancelled => ExitCodes.Cancelled,
            _ => ExitCodes.Failed,
        };
    }

    int RunAll(SweepPlan plan, string? results, int jobs, CancellationToken cancellation)
    {
        var folder = FolderOf(plan.Name, results);
        SweepFolder.WritePlan(plan, folder);
        var states = SweepStatus.Compute(plan, folder);
        var todo = states.Where(s => s.State is not (CellState.Done or CellState.Running)).Select(s => s.Cell.Index).ToList();
        var done = states.Count(s => s.State == CellState.Done);
        var elsewhere = states.Count(s => s.State == CellState.Running);
        Console.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"{plan.Name}: {done} of {plan.Cells.Count} cells done, {elsewhere} running elsewhere, "
            ) + string.Create(CultureInfo.InvariantCulture, $"running {todo.Count} with {jobs} jobs into {folder}")
        );
        var failed = SweepLocalRunner.Run(plan, todo, folder, results ?? paths.Results, jobs, Console.WriteLine, cancellation);
        var failedIds = failed.Count > 0 ? ": " + string.Join(", ", failed.Select(i => plan.Cells[i].Id)) : "";
        Console.WriteLine(
            string.Create(CultureInfo.InvariantCulture, $"{todo.Count - failed.Count} ran, {failed.Count} failed{failedIds}")
        );
        return failed.Count > 0 ? ExitCodes.Failed
            : cancellation.IsCancellationRequested ? ExitCodes.Cancelled
            : ExitCodes.Ok;
    }

    int Submit(SweepPlan plan, string? results, SlurmOptions options, bool dryRun)
    {
        var folder = FolderOf(plan.Name, results);
        var client = SlurmClient.IsAvailable() ? new SlurmClient() : null;
        if (client is null && !dryRun)
        {
            Console.Error.WriteLine(
                "trajectorylab sweep submit: sbatch is not on PATH (no Slurm client here); --dry-run writes the script without submitting"
            );
            return ExitCodes.Failed;
        }
        var r = SweepSubmitter.Submit(plan, folder, results ?? paths.Results, paths.Root, options, dryRun, client);
        var skipped = string.Create(CultureInfo.InvariantCulture, $"{r.Done} done, {r.Queued} still queued or running");
        if (r.Script is null)
        {
            Console.WriteLine($"{plan.Name}: nothing to submit ({skipped} of {plan.Cells.Count} cells)");
            return ExitCodes.Ok;
        }
        Console.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"{plan.Name}: {r.Indices.Count} of {plan.Cells.Count} cells ({skipped}); script {r.Script}"
            )
        );
        if (r.JobId is not null)
            Console.WriteLine(r.JobId);
        return ExitCodes.Ok;
    }

    int Status(string target, string? results)
    {
        var (plan, folder) = Open(target, results);
        var states = SweepStatus.Compute(plan, folder);
        int Count(params CellState[] s) => states.Count(x => s.Contains(x.State));
        var counts = string.Create(
            CultureInfo.InvariantCulture,
            $"{Count(CellState.Done)} done, {Count(CellState.Running)} running, {Count(CellState.Failed)} failed"
        );
        Console.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"{plan.Name}: {plan.Cells.Count} cells: {counts}, {Count(CellState.Missing, CellState.Stale)} missing ({folder})"
            )
        );
        // Cells of submitted Slurm jobs: what the queue says about them (a task Slurm has forgotten is not listed).
        var queue =
            SweepSubmitter.Jobs(folder).Count > 0 && SlurmClient.IsAvailable()
                ? SweepSubmitter.QueueStates(folder, new SlurmClient())
                : new Dictionary<int, SlurmTaskState>();
        if (queue.Count > 0)
        {
            var pending = queue.Values.Count(t => t.State == "PENDING");
            var running = queue.Values.Count(t => t.State == "RUNNING");
            var finished = queue.Values.Count(t => !t.IsActive);
            var jobIds = string.Join(", ", SweepSubmitter.Jobs(folder).Select(j => j.JobId));
            Console.WriteLine(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"  slurm: {pending} pending, {running} running, {finished} finished of job(s) {jobIds}"
                )
            );
        }
        foreach (var s in states.Where(s => s.State != CellState.Done))
        {
            var slurmState = queue.TryGetValue(s.Cell.Index, out var t)
                ? $"\tslurm {t.JobId}: {t.State}{(t.Reason is { Length: > 0 } r && r != "None" ? " (" + r + ")" : "")}"
                : "";
            var detail = s.Detail.Length > 0 ? "\t" + s.Detail : "";
            Console.WriteLine($"  {s.Cell.Index}\t{s.Cell.Id}\t{s.State.ToString().ToLowerInvariant()}{detail}{slurmState}");
        }
        return ExitCodes.Ok;
    }

    int Merge(string target, string? results, int plots)
    {
        var folder = Directory.Exists(target) ? target : Open(target, results).Folder;
        var merged = SweepMerge.Merge(folder, plots);
        var table = Path.Combine(folder, "merged.csv");
        Console.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"merged {merged.Rows} of {merged.Cells} cells ({merged.NotDone.Count} not complete) into {table}"
            )
        );
        foreach (var s in merged.NotDone.Take(50))
        {
            var detail = s.Detail.Length > 0 ? ": " + s.Detail : "";
            Console.WriteLine($"  missing from the table: {s.Cell.Id} ({s.State.ToString().ToLowerInvariant()}{detail})");
        }
        Console.WriteLine(Path.Combine(folder, "report.html"));
        return ExitCodes.Ok;
    }
}
