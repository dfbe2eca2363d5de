// Tiny random GPT-NeoX configs covering every option of the family (parallel and sequential residual, exact and tanh
// GELU, partial and full rotary, attention biases on and off, tied and untied head, linear and dynamic rope scaling),
// with helpers to build them with fully random weights and to get the double-precision reference over their Hugging
// Face tensors.
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Tests.Reference;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

internal static class TinyGptNeoXs
{
    /// <summary>A gpt_neox block design.</summary>
    public static BlockDesign Design(bool parallel = true, bool exactGelu = true, int? rotaryDims = null) => new()
    {
        Norm = NormKind.Layer,
        Mlp = exactGelu ? MlpKind.GeluExact : MlpKind.GeluTanh,
        MlpBias = true,
        Residual = parallel ? ResidualLayout.Parallel : ResidualLayout.PreNorm,
        RotaryDims = rotaryDims,
    };

    /// <summary>Pythia's shape in small: parallel residual, exact GELU, rotary_pct 0.25 (4 of d_head 16), every bias.</summary>
    private static ModelSpec Base => new(
        ModelType: "gpt_neox", VocabSize: 61, HiddenSize: 32, IntermediateSize: 64, NumLayers: 2, NumHeads: 2, NumKvHeads: 2,
        HeadDim: 16, RmsNormEps: 1e-5, RopeTheta: 10000, RopeScaling: null, TieWordEmbeddings: false, QkvBias: true,
        OutputBias: true, MaxPositionEmbeddings: 64, Design: Design(rotaryDims: 4));

    /// <summary>Every option once; the dynamic config's context (8) is shorter than the test sequences so its scaling acts.</summary>
    public static readonly IReadOnlyDictionary<string, ModelSpec> Specs = new Dictionary<string, ModelSpec>
    {
        ["neox-parallel-partial"] = Base,
        ["neox-sequential-tanh-tied-no-bias"] = Base with
        {
            HiddenSize = 24, IntermediateSize = 40, NumLayers = 3, NumHeads = 4, NumKvHeads = 4, HeadDim = 6, RmsNormEps = 1e-3,
            RopeTheta = 100, TieWordEmbeddings = true, QkvBias = false, OutputBias = false,
            Design = Design(parallel: false, exactGelu: false),
        },
        ["neox-rope-linear"] = Base with
        {
            NumHeads = 4, NumKvHeads = 4, HeadDim = 8, RopeScaling = new RopeScaling(RopeScalingKind.Linear, 4),
            Design = Design(rotaryDims: 4),
        },
        ["neox-rope-dynamic"] = Base with
        {
            MaxPositionEmbeddings = 8, RopeScaling = new RopeScaling(RopeScalingKind.Dynamic, 2),
            Design = Design(parallel: false, rotaryDims: 6),
        },
    };

    /// <summary>Names for xunit theories.</summary>
    public static TheoryData<string> Names => new(Specs.Keys);

    /// <summary>Every config but dynamic scaling, whose frequencies follow the pass length (as in Hugging Face).</summary>
    public static TheoryData<string> CachedNames => new(Specs.Keys.Where(k => k != "neox-rope-dynamic"));

    /// <summary>A model with every parameter random.</summary>
    public static DecoderModel Create(string name, long seed = 7, ScalarType dtype = ScalarType.Float32) =>
        FamilyParity.RandomModel(Specs[name], seed, dtype);

    /// <summary>The reference over the tensors <paramref name="model"/> saves as a Hugging Face folder, read back by name.</summary>
    public static ReferenceGptNeoX Reference(DecoderModel model) => new(model.Spec, FamilyParity.HfTensors(model));
}
