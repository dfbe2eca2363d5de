// The preflight line of an experiment that measures attention itself (patterns, attention paths, key–value caches):
// a model whose blocks mix positions otherwise (Mamba's selective state space) is refused up front, in one line that
// names the architecture, instead of failing inside the measurement.
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Experiments.Shared;

/// <summary>Refuses models without attention for experiments that need it.</summary>
public static class AttentionRequirement
{
    /// <summary>The problem with running <paramref name="experiment"/>, which measures <paramref name="what"/>, on a model
    /// of <paramref name="spec"/>; null when the model has attention.</summary>
    public static string? Problem(ModelSpec spec, string experiment, string what) =>
        spec.Block.Mixer == MixerKind.Attention
            ? null
            : $"{experiment} measures {what}, and this {spec.ModelType} model has no attention "
                + $"(its blocks mix positions with {Mixer(spec.Block.Mixer)})";

    private static string Mixer(MixerKind kind) =>
        kind == MixerKind.Mamba ? "a selective state space and a fixed-size recurrent state" : kind.ToString();
}
