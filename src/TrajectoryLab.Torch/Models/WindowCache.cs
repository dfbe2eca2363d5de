// The keys and values of a sliding-window attention layer, keeping only the columns a query can still see. A query at
// column c sees keys c − W + 1 … c, so once a pass starting at column s has run, columns before s − W + 1 are never read
// again: the state of such a layer is its last W − 1 columns plus the new ones, whatever the length of the run.
//
// Layout: one buffer of `slots` columns (2W to begin with) holding columns Base … Base + slots − 1 at slots 0 …. A pass
// over columns s … s + P − 1 needs columns lo = max(0, s − W + 1) … s + P − 1 side by side; when they would run past
// the buffer's end, the columns lo … s − 1 (at most W − 1) move to the front and Base becomes lo, which happens once
// every W or so decoding steps; a pass longer than the buffer (a long prefill) grows it to fit. Nothing before lo is ever
// read again, so nothing that is still needed is lost, and a pass re-run at the same columns (the non-finite diagnosis)
// finds what it found the first time: the move happens before the pass writes, and only drops columns before lo.
// Attention reads columns lo … s + P − 1 and the layer narrows its mask to them; hook_pattern is padded back to every
// column with zeros, which is what the masked softmax gave there, so hooks see the same shape as a full cache's.
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Models;

/// <summary>The last columns of a sliding-window attention layer: [batch, kv_heads, slots, d_head] keys and values.</summary>
internal sealed class WindowCache : IAttentionState
{
    private readonly long _batch;
    private readonly int _kvHeads;
    private readonly int _headDim;
    private readonly int _window;
    private readonly ScalarType _dtype;
    private readonly Device _device;
    private Tensor _keys; // [batch, kv_heads, slots, d_head]
    private Tensor _values; // [batch, kv_heads, slots, d_head]

    /// <param name="batch">Rows.</param>
    /// <param name="window">W: a query sees itself and the W − 1 columns before it.</param>
    /// <param name="kvHeads">Key/value heads.</param>
    /// <param name="headDim">d_head.</param>
    /// <param name="dtype">The model's dtype.</param>
    /// <param name="device">The model's device.</param>
    public WindowCache(long batch, int window, int kvHeads, int headDim, ScalarType dtype, Device device)
    {
        if (window <= 0)
            throw new ArgumentOutOfRangeException(nameof(window), $"window {window} must be positive");
        (_batch, _window, _kvHeads, _headDim, _dtype, _device) = (batch, window, kvHeads, headDim, dtype, device);
        (_keys, _values) = Allocate(2L * window);
    }

    /// <summary>The column held at slot 0.</summary>
    public long Base { get; private set; }

    /// <summary>Columns the buffer holds (2W unless a long pass grew it).</summary>
    public long Slots => _keys.shape[2];

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">The pass needs a column this cache has already dropped (a pass that
    /// starts more than W columns before an earlier one).</exception>
    public (Tensor Keys, Tensor Values, long First) Write(Tensor k, Tensor v, StepContext step)
    {
        long start = step.StartPos,
            length = step.Length,
            first = MakeRoom(step);
        _keys.narrow(2, start - Base, length - start).copy_(k);
        _values.narrow(2, start - Base, length - start).copy_(v);
        return (_keys.narrow(2, first - Base, length - first), _values.narrow(2, first - Base, length - first), first);
    }

    /// <summary>What <see cref="Write"/> does before it writes, for a decoding step whose new key and value the decoding
    /// kernel writes itself (Kernels/DecodeAttention.cs): makes room for the step's one new column.</summary>
    /// <returns>The key and value buffers ([batch, kv_heads, slots, d_head] each), the new column's slot and the slot of
    /// the window's first column (the oldest the new query sees).</returns>
    /// <exception cref="InvalidOperationException">As <see cref="Write"/>.</exception>
    internal (Tensor Keys, Tensor Values, long Slot, long FirstSlot) MakeRoomForDecoding(StepContext step)
    {
        var first = MakeRoom(step);
        return (_keys, _values, step.StartPos - Base, first - Base);
    }

    /// <summary>Moves the columns the pass still needs to the front when its new columns would run past the buffer's end
    /// (see the file header).</summary>
    /// <returns>The first column the pass reads, max(0, StartPos − W + 1).</returns>
    private long MakeRoom(StepContext step)
    {
        long start = step.StartPos,
            length = step.Length,
            first = Math.Max(0, start - (_window - 1));
        if (first < Base)
            throw new InvalidOperationException(
                $"a sliding-window cache holding columns from {Base} cannot run a pass from column {start}: "
                    + $"it needs column {first}, which was dropped"
            );
        if (length - Base > Slots)
            Keep(first, start, Math.Max(Slots, length - first));
        return first;
    }

    /// <summary>Moves columns <paramref name="first"/> … <paramref name="start"/> − 1 to the front of a buffer of
    /// <paramref name="slots"/> columns (the same one when it is large enough) and makes <paramref name="first"/> the
    /// base.</summary>
    private void Keep(long first, long start, long slots)
    {
        using (var scope = NewDisposeScope())
        {
            var kept = start - first;
            var keys = _keys.narrow(2, first - Base, kept).clone(); // [batch, kv_heads, kept, d_head], before any overwrite
            var values = _values.narrow(2, first - Base, kept).clone();
            if (slots > Slots)
            {
                _keys.Dispose();
                _values.Dispose();
                (_keys, _values) = Allocate(slots);
            }
            _keys.narrow(2, 0, kept).copy_(keys);
            _values.narrow(2, 0, kept).copy_(values);
        }
        Base = first;
    }

    private (Tensor Keys, Tensor Values) Allocate(long slots)
    {
        long[] shape = [_batch, _kvHeads, slots, _headDim];
        return (zeros(shape, _dtype, _device).DetachFromDisposeScope(), zeros(shape, _dtype, _device).DetachFromDisposeScope());
    }

    /// <inheritdoc/>
    /// <remarks>Columns before <see cref="Base"/> are no longer part of the state, so only the held ones are mixed.</remarks>
    public void MixDeviations(Tensor mix, long from, long length)
    {
        var lo = Math.Max(from, Base);
        if (length <= lo)
            return;
        AttentionCache.Mix(_keys, mix, lo - Base, length - lo);
        AttentionCache.Mix(_values, mix, lo - Base, length - lo);
    }

    /// <inheritdoc/>
    /// <remarks>Columns before <see cref="Base"/> are no longer part of the state, so only the held ones are copied.</remarks>
    public void CopyRows(Tensor sources, long from, long length)
    {
        var lo = Math.Max(from, Base);
        AttentionCache.Gather(_keys, sources, lo - Base, length - lo);
        AttentionCache.Gather(_values, sources, lo - Base, length - lo);
    }

    /// <summary>Frees the buffers.</summary>
    public void Dispose()
    {
        _keys.Dispose();
        _values.Dispose();
    }
}
