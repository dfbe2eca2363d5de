// Tiny random Llama-family configs covering every feature (GQA, tied head, q/k/v and o biases, each rope_scaling type),
// with helpers to build them with fully random weights, run them, and compare with the double-precision reference.
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Tests.Reference;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

internal static class TinyLlamas
{
    private static ModelSpec Base => new(
        ModelType: "llama", VocabSize: 61, HiddenSize: 32, IntermediateSize: 48, NumLayers: 2, NumHeads: 4, NumKvHeads: 2,
        HeadDim: 8, RmsNormEps: 1e-5, RopeTheta: 10000, RopeScaling: null, TieWordEmbeddings: false, QkvBias: false,
        OutputBias: false, MaxPositionEmbeddings: 64);

    /// <summary>Every feature once; the dynamic config's context (8) is shorter than the test sequences so its scaling acts.</summary>
    public static readonly IReadOnlyDictionary<string, ModelSpec> Specs = new Dictionary<string, ModelSpec>
    {
        ["gqa-untied"] = Base,
        ["mha-tied"] = Base with { NumKvHeads = 4, TieWordEmbeddings = true, RopeTheta = 100 },
        ["mqa"] = Base with { NumKvHeads = 1 },
        ["qwen2-qkv-bias"] = Base with { ModelType = "qwen2", QkvBias = true, TieWordEmbeddings = true, RopeTheta = 1e6 },
        ["llama-attention-bias"] = Base with { QkvBias = true, OutputBias = true },
        ["rope-linear"] = Base with { RopeScaling = new RopeScaling(RopeScalingKind.Linear, 4) },
        ["rope-dynamic"] = Base with { MaxPositionEmbeddings = 8, RopeScaling = new RopeScaling(RopeScalingKind.Dynamic, 2) },
        ["rope-llama3"] = Base with { ModelType = "mistral", RopeTheta = 500, RopeScaling = new RopeScaling(RopeScalingKind.Llama3, 8, 1, 4, 64) },
    };

    /// <summary>Names for xunit theories.</summary>
    public static TheoryData<string> Names => new(Specs.Keys);

    /// <summary>A model with every parameter random (norm weights near 1, biases nonzero), so each one matters.</summary>
    public static DecoderModel Create(string name, long seed = 7, ScalarType dtype = ScalarType.Float32)
    {
        var model = new DecoderModel(Specs[name], dtype);
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

    /// <summary>Random token ids, [batch][pos].</summary>
    public static int[][] Tokens(ModelSpec spec, int batch, int length, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, batch).Select(_ => Enumerable.Range(0, length).Select(_ => random.Next(spec.VocabSize)).ToArray()).ToArray();
    }

    /// <summary>[batch, pos] int64 tensor of <paramref name="tokens"/>.</summary>
    public static Tensor AsTensor(int[][] tokens) =>
        tensor(tokens.SelectMany(r => r.Select(t => (long)t)).ToArray(), [tokens.Length, tokens[0].Length]);

    /// <summary>The model's weights as doubles by canonical name.</summary>
    public static ReferenceLlama Reference(DecoderModel model) =>
        new(model.Spec, model.named_parameters().ToDictionary(p => p.name, p => ToDoubles(p.parameter)));

    /// <summary>A tensor's values as doubles, row-major.</summary>
    public static double[] ToDoubles(Tensor t)
    {
        using var d = t.detach().to_type(ScalarType.Float64).cpu().contiguous();
        return d.data<double>().ToArray();
    }

    /// <summary>Logits of a forward pass without cache, [batch * pos * vocab] as doubles.</summary>
    public static double[] Logits(CausalLm model, int[][] tokens)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return ToDoubles(model.call(AsTensor(tokens), null, 0));
    }

    /// <summary>max |a - b| / max |b|: error relative to the scale of the expected values.</summary>
    public static double RelativeError(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double diff = 0, scale = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            diff = Math.Max(diff, Math.Abs(actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }
        return diff / scale;
    }
}
