// Every experiment that takes a model, on a tiny random checkpoint of every architecture: each experiment's tiny
// configuration (ExperimentEndToEndTests.SmallConfigs) with "model" pointing at a Hugging Face folder written at test
// time — every supported model_type but the default's llama, shaped by ModelSpec.Shaped with the family's distinctive
// design (mistral's window, gpt2's learned positions, gpt_neox's parallel residual and partial rotary, phi3's window and
// partial rotary, gemma's (1 + w) norms and scaled embeddings, gemma2's sliding layers and soft-caps, gemma3_text's
// local/global rotary bases and q/k norms, qwen3's per-head and olmo2's whole-projection q/k norms with post-norms, a
// Mamba) over the default model's tokenizer (4096 ids), so that the configurations' texts and prompts read as they are.
// A run completes with exit code 0, a completed manifest and numeric headlines that are finite; only the experiments
// that measure attention itself refuse a Mamba, in one preflight line with exit code 2 and no run folder.
// Filter with --filter "FullyQualifiedName~EveryArchitectureTests".
using System.Text.Json;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Cli.Tests.Models;

/// <summary>The tiny checkpoints, written once per test class into a temporary folder.</summary>
public sealed class TinyArchitectures : IDisposable
{
    /// <summary>d_model 32, 4 layers (the tiny configurations perturb and sweep layers up to 3), 4 query heads over 2
    /// key/value heads, MLP 64, context 64, windows of 8 positions (shorter than the texts), tied head, the default
    /// tokenizer's 4096 ids.</summary>
    public static readonly ModelSizes Sizes = new(4096, 32, 4, 4, 64, 64, KvHeads: 2, Window: 8);

    /// <summary>Every supported model_type but llama, which is the default model that ExperimentEndToEndTests runs.</summary>
    public static readonly string[] Names =
        ["mistral", "qwen2", "gpt2", "gpt_neox", "phi3", "gemma", "gemma2", "gemma3_text", "qwen3", "olmo2", "mamba"];

    readonly string _root = Directory.CreateTempSubdirectory("tlab-archs-").FullName;
    readonly Dictionary<string, string> _folders = [];

    static string Repository => Environment.GetEnvironmentVariable("TRAJECTORYLAB_ROOT")!;

    /// <summary>The folder of <paramref name="modelType"/>'s checkpoint: config.json, model.safetensors (N(0, 0.3²) weights, so
    /// that the layers mix) and the default model's tokenizer files.</summary>
    public string Folder(string modelType)
    {
        lock (_folders)
        {
            if (_folders.TryGetValue(modelType, out var known))
                return known;
            var folder = Directory.CreateDirectory(Path.Combine(_root, modelType)).FullName;
            using (var model = LanguageModel.Random(ModelSpec.Shaped(modelType, Sizes), seed: 5, std: 0.3))
                model.Save(folder);
            foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json" })
                File.Copy(Path.Combine(Repository, "models", "brown-small", file), Path.Combine(folder, file));
            return _folders[modelType] = folder;
        }
    }

    /// <summary>Deletes the checkpoints.</summary>
    public void Dispose() => Directory.Delete(_root, recursive: true);
}

[Collection(ConsoleCollection.Name)]
[Trait("Category", "EveryArchitecture")]
public sealed class EveryArchitectureTests(TinyArchitectures models) : IClassFixture<TinyArchitectures>, IDisposable
{
    readonly string _results = Directory.CreateTempSubdirectory("tlab-arch-results-").FullName;

    public void Dispose() => Directory.Delete(_results, recursive: true);

    /// <summary>Experiments that measure attention itself, which refuse a model without it.</summary>
    static readonly HashSet<string> AttentionSpecific = ["attention-dilution", "attention-sinks", "bench-spectrum", "rank-collapse"];

    /// <summary>Experiments that read the MLP sublayers, which refuse a model without them.</summary>
    static readonly HashSet<string> MlpSpecific = ["ffn-memory"];

    /// <summary>Overrides beyond the tiny configuration: device-agreement's extra random Llama is not the architecture under
    /// test, and the random-init twin is left out (it is LanguageModel.Random of the same spec, which wrote the checkpoint;
    /// with N(0, 0.02²) weights some of its figures are legitimately undefined, e.g. no greedy loop escapes within ε ≤ 10).</summary>
    static string[] Extra(string experiment) =>
        experiment == "device-agreement" ? ["--set", "randomLlama:enabled=false"]
        : ModelBlock(experiment) is { ValueKind: JsonValueKind.Object } model && model.TryGetProperty("compareRandom", out _)
            ? ["--set", "model:compareRandom=false"]
        : [];

    static JsonElement? ModelBlock(string experiment)
    {
        var file = JsonDocument.Parse(File.ReadAllText(Path.Combine(Environment.GetEnvironmentVariable("TRAJECTORYLAB_ROOT")!,
            "experiments", experiment + ".json"))).RootElement;
        return file.TryGetProperty("model", out var model) ? model : null;
    }

    /// <summary>The key that names the model in <paramref name="experiment"/>'s file ("model" or "model:name"), or null when the
    /// experiment takes no model file (the systems, the benches that build their own model, training).</summary>
    static string? ModelKey(string experiment) =>
        ModelBlock(experiment) is not { } model ? null
        : model.ValueKind == JsonValueKind.String ? "model"
        : model.ValueKind == JsonValueKind.Object && model.TryGetProperty("name", out _) ? "model:name"
        : null;

    static readonly Dictionary<string, string[]> SmallConfigs =
        ExperimentEndToEndTests.SmallConfigs.ToDictionary(r => (string)r[0], r => (string[])r[1]);

    /// <summary>Every experiment that names a model in its file, with every architecture.</summary>
    public static TheoryData<string, string> Cases
    {
        get
        {
            var cases = new TheoryData<string, string>();
            foreach (var experiment in SmallConfigs.Keys.Where(e => ModelKey(e) is not null).Order(StringComparer.Ordinal))
            foreach (var modelType in TinyArchitectures.Names)
                cases.Add(experiment, modelType);
            return cases;
        }
    }

    (int Code, string Out, string Err) Run(string experiment, string modelType, params string[] more) =>
        CliHost.Run([
            "run", experiment, "--results", _results, .. SmallConfigs[experiment],
            "--set", $"{ModelKey(experiment)}={models.Folder(modelType)}", .. Extra(experiment), .. more,
        ]);

    [Theory]
    [MemberData(nameof(Cases))]
    public void RunsOrRefusesAttentionExperimentsInOneLine(string experiment, string modelType)
    {
        var (code, stdout, stderr) = Run(experiment, modelType);
        if (modelType == "mamba" && (AttentionSpecific.Contains(experiment) || MlpSpecific.Contains(experiment)))
        {
            Assert.True(code == 2, $"exit {code}: {stderr}");
            var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.Contains(MlpSpecific.Contains(experiment) ? "this mamba model has no MLP" : "this mamba model has no attention", line);
            Assert.DoesNotContain("   at ", stderr);
            Assert.Equal("", stdout);
            Assert.False(Directory.Exists(Path.Combine(_results, experiment)), "no run folder may be created");
            return;
        }
        Assert.True(code == 0, $"exit {code}: {stderr}");
        AssertCompletedWithFiniteHeadlines(experiment);
    }

    /// <summary>No supported model_type is left out of the runs above.</summary>
    [Fact]
    public void EverySupportedModelTypeIsRun() =>
        Assert.Equal(ModelSpec.SupportedModelTypes.Order(), TinyArchitectures.Names.Append("llama").Order());

    /// <summary>rank-collapse without its attention-path ablations measures a Mamba's residual stream like any other.</summary>
    [Fact]
    public void RankCollapseWithoutTheAttentionAblationsRunsOnAMamba()
    {
        var (code, _, stderr) = Run("rank-collapse", "mamba", "--set", "ablations=false");
        Assert.True(code == 0, $"exit {code}: {stderr}");
        AssertCompletedWithFiniteHeadlines("rank-collapse");
    }

    /// <summary>The Lyapunov report names the state the generation map acts on: the key–value cache of an attention model, the
    /// recurrent state of a Mamba.</summary>
    [Theory]
    [InlineData("mamba", "recurrent state", "KV cache")]
    [InlineData("gemma2", "key–value cache", "recurrent state")]
    public void TheLyapunovReportNamesTheStateOfTheGenerationMap(string modelType, string says, string doesNotSay)
    {
        var (code, _, stderr) = Run("lyapunov-teacher-forced", modelType);
        Assert.True(code == 0, $"exit {code}: {stderr}");
        var folder = Directory.GetDirectories(Path.Combine(_results, "lyapunov-teacher-forced")).Single();
        var report = File.ReadAllText(Path.Combine(folder, "report.md"));
        Assert.Contains(says, report);
        Assert.DoesNotContain(doesNotSay, report);
    }

    void AssertCompletedWithFiniteHeadlines(string experiment)
    {
        var folder = Directory.GetDirectories(Path.Combine(_results, experiment)).Single();
        var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "manifest.json"))).RootElement;
        Assert.Equal("completed", manifest.GetProperty("status").GetString(), ignoreCase: true);
        var headlines = manifest.GetProperty("headline").EnumerateObject().ToList();
        Assert.NotEmpty(headlines);
        Assert.Contains(headlines, h => h.Value.ValueKind == JsonValueKind.Number);
        foreach (var h in headlines) // a number that could not be measured is its reason instead ("breakdown: …", "not measured: …")
            Assert.True(
                h.Value.ValueKind == JsonValueKind.Number
                    ? double.IsFinite(h.Value.GetDouble())
                    : h.Value.ValueKind == JsonValueKind.String && !h.Value.GetString()!.StartsWith("breakdown", StringComparison.Ordinal)
                        && !h.Value.GetString()!.StartsWith("not measured", StringComparison.Ordinal),
                $"{experiment}: {h.Name} = {h.Value}");
    }
}
