// Tiny random GPT-2 configs (tied and untied head, default and explicit n_inner, two epsilons), with helpers to build
// them with fully random weights and to get the double-precision reference over their Hugging Face tensors.
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Tests.Reference;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

internal static class TinyGpt2s
{
    /// <summary>Every GPT-2 option once; n_positions leaves room for the decoding tests' 12 tokens only.</summary>
    public static readonly IReadOnlyDictionary<string, ModelSpec> Specs = new Dictionary<string, ModelSpec>
    {
        ["gpt2-tied"] = ModelSpec.Gpt2(vocabSize: 61, nEmbd: 32, nLayer: 2, nHead: 4, nPositions: 16),
        ["gpt2-untied-inner"] = ModelSpec.Gpt2(vocabSize: 53, nEmbd: 24, nLayer: 3, nHead: 2, nPositions: 12, nInner: 40,
            layerNormEpsilon: 1e-3, tieWordEmbeddings: false),
    };

    /// <summary>Names for xunit theories.</summary>
    public static TheoryData<string> Names => new(Specs.Keys);

    /// <summary>A model with every parameter random (norm weights near 1, norm and linear biases nonzero), so each one matters.</summary>
    public static DecoderModel Create(string name, long seed = 7, ScalarType dtype = ScalarType.Float32)
    {
        var model = new DecoderModel(Specs[name], dtype);
        model.InitializeRandom(seed, std: 0.2);
        using var noGrad = no_grad();
        // A private stream with the seed the global one had: tests run in parallel, and draws from the shared generator
        // could interleave with another test's.
        using var draws = new Generator((ulong)(seed + 1));
        foreach (var (n, p) in model.named_parameters())
            if (n.EndsWith(".w", StringComparison.Ordinal) || n.EndsWith(".b", StringComparison.Ordinal) || n.Contains(".b_", StringComparison.Ordinal))
                p.add_(randn(p.shape, dtype: p.dtype, device: p.device, generator: draws).mul_(0.3));
        return model;
    }

    /// <summary>The reference over the tensors <paramref name="model"/> saves as a Hugging Face folder, read back by name.</summary>
    public static ReferenceGpt2 Reference(DecoderModel model)
    {
        using var folder = new TempFolder();
        HfModelFolder.Save(model, folder.Path);
        return new ReferenceGpt2(model.Spec, ReadAll(folder.File(SafetensorsCheckpoint.SingleFileName)));
    }

    /// <summary>Every tensor of a safetensors file as doubles by name.</summary>
    public static Dictionary<string, double[]> ReadAll(string path)
    {
        using var reader = SafetensorsReader.Open(path);
        return reader.Header.Tensors.ToDictionary(t => t.Name, t =>
        {
            using var tensor = reader.ReadTensor(t.Name);
            return TinyLlamas.ToDoubles(tensor);
        });
    }
}
