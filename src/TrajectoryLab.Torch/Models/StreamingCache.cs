// The keys and values a full-attention layer keeps under a CachePolicy (StreamingLLM): the first k columns (the attention
// sinks) in a buffer of their own, and the columns a window of W can still reach in a WindowCache. A query at column q
// sees columns 0 … k − 1 and q − W + 1 … q, so a pass over s … s + P − 1 reads the sinks not already in the window part
// (columns 0 … min(k, lo) − 1 with lo = max(0, s − W + 1)) followed by the window part's columns lo … s + P − 1; the
// attention layer masks each query to its own set and scores the sink columns with its query rotated at its cache position
// (StepContext.Streaming, docs/attention-sinks.md). Memory is bounded by k + 2W columns whatever the length of the run.
// Keys are stored rotated at their own positions, as a full cache stores them; a re-run pass finds what it found the first
// time (the window part's guarantee, and the sinks are rewritten with the same values).
// Reference: Xiao et al. (2024), "Efficient Streaming Language Models with Attention Sinks", ICLR, arXiv:2309.17453, §3.2.
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Models;

/// <summary>An attention layer's sink columns and recent window: [batch, kv_heads, k, d_head] plus a
/// <see cref="WindowCache"/>.</summary>
internal sealed class StreamingCache : ILayerState
{
    private readonly Tensor? _sinkKeys; // [batch, kv_heads, k, d_head], null when k = 0
    private readonly Tensor? _sinkValues; // [batch, kv_heads, k, d_head]
    private readonly WindowCache _recent;

    /// <param name="batch">Rows.</param>
    /// <param name="sinks">k: columns kept from the start.</param>
    /// <param name="window">W: a query sees itself and the W − 1 columns before it, besides the sinks.</param>
    /// <param name="kvHeads">Key/value heads.</param>
    /// <param name="headDim">d_head.</param>
    /// <param name="dtype">The model's dtype.</param>
    /// <param name="device">The model's device.</param>
    public StreamingCache(long batch, int sinks, int window, int kvHeads, int headDim, ScalarType dtype, Device device)
    {
        if (sinks < 0)
            throw new ArgumentOutOfRangeException(nameof(sinks), $"sinks {sinks} must be ≥ 0");
        Sinks = sinks;
        _recent = new WindowCache(batch, window, kvHeads, headDim, dtype, device);
        if (sinks > 0)
        {
            _sinkKeys = zeros([batch, kvHeads, sinks, headDim], dtype, device).DetachFromDisposeScope();
            _sinkValues = zeros([batch, kvHeads, sinks, headDim], dtype, device).DetachFromDisposeScope();
        }
    }

    /// <summary>k: the columns kept from the start.</summary>
    public int Sinks { get; }

    /// <summary>Writes the pass's new columns and returns every column one of its queries may see, in column order.</summary>
    /// <param name="k">[batch, kv_heads, pos, d_head] rotated at their own positions.</param>
    /// <param name="v">[batch, kv_heads, pos, d_head]</param>
    /// <param name="step">The pass.</param>
    /// <returns>Keys and values [batch, kv_heads, keys, d_head] and the column of each key, [keys] int64: 0 … m − 1 then
    /// lo … length − 1, with m = min(k, lo) sinks read from their own buffer.</returns>
    /// <exception cref="InvalidOperationException">The pass needs a column the window part has dropped.</exception>
    public (Tensor Keys, Tensor Values, Tensor Columns) Write(Tensor k, Tensor v, StepContext step)
    {
        long start = step.StartPos,
            length = step.Length;
        if (_sinkKeys is not null && start < Sinks)
        {
            var count = Math.Min(Sinks, length) - start; // new columns that are sinks
            _sinkKeys.narrow(2, start, count).copy_(k.narrow(2, 0, count));
            _sinkValues!.narrow(2, start, count).copy_(v.narrow(2, 0, count));
        }
        var (keys, values, lo) = _recent.Write(k, v, step); // columns lo … length − 1
        var held = Math.Min(Sinks, lo); // sink columns no longer in the window part
        var window = arange(lo, length, ScalarType.Int64, k.device); // [length − lo]
        if (held == 0)
            return (keys, values, window);
        return (
            cat([_sinkKeys!.narrow(2, 0, held), keys], 2), // [batch, kv_heads, held + length − lo, d_head]
            cat([_sinkValues!.narrow(2, 0, held), values], 2),
            cat([arange(0, held, ScalarType.Int64, k.device), window]) // [held + length − lo]
        );
    }

    /// <inheritdoc/>
    public void MixDeviations(Tensor mix, long from, long length)
    {
        var end = Math.Min(Sinks, length);
        if (_sinkKeys is not null && from < end)
        {
            AttentionCache.Mix(_sinkKeys, mix, from, end - from);
            AttentionCache.Mix(_sinkValues!, mix, from, end - from);
        }
        _recent.MixDeviations(mix, from, length);
    }

    /// <inheritdoc/>
    public void CopyRows(Tensor sources, long from, long length)
    {
        var end = Math.Min(Sinks, length);
        if (_sinkKeys is not null && from < end)
        {
            AttentionCache.Gather(_sinkKeys, sources, from, end - from);
            AttentionCache.Gather(_sinkValues!, sources, from, end - from);
        }
        _recent.CopyRows(sources, from, length);
    }

    /// <summary>Frees the buffers.</summary>
    public void Dispose()
    {
        _sinkKeys?.Dispose();
        _sinkValues?.Dispose();
        _recent.Dispose();
    }
}
