// What every block needs to know about the current forward pass besides its input: where the new tokens sit,
// their rotary angles, the causal mask, and the cache to read and write.
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Models;

/// <summary>Per-forward inputs shared by all blocks; its tensors belong to the caller's dispose scope.</summary>
/// <param name="StartPos">Position of the first new token.</param>
/// <param name="Count">Number of new tokens (pos).</param>
/// <param name="Positions">[pos] int64: StartPos … StartPos + pos - 1.</param>
/// <param name="Cos">[pos, d_head / 2] rotary cosines.</param>
/// <param name="Sin">[pos, d_head / 2] rotary sines.</param>
/// <param name="Mask">[pos, StartPos + pos] bool, true where a query may attend to a key; null for a single new token.</param>
/// <param name="Cache">The key/value cache, or null to attend only within the new tokens.</param>
internal sealed record StepContext(long StartPos, long Count, Tensor Positions, Tensor Cos, Tensor Sin, Tensor? Mask, KvCache? Cache)
{
    /// <summary>Number of key positions each query sees at most: StartPos + pos.</summary>
    public long Length => StartPos + Count;
}
