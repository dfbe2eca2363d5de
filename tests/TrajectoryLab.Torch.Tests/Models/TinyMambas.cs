// Tiny random Mamba configs covering every option of transformers' MambaConfig that changes the computation (tied and
// untied head, use_bias, use_conv_bias, state size, conv kernel including 1, expand, time_step_rank, epsilon), with
// helpers to build them with fully random weights and to get the double-precision reference over their Hugging Face
// tensors.
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Models.Families;
using TrajectoryLab.Torch.Tests.Reference;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

internal static class TinyMambas
{
    /// <summary>Every option once.</summary>
    public static readonly IReadOnlyDictionary<string, ModelSpec> Specs = new Dictionary<string, ModelSpec>
    {
        // time_step_rank "auto" = ⌈16 / 16⌉ = 1, transformers' other defaults except use_bias (false, as in the released
        // state-spaces/mamba-*-hf checkpoints).
        ["mamba-tied"] = MambaFamily.Spec(37, 16, 2,
            new MambaDesign(StateSize: 4, ConvKernel: 4, Expand: 2, TimeStepRank: 1, ProjectionBias: false)),
        ["mamba-untied-bias"] = MambaFamily.Spec(29, 12, 3,
            new MambaDesign(StateSize: 3, ConvKernel: 3, Expand: 3, TimeStepRank: 3, ConvBias: false, ProjectionBias: true),
            layerNormEpsilon: 1e-3, tieWordEmbeddings: false),
        ["mamba-kernel1"] = MambaFamily.Spec(23, 8, 2,
            new MambaDesign(StateSize: 6, ConvKernel: 1, Expand: 1, TimeStepRank: 2, ProjectionBias: true)),
    };

    /// <summary>Names for xunit theories.</summary>
    public static TheoryData<string> Names => new(Specs.Keys);

    /// <summary>A model with every parameter random: norm weights near 1, biases nonzero, A_log different in every channel
    /// (S4D-real's log(1 … N) is the same in each, which would hide a transposed or permuted A_log), and Δ biases around
    /// 0 so that the steps are large enough for the state to matter.</summary>
    public static DecoderModel Create(string name, long seed = 7, ScalarType dtype = ScalarType.Float32)
    {
        var model = new DecoderModel(Specs[name], dtype);
        model.InitializeRandom(seed, std: 0.3);
        using var noGrad = no_grad();
        // A private stream with the seed the global one had: tests run in parallel, and draws from the shared generator
        // could interleave with another test's.
        using var draws = new Generator((ulong)(seed + 1));
        foreach (var (n, p) in model.named_parameters())
        {
            if (n.EndsWith(ParameterNames.MambaBDt, StringComparison.Ordinal))
                p.copy_(randn(p.shape, dtype: p.dtype, device: p.device, generator: draws));
            else if (n.EndsWith(".w", StringComparison.Ordinal) || n.Contains(".b_", StringComparison.Ordinal)
                     || n.EndsWith(ParameterNames.MambaALog, StringComparison.Ordinal)
                     || n.EndsWith(ParameterNames.MambaD, StringComparison.Ordinal))
                p.add_(randn(p.shape, dtype: p.dtype, device: p.device, generator: draws).mul_(0.3));
        }
        return model;
    }

    /// <summary>The reference over the tensors <paramref name="model"/> saves as a Hugging Face folder, read back by name.</summary>
    public static ReferenceMamba Reference(DecoderModel model)
    {
        using var folder = new TempFolder();
        HfModelFolder.Save(model, folder.Path);
        return new ReferenceMamba(model.Spec, TinyGpt2s.ReadAll(folder.File(SafetensorsCheckpoint.SingleFileName)));
    }
}
