// A cache policy in an experiment file (model:cache, docs/attention-sinks.md) is checked before any run folder exists:
// a window of 0 names its key; attention-sinks refuses a policy of its own (it sets each one itself) and sink counts that
// leave no window; and a policy runs through an ordinary experiment (generate), whose result and report record it.
namespace TrajectoryLab.Cli.Tests.Measurements;

[Collection(ConsoleCollection.Name)]
public sealed class CachePolicyPreflightTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("tlab-cache-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    void AssertRefused(string experiment, string key, string expected, params string[] settings)
    {
        var results = Path.Combine(_root, "results");
        var (code, stdout, stderr) = CliHost.Run(["run", experiment, "--results", results, .. settings]);
        Assert.True(code == 2, $"exit {code}: {stderr}");
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains($"'{key}'", line);
        Assert.Contains(expected, line);
        Assert.DoesNotContain("   at ", stderr);
        Assert.Equal("", stdout);
        Assert.False(Directory.Exists(Path.Combine(results, experiment)), "no run folder may be created");
    }

    [Fact]
    public void AWindowOfZeroIsRefusedNamingTheKey() =>
        AssertRefused("lens", "model:cache:window", "", "--set", "model:cache:sinks=4", "--set", "model:cache:window=0");

    [Fact]
    public void AttentionSinksSetsItsOwnPolicies() =>
        AssertRefused("attention-sinks", "model:cache", "sets the cache policy itself", "--set", "model:cache:window=8");

    [Fact]
    public void AttentionSinksNeedsAWindowBesideTheSinks() =>
        AssertRefused("attention-sinks", "sinks", "smaller than the budget 16", "--set", "budget=16", "--set", "sinks=[4, 16]");

    [Fact]
    public void GenerateRunsUnderAPolicyAndRecordsIt()
    {
        var results = Path.Combine(_root, "results");
        var (code, _, stderr) = CliHost.Run(
            "run",
            "generate",
            "--results",
            results,
            "--set",
            "maxNewTokens=24",
            "--set",
            "cache:sinks=2",
            "--set",
            "cache:window=8"
        );
        Assert.True(code == 0, $"exit {code}: {stderr}");
        var run = Assert.Single(Directory.GetDirectories(Path.Combine(results, "generate")));
        Assert.Contains("\"cache\":{\"sinks\":2,\"window\":8", File.ReadAllText(Path.Combine(run, "result.json")));
        Assert.Contains(
            "| cache policy | 2 sinks + a window of 8 in every full-attention layer",
            File.ReadAllText(Path.Combine(run, "report.md"))
        );
    }
}
