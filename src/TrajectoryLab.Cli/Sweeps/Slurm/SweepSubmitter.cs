// `sweep submit --slurm`: writes the sweep's sbatch script (one array task per cell that is not done, each running
// `trajectorylab sweep cell <file> --index $SLURM_ARRAY_TASK_ID`), submits it and records the job in
// <sweep folder>/slurm/jobs.json, so that `sweep status` can ask the queue about it and a re-submission leaves out
// cells still queued or running. Nothing here schedules: Slurm does.
// References: https://slurm.schedmd.com/job_array.html; issue 10.
using System.Globalization;
using System.Text.Json;
using TrajectoryLab.Core.IO;

namespace TrajectoryLab.Cli.Sweeps.Slurm;

/// <summary>One submitted job array.</summary>
/// <param name="JobId">Slurm's job id.</param>
/// <param name="Indices">The cells it runs.</param>
/// <param name="SubmittedUtc">When it was submitted.</param>
/// <param name="Script">The sbatch script.</param>
public sealed record SlurmJobRecord(string JobId, IReadOnlyList<int> Indices, DateTime SubmittedUtc, string Script);

/// <summary>What a submission did.</summary>
/// <param name="JobId">The job id, or null for a dry run or when no cell was left to run.</param>
/// <param name="Script">The script written, or null when no cell was left to run.</param>
/// <param name="Indices">The cells submitted.</param>
/// <param name="Done">Cells already complete.</param>
/// <param name="Queued">Cells left out because an earlier job of this sweep still has them queued or running.</param>
public sealed record SubmitResult(string? JobId, string? Script, IReadOnlyList<int> Indices, int Done, int Queued);

/// <summary>Submits a sweep's incomplete cells as one Slurm job array.</summary>
public static class SweepSubmitter
{
    static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>The jobs submitted for the sweep in <paramref name="sweepFolder"/>, oldest first.</summary>
    /// <param name="sweepFolder">The sweep's results folder.</param>
    public static IReadOnlyList<SlurmJobRecord> Jobs(string sweepFolder)
    {
        var file = JobsFile(sweepFolder);
        if (!File.Exists(file))
            return [];
        try
        {
            return JsonSerializer.Deserialize<List<SlurmJobRecord>>(File.ReadAllText(file), Json) ?? [];
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file}: not a list of submitted jobs ({e.Message})", e);
        }
    }

    /// <summary>The Slurm state of every cell of this sweep that a recorded job still knows about (newest job wins).</summary>
    /// <param name="sweepFolder">The sweep's results folder.</param>
    /// <param name="client">Asks squeue.</param>
    public static IReadOnlyDictionary<int, SlurmTaskState> QueueStates(string sweepFolder, SlurmClient client)
    {
        var states = new Dictionary<int, SlurmTaskState>();
        foreach (var job in Jobs(sweepFolder))
        foreach (var task in client.Tasks(job.JobId).Where(t => t.ArrayIndex is not null))
            states[task.ArrayIndex!.Value] = task;
        return states;
    }

    /// <summary>Writes the script for every cell that is neither done nor queued, and submits it unless <paramref
    /// name="dryRun"/>.</summary>
    /// <param name="plan">The sweep.</param>
    /// <param name="sweepFolder">Its results folder (plan.json is rewritten, as `sweep run` does).</param>
    /// <param name="resultsRoot">The results root each cell gets as --results.</param>
    /// <param name="workingDirectory">The folder each task runs in (the project root).</param>
    /// <param name="options">The Slurm settings; the job name defaults to tlab-&lt;sweep name&gt;.</param>
    /// <param name="dryRun">Write the script only.</param>
    /// <param name="client">Submits and asks the queue; null on a dry run without Slurm.</param>
    /// <exception cref="SlurmException">sbatch or squeue failed.</exception>
    public static SubmitResult Submit(
        SweepPlan plan,
        string sweepFolder,
        string resultsRoot,
        string workingDirectory,
        SlurmOptions options,
        bool dryRun,
        SlurmClient? client
    )
    {
        SweepFolder.WritePlan(plan, sweepFolder);
        var states = SweepStatus.Compute(plan, sweepFolder);
        var queued = client is null
            ? new HashSet<int>()
            : QueueStates(sweepFolder, client).Where(s => s.Value.IsActive).Select(s => s.Key).ToHashSet();
        var done = states.Count(s => s.State == CellState.Done);
        var todo = states
            .Where(s => s.State is not (CellState.Done or CellState.Running) && !queued.Contains(s.Cell.Index))
            .Select(s => s.Cell.Index)
            .ToList();
        if (todo.Count == 0)
            return new SubmitResult(null, null, [], done, queued.Count);

        var (exe, prefix) = SweepLocalRunner.SelfCommand();
        string[] command = [exe, .. prefix, .. SweepLocalRunner.CellArguments(plan, SbatchScript.IndexToken, resultsRoot)];
        var slurm = Path.Combine(sweepFolder, "slurm");
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss'Z'", CultureInfo.InvariantCulture);
        var script = Path.Combine(slurm, $"submit-{stamp}.sbatch");
        var named = options.JobName == new SlurmOptions().JobName ? options with { JobName = JobName(plan.Name) } : options;
        SbatchScript.Write(script, plan.Cells.Count, named, command, Path.Combine(slurm, "logs"), workingDirectory, arrayIndices: todo);
        if (dryRun)
            return new SubmitResult(null, script, todo, done, queued.Count);

        var job = (client ?? new SlurmClient()).Submit(script);
        var jobs = Jobs(sweepFolder).Append(new SlurmJobRecord(job, todo, DateTime.UtcNow, script)).ToList();
        AtomicFile.WriteAllText(JobsFile(sweepFolder), JsonSerializer.Serialize(jobs, Json));
        return new SubmitResult(job, script, todo, done, queued.Count);
    }

    static string JobsFile(string sweepFolder) => Path.Combine(sweepFolder, "slurm", "jobs.json");

    /// <summary>tlab-&lt;name&gt; with anything sbatch would not take as a job name replaced by '-'.</summary>
    static string JobName(string sweep) =>
        "tlab-" + new string([.. sweep.Select(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-' ? c : '-')]);
}
