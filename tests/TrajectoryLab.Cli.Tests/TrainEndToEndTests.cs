// train-brown end to end on a tiny configuration (the real experiment file plus overrides, a plain-text corpus so no
// network is needed): a complete run folder with the HF model folder, curves, figures and continuations; a killed run
// resumed with --set resume=<run folder> gives the same curves as an uninterrupted one; the corpus command counts.
using System.Text.Json;

namespace TrajectoryLab.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed class TrainEndToEndTests : IDisposable
{
    readonly string _results = Directory.CreateTempSubdirectory("tlab-train-results-").FullName;
    readonly string _corpus = Directory.CreateTempSubdirectory("tlab-train-corpus-").FullName;

    public TrainEndToEndTests()
    {
        string[] sentences =
        [
            "The jury said the election was conducted with care.", "It was a bright cold day in April.",
            "The cat sat on the mat and looked at the dog.", "She sells sea shells by the sea shore.",
        ];
        for (var d = 0; d < 8; d++)
            File.WriteAllText(Path.Combine(_corpus, $"doc{d}.txt"),
                string.Join("\n\n", Enumerable.Range(0, 5).Select(i => string.Join(" ", Enumerable.Range(0, 3).Select(j => sentences[(d + i + j * 3) % 4])))));
    }

    public void Dispose()
    {
        Directory.Delete(_results, recursive: true);
        Directory.Delete(_corpus, recursive: true);
    }

    string[] Tiny(int steps) =>
    [
        "--results", _results, "--set", $"corpus.source={_corpus}", "--set", "corpus.validationFraction=0.25",
        "--set", "model.dim=32", "--set", "model.layers=2", "--set", "model.heads=4", "--set", "model.kvHeads=2",
        "--set", "model.hidden=64", "--set", "model.context=32", "--set", $"steps={steps}", "--set", "batchSize=8",
        "--set", "optimizer.warmupSteps=3", "--set", "optimizer.learningRate=0.01", "--set", "optimizer.minLearningRate=0.001",
        "--set", "monitor.every=5", "--set", "monitor.batch=4", "--set", "checkpointEvery=5", "--set", "evaluationTokens=0",
        "--set", "samples.tokens=16", "--set", "threads=1",
    ];

    [Fact]
    public void TheTrainedModelGeneratesWithEntropyOnEveryToken()
    {
        var (trainCode, trainOut, trainErr) = CliHost.Run(["run", "train-brown", .. Tiny(20)]);
        Assert.True(trainCode == 0, trainErr);
        Golden.GoldenResults.Check("train-brown", Path.GetDirectoryName(trainOut.Trim())!);
        var model = Path.Combine(Path.GetDirectoryName(trainOut.Trim())!, "model");
        var (code, stdout, stderr) = CliHost.Run("run", "generate", "--results", _results, "--set", $"model={model}",
            "--set", "maxNewTokens=24", "--set", "prompts:0=The jury said", "--set", "prompts:1=She sells");
        Assert.True(code == 0, stderr);
        var folder = Path.GetDirectoryName(stdout.Trim())!;
        var tokens = TrajectoryLab.Reporting.Tables.CsvTable.Read(Path.Combine(folder, "tokens.csv")); // token texts may hold newlines
        Assert.Equal(["prompt", "step", "token_id", "token", "entropy_nats", "surprisal_nats"], tokens.ColumnNames);
        Assert.Equal(4, tokens.Ints("prompt").Distinct().Count()); // two prompts overridden, two from the file
        Assert.All(tokens.Ints("step"), s => Assert.InRange(s, 0, 23));
        Assert.All(tokens.Doubles("entropy_nats"), h => Assert.InRange(h, 0, Math.Log(10_000)));
        Assert.Equal(4, TrajectoryLab.Reporting.Tables.CsvTable.Read(Path.Combine(folder, "loops.csv")).RowCount);
        Assert.True(File.Exists(Path.Combine(folder, "entropy-per-step.svg")));
        Assert.Contains("<div class=\"tokens\">", File.ReadAllText(Path.Combine(folder, "report.html"))); // tokens coloured by entropy
    }

    [Fact]
    public void GenerateWithAMissingModelFailsBeforeAnyRunFolderNamingTheKey()
    {
        var (code, _, stderr) = CliHost.Run("run", "generate", "--results", _results, "--set", "model=/nonexistent/model");
        Assert.Equal(2, code);
        Assert.Contains("key 'model'", stderr);
        Assert.False(Directory.Exists(Path.Combine(_results, "generate")));
    }

    [Fact]
    public void TrainsATinyModelIntoACompleteRunFolder()
    {
        var (code, stdout, stderr) = CliHost.Run(["run", "train-brown", .. Tiny(50)]);
        Assert.True(code == 0, stderr);
        var folder = Path.GetDirectoryName(stdout.Trim())!;
        foreach (var file in new[] { "model/config.json", "model/model.safetensors", "model/tokenizer.json", "steps.csv", "monitor.csv",
                     "perplexity.csv", "loss.svg", "entropy-histogram.svg", "validation-perplexity.svg", "position-entropy.svg", "report.md" })
            Assert.True(File.Exists(Path.Combine(folder, file)), file);
        var headline = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json"))).RootElement.GetProperty("headline");
        var (model, unigram) = (headline.GetProperty("validation perplexity (model)").GetDouble(), headline.GetProperty("validation perplexity (unigram)").GetDouble());
        Assert.True(model < unigram, $"model perplexity {model}, unigram {unigram}");
        var monitor = File.ReadAllLines(Path.Combine(folder, "monitor.csv"));
        Assert.Equal(1 + 2 * 11, monitor.Length); // steps 0, 5, …, 50, train and validation
        var report = File.ReadAllText(Path.Combine(folder, "report.md"));
        Assert.Contains("greedy:  The jury said", report);
        Assert.Contains("sampled: The jury said", report);
        Assert.Empty(Directory.GetFiles(folder, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public void AKilledRunResumesToTheSameCurves()
    {
        Assert.Equal(0, CliHost.Run(["run", "train-brown", .. Tiny(20)]).Code);
        var straight = Directory.GetDirectories(Path.Combine(_results, "train-brown")).Single();

        // Pause at step 12 (as a kill after the checkpoint at 12 would leave it), then resume in a new invocation.
        var killed = Path.Combine(_results, "killed");
        var (code, stdout, stderr) = CliHost.Run(["run", "train-brown", .. Tiny(20), "--results", killed, "--set", "stopAfter=12"]);
        Assert.True(code == 0, stderr);
        var killedFolder = Path.GetDirectoryName(stdout.Trim())!;
        Assert.True(Directory.Exists(Path.Combine(killedFolder, "checkpoints", "step-0000012")));

        var (resumeCode, resumeOut, resumeErr) = CliHost.Run(["run", "train-brown", .. Tiny(20), "--results", killed, "--set", $"resume={killedFolder}"]);
        Assert.True(resumeCode == 0, resumeErr);
        var resumed = Path.GetDirectoryName(resumeOut.Trim())!;
        Assert.NotEqual(killedFolder, resumed);
        foreach (var table in new[] { "steps.csv", "monitor.csv", "perplexity.csv" })
            Assert.Equal(File.ReadAllText(Path.Combine(straight, table)), File.ReadAllText(Path.Combine(resumed, table)));
        Assert.Equal(File.ReadAllBytes(Path.Combine(straight, "model", "model.safetensors")), File.ReadAllBytes(Path.Combine(resumed, "model", "model.safetensors")));
        Assert.Contains("Resumed from the checkpoint at step", File.ReadAllText(Path.Combine(resumed, "report.md")));
    }

    [Fact]
    public void CorpusCommandCountsAPlainTextCorpus()
    {
        var (code, stdout, stderr) = CliHost.Run("corpus", _corpus, "--validation", "0.25");
        Assert.True(code == 0, stderr);
        Assert.Contains("8 documents", stdout);
        Assert.Matches(@"train\s+6 documents", stdout);
        Assert.Matches(@"validation \(0\.25, seed 42\)\s+2 documents", stdout);
    }

    [Fact]
    public void CorpusCommandNamesAMissingPath()
    {
        var (code, _, stderr) = CliHost.Run("corpus", Path.Combine(_corpus, "missing"));
        Assert.Equal(1, code);
        Assert.Contains("missing: no such file or folder", stderr);
    }
}
