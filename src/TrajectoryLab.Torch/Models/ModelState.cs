// The state of the generation map: whatever each layer carries from one step to the next. An attention layer carries
// its keys and values (AttentionCache, preallocated and written in place with index_copy_: growing by torch.cat
// halves batched decoding speed, docs/performance.md), or a sliding-window layer only the columns its queries can still
// see (WindowCache); a recurrent layer carries a fixed-size state. Everything that
// works on the state — perturbed rows, the re-combination of their deviations (QR of the tangents), stepping —
// works through ModelState and ILayerState, whatever the architecture.
// A state may be left-padded (docs/padding.md): row b's first LeftPad[b] columns hold no token of it, and every layer
// reads column c of row b as its position c − LeftPad[b]; StepContext.Begin derives positions, rotary angles, masks and
// the pad columns a recurrent layer must skip from it, so the padding is part of the generation map's state.
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Models;

/// <summary>One layer's part of the state, for <c>batch</c> rows.</summary>
internal interface ILayerState : IDisposable
{
    /// <summary>Re-combines the deviations of rows 1…k from row 0: row_i ← row_0 + Σ_j (row_j − row_0)·mix[j, i], for
    /// the parts of the state that positions from … length − 1 wrote (a recurrent state is one part, whatever the
    /// positions).</summary>
    /// <param name="mix">[k, k] with k = batch − 1, in the state's dtype and device.</param>
    /// <param name="from">First position that may differ between rows.</param>
    /// <param name="length">Positions written so far.</param>
    void MixDeviations(Tensor mix, long from, long length);

    /// <summary>Row b takes row sources[b]'s state for the parts that positions from … length − 1 wrote (a recurrent
    /// state is one part, whatever the positions); rows must already agree before <paramref name="from"/>.</summary>
    /// <param name="sources">[batch] int64 row indices, on the state's device.</param>
    /// <param name="from">First position that may differ between rows.</param>
    /// <param name="length">Positions written so far.</param>
    void CopyRows(Tensor sources, long from, long length);
}

/// <summary>The state of every layer for <see cref="Batch"/> sequences of up to <see cref="Capacity"/> positions.</summary>
/// <remarks>The buffers live outside any dispose scope until <see cref="Dispose"/>.</remarks>
internal sealed class ModelState : IDisposable
{
    private readonly ILayerState[] _layers;

    /// <param name="batch">Rows.</param>
    /// <param name="capacity">Columns each row can hold (its left padding included).</param>
    /// <param name="layers">One state per layer, in order.</param>
    /// <param name="leftPad">[batch] pad columns before each row's first token, or null for none.</param>
    /// <param name="device">Where <see cref="PadTensor"/> lives; needed when some row is padded.</param>
    /// <exception cref="ArgumentOutOfRangeException">A nonpositive batch or capacity, or pads that are negative, not one
    /// per row, or fill a row's capacity.</exception>
    public ModelState(
        long batch,
        long capacity,
        IEnumerable<ILayerState> layers,
        IReadOnlyList<long>? leftPad = null,
        Device? device = null
    )
    {
        if (batch <= 0 || capacity <= 0)
            throw new ArgumentOutOfRangeException(nameof(capacity), $"batch {batch} and capacity {capacity} must be positive");
        if (leftPad is not null && (leftPad.Count != batch || leftPad.Any(p => p < 0 || p >= capacity)))
            throw new ArgumentOutOfRangeException(
                nameof(leftPad),
                $"left padding needs one count in [0, {capacity}) per row of {batch}, got [{string.Join(", ", leftPad)}]"
            );
        Batch = batch;
        Capacity = capacity;
        var pads = leftPad?.ToArray() ?? new long[batch];
        LeftPad = pads;
        IsPadded = pads.Any(p => p > 0);
        if (IsPadded)
            PadTensor = tensor(pads, [batch], ScalarType.Int64, device ?? CPU).DetachFromDisposeScope(); // [batch]
        _layers = [.. layers];
    }

    /// <summary>Number of sequences.</summary>
    public long Batch { get; }

    /// <summary>Columns each sequence can hold, its left padding included.</summary>
    public long Capacity { get; }

    /// <summary>[batch] pad columns before each row's first token (all 0 in an unpadded state).</summary>
    public IReadOnlyList<long> LeftPad { get; }

    /// <summary>Whether some row is padded; an unpadded state computes exactly as before padding existed.</summary>
    public bool IsPadded { get; }

    /// <summary><see cref="LeftPad"/> as a [batch] int64 tensor on the model's device; null when no row is padded.</summary>
    public Tensor? PadTensor { get; }

    /// <summary>The largest left padding: columns before it may hold pad entries, columns from it on hold tokens in every
    /// row.</summary>
    public long MaxPad => LeftPad.Max();

    /// <summary>The state of layer <paramref name="layer"/>, as the kind the layer carries.</summary>
    public T Layer<T>(int layer)
        where T : ILayerState => (T)_layers[layer];

    /// <summary>Re-combines the rows' deviations in every layer (<see cref="ILayerState.MixDeviations"/>). With rows
    /// carrying reference + small deviations this is the linear map of tangent vectors that QR re-orthonormalisation
    /// (mix = R⁻¹, scaled) or renormalisation (mix = c·I) needs; mix = 0 makes rows 1…k copies of row 0 again.
    /// Positions before <paramref name="from"/> must hold no deviation (all rows equal there).</summary>
    /// <param name="mix">[k, k] with k = Batch − 1, in the state's dtype and device.</param>
    /// <param name="from">First position that may differ between rows.</param>
    /// <param name="length">Positions written so far.</param>
    public void MixDeviations(Tensor mix, long from, long length)
    {
        foreach (var layer in _layers)
            layer.MixDeviations(mix, from, length);
    }

    /// <summary>Row b takes row sources[b]'s state in every layer (<see cref="ILayerState.CopyRows"/>): the branch a
    /// lookahead chose becomes every row's continuation. Positions before <paramref name="from"/> must be equal in the
    /// rows concerned.</summary>
    /// <param name="sources">[batch] int64 row indices, on the state's device.</param>
    /// <param name="from">First position that may differ between rows.</param>
    /// <param name="length">Positions written so far.</param>
    public void CopyRows(Tensor sources, long from, long length)
    {
        foreach (var layer in _layers)
            layer.CopyRows(sources, from, length);
    }

    /// <summary>Frees every layer's buffers.</summary>
    public void Dispose()
    {
        foreach (var layer in _layers)
            layer.Dispose();
        PadTensor?.Dispose();
    }
}

/// <summary>An attention layer's keys and values, whichever columns it keeps.</summary>
internal interface IAttentionState : ILayerState
{
    /// <summary>Writes the keys/values of the pass's new columns (<see cref="StepContext.StartPos"/> …
    /// <see cref="StepContext.Length"/> − 1) and returns those of every column from <c>First</c> to the last new one,
    /// First being the oldest column any query of the pass may see (0 for a cache that keeps everything).</summary>
    /// <param name="k">[batch, kv_heads, pos, d_head]</param>
    /// <param name="v">[batch, kv_heads, pos, d_head]</param>
    /// <param name="step">The pass.</param>
    /// <returns>Keys and values, each [batch, kv_heads, length − First, d_head], and First.</returns>
    (Tensor Keys, Tensor Values, long First) Write(Tensor k, Tensor v, StepContext step);
}

/// <summary>An attention layer's keys and values of every column: [batch, kv_heads, capacity, d_head] each.</summary>
internal sealed class AttentionCache : IAttentionState
{
    private readonly Tensor _keys; // [batch, kv_heads, capacity, d_head]
    private readonly Tensor _values; // [batch, kv_heads, capacity, d_head]

    /// <summary>The key buffer, [batch, kv_heads, capacity, d_head], for the decoding kernel (Kernels/DecodeAttention.cs).</summary>
    internal Tensor KeyBuffer => _keys;

    /// <summary>The value buffer, shaped as <see cref="KeyBuffer"/>.</summary>
    internal Tensor ValueBuffer => _values;

    public AttentionCache(long batch, long capacity, int kvHeads, int headDim, ScalarType dtype, Device device)
    {
        long[] shape = [batch, kvHeads, capacity, headDim];
        _keys = zeros(shape, dtype, device).DetachFromDisposeScope();
        _values = zeros(shape, dtype, device).DetachFromDisposeScope();
    }

    /// <inheritdoc/>
    public (Tensor Keys, Tensor Values, long First) Write(Tensor k, Tensor v, StepContext step)
    {
        _keys.index_copy_(2, step.Positions, k);
        _values.index_copy_(2, step.Positions, v);
        return (_keys.narrow(2, 0, step.Length), _values.narrow(2, 0, step.Length), 0);
    }

    /// <inheritdoc/>
    public void MixDeviations(Tensor mix, long from, long length)
    {
        Mix(_keys, mix, from, length - from);
        Mix(_values, mix, from, length - from);
    }

    /// <inheritdoc/>
    public void CopyRows(Tensor sources, long from, long length)
    {
        Gather(_keys, sources, from, length - from);
        Gather(_values, sources, from, length - from);
    }

    /// <summary>Slots <paramref name="offset"/> … offset + count − 1 of row b of <paramref name="buffer"/> become those of
    /// row sources[b].</summary>
    /// <param name="buffer">[batch, kv_heads, slots, d_head]</param>
    /// <param name="sources">[batch] int64.</param>
    /// <param name="offset">First slot.</param>
    /// <param name="count">Slots.</param>
    internal static void Gather(Tensor buffer, Tensor sources, long offset, long count)
    {
        if (count <= 0)
            return;
        using var scope = NewDisposeScope();
        var used = buffer.narrow(2, offset, count); // [batch, kv_heads, count, d_head]
        used.copy_(used.index_select(0, sources)); // index_select copies first, so rows may read rows that are overwritten
    }

    /// <summary>Re-combines the deviations of rows 1…k from row 0 in slots <paramref name="offset"/> … offset + count − 1
    /// of <paramref name="buffer"/> (see <see cref="ILayerState.MixDeviations"/>).</summary>
    /// <param name="buffer">[1 + k, kv_heads, slots, d_head]</param>
    /// <param name="mix">[k, k]</param>
    /// <param name="offset">First slot.</param>
    /// <param name="count">Slots.</param>
    internal static void Mix(Tensor buffer, Tensor mix, long offset, long count)
    {
        // Three passes over the rows: the deviations (subtracted explicitly, so float32 keeps their digits), the product
        // with the reference added in the same kernel, the copy back. The state is strided (a window of its slots), so
        // fewer passes is what makes this fast; it had five, one of them a hidden reshape copy.
        if (count <= 0 || MixInPlace(buffer, mix, offset, count))
            return;
        using var scope = NewDisposeScope();
        var k = buffer.shape[0] - 1;
        var used = buffer.narrow(2, offset, count); // [1 + k, kv_heads, count, d_head]
        var reference = used.narrow(0, 0, 1); // [1, kv_heads, count, d_head]
        var rows = used.narrow(0, 1, k); // [k, kv_heads, count, d_head]
        var deviations = rows.sub(reference).view(k, -1); // [k, kv_heads · count · d_head], contiguous
        var mixed = addmm(reference.reshape(1, -1), mix.t(), deviations, beta: 1, alpha: 1); // [k, …] = reference + mixᵀ · deviations
        rows.copy_(mixed.view(rows.shape));
    }

    /// <summary><see cref="Mix"/> by the one-pass C# kernel (Kernels/DeviationMix.cs) on a float32 CPU buffer whose last
    /// axis is contiguous, outside autograd; false (nothing done) where it does not apply.</summary>
    private static unsafe bool MixInPlace(Tensor buffer, Tensor mix, long offset, long count)
    {
        var k = buffer.shape[0] - 1;
        if (
            !WeightProduct.KernelAllowed
            || k < 1
            || k > Kernels.DeviationMix.MaxDirections
            || buffer.dtype != ScalarType.Float32
            || !buffer.is_cpu()
            || buffer.stride(3) != 1
            || is_grad_enabled() && buffer.requires_grad
        )
            return false;
        using var scope = NewDisposeScope();
        var weights = mix.to_type(ScalarType.Float32).cpu().contiguous(); // [k, k]
        Kernels.DeviationMix.Apply(
            Kernels.TensorMemory.Floats(buffer),
            buffer.stride(0),
            buffer.stride(1),
            buffer.stride(2),
            (int)buffer.shape[1],
            offset,
            count,
            (int)buffer.shape[3],
            (int)k,
            Kernels.TensorMemory.Floats(weights),
            get_num_threads()
        );
        GC.KeepAlive(buffer);
        GC.KeepAlive(weights);
        return true;
    }

    /// <summary>Frees the buffers.</summary>
    public void Dispose()
    {
        _keys.Dispose();
        _values.Dispose();
    }
}
