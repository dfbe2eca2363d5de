// What every block needs to know about the current forward pass besides its input: where the new tokens sit,
// their rotary angles (rotary models only), the causal mask, and the cache to read and write.
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Models;

/// <summary>Per-forward inputs shared by all blocks; its tensors belong to the caller's dispose scope.</summary>
/// <param name="StartPos">Position of the first new token.</param>
/// <param name="Count">Number of new tokens (pos).</param>
/// <param name="Positions">[pos] int64: StartPos … StartPos + pos - 1.</param>
/// <param name="Rotary">Rotary cosine and sine tables, each [pos, d_head] (<see cref="RotaryEmbedding.Angles"/>); null for a model with
/// learned positions.</param>
/// <param name="Mask">[pos, StartPos + pos] bool, true where a query may attend to a key; null for a single new token.</param>
/// <param name="State">The state of the generation map (caches of earlier positions), or null to attend only within the new tokens.</param>
internal sealed record StepContext(
    long StartPos,
    long Count,
    Tensor Positions,
    (Tensor Cos, Tensor Sin)? Rotary,
    Tensor? Mask,
    ModelState? State
)
{
    /// <summary>Compute attention as softmax(QKᵀ/√d)·V instead of fused SDPA, whose CPU kernel has no second derivative
    /// (the double-VJP of DepthDynamics needs one). Same result up to rounding.</summary>
    public bool ExplicitAttention { get; init; }

    /// <summary>Number of key positions each query sees at most: StartPos + pos.</summary>
    public long Length => StartPos + Count;

    /// <summary>Checks the arguments of a forward pass over <paramref name="tokens"/> and builds its context.</summary>
    /// <param name="tokens">[batch, pos] int64 token ids.</param>
    /// <param name="cache">The cache holding positions before <paramref name="startPos"/>, or null.</param>
    /// <param name="startPos">Position of the first token; 0 without a cache.</param>
    /// <param name="rotary">The model's rotary embedding, or null for learned positions.</param>
    /// <param name="dtype">The model's dtype (for the rotary angles).</param>
    /// <param name="device">The model's device.</param>
    /// <exception cref="ArgumentException">A start position without a cache, or a cache of the wrong batch or too small.</exception>
    public static StepContext Begin(Tensor tokens, ModelState? cache, long startPos, RotaryEmbedding? rotary, ScalarType dtype, Device device)
    {
        long batch = tokens.shape[0],
            pos = tokens.shape[1];
        if (cache is null && startPos != 0)
            throw new ArgumentException($"startPos {startPos} needs a cache holding the earlier positions", nameof(startPos));
        if (cache is not null && (cache.Batch != batch || startPos + pos > cache.Capacity))
            throw new ArgumentException(
                $"cache of batch {cache.Batch} and capacity {cache.Capacity} "
                    + $"cannot take batch {batch} at positions {startPos}..{startPos + pos - 1}",
                nameof(cache)
            );

        var angles = rotary?.Angles(startPos, pos, dtype, device); // [pos, d_head] each
        var mask = pos == 1 ? null : ones([pos, startPos + pos], ScalarType.Bool, device).tril(startPos); // [pos, startPos + pos]
        return new StepContext(startPos, pos, arange(startPos, startPos + pos, ScalarType.Int64, device), angles, mask, cache);
    }
}
