// architecture-stability end to end on a tiny configuration: the default model (brown-small) against the tiny random
// Mamba of TinyArchitectures (with both random-init twins), on two literal texts; the run completes, reproduces its golden
// numbers, re-renders from result.json, and draws the four-panel summary. A model without a tokenizer's texts, a text
// too short for the length profile and a missing model are refused in one line before any run folder exists.
using TrajectoryLab.Cli.Tests.Golden;

namespace TrajectoryLab.Cli.Tests.Models;

[Collection(ConsoleCollection.Name)]
public sealed class ArchitectureStabilityEndToEndTests(TinyArchitectures models) : IClassFixture<TinyArchitectures>, IDisposable
{
    readonly string _results = Directory.CreateTempSubdirectory("tlab-arch-stability-").FullName;

    public void Dispose() => Directory.Delete(_results, recursive: true);

    const string Texts =
        "text:texts=[\"The jury said it did find that many of the voters had been misled, and the election was held again in the "
        + "fall after the city had paid for the new count.\", \"It was a cold morning and the men walked down to the river, where "
        + "the boats were waiting for them in the fog and the rain.\"]";

    string[] Tiny(params string[] more) =>
    [
        "run", "architecture-stability", "--results", _results,
        "--set", $"models:1:name={models.Folder("mamba")}",
        "--set", Texts, "--set", "text:tokens=32",
        "--set", "spectrum:directions=3", "--set", "spectrum:tokens=24", "--set", "spectrum:transient=3", "--set", "spectrum:promptLength=4",
        "--set", "butterfly:prompts=[\"The jury said\"]", "--set", "butterfly:steps=6", "--set", "butterfly:copies=2",
        "--set", "butterfly:epsilons=[1e-2, 1e-1]",
        "--set", "memory:distances=[1, 2, 4, 8]", "--set", "memory:positions=3", "--set", "memory:tokens=32", "--set", "memory:probeClasses=4",
        "--set", "length:trainingContext=16", "--set", "length:factor=2", "--set", "length:window=8", "--set", "length:promptLength=4",
        "--set", "bootstrapResamples=50", .. more,
    ];

    [Fact]
    public void RunsReproducesItsGoldenNumbersAndReRenders()
    {
        var (code, stdout, stderr) = CliHost.Run(Tiny());
        Assert.True(code == 0, stderr);
        var folder = Path.GetDirectoryName(stdout.Trim())!;
        GoldenResults.Check("architecture-stability", folder);
        foreach (var figure in new[] { "summary", "spectra", "butterfly-parting", "memory-kl", "memory-probe", "length-surprisal" })
            Assert.True(File.Exists(Path.Combine(folder, figure + ".png")), figure);
        Assert.Contains("\"panels\"", File.ReadAllText(Path.Combine(folder, "summary.figure.json")));

        foreach (var file in Directory.GetFiles(folder).Where(f => Path.GetExtension(f) is ".csv" or ".png" or ".svg"))
            File.Delete(file);
        var (again, _, err) = CliHost.Run("report", folder);
        Assert.True(again == 0, err);
        GoldenResults.Check("architecture-stability", folder);
    }

    [Theory]
    [InlineData("text:tokens=16", "key 'text:tokens'")] // below trainingContext × factor = 32
    [InlineData("models:1:name=no/such/model", "key 'models:1:name'")]
    [InlineData("memory:distances=[1, 40]", "key 'memory:distances'")]
    public void BadInputIsRefusedInOneLine(string set, string key)
    {
        var (code, _, stderr) = CliHost.Run(Tiny("--set", set));
        Assert.Equal(2, code);
        Assert.Contains(key, stderr);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.False(Directory.Exists(Path.Combine(_results, "architecture-stability")));
    }
}
