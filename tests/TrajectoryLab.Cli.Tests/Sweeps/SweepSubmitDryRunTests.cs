// `sweep submit --slurm --dry-run` writes the job array's script without Slurm: one task per cell not done, each running
// `sweep cell <file> --index $SLURM_ARRAY_TASK_ID`, with the options given; --array lists only the cells left to run.
using TrajectoryLab.Cli.Commands;
using TrajectoryLab.Cli.Sweeps;
using TrajectoryLab.Cli.Sweeps.Slurm;

namespace TrajectoryLab.Cli.Tests.Sweeps;

[Collection(ConsoleCollection.Name)]
public sealed class SweepSubmitDryRunTests : IDisposable
{
    readonly string _results = Directory.CreateTempSubdirectory("sweep-submit-").FullName;
    static readonly string SweepFile = Path.Combine(Environment.GetEnvironmentVariable("TRAJECTORYLAB_ROOT")!, "experiments", "sweeps", "logistic-grid.json");

    public void Dispose() => Directory.Delete(_results, recursive: true);

    [Fact]
    public void DryRunWritesTheArrayScript()
    {
        var (code, stdout, stderr) = CliHost.Run("sweep", "submit", SweepFile, "--slurm", "--dry-run", "--results", _results,
            "--partition", "gpu", "--gpus-per-task", "1", "--time", "2:00:00", "--max-concurrent", "3");
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("8 of 8 cells (0 done", stdout);
        var folder = Path.Combine(_results, "sweeps", "logistic-grid");
        var script = File.ReadAllText(Directory.GetFiles(Path.Combine(folder, "slurm"), "submit-*.sbatch").Single());
        Assert.Contains("#SBATCH --array=0-7%3\n", script);
        Assert.Contains("#SBATCH --partition=gpu\n", script);
        Assert.Contains("#SBATCH --gpus-per-task=1\n", script);
        Assert.Contains("#SBATCH --time=2:00:00\n", script);
        Assert.Contains("#SBATCH --job-name=tlab-logistic-grid\n", script);
        Assert.Contains($"'sweep' 'cell' '{SweepFile}' '--index' \"$SLURM_ARRAY_TASK_ID\" '--results' '{_results}'", script);
        Assert.True(File.Exists(Path.Combine(folder, "plan.json")));
        Assert.Empty(SweepSubmitter.Jobs(folder)); // nothing was submitted

        // With two cells done (cell 1 and 2 run locally), a re-submission leaves them out of --array.
        foreach (var i in new[] { "1", "2" }) Assert.Equal(0, CliHost.Run("sweep", "cell", SweepFile, "--index", i, "--results", _results).Code);
        Thread.Sleep(1100); // a new script name (whole-second stamp)
        (code, stdout, _) = CliHost.Run("sweep", "submit", SweepFile, "--slurm", "--dry-run", "--results", _results);
        Assert.Equal(0, code);
        Assert.Contains("6 of 8 cells (2 done", stdout);
        var latest = Directory.GetFiles(Path.Combine(folder, "slurm"), "submit-*.sbatch").Order(StringComparer.Ordinal).Last();
        Assert.Contains("#SBATCH --array=0,3-7\n", File.ReadAllText(latest));
    }

    [Fact]
    public void BadSlurmOptionsAndAMissingSchedulerFlagAreRefused()
    {
        Assert.Equal(ExitCodes.BadInput, CliHost.Run("sweep", "submit", SweepFile, "--dry-run", "--results", _results).Code); // no --slurm
        var (code, _, stderr) = CliHost.Run("sweep", "submit", SweepFile, "--slurm", "--dry-run", "--results", _results, "--time", "two hours");
        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains("Time 'two hours'", stderr);
    }

    [Theory]
    [InlineData(new[] { 0, 1, 2, 5, 7, 8, 9 }, "0-2,5,7-9")]
    [InlineData(new[] { 9, 3, 3, 4 }, "3-4,9")]
    [InlineData(new[] { 6 }, "6")]
    public void ArraySpecWritesRuns(int[] indices, string expected) => Assert.Equal(expected, SbatchScript.ArraySpec(indices, 10));

    [Fact]
    public void ArraySpecRefusesCellsOutsideTheSweep()
    {
        Assert.Throws<ArgumentException>(() => SbatchScript.ArraySpec([], 10));
        Assert.Contains("10 is not a cell of 0..9", Assert.Throws<ArgumentException>(() => SbatchScript.ArraySpec([1, 10], 10)).Message);
    }
}
