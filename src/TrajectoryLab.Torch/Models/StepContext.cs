// What every block needs to know about the current forward pass besides its input: where the new tokens sit, their
// rotary angles (global, and local for sliding-window layers with their own base), the causal mask (and, per window
// size, the sliding-window mask), and the state to read and write.
// A left-padded state (ModelState.LeftPad, docs/padding.md) makes all of these per row: row b reads column c as its
// position c − pad_b (pad columns get position 0), its rotary tables are [batch, 1, pos, R], and its mask
// [batch, 1, pos, length] is causal ∧ (key column ≥ pad_b ∨ key == query), so that a real query never sees a pad key and
// a pad query sees itself alone (no softmax row is empty, so nothing turns NaN). An unpadded pass builds exactly what it
// built before padding existed.
// Under a cache policy (CachePolicy: k sinks, window W) the pass also carries each query's cache position
// c_q = min(q, k + W − 1) as rotary tables, and full-attention layers mask each query to keys 0 … k − 1 and
// q − W + 1 … q (StreamingMask); padded rows and a policy do not combine.
using TrajectoryLab.Torch.Generation;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Models;

/// <summary>Per-forward inputs shared by all blocks; its tensors belong to the caller's dispose scope.</summary>
/// <param name="StartPos">Column of the first new token (its position in every unpadded row).</param>
/// <param name="Count">Number of new tokens (pos).</param>
/// <param name="Positions">[pos] int64 columns: StartPos … StartPos + pos - 1 (where the state stores them).</param>
/// <param name="Rotary">Rotary cosine and sine tables, each [pos, R] (<see cref="RotaryEmbedding.Angles(long, long,
/// ScalarType, Device)"/>), or [batch, 1, pos, R] in a padded pass; null for a model without rotary positions.</param>
/// <param name="Mask">[pos, StartPos + pos] bool, true where a query may attend to a key; null for a single new token. In a
/// padded pass [batch, 1, pos, StartPos + pos], never null.</param>
/// <param name="State">The state of the generation map (caches of earlier positions), or null to attend only within the new
/// tokens.</param>
internal sealed record StepContext(
    long StartPos,
    long Count,
    Tensor Positions,
    (Tensor Cos, Tensor Sin)? Rotary,
    Tensor? Mask,
    ModelState? State
)
{
    private readonly Dictionary<int, Tensor?> _windowMasks = [];

    /// <summary>Compute attention as softmax(QKᵀ/√d)·V instead of fused SDPA, whose CPU kernel has no second derivative
    /// (the double-VJP of DepthDynamics needs one). Same result up to rounding.</summary>
    public bool ExplicitAttention { get; init; }

    /// <summary>The rotary tables of sliding-window layers when they have their own base (Gemma 3); null to use
    /// <see cref="Rotary"/>.</summary>
    public (Tensor Cos, Tensor Sin)? LocalRotary { get; init; }

    /// <summary>[batch, pos] int64: each row's own position of each column (column − pad_b, 0 at pad columns); null in an
    /// unpadded pass, where every row's positions are <see cref="Positions"/>.</summary>
    public Tensor? RowPositions { get; init; }

    /// <summary>[batch, pos] bool: true at the columns that hold a row's token, false at its pad columns; null when the
    /// pass has no pad column (unpadded, or past every row's padding).</summary>
    public Tensor? Real { get; init; }

    /// <summary>The cache policy of this pass and the rotary tables of its queries' cache positions, or null for full
    /// attention.</summary>
    public StreamingPass? Streaming { get; init; }

    /// <summary>Whether the state is left-padded (<see cref="ModelState.IsPadded"/>): masks and positions are per row.</summary>
    public bool Padded => State?.IsPadded == true;

    /// <summary>Number of key columns each query sees at most: StartPos + pos.</summary>
    public long Length => StartPos + Count;

    /// <summary>The rotary tables of a layer: the local ones for a sliding-window layer when the model has them.</summary>
    public (Tensor Cos, Tensor Sin)? RotaryFor(bool slidingWindow) => slidingWindow && LocalRotary is { } local ? local : Rotary;

    /// <summary>The mask of a layer with sliding window <paramref name="window"/> (null: the causal <see cref="Mask"/>): a
    /// query at position p attends to keys p − W + 1 … p. [pos, StartPos + pos] bool (padded: [batch, 1, pos,
    /// StartPos + pos], the window on columns, which within a row is the window on positions, and the pad mask), or null
    /// when nothing is masked.</summary>
    public Tensor? MaskFor(int? window)
    {
        if (window is not { } w || Length <= w)
            return Mask;
        if (_windowMasks.TryGetValue(w, out var cached))
            return cached;
        var queries = Positions.unsqueeze(1); // [pos, 1]
        var keys = arange(0, Length, ScalarType.Int64, Positions.device).unsqueeze(0); // [1, length]
        var inWindow = keys.gt(queries.sub(w)).logical_and(keys.le(queries)); // [pos, length]
        if (Padded)
            inWindow = inWindow.logical_and(Mask!); // [batch, 1, pos, length]
        return _windowMasks[w] = inWindow;
    }

    /// <summary>The streaming mask of this pass's queries over key columns <paramref name="columns"/>: key c is seen by query
    /// q when c ≤ q and (c &lt; k or c &gt; q − W).</summary>
    /// <param name="columns">[keys] int64, ascending.</param>
    /// <returns>[pos, keys] bool.</returns>
    public Tensor StreamingMask(Tensor columns)
    {
        var policy = Streaming!.Policy;
        var queries = Positions.unsqueeze(1); // [pos, 1]
        var keys = columns.unsqueeze(0); // [1, keys]
        var recent = keys.gt(queries.sub(policy.Window)); // [pos, keys]
        return keys.le(queries).logical_and(recent.logical_or(keys.lt(policy.Sinks)));
    }

    /// <summary>Checks the arguments of a forward pass over <paramref name="tokens"/> and builds its context.</summary>
    /// <param name="tokens">[batch, pos] int64 token ids.</param>
    /// <param name="state">The state holding positions before <paramref name="startPos"/>, or null.</param>
    /// <param name="startPos">Column of the first token; 0 without a state.</param>
    /// <param name="rotary">The model's rotary embedding, or null for learned positions.</param>
    /// <param name="localRotary">The rotary embedding of sliding-window layers with their own base, or null.</param>
    /// <param name="dtype">The model's dtype (for the rotary angles).</param>
    /// <param name="device">The model's device.</param>
    /// <param name="policy">The model's cache policy, or null for full attention.</param>
    /// <exception cref="ArgumentException">A start position without a state, a state of the wrong batch or too small, or a
    /// padded state under a cache policy.</exception>
    public static StepContext Begin(
        Tensor tokens,
        ModelState? state,
        long startPos,
        RotaryEmbedding? rotary,
        RotaryEmbedding? localRotary,
        ScalarType dtype,
        Device device,
        CachePolicy? policy = null
    )
    {
        if (policy is not null && state is { IsPadded: true })
            throw new ArgumentException(
                $"a cache policy ({policy.Sinks} sinks, window {policy.Window}) keeps each row's first positions, so its rows "
                    + "cannot be left-padded: give prompts of equal length",
                nameof(state)
            );
        long batch = tokens.shape[0],
            pos = tokens.shape[1];
        if (state is null && startPos != 0)
            throw new ArgumentException($"startPos {startPos} needs a state holding the earlier positions", nameof(startPos));
        if (state is not null && (state.Batch != batch || startPos + pos > state.Capacity))
            throw new ArgumentException(
                $"state of batch {state.Batch} and capacity {state.Capacity} "
                    + $"cannot take batch {batch} at positions {startPos}..{startPos + pos - 1}",
                nameof(state)
            );
        var columns = arange(startPos, startPos + pos, ScalarType.Int64, device); // [pos]
        if (state is { IsPadded: true } padded)
            return BeginPadded(padded, columns, startPos, pos, rotary, localRotary, dtype, device);

        var angles = rotary?.Angles(startPos, pos, dtype, device); // [pos, R] each
        var mask = pos == 1 ? null : ones([pos, startPos + pos], ScalarType.Bool, device).tril(startPos); // [pos, startPos + pos]
        return new StepContext(startPos, pos, columns, angles, mask, state)
        {
            LocalRotary = localRotary?.Angles(startPos, pos, dtype, device),
            Streaming = policy is null ? null : new StreamingPass(policy, CacheRotary(policy, columns, rotary, dtype, device)),
        };
    }

    /// <summary>The rotary tables of each query's cache position c_q = min(q, k + W − 1), [pos, R] each; null without
    /// rotary positions.</summary>
    /// <param name="policy">The cache policy.</param>
    /// <param name="columns">[pos] the queries' columns.</param>
    /// <param name="rotary">The model's rotary embedding, or null.</param>
    /// <param name="dtype">The model's dtype.</param>
    /// <param name="device">The model's device.</param>
    private static (Tensor Cos, Tensor Sin)? CacheRotary(
        CachePolicy policy,
        Tensor columns,
        RotaryEmbedding? rotary,
        ScalarType dtype,
        Device device
    )
    {
        if (rotary is null)
            return null;
        var last = columns[-1].item<long>();
        var table = rotary.Angles(0, Math.Min(last + 1, policy.Size), dtype, device); // [min(length, k + W), R] each
        var cachePositions = columns.clamp_max(policy.Size - 1); // [pos]
        return (table.Cos.index_select(0, cachePositions), table.Sin.index_select(0, cachePositions));
    }

    /// <summary>The context of a pass over columns <paramref name="columns"/> of a left-padded state.</summary>
    /// <param name="state">A state with some row padded.</param>
    /// <param name="columns">[pos] int64: startPos … startPos + pos − 1.</param>
    /// <param name="startPos">Column of the first token.</param>
    /// <param name="pos">Number of new tokens.</param>
    /// <param name="rotary">The model's rotary embedding, or null.</param>
    /// <param name="localRotary">The rotary embedding of sliding-window layers with their own base, or null.</param>
    /// <param name="dtype">The model's dtype.</param>
    /// <param name="device">The model's device.</param>
    private static StepContext BeginPadded(
        ModelState state,
        Tensor columns,
        long startPos,
        long pos,
        RotaryEmbedding? rotary,
        RotaryEmbedding? localRotary,
        ScalarType dtype,
        Device device
    )
    {
        var pads = state.PadTensor!.unsqueeze(1); // [batch, 1]
        var own = columns.unsqueeze(0).sub(pads); // [batch, pos]: column − pad_b, negative at pad columns
        var keys = arange(0, startPos + pos, ScalarType.Int64, device); // [length]
        var causal = ones([pos, startPos + pos], ScalarType.Bool, device).tril(startPos); // [pos, length]
        var realKey = keys.unsqueeze(0).ge(pads).unsqueeze(1); // [batch, 1, length]
        var itself = keys.unsqueeze(0).eq(columns.unsqueeze(1)); // [pos, length]: a pad query's only key
        var mask = causal.logical_and(realKey.logical_or(itself)).unsqueeze(1); // [batch, 1, pos, length]
        return new StepContext(startPos, pos, columns, rotary?.Angles(startPos, pos, state.LeftPad, dtype, device), mask, state)
        {
            LocalRotary = localRotary?.Angles(startPos, pos, state.LeftPad, dtype, device),
            RowPositions = own.clamp_min(0), // [batch, pos]
            Real = startPos < state.MaxPad ? own.ge(0) : null, // [batch, pos]
        };
    }
}

/// <summary>A pass under a cache policy.</summary>
/// <param name="Policy">k sinks and window W.</param>
/// <param name="CacheRotary">Rotary tables of each query's cache position, [pos, R] each; null without rotary positions.</param>
internal sealed record StreamingPass(CachePolicy Policy, (Tensor Cos, Tensor Sin)? CacheRotary);
