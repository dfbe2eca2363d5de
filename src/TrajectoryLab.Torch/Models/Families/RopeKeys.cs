// The rotary keys GPT-NeoX and Phi-3 configs share: the rope block (rope_parameters in new transformers versions,
// rope_scaling in old ones, one object either way), its type, and the partial rotary factor, which transformers turns
// into a count of rotated features as int(d_head · factor). References: transformers' configuration_gpt_neox.py and
// configuration_phi3.py (convert_rope_params_to_dict), modeling_rope_utils.py (_compute_default_rope_parameters).
using TrajectoryLab.Torch.Checkpoints;

namespace TrajectoryLab.Torch.Models.Families;

/// <summary>Reading and writing the rotary keys of GPT-NeoX and Phi-3 configs.</summary>
internal static class RopeKeys
{
    /// <summary>The rope block: rope_parameters, else rope_scaling, else null.</summary>
    public static ConfigKeys? Block(ConfigKeys c) =>
        c.Object("rope_parameters") is { } parameters ? c.At("rope_parameters", parameters)
        : c.Object("rope_scaling") is { } scaling ? c.At("rope_scaling", scaling)
        : null;

    /// <summary>The block's rope_type (or its older name type); "default" when the block or both keys are absent.</summary>
    public static string Type(ConfigKeys? block) =>
        block is null ? "default" : block.String("rope_type") ?? block.String("type") ?? "default";

    /// <summary>The key naming the block's type, for messages: rope_type when present, else type.</summary>
    public static string TypeKey(ConfigKeys block) => block.Has("rope_type") || !block.Has("type") ? "rope_type" : "type";

    /// <summary>The features of each head that rotate: int(<paramref name="headDim"/> · <paramref name="factor"/>), truncated
    /// as Python's int() does.</summary>
    /// <exception cref="CheckpointException">The factor is not in (0, 1].</exception>
    public static int RotaryDims(ConfigKeys c, string key, double factor, int headDim) =>
        factor is > 0 and <= 1 ? (int)(headDim * factor) : throw c.Error(key, $"must be in (0, 1], is {factor}");

    /// <summary>The smallest factor f ≥ dims / headDim with int(headDim · f) = dims, so that a written factor reads back to the
    /// same count (dims / headDim alone can land one ulp short of it).</summary>
    public static double Factor(int dims, int headDim)
    {
        var factor = (double)dims / headDim;
        while ((int)(headDim * factor) < dims)
            factor = Math.BitIncrement(factor);
        return factor;
    }
}
