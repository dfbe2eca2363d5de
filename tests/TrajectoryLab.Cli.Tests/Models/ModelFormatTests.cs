// Every model format reaches the experiments from the command line: a llama2.c .bin (with tokenizer.bin beside it, or
// with none and prompts given as token ids), a Hugging Face folder without tokenizer.json (texts as ids), a bare
// .safetensors file with config.json beside it; and text given to a model without a tokenizer is refused up front.
using System.Text.Json.Nodes;
using static TrajectoryLab.Cli.Tests.Models.TinyModelFiles;

namespace TrajectoryLab.Cli.Tests.Models;

[Collection(ConsoleCollection.Name)]
public sealed class ModelFormatTests : IDisposable
{
    readonly string _work = Directory.CreateTempSubdirectory("tlab-formats-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    string Results => Path.Combine(_work, "results");

    string Folder(string name) => Directory.CreateDirectory(Path.Combine(_work, name)).FullName;

    JsonNode Completed(string experiment, params string[] args)
    {
        var (code, stdout, stderr) = CliHost.Run(["run", experiment, "--results", Results, .. args]);
        Assert.True(code == 0, $"exit {code}: {stderr} {stdout}");
        var run = Directory.GetDirectories(Path.Combine(Results, experiment)).OrderBy(d => d, StringComparer.Ordinal).Last();
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "manifest.json")))!;
        Assert.Equal("completed", manifest["status"]!.GetValue<string>());
        return manifest;
    }

    static readonly string TextIds = "[[1, 17, 250, 9, 33, 1021, 7, 400, 12, 3, 88, 2048, 5, 61, 904, 15, 2, 300, 71, 19, 4000, 6, 210, 11]]";

    static string[] TinyLyapunov(string model) =>
    [
        "--set", $"model.name={model}", "--set", $"text.ids={TextIds}", "--set", "directions=2", "--set", "layers=[0, 1]",
        "--set", "promptLength=4", "--set", "transient=2", "--set", "ftleWindow=4", "--set", "epsilonSweep=[1e-3]",
    ];

    [Fact]
    public void Llama2cBinWithItsTokenizerRunsGenerateFromText()
    {
        var folder = Folder("bin");
        var bin = Llama2cBin(Path.Combine(folder, "model.bin"));
        Llama2cTokenizer(Path.Combine(folder, "tokenizer.bin"));
        var manifest = Completed("generate", "--set", $"model={bin}", "--set", "maxNewTokens=4", "--set", "prompts=[\"The jury said\"]");
        Assert.Contains("continuations in a loop", manifest["headline"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void Llama2cBinWithoutATokenizerRunsGenerateAndLyapunovOnTokenIds()
    {
        var bin = Llama2cBin(Path.Combine(Folder("bin"), "model.bin"));

        var (code, _, stderr) = CliHost.Run(["run", "generate", "--results", Results, "--set", $"model={bin}"]);
        Assert.Equal(2, code);
        Assert.Contains("key 'prompts'", stderr);
        Assert.Contains("has no tokenizer (no tokenizer.bin beside it)", stderr);
        Assert.Contains("promptIds", stderr);
        Assert.False(Directory.Exists(Path.Combine(Results, "generate")));

        Completed("generate", "--set", $"model={bin}", "--set", "maxNewTokens=4", "--set", "promptIds=[[1, 17, 250], [1, 9]]");
        var manifest = Completed("lyapunov-teacher-forced", TinyLyapunov(bin));
        Assert.IsType<double>(manifest["headline"]!["lambda1 trained (layer 0)"]!.GetValue<double>());
    }

    [Fact]
    public void AHuggingFaceFolderWithoutATokenizerRunsOnTokenIdsAndRefusesText()
    {
        var folder = HfFolder(Folder("hf"), tokenizer: false);

        var (code, _, stderr) = CliHost.Run(["run", "lyapunov-teacher-forced", "--results", Results, "--set", $"model.name={folder}"]);
        Assert.Equal(2, code);
        Assert.Contains("key 'text:corpus'", stderr);
        Assert.Contains("has no tokenizer (no tokenizer.json)", stderr);

        Completed("generate", "--set", $"model={folder}", "--set", "maxNewTokens=4", "--set", "promptIds=[[5, 6, 7]]");
        Completed("lyapunov-teacher-forced", TinyLyapunov(folder));
    }

    [Fact]
    public void ASafetensorsFileAndAnExplicitTokenizerAreAccepted()
    {
        var folder = HfFolder(Folder("hf"), tokenizer: false);
        var tokenizer = Path.Combine(Environment.GetEnvironmentVariable("TRAJECTORYLAB_ROOT")!, "models", "brown-small", "tokenizer.json");
        Completed("generate", "--set", $"model={Path.Combine(folder, "model.safetensors")}", "--set", $"tokenizer={tokenizer}", "--set", "maxNewTokens=3");
    }

    [Fact]
    public void CheckReportsWhatItVerifiedOrTheCulprit()
    {
        var folder = Folder("check");
        var bin = Llama2cBin(Path.Combine(folder, "model.bin"));
        var (code, stdout, stderr) = CliHost.Run("check", bin);
        Assert.True(code == 0, stderr);
        Assert.Contains("llama2.c checkpoint", stdout);
        Assert.Contains("llama: 2 layers, d_model 16, 4 heads (2 key/value) of 4", stdout);
        Assert.Contains("11 arrays", stdout); // tied: no wcls
        Assert.Contains("every value finite", stdout);
        Assert.Contains("no tokenizer", stdout);

        File.WriteAllBytes(bin, File.ReadAllBytes(bin)[..^8]);
        (code, stdout, stderr) = CliHost.Run("check", bin);
        Assert.Equal(2, code);
        Assert.Contains("model.bin", stderr);
        Assert.Equal("", stdout);
    }

    [Fact]
    public void TheBinExportLoadsBackToTheSameLogits()
    {
        var folder = Folder("same");
        var bin = Llama2cBin(Path.Combine(folder, "model.bin"));
        HfFolder(folder, tokenizer: false);
        using var fromBin = TrajectoryLab.Torch.Generation.LanguageModel.Load(bin);
        using var fromHf = TrajectoryLab.Torch.Generation.LanguageModel.Load(folder);
        float[] Logits(TrajectoryLab.Torch.Generation.LanguageModel m)
        {
            using var session = m.StartSession(new() { MaxNewTokens = 1, Outputs = TrajectoryLab.Torch.Generation.StepOutputs.Logits });
            return session.Prefill([[1, 17, 250, 9]]).Logits![0];
        }
        Assert.Equal(Logits(fromHf), Logits(fromBin)); // float32 round trip through run.c's layout is exact
    }
}
