// An 8-cell sweep submitted to the real test cluster (`sweep submit --slurm`): one array task is killed while it runs,
// `sweep status` reports that cell missing, a re-submission runs only that cell, and the merged table equals the one of
// the same sweep run locally (`sweep run --jobs 2`) with the same seeds, column for column.
using System.Globalization;
using TrajectoryLab.Cli.Sweeps;
using TrajectoryLab.Cli.Sweeps.Slurm;
using TrajectoryLab.Reporting.Tables;
using Xunit.Abstractions;

namespace TrajectoryLab.Cli.Tests.Slurm;

[Collection(SlurmClusterCollection.Name)]
public sealed class SweepOnSlurmTests(SlurmClusterFixture cluster, ITestOutputHelper output) : IDisposable
{
    static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(100);
    readonly string _root = Directory.CreateTempSubdirectory("sweep-slurm-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>logistic-grid's 8 cells, each made slow enough (~2–4 s) to be killed while it runs.</summary>
    string WriteSweep()
    {
        var file = Path.Combine(_root, "slurm-grid.json");
        File.WriteAllText(file, """
            { "base": "logistic-sweep",
              "overrides": { "rCount": 200, "steps": 100000, "points": 20, "transient": 200 },
              "axes": [ { "key": "rMin", "values": [2.5, 3.0] }, { "key": "x0", "values": [0.2, 0.4] } ],
              "seeds": 2 }
            """);
        return file;
    }

    [SlurmFact]
    public void KilledCellIsResubmittedAloneAndTheMergeEqualsTheLocalRun()
    {
        var conf = cluster.RequireCluster();
        var client = new SlurmClient(conf);
        var sweep = WriteSweep();
        var (local, onSlurm) = (Path.Combine(_root, "local"), Path.Combine(_root, "slurm"));
        var previous = Environment.GetEnvironmentVariable("SLURM_CONF");
        Environment.SetEnvironmentVariable("SLURM_CONF", conf); // for `sweep submit`'s sbatch and squeue, and the tasks
        try
        {
            var (code, stdout, stderr) = CliHost.Run("sweep", "submit", sweep, "--slurm", "--results", onSlurm);
            Assert.True(code == 0, stdout + stderr);
            Assert.Contains("8 of 8 cells", stdout);
            var job = stdout.Trim().Split('\n')[^1].Trim();
            output.WriteLine($"job {job}");

            // Kill one array task while it runs.
            int? killed = null;
            Assert.True(PollUntil(() => (killed = client.Tasks(job).FirstOrDefault(t => t.State == "RUNNING")?.ArrayIndex) is not null, TimeSpan.FromSeconds(60)),
                $"no task of job {job} ever ran");
            client.Cancel(job, killed);
            Assert.True(client.WaitUntilDone(job, TimeSpan.FromSeconds(120), Poll), $"job {job} did not finish");

            var folder = Path.Combine(onSlurm, "sweeps", "slurm-grid");
            var plan = SweepFolder.ReadPlan(folder);
            var states = SweepStatus.Compute(plan, folder);
            var notDone = states.Where(s => s.State != CellState.Done).Select(s => s.Cell.Index).ToList();
            Assert.Equal([killed!.Value], notDone); // the killed cell left nothing that looks complete; every other cell is done
            Assert.False(Directory.Exists(Path.Combine(folder, "cells", plan.Cells[killed.Value].Id)));
            (code, stdout, _) = CliHost.Run("sweep", "status", sweep, "--results", onSlurm);
            Assert.Equal(0, code);
            Assert.Contains("7 done", stdout);
            Assert.Contains(plan.Cells[killed.Value].Id, stdout);

            // Re-submit: only the killed cell runs.
            (code, stdout, stderr) = CliHost.Run("sweep", "submit", sweep, "--slurm", "--results", onSlurm);
            Assert.True(code == 0, stdout + stderr);
            Assert.Contains("1 of 8 cells (7 done", stdout);
            var again = stdout.Trim().Split('\n')[^1].Trim();
            Assert.Equal([killed.Value], client.Tasks(again).Select(t => t.ArrayIndex!.Value).Distinct()); // may be forgotten already: then empty
            Assert.True(client.WaitUntilDone(again, TimeSpan.FromSeconds(120), Poll), $"job {again} did not finish");
            Assert.All(SweepStatus.Compute(plan, folder), s => Assert.Equal(CellState.Done, s.State));
            Assert.Equal(0, CliHost.Run("sweep", "merge", folder).Code);
        }
        finally
        {
            Environment.SetEnvironmentVariable("SLURM_CONF", previous);
        }

        var (runCode, runOut, runErr) = CliHost.Run("sweep", "run", sweep, "--jobs", "2", "--results", local);
        Assert.True(runCode == 0, runOut + runErr);
        Assert.Equal(0, CliHost.Run("sweep", "merge", Path.Combine(local, "sweeps", "slurm-grid")).Code);

        var expected = CsvTable.Read(Path.Combine(local, "sweeps", "slurm-grid", "merged.csv"));
        var actual = CsvTable.Read(Path.Combine(onSlurm, "sweeps", "slurm-grid", "merged.csv"));
        Assert.Equal(8, actual.RowCount);
        Assert.Equal(expected.ColumnNames, actual.ColumnNames);
        foreach (var column in expected.ColumnNames.Where(c => !IsTiming(c)))
            Assert.Equal(expected.Strings(column), actual.Strings(column));
    }

    /// <summary>Columns that measure time (they differ between any two runs); every other column must be identical.</summary>
    static bool IsTiming(string column) =>
        column.Contains("second", StringComparison.OrdinalIgnoreCase) || column.Contains("wall", StringComparison.OrdinalIgnoreCase);

    static bool PollUntil(Func<bool> condition, TimeSpan timeout)
    {
        var end = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < end)
        {
            if (condition()) return true;
            Thread.Sleep(Poll);
        }
        return condition();
    }
}
