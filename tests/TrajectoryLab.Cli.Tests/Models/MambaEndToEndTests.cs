// A Mamba checkpoint (the Torch tests' golden tiny Mamba, tests/TrajectoryLab.Torch.Tests/Golden/mamba) through the
// command line: check describes its mixer, a Lyapunov run on its recurrent state completes, and the experiments that
// measure attention itself refuse it in one line with exit code 2 before any run folder exists.
namespace TrajectoryLab.Cli.Tests.Models;

[Collection(ConsoleCollection.Name)]
public sealed class MambaEndToEndTests : IDisposable
{
    readonly string _results = Directory.CreateTempSubdirectory("tlab-mamba-").FullName;

    static string Model =>
        Path.Combine(Environment.GetEnvironmentVariable("TRAJECTORYLAB_ROOT")!, "tests", "TrajectoryLab.Torch.Tests", "Golden", "mamba");

    // 30 ids below the checkpoint's vocabulary of 37 (it has no tokenizer).
    const string Ids =
        "text:ids=[[1, 7, 19, 3, 30, 2, 8, 11, 5, 22, 17, 9, 13, 4, 28, 33, 6, 14, 25, 10, 1, 7, 19, 3, 30, 2, 8, 11, 5, 22]]";

    public void Dispose() => Directory.Delete(_results, recursive: true);

    [Fact]
    public void CheckDescribesTheMixer()
    {
        var (code, stdout, _) = CliHost.Run("check", Model);
        Assert.Equal(0, code);
        Assert.Contains("mamba: 2 layers, d_model 16, Mamba mixer (d_inner 32, d_state 4, d_conv 4, dt_rank 1)", stdout);
    }

    [Fact]
    public void ATeacherForcedLyapunovRunOnTheRecurrentStateCompletes()
    {
        var (code, _, stderr) = CliHost.Run("run", "lyapunov-teacher-forced", "--results", _results, "--set", $"model:name={Model}",
            "--set", Ids, "--set", "directions=2", "--set", "layers=[1]", "--set", "transient=2", "--set", "epsilonSweep=[1e-3]");
        Assert.True(code == 0, stderr);
    }

    [Theory]
    [InlineData("attention-dilution", "key 'model:name'")]
    [InlineData("rank-collapse", "key 'ablations'")]
    [InlineData("bench-spectrum", "key 'model'")]
    public void AttentionExperimentsRefuseItInOneLine(string experiment, string key)
    {
        string[] model = experiment == "bench-spectrum" ? ["--set", $"model={Model}"] : ["--set", $"model:name={Model}", "--set", Ids];
        var (code, _, stderr) = CliHost.Run(["run", experiment, "--results", _results, .. model]);
        Assert.Equal(2, code);
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(key, line);
        Assert.Contains("this mamba model has no attention", line);
        Assert.Empty(Directory.EnumerateFileSystemEntries(_results));
    }
}
