// Tiny random Phi-3 configs covering every option of the family (multi-head and grouped-query attention, partial rotary
// and a tied head as Phi-4-mini has them, a sliding window shorter than the test sequences, a head_dim other than
// hidden_size / heads), with helpers to build them with fully random weights and to get the double-precision reference
// over their Hugging Face tensors.
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Tests.Reference;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

internal static class TinyPhi3s
{
    private static ModelSpec Base => new(
        ModelType: "phi3", VocabSize: 61, HiddenSize: 32, IntermediateSize: 48, NumLayers: 2, NumHeads: 4, NumKvHeads: 4,
        HeadDim: 8, RmsNormEps: 1e-5, RopeTheta: 10000, RopeScaling: null, TieWordEmbeddings: false, QkvBias: false,
        OutputBias: false, MaxPositionEmbeddings: 64, Design: BlockDesign.Llama);

    /// <summary>Every option once.</summary>
    public static readonly IReadOnlyDictionary<string, ModelSpec> Specs = new Dictionary<string, ModelSpec>
    {
        ["phi3-mha"] = Base,
        ["phi3-gqa-partial-tied"] = Base with
        {
            NumKvHeads = 2, TieWordEmbeddings = true, RopeTheta = 500, Design = BlockDesign.Llama with { RotaryDims = 6 },
        },
        ["phi3-window-head-dim"] = Base with { NumKvHeads = 1, HeadDim = 12, NumLayers = 3, SlidingWindow = 4 },
    };

    /// <summary>Names for xunit theories.</summary>
    public static TheoryData<string> Names => new(Specs.Keys);

    /// <summary>A model with every parameter random.</summary>
    public static DecoderModel Create(string name, long seed = 7, ScalarType dtype = ScalarType.Float32) =>
        FamilyParity.RandomModel(Specs[name], seed, dtype);

    /// <summary>The reference over the tensors <paramref name="model"/> saves as a Hugging Face folder, read back by name.</summary>
    public static ReferencePhi3 Reference(DecoderModel model) => new(model.Spec, FamilyParity.HfTensors(model));
}
