// What every block of a decoder is to the model around it: a map of the residual stream that may read and write its
// layer's part of the generation map's state, and the paths it keeps under a path ablation. Transformer blocks carry
// an attention cache; a state-space block carries a fixed-size recurrent state.
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TrajectoryLab.Torch.Models;

/// <summary>One block of a decoder: resid_post = block(resid_pre, step).</summary>
internal abstract class DecoderBlock(string name) : Module<Tensor, StepContext, Tensor>(name)
{
    /// <summary>This layer's state for <paramref name="batch"/> rows of up to <paramref name="capacity"/> positions.</summary>
    /// <param name="batch">Rows.</param>
    /// <param name="capacity">Columns each row can hold.</param>
    /// <param name="dtype">The model's dtype.</param>
    /// <param name="device">The model's device.</param>
    /// <param name="keepAll">Keep every column even where the layer could drop old ones (a sliding window): the state of
    /// a comparison, same numbers, more memory.</param>
    /// <param name="policy">The model's cache policy (full-attention layers keep its sinks and window), or null.</param>
    public abstract ILayerState NewState(
        long batch,
        long capacity,
        ScalarType dtype,
        Device device,
        bool keepAll = false,
        Generation.CachePolicy? policy = null
    );

    /// <summary>The paths this block keeps (<see cref="BlockAblation"/>); the unchanged block by default.</summary>
    public BlockAblation Ablation { get; set; } = BlockAblation.Full;
}
