// Preallocated key/value cache: one [batch, kv_heads, capacity, d_head] buffer per layer for keys and one for values,
// written in place with index_copy_ at each step (torch.cat growth halves batched decoding speed; see
// docs/performance.md).
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Models;

/// <summary>Keys and values of every layer for up to <see cref="Capacity"/> positions of <see cref="Batch"/> sequences.</summary>
/// <remarks>The buffers live outside any dispose scope until <see cref="Dispose"/>.</remarks>
internal sealed class KvCache : IDisposable
{
    private readonly Tensor[] _keys; // per layer [batch, kv_heads, capacity, d_head]
    private readonly Tensor[] _values; // per layer [batch, kv_heads, capacity, d_head]

    public KvCache(ModelSpec spec, long batch, long capacity, ScalarType dtype, Device device)
    {
        if (batch <= 0 || capacity <= 0)
            throw new ArgumentOutOfRangeException(nameof(capacity), $"batch {batch} and capacity {capacity} must be positive");
        Batch = batch;
        Capacity = capacity;
        long[] shape = [batch, spec.NumKvHeads, capacity, spec.HeadDim];
        _keys = Enumerable.Range(0, spec.NumLayers).Select(_ => zeros(shape, dtype, device).DetachFromDisposeScope()).ToArray();
        _values = Enumerable.Range(0, spec.NumLayers).Select(_ => zeros(shape, dtype, device).DetachFromDisposeScope()).ToArray();
    }

    /// <summary>Number of sequences.</summary>
    public long Batch { get; }

    /// <summary>Positions each sequence can hold.</summary>
    public long Capacity { get; }

    /// <summary>Writes the new keys/values of <paramref name="layer"/> at <paramref name="positions"/> and returns views of
    /// everything cached up to the last of them.</summary>
    /// <param name="layer">Block index.</param>
    /// <param name="k">[batch, kv_heads, pos, d_head]</param>
    /// <param name="v">[batch, kv_heads, pos, d_head]</param>
    /// <param name="positions">[pos] int64: startPos … startPos + pos - 1.</param>
    /// <param name="length">startPos + pos.</param>
    /// <returns>Keys and values, each [batch, kv_heads, length, d_head].</returns>
    public (Tensor Keys, Tensor Values) Write(int layer, Tensor k, Tensor v, Tensor positions, long length)
    {
        _keys[layer].index_copy_(2, positions, k);
        _values[layer].index_copy_(2, positions, v);
        return (_keys[layer].narrow(2, 0, length), _values[layer].narrow(2, 0, length));
    }

    /// <summary>Re-combines the deviations of rows 1…k from row 0 at positions from … length − 1 of every layer:
    /// row_i ← row_0 + Σ_j (row_j − row_0)·mix[j, i]. With rows carrying reference + small deviations this is the linear
    /// map of tangent vectors that QR re-orthonormalisation (mix = R⁻¹, scaled) or renormalisation (mix = c·I) needs;
    /// mix = 0 makes rows 1…k copies of row 0 again. Positions before <paramref name="from"/> must hold no deviation
    /// (all rows equal there, e.g. before a perturbation landed); they are left alone.</summary>
    /// <param name="mix">[k, k] with k = Batch − 1, in the cache's dtype and device.</param>
    /// <param name="from">First position that may differ between rows.</param>
    /// <param name="length">Positions written so far.</param>
    public void MixDeviations(Tensor mix, long from, long length)
    {
        var k = Batch - 1;
        foreach (var buffer in _keys.Concat(_values))
        {
            using var scope = NewDisposeScope();
            var used = buffer.narrow(2, from, length - from); // [1 + k, kv_heads, length − from, d_head]
            var reference = used.narrow(0, 0, 1); // [1, kv_heads, length − from, d_head]
            var rows = used.narrow(0, 1, k).sub_(reference); // [k, …]: the deviations, in place
            var mixed = mix.t().matmul(rows.reshape(k, -1)); // [k, kv_heads · (length − from) · d_head]
            rows.copy_(mixed.view(rows.shape)).add_(reference, KeptScalars.One);
        }
    }

    /// <summary>Frees the buffers.</summary>
    public void Dispose()
    {
        foreach (var t in _keys.Concat(_values))
            t.Dispose();
    }
}
