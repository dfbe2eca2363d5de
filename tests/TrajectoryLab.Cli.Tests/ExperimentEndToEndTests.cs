// Every shipped experiment runs end-to-end on a small configuration (the real JSON file plus overrides), writes a
// complete run folder and, benches aside, reproduces its golden numbers (Golden/GoldenResults.cs); the run's config.json re-runs; `report` re-renders; Ctrl-C leaves a cancelled, whole folder.
using System.Text.Json;

namespace TrajectoryLab.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed class ExperimentEndToEndTests : IDisposable
{
    readonly string _results = Directory.CreateTempSubdirectory("tlab-results-").FullName;

    public void Dispose() => Directory.Delete(_results, recursive: true);

    public static TheoryData<string, string[]> SmallConfigs => new()
    {
        { "henon-spectrum", ["--set", "spectrum.steps=20000", "--set", "portraitPoints=2000"] },
        { "lorenz-spectrum", ["--set", "spectrum.steps=20000", "--set", "spectrum.transient=500", "--set", "portraitPoints=2000"] },
        { "logistic-sweep", ["--set", "rCount=120", "--set", "steps=1000", "--set", "points=50"] },
        { "random-network-chaos", ["--set", "units=40", "--set", "gains=[0.5, 0.9, 1.2, 2.0, 3.0]", "--set", "networks=2", "--set", "transient=100", "--set", "steps=300", "--set", "spectrumDirections=40", "--set", "spectrumSteps=300", "--set", "spectrumTransient=100", "--set", "spectrumQrInterval=1"] }, // full spectrum (k = N): Σλ is checked
        { "entropy-identities", ["--set", "rows=4", "--set", "vocabulary=2000", "--set", "tCount=20"] },
        { "generate", ["--set", "maxNewTokens=8"] }, // the committed default model, models/brown-small
        { "device-agreement", ["--set", "text:texts=[\"The jury said it did find that many of the voters had been misled.\"]", "--set", "randomLlama:dim=64", "--set", "randomLlama:heads=4", "--set", "randomLlama:layers=2", "--set", "randomLlama:hidden=128", "--set", "randomLlama:vocab=512", "--set", "greedyTokens=6", "--set", "promptTokens=3"] },
        { "bench-gpu", ["--set", "device=cpu", "--set", "dType=float32", "--set", "dim=32", "--set", "layers=2", "--set", "heads=4", "--set", "kvHeads=2", "--set", "hidden=64", "--set", "vocab=100", "--set", "context=64", "--set", "batches=[1, 4]", "--set", "promptTokens=4", "--set", "newTokens=4", "--set", "prefillTokens=16", "--set", "repeats=1", "--set", "spectrumDirections=2", "--set", "spectrumPromptTokens=4", "--set", "spectrumSteps=3", "--set", "threads=1"] }, // a tiny Llama on CPU
        { "bench-decode-architectures", ["--set", "dim=32", "--set", "layers=2", "--set", "heads=4", "--set", "hidden=64", "--set", "vocab=100", "--set", "context=64", "--set", "batches=[1, 4]", "--set", "promptTokens=4", "--set", "newTokens=4", "--set", "prefillTokens=16", "--set", "repeats=1", "--set", "threads=1"] }, // every architecture, tiny
        { "bench-sweep-scale", ["--set", "sizes=[100, 1000]"] }, // synthetic cells, no model
        { "bench-spectrum", ["--set", "directions=[1, 4]", "--set", "promptTokens=4", "--set", "steps=3", "--set", "repeats=1"] }, // k = 1, 4 on the default model
        { "lyapunov-teacher-forced", ["--set", "text:texts:0=The jury said it did find that many of the voters had been misled, and the election was held again.", "--set", "directions=3", "--set", "layers=[1, 3]", "--set", "transient=3", "--set", "epsilonSweep=[1e-4, 1e-2]"] },
        { "butterfly", ["--set", "prompts=[\"The jury said\"]", "--set", "steps=6", "--set", "epsilons=[1e-3, 1e-1]", "--set", "temperatures=[0, 1]", "--set", "copiesPerEpsilon=2", "--set", "bootstrapResamples=50", "--set", "layerSweep=[0, 3]"] }, // not the top residual: no later position reads it, its distance is float32 noise
        { "repetition-attractors", ["--set", "prompts=[\"The jury said\", \"She looked at him and\"]", "--set", "steps=16", "--set", "temperatures=[1.0]", "--set", "loopRepeats=2", "--set", "sentences=[\"The jury said it was over.\"]", "--set", "repetitions=2", "--set", "escapeLayers=[3]", "--set", "escapeLoops=1", "--set", "escapeDirections=2", "--set", "escapeBisections=1"] },
        { "depth-dynamics", ["--set", "text:texts=[\"The jury said it did find that many of the voters had been misled.\"]", "--set", "directions=2", "--set", "bootstrapResamples=50"] },
        { "lens", ["--set", "text:texts=[\"The jury said it did find that many of the voters had been misled, and the election was held again in the fall.\"]", "--set", "text:tokens=24", "--set", "promptTokens=8", "--set", "pastTexts=0", "--set", "tunedLens:steps=3", "--set", "tunedLens:batchWindows=2", "--set", "tunedLens:trainingDocuments=2", "--set", "context=64"] }, // the shipped tuned lens is read; the random twin's is trained (3 steps on 64-token windows); context set for the Mamba of EveryArchitectureTests, which has no limit
        { "rank-collapse", ["--set", "text:texts=[\"The jury said it did find that many of the voters had been misled, and the election was held again in the fall.\"]", "--set", "text:tokens=24", "--set", "window=12", "--set", "prefixes=[4, 8, 16]", "--set", "promptTokens=8", "--set", "trajectoryWindow=4"] }, // 2 windows, 16 generated steps
        { "attention-sinks", ["--set", "text:documents=2", "--set", "text:tokens=96", "--set", "context=32", "--set", "sinks=[1, 4]", "--set", "startPositions=2"] }, // 2 texts of 96 tokens at 3× a context of 32: full, window 32, 1 and 4 sinks
        { "rank-collapse-depth", ["--set", "depths=[1, 2, 4, 8]", "--set", "seeds=2", "--set", "dModel=32", "--set", "heads=2", "--set", "mlp=64", "--set", "vocab=64", "--set", "tokens=12"] }, // 2 × 4 random models per layout, 12 random tokens
        { "attention-dilution", ["--set", "text:texts=[\"The jury said it did find that many of the voters had been misled.\"]", "--set", "window=4", "--set", "retrieval.pairs=3", "--set", "retrieval.trials=2"] },
        { "code-length", ["--set", "texts=[\"The jury said it did find that many of the voters had been misled, and the election was held again in the fall.\", \"Ünïcödé — “quotes” and 中文.\"]", "--set", "corpus=tests/TrajectoryLab.Cli.Tests/Coding/ngram-corpus.txt", "--set", "validationFraction=0.25", "--set", "baselines=false", "--set", "curvePoints=8"] }, // n-grams on a committed 8-paragraph corpus; the tools' sizes vary by version, left out
        { "ffn-memory", ["--set", "text:texts=[\"The jury said it did find that many of the voters had been misled.\", \"She looked at him and said nothing, then walked out of the room.\"]", "--set", "topPrefixes=5", "--set", "prefixesShown=2", "--set", "permutations=20", "--set", "bootstrapResamples=50"] }, // two texts, every layer ablated
        { "degeneration-protocol", ["--set", "text:texts=[\"The jury said it did find that many of the voters had been misled, and the election was held again in the fall.\", \"She looked at him and said nothing, then walked out of the room and down the long hall to the door.\"]", "--set", "windows=1", "--set", "prefixTokens=6", "--set", "continuationTokens=10", "--set", "decoders=[\"greedy\", \"beam-3\", \"top-k-50\", \"top-p-0.95\", \"sampling-t-1\", \"sampling-t-0.9\"]", "--set", "beamPrompts=1"] }, // 2 prefixes of 6 tokens, 10-token continuations; beam 3, one prefix per session
        { "entropy-profile", ["--set", "text:texts=[\"The jury said it did find that many of the voters had been misled.\"]", "--set", "promptTokens=4", "--set", "generateTokens=6", "--set", "topK=3", "--set", "stripTokens=20", "--set", "sweep.count=5", "--set", "bootstrapResamples=50"] },
        { "entropy-rate-drift", ["--set", "text:texts=[\"The jury said it did find that many of the voters had been misled, and the election was held again in the fall.\", \"She looked at him and said nothing, then walked out of the room and down the long hall to the door.\"]", "--set", "text:tokens=24", "--set", "prompts=2", "--set", "samples=2", "--set", "context=16", "--set", "lengthFactor=2", "--set", "bucketTokens=8", "--set", "topK=4", "--set", "calibratedGenerations=2"] }, // 2 texts, 2 × 2 samples and 2 calibrated generations of 32 tokens, k = 4; context set for the Mamba of EveryArchitectureTests
    };

    string RunFolder(string experiment) => Directory.GetDirectories(Path.Combine(_results, experiment)).Single();

    static JsonElement Manifest(string folder) => JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json"))).RootElement;

    [Theory]
    [MemberData(nameof(SmallConfigs))]
    public void RunsAndWritesACompleteRunFolder(string experiment, string[] overrides)
    {
        var (code, stdout, stderr) = CliHost.Run(["run", experiment, "--results", _results, .. overrides]);
        Assert.True(code == 0, stderr);
        var folder = RunFolder(experiment);
        Assert.Equal(Path.Combine(folder, "report.html"), stdout.Trim());

        var manifest = Manifest(folder);
        Assert.Equal("completed", manifest.GetProperty("status").GetString(), ignoreCase: true);
        Assert.Equal(experiment, manifest.GetProperty("experiment").GetString());
        Assert.Equal("cpu", manifest.GetProperty("device").GetString()); // read from the config's "device" (top level or a block's)
        Assert.True(manifest.GetProperty("wallSeconds").GetDouble() > 0);
        Assert.NotEmpty(manifest.GetProperty("headline").EnumerateObject());
        if (!experiment.StartsWith("bench-", StringComparison.Ordinal)) Golden.GoldenResults.Check(experiment, folder); // the numbers themselves
        foreach (var file in new[] { "config.json", "report.md", "report.html", "report.json" })
            Assert.True(File.Exists(Path.Combine(folder, file)), file);
        Assert.NotEmpty(Directory.GetFiles(folder, "*.csv"));
        var svgs = Directory.GetFiles(folder, "*.svg");
        Assert.NotEmpty(svgs);
        foreach (var svg in svgs) Assert.True(File.Exists(Path.ChangeExtension(svg, ".png")), svg);
        Assert.Empty(Directory.GetFiles(folder, "*.tmp", SearchOption.AllDirectories));
        Assert.True(File.Exists(Path.Combine(_results, "index.html")));
        Assert.Contains(experiment, File.ReadAllText(Path.Combine(_results, "index.html")));

        // The report re-renders from the saved data alone: with a typed result (result.json), every table, figure and the
        // report come back from it and carry the same numbers; otherwise the saved figures are drawn again.
        var typed = File.Exists(Path.Combine(folder, "result.json"));
        foreach (var svg in svgs) File.Delete(svg);
        if (typed)
            foreach (var file in Directory.GetFiles(folder).Where(f => Path.GetExtension(f) is ".csv" or ".png" || Path.GetFileName(f).StartsWith("report.", StringComparison.Ordinal)))
                File.Delete(file);
        var (reportCode, _, reportErr) = CliHost.Run("report", folder);
        Assert.True(reportCode == 0, reportErr);
        Assert.Equal(svgs.Length, Directory.GetFiles(folder, "*.svg").Length);
        if (typed && !experiment.StartsWith("bench-", StringComparison.Ordinal)) Golden.GoldenResults.Check(experiment, folder);
    }

    [Fact]
    public void TheEffectiveConfigReRunsToTheSameNumbers()
    {
        Assert.Equal(0, CliHost.Run("run", "henon-spectrum", "--results", _results, "--set", "spectrum.steps=5000", "--set", "portraitPoints=0").Code);
        var first = RunFolder("henon-spectrum");
        var (code, _, err) = CliHost.Run("run", Path.Combine(first, "config.json"), "--results", _results);
        Assert.True(code == 0, err);
        var runs = Directory.GetDirectories(Path.Combine(_results, "henon-spectrum")).Order().ToArray();
        Assert.Equal(2, runs.Length);
        Assert.Equal(File.ReadAllText(Path.Combine(runs[0], "spectrum.csv")), File.ReadAllText(Path.Combine(runs[1], "spectrum.csv")));
    }

    [Fact]
    public void BadConfigurationFailsBeforeAnyRunFolderExists()
    {
        var (code, _, stderr) = CliHost.Run("run", "henon-spectrum", "--results", _results, "--set", "spectrum.stepz=10");
        Assert.Equal(2, code);
        Assert.Contains("henon-spectrum.json", stderr);
        Assert.Contains("'spectrum:stepz'", stderr);
        Assert.False(Directory.Exists(Path.Combine(_results, "henon-spectrum")));
    }

    [Fact]
    public void CancellationLeavesAWholeFolderMarkedCancelled()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        var (code, _, _) = CliHost.Run(cancelled.Token, "run", "henon-spectrum", "--results", _results);
        Assert.Equal(130, code);
        var folder = RunFolder("henon-spectrum");
        Assert.Equal("cancelled", Manifest(folder).GetProperty("status").GetString(), ignoreCase: true);
        Assert.True(File.Exists(Path.Combine(folder, "report.html")));
        Assert.Empty(Directory.GetFiles(folder, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void ListShowsEveryExperimentWithItsDescription()
    {
        var (code, stdout, _) = CliHost.Run("list");
        Assert.Equal(0, code);
        foreach (var (name, _) in SmallConfigs.Select(r => ((string)r[0], r[1])))
            Assert.Matches($@"(?m)^{name}\s+\S", stdout);
    }

    [Fact]
    public void HelpIsAvailableForEveryCommand()
    {
        foreach (var command in new[] { "list", "run", "report" })
        {
            var (code, stdout, _) = CliHost.Run(command, "--help");
            Assert.Equal(0, code);
            Assert.StartsWith($"usage: trajectorylab {command}", stdout);
        }
        Assert.Equal(2, CliHost.Run("frobnicate").Code);
    }
}
