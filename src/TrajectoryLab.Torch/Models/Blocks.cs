// The block a design names for each layer: a transformer block, or (when a family brings one) another mixer. The one
// place a new kind of block is wired in.
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Models;

/// <summary>Creates the blocks of a model.</summary>
internal static class Blocks
{
    /// <summary>Block <paramref name="layer"/> of <paramref name="spec"/>, with uninitialised weights in <paramref
    /// name="dtype"/>.</summary>
    /// <exception cref="NotSupportedException">The design names a mixer this build does not implement.</exception>
    public static DecoderBlock Create(ModelSpec spec, int layer, ScalarType dtype) =>
        spec.Block.Mixer switch
        {
            MixerKind.Attention => new TransformerBlock(spec, layer, dtype),
            MixerKind.Mamba => new MambaBlock(spec, layer, dtype),
            _ => throw new NotSupportedException($"the {spec.Block.Mixer} mixer is not implemented"),
        };
}
