// Tiny random configs of the Llama-style families with q/k norms or sliding windows — Qwen3 (every option: explicit
// head_dim unlike hidden/heads, GQA/MQA/MHA, tied head with q/k/v/o biases, windows on some or all layers, rope
// scaling), OLMo 2 (GQA, MQA, biases, tied head, an explicit head_dim, rope scaling) and Mistral/Qwen2 with windows
// shorter than the test sequences — each with the sliding window of every layer written out independently, and
// helpers to build them with random weights and to get the double-precision reference over their saved HF tensors.
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Models.Families;
using TrajectoryLab.Torch.Tests.Reference;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

internal static class TinyQwen3s
{
    private static ModelSpec Qwen3Base => new(
        ModelType: "qwen3", VocabSize: 61, HiddenSize: 32, IntermediateSize: 48, NumLayers: 2, NumHeads: 4, NumKvHeads: 2,
        HeadDim: 12, RmsNormEps: 1e-6, RopeTheta: 10000, RopeScaling: null, TieWordEmbeddings: false, QkvBias: false,
        OutputBias: false, MaxPositionEmbeddings: 64, Design: Qwen3Family.Design);

    private static ModelSpec Olmo2Base => new(
        ModelType: "olmo2", VocabSize: 59, HiddenSize: 32, IntermediateSize: 40, NumLayers: 2, NumHeads: 4, NumKvHeads: 2,
        HeadDim: 8, RmsNormEps: 1e-5, RopeTheta: 500000, RopeScaling: null, TieWordEmbeddings: false, QkvBias: false,
        OutputBias: false, MaxPositionEmbeddings: 64, Design: Olmo2Family.Design);

    /// <summary>Qwen3: every option once; the windows (3, 4) are shorter than the 9–12-token test sequences.</summary>
    public static readonly IReadOnlyDictionary<string, (ModelSpec Spec, int?[] Windows)> Qwen3 = new Dictionary<string, (ModelSpec, int?[])>
    {
        ["qwen3-gqa-head-dim"] = (Qwen3Base, [null, null]),
        ["qwen3-tied-bias"] = (Qwen3Base with { NumKvHeads = 4, HeadDim = 8, TieWordEmbeddings = true, QkvBias = true, OutputBias = true,
            RopeTheta = 1e6 }, [null, null]),
        ["qwen3-window-upper-layers"] = (Qwen3Base with { NumLayers = 3, Design = Qwen3Family.Design with { LayerWindows = [null, 3, 3] } },
            [null, 3, 3]),
        ["qwen3-window-all-mqa"] = (Qwen3Base with { NumKvHeads = 1, SlidingWindow = 4 }, [4, 4]),
        ["qwen3-rope-linear"] = (Qwen3Base with { RopeScaling = new RopeScaling(RopeScalingKind.Linear, 4) }, [null, null]),
        ["qwen3-rope-llama3"] = (Qwen3Base with { RopeTheta = 500, RopeScaling = new RopeScaling(RopeScalingKind.Llama3, 8, 1, 4, 64) },
            [null, null]),
    };

    /// <summary>OLMo 2: every option once (it has no sliding windows).</summary>
    public static readonly IReadOnlyDictionary<string, (ModelSpec Spec, int?[] Windows)> Olmo2 = new Dictionary<string, (ModelSpec, int?[])>
    {
        ["olmo2-gqa"] = (Olmo2Base, [null, null]),
        ["olmo2-mqa-rope-linear"] = (Olmo2Base with { NumKvHeads = 1, RopeScaling = new RopeScaling(RopeScalingKind.Linear, 2) },
            [null, null]),
        ["olmo2-bias-tied-head-dim"] = (Olmo2Base with { NumLayers = 3, NumKvHeads = 4, HeadDim = 6, QkvBias = true, OutputBias = true,
            TieWordEmbeddings = true }, [null, null, null]),
    };

    /// <summary>Mistral and Qwen2 with windows shorter than the test sequences (Qwen2: only the layers from
    /// max_window_layers = 1 on slide).</summary>
    public static readonly IReadOnlyDictionary<string, (ModelSpec Spec, int?[] Windows)> Windowed =
        new Dictionary<string, (ModelSpec, int?[])>
    {
        ["mistral-window-3"] = (Qwen3Base with { ModelType = "mistral", HeadDim = 8, SlidingWindow = 3, Design = null }, [3, 3]),
        ["mistral-window-1"] = (Qwen3Base with { ModelType = "mistral", HeadDim = 8, NumKvHeads = 1, SlidingWindow = 1, Design = null },
            [1, 1]),
        ["qwen2-window-upper-layers"] = (Qwen3Base with { ModelType = "qwen2", NumLayers = 3, HeadDim = 8, QkvBias = true,
            TieWordEmbeddings = true, Design = BlockDesign.Llama with { LayerWindows = [null, 4, 4] } }, [null, 4, 4]),
    };

    /// <summary>Every config of the three tables.</summary>
    public static IReadOnlyDictionary<string, (ModelSpec Spec, int?[] Windows)> All { get; } =
        Qwen3.Concat(Olmo2).Concat(Windowed).ToDictionary(p => p.Key, p => p.Value);

    public static TheoryData<string> Qwen3Names => new(Qwen3.Keys);

    public static TheoryData<string> Olmo2Names => new(Olmo2.Keys);

    public static TheoryData<string> WindowedNames => new(Windowed.Keys);

    /// <summary>A model with every parameter random (norm weights near 1, biases nonzero), so each one matters.</summary>
    public static DecoderModel Create(string name, long seed = 7, ScalarType dtype = ScalarType.Float32)
    {
        var model = new DecoderModel(All[name].Spec, dtype);
        model.InitializeRandom(seed, std: 0.2);
        using var noGrad = no_grad();
        // A private stream with the seed the global one had: tests run in parallel, and draws from the shared generator
        // could interleave with another test's.
        using var draws = new Generator((ulong)(seed + 1));
        foreach (var (n, p) in model.named_parameters())
            if (n.EndsWith(".w", StringComparison.Ordinal) || n.Contains(".b_", StringComparison.Ordinal))
                p.add_(randn(p.shape, dtype: p.dtype, device: p.device, generator: draws).mul_(0.3));
        return model;
    }

    /// <summary>The reference over the tensors <paramref name="model"/> saves as a Hugging Face folder, read back by name
    /// in the HF layout (so the weight map is under test too).</summary>
    public static ParityChecks.ReferenceForward Reference(DecoderModel model, string name)
    {
        using var folder = new TempFolder();
        HfModelFolder.Save(model, folder.Path);
        var hf = TinyGpt2s.ReadAll(folder.File(SafetensorsCheckpoint.SingleFileName));
        return model.Spec.ModelType == "olmo2"
            ? new ReferenceOlmo2(model.Spec, hf).Forward
            : new ReferenceQwen3(model.Spec, hf, All[name].Windows).Forward;
    }
}
