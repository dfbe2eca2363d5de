// Grouped-query causal self-attention with a key–value cache (Ainslie et al. 2023, arXiv:2305.13245), with the variants
// a BlockDesign names: rotary embeddings on all or the first R features of each head (Su et al. 2021,
// arXiv:2104.09864; GPT-NeoX's rotary_pct), query/key RMSNorm per head (Qwen3, Gemma 3) or over the whole projection
// (OLMo 2), a score scale other than 1/√d_head and soft-capping c·tanh(s/c) (Gemma 2), a sliding window per layer with
// its own rotary base (Mistral, Gemma 2/3). GPT-2 is the case n_kv_heads = n_heads with every bias and no rotation.
// Weights are stored [in, out] and applied with matmul (faster than nn.Linear's [out, in] on MKL), and W_Q, W_K, W_V
// side by side as one W_QKV so that one product computes all three (docs/performance.md).
// Inference on a CPU in float32 runs the C# kernels: a decoding step's attention (Kernels/DecodeAttention.cs) and the
// causal attention of a longer pass (Kernels/PrefillAttention.cs). Otherwise fused SDPA, unless hook_pattern is hooked,
// the scores are soft-capped or the pass must be twice differentiable.
// A left-padded pass (docs/padding.md) brings per-row rotary tables and a per-row mask; the code is the same.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TrajectoryLab.Torch.Models;

/// <summary>Multi-head attention with <c>n_heads / n_kv_heads</c> query heads per key/value head.</summary>
internal sealed class Attention : Module<Tensor, StepContext, Tensor>
{
    // Field names are the canonical names (HookNames.cs): RegisterComponents registers them as written.
    private readonly Parameter W_QKV; // [d_model, (n_heads + 2·n_kv_heads) · d_head]: W_Q | W_K | W_V
    private readonly Parameter? b_QKV; // [(n_heads + 2·n_kv_heads) · d_head]
    private readonly Parameter W_O; // [n_heads * d_head, d_model]
    private readonly Parameter? b_O; // [d_model]
    private readonly RmsNorm? q_norm; // [d_head] per head, or [n_heads · d_head] over the projection
    private readonly RmsNorm? k_norm; // [d_head] per head, or [n_kv_heads · d_head] over the projection
    private readonly HookPoint hook_pattern;
    private readonly int _layer;
    private readonly ModelSpec _spec;
    private readonly BlockDesign _design;
    private readonly int? _window;
    private readonly Scalar? _queryScale; // multiplies q so that SDPA's 1/√d_head gives the design's scale
    private readonly Scalar? _scoreScale; // the design's scale, for the explicit path; null for 1/√d_head
    private readonly Scalar _sqrtHeadDim; // √d_head: scores are divided by it unless the design sets a scale
    private readonly Scalar? _softcap;

    /// <summary>Builds the attention of block <paramref name="layer"/> with uninitialised weights and zero biases.</summary>
    public Attention(ModelSpec spec, int layer, ScalarType dtype)
        : base(nameof(Attention))
    {
        long d = spec.HiddenSize,
            q = spec.NumHeads * spec.HeadDim,
            kv = spec.NumKvHeads * spec.HeadDim;
        _design = spec.Block;
        W_QKV = new Parameter(empty(d, q + 2 * kv, dtype));
        W_O = new Parameter(empty(q, d, dtype));
        if (spec.QkvBias)
            b_QKV = new Parameter(zeros(q + 2 * kv, dtype));
        if (spec.OutputBias)
            b_O = new Parameter(zeros(d, dtype));
        var offset = _design.Norm == NormKind.RmsOffset;
        if (_design.QkNorm == QkNormKind.PerHead)
        {
            q_norm = new RmsNorm(spec.HeadDim, spec.RmsNormEps, dtype, offset);
            k_norm = new RmsNorm(spec.HeadDim, spec.RmsNormEps, dtype, offset);
        }
        else if (_design.QkNorm == QkNormKind.FullProjection)
        {
            q_norm = new RmsNorm((int)q, spec.RmsNormEps, dtype, offset);
            k_norm = new RmsNorm((int)kv, spec.RmsNormEps, dtype, offset);
        }
        hook_pattern = new HookPoint();
        _layer = layer;
        _spec = spec;
        _window = _design.WindowOf(spec, layer);
        _sqrtHeadDim = Math.Sqrt(spec.HeadDim).ToScalar();
        if (_design.AttentionScale is { } s)
        {
            _scoreScale = s.ToScalar();
            _queryScale = (s * Math.Sqrt(spec.HeadDim)).ToScalar();
        }
        if (_design.AttentionSoftcap is { } cap)
            _softcap = cap.ToScalar();
        RegisterComponents();
    }

    /// <param name="x">[batch, pos, d_model], already normalised.</param>
    /// <param name="step">Positions, rotary angles (if any), masks and state of this forward pass.</param>
    /// <returns>[batch, pos, d_model]</returns>
    public override Tensor forward(Tensor x, StepContext step)
    {
        long batch = x.shape[0],
            pos = x.shape[1];
        int heads = _spec.NumHeads,
            kvHeads = _spec.NumKvHeads,
            dHead = _spec.HeadDim;
        var projected = Project(x, W_QKV, b_QKV); // [batch, pos, (n_heads + 2·n_kv_heads) · d_head]
        if (_design.QkNorm == QkNormKind.FullProjection)
            projected = cat(
                [
                    q_norm!.call(projected.narrow(-1, 0, heads * dHead)),
                    k_norm!.call(projected.narrow(-1, heads * dHead, kvHeads * dHead)),
                    projected.narrow(-1, (heads + kvHeads) * dHead, kvHeads * dHead),
                ],
                -1
            );
        if (pos == 1 && DecodeKernel(projected, step) is { } decoded)
            return Project(decoded, W_O, b_O); // [batch, 1, d_model]
        var split = projected.view(batch, pos, heads + 2 * kvHeads, dHead); // [batch, pos, n_heads + 2·n_kv_heads, d_head]
        var qk = split.narrow(2, 0, heads + kvHeads); // [batch, pos, n_heads + n_kv_heads, d_head]
        if (_design.QkNorm == QkNormKind.PerHead)
            qk = cat(PerHeadNormalized(split), 2);
        qk = qk.transpose(1, 2); // [batch, n_heads + n_kv_heads, pos, d_head]
        var unrotated = qk.narrow(1, 0, heads); // [batch, n_heads, pos, d_head]
        if (step.RotaryFor(_window is not null) is { } angles)
            qk = RotaryEmbedding.Rotate(qk, angles.Cos, angles.Sin); // queries and keys in one rotation
        var q = qk.narrow(1, 0, heads); // [batch, n_heads, pos, d_head]
        var k = qk.narrow(1, heads, kvHeads); // [batch, n_kv_heads, pos, d_head]
        var v = split.narrow(2, heads + kvHeads, kvHeads).transpose(1, 2); // [batch, n_kv_heads, pos, d_head]
        if (step.Streaming is { } streaming && _window is null)
        {
            var streamed = StreamingAttention(unrotated, q, k, v, step, streaming); // [batch, n_heads, pos, d_head]
            return Project(streamed.transpose(1, 2).reshape(batch, pos, heads * dHead), W_O, b_O); // [batch, pos, d_model]
        }
        long first = 0; // the oldest key column read: > 0 once a sliding-window cache has dropped the columns before it
        if (step.State is { } state)
            (k, v, first) = state.Layer<IAttentionState>(_layer).Write(k, v, step); // [batch, n_kv_heads, length − first, d_head]
        if (first == 0 && PrefillKernel(q, k, v, step) is { } attended)
            return Project(attended, W_O, b_O); // [batch, pos, d_model]
        k = RepeatKv(k); // [batch, n_heads, keys, d_head] with keys = length − first
        v = RepeatKv(v); // [batch, n_heads, keys, d_head]
        var mask = step.MaskFor(_window); // [pos, length], [batch, 1, pos, length] when padded, or null
        if (first > 0 && mask is not null)
            mask = mask.narrow(-1, first, step.Length - first); // [..., pos, keys]: the dropped columns were masked anyway

        Tensor z; // [batch, n_heads, pos, d_head]
        if (hook_pattern.HasHooks || step.ExplicitAttention || _softcap is not null)
        {
            var raw = q.matmul(k.transpose(-2, -1)); // [batch, n_heads, pos, length]
            var scores = _scoreScale is { } scale ? raw.mul_(scale) : raw.div_(_sqrtHeadDim);
            if (_softcap is { } cap)
                scores = scores.div_(cap).tanh_().mul_(cap);
            if (mask is not null)
                scores = scores.masked_fill(mask.logical_not(), KeptScalars.NegativeInfinity);
            var pattern = scores.softmax(-1); // [batch, n_heads, pos, keys]
            if (first > 0 && hook_pattern.HasHooks)
                // Hooks see every column, as with a full cache: the dropped ones get the 0 the masked softmax gave them.
                pattern = hook_pattern
                    .Apply(functional.pad(pattern, [first, 0])) // [batch, n_heads, pos, length]
                    .narrow(-1, first, step.Length - first);
            else
                pattern = hook_pattern.Apply(pattern); // [batch, n_heads, pos, length]
            z = pattern.matmul(v);
        }
        else
        {
            if (_queryScale is { } queryScale)
                q = q.mul(queryScale);
            // SDPA's is_causal aligns the mask top-left, which is right only when queries start at position 0; it knows no
            // padding.
            var causalFromZero = step.StartPos == 0 && pos > 1 && _window is null && !step.Padded;
            z = functional.scaled_dot_product_attention(q, k, v, causalFromZero ? null : mask, is_casual: causalFromZero);
        }
        var merged = z.transpose(1, 2).reshape(batch, pos, heads * dHead); // [batch, pos, n_heads * d_head]
        return Project(merged, W_O, b_O); // [batch, pos, d_model]
    }

    /// <summary>Attention under a cache policy (CachePolicy.cs): each query sees the sink columns and its window; its scores
    /// against sink columns use the query rotated at its cache position, against the others at its own position.</summary>
    /// <param name="unrotated">[batch, n_heads, pos, d_head] queries before rotation.</param>
    /// <param name="q">[batch, n_heads, pos, d_head] queries rotated at their positions.</param>
    /// <param name="k">[batch, n_kv_heads, pos, d_head] the pass's keys, rotated at their positions.</param>
    /// <param name="v">[batch, n_kv_heads, pos, d_head]</param>
    /// <param name="step">The pass (with a StreamingCache for this layer, or no state: a pass from 0 over every column).</param>
    /// <param name="streaming">The policy and the queries' cache-position rotations.</param>
    /// <returns>[batch, n_heads, pos, d_head]</returns>
    private Tensor StreamingAttention(Tensor unrotated, Tensor q, Tensor k, Tensor v, StepContext step, StreamingPass streaming)
    {
        Tensor columns; // [keys] int64, ascending: the column of each key read
        if (step.State is { } state)
            (k, v, columns) = state.Layer<StreamingCache>(_layer).Write(k, v, step); // [batch, n_kv_heads, keys, d_head]
        else
            columns = arange(0, step.Length, ScalarType.Int64, q.device); // a stateless pass from 0 reads every column
        k = RepeatKv(k); // [batch, n_heads, keys, d_head]
        v = RepeatKv(v); // [batch, n_heads, keys, d_head]
        var scores = Scores(q, k); // [batch, n_heads, pos, keys]
        var sinks = Math.Min(streaming.Policy.Sinks, step.Length); // the first keys read are columns 0 … sinks − 1
        if (sinks > 0 && streaming.CacheRotary is { } cache)
        {
            var atCache = RotaryEmbedding.Rotate(unrotated, cache.Cos, cache.Sin); // [batch, n_heads, pos, d_head]
            var sinkScores = Scores(atCache, k.narrow(2, 0, sinks)); // [batch, n_heads, pos, sinks]
            scores = cat([sinkScores, scores.narrow(-1, sinks, scores.shape[^1] - sinks)], -1); // [batch, n_heads, pos, keys]
        }
        scores = scores.masked_fill(step.StreamingMask(columns).logical_not(), KeptScalars.NegativeInfinity);
        var pattern = scores.softmax(-1); // [batch, n_heads, pos, keys]
        if (hook_pattern.HasHooks)
        {
            // Hooks see every column, as with a full cache: a column the policy dropped gets the 0 masking gives it.
            long[] full = [pattern.shape[0], pattern.shape[1], pattern.shape[2], step.Length];
            var wide = zeros(full, pattern.dtype, pattern.device).index_copy_(3, columns, pattern); // [batch, n_heads, pos, length]
            pattern = hook_pattern.Apply(wide).index_select(3, columns); // [batch, n_heads, pos, keys]
        }
        return pattern.matmul(v);
    }

    /// <summary>A decoding step's attention by the C# kernel (Kernels/DecodeAttention.cs): one new position per row, no
    /// hooks on the pattern, padding or cache policy, float32 on a CPU outside autograd; q/k norms (per head or over the
    /// whole projection) are applied first, in libtorch's layout, and a soft cap to the scores as the general path applies
    /// it. A sliding-window layer attends from the window's first column on, in a full cache (a run no longer than twice
    /// the window) or in its WindowCache, which makes room for the new column first as its Write would. Null where any of
    /// that does not hold: the general path below computes it.</summary>
    /// <param name="projected">[batch, 1, (n_heads + 2·n_kv_heads) · d_head]</param>
    /// <param name="step">The pass.</param>
    /// <returns>[batch, 1, n_heads · d_head], or null.</returns>
    private unsafe Tensor? DecodeKernel(Tensor projected, StepContext step)
    {
        if (
            !WeightProduct.KernelAllowed
            || hook_pattern.HasHooks
            || step.ExplicitAttention
            || step.Streaming is not null
            || step.Padded
            || step.State?.Layer<IAttentionState>(_layer) is not { } layerState
            || layerState is not (AttentionCache or WindowCache)
            || projected.dtype != ScalarType.Float32
            || !projected.is_cpu()
            || is_grad_enabled()
        )
            return null;
        var rotary = step.RotaryFor(_window is not null);
        if (rotary is { } table && (table.Cos.dim() != 2 || table.Cos.shape[0] != 1))
            return null; // per-row tables (padding) are not this path's
        int heads = _spec.NumHeads,
            kvHeads = _spec.NumKvHeads,
            dHead = _spec.HeadDim;
        long batch = projected.shape[0];
        if (_design.QkNorm == QkNormKind.PerHead)
        {
            // Each head's query and key normalised as the general path does it (same layout, same hooks), before the
            // kernel rotates them; a whole-projection norm was applied by the caller.
            var split = projected.view(batch, 1, heads + 2 * kvHeads, dHead); // [batch, 1, n_heads + 2·n_kv_heads, d_head]
            var newValues = split.narrow(2, heads + kvHeads, kvHeads); // [batch, 1, n_kv_heads, d_head]
            // [batch, 1, (n_heads + 2·n_kv_heads) · d_head]
            projected = cat([.. PerHeadNormalized(split), newValues], 2).view(batch, 1, -1);
        }
        var source = projected.contiguous(); // [batch, 1, (n_heads + 2·n_kv_heads) · d_head]
        var output = empty([batch, 1, heads * dHead], ScalarType.Float32); // [batch, 1, n_heads · d_head]
        // [batch, n_kv_heads, capacity, d_head] each; the new column's slot and the window's first slot in them
        var (keys, values, slot, firstSlot) = layerState switch
        {
            // A full cache holds column c at slot c; a sliding window in it starts at StartPos − W + 1 (MaskFor).
            AttentionCache full => (
                full.KeyBuffer,
                full.ValueBuffer,
                step.StartPos,
                _window is { } w ? Math.Max(0, step.StartPos - w + 1) : 0
            ),
            WindowCache window => window.MakeRoomForDecoding(step),
            _ => throw new InvalidOperationException("unreachable: the state was checked above"),
        };
        Tensor? cos = null,
            sin = null;
        if (rotary is { } angles)
            (cos, sin) = (angles.Cos.contiguous(), angles.Sin.contiguous()); // [1, R] each
        float scale = _design.AttentionScale is { } s ? (float)s : (float)(1 / Math.Sqrt(dHead));
        Kernels.DecodeAttention.Run(
            new Kernels.DecodeAttentionPass(
                (nint)Kernels.TensorMemory.Floats(source),
                (nint)Kernels.TensorMemory.Floats(keys),
                (nint)Kernels.TensorMemory.Floats(values),
                cos is null ? 0 : (nint)Kernels.TensorMemory.Floats(cos),
                sin is null ? 0 : (nint)Kernels.TensorMemory.Floats(sin),
                (nint)Kernels.TensorMemory.Floats(output)
            ),
            (int)batch,
            heads,
            kvHeads,
            dHead,
            cos is null ? 0 : (int)cos.shape[1],
            keys.shape[2],
            slot,
            scale,
            get_num_threads(),
            firstSlot,
            _design.AttentionSoftcap is { } cap ? (float)cap : 0
        );
        GC.KeepAlive(source);
        GC.KeepAlive(cos);
        GC.KeepAlive(sin);
        GC.KeepAlive(keys);
        GC.KeepAlive(values);
        return output;
    }

    /// <summary>The causal attention of a pass of several positions by the C# kernel (Kernels/PrefillAttention.cs): float32
    /// on a CPU outside autograd, no hooks on the pattern, no soft cap, no padding, every key from column 0 (a
    /// WindowCache that has dropped columns is the general path's); a sliding window's query sees the keys from
    /// p − W + 1 on (the kernel weighs the ones before nothing). Null where any of that does not hold: libtorch's SDPA
    /// computes it.</summary>
    /// <param name="q">[batch, n_heads, pos, d_head], rotated, not yet scaled (the kernel applies the design's scale).</param>
    /// <param name="k">[batch, n_kv_heads, length, d_head], every key from column 0.</param>
    /// <param name="v">[batch, n_kv_heads, length, d_head]</param>
    /// <param name="step">The pass.</param>
    /// <returns>[batch, pos, n_heads · d_head], or null.</returns>
    private unsafe Tensor? PrefillKernel(Tensor q, Tensor k, Tensor v, StepContext step)
    {
        long batch = q.shape[0],
            pos = q.shape[2],
            length = k.shape[2];
        if (
            pos < 2
            || !WeightProduct.KernelAllowed
            || hook_pattern.HasHooks
            || step.ExplicitAttention
            || _softcap is not null
            || step.Padded
            || q.dtype != ScalarType.Float32
            || k.dtype != ScalarType.Float32
            || v.dtype != ScalarType.Float32
            || !q.is_cpu()
            || is_grad_enabled()
            || length != step.Length
            || length > int.MaxValue
            || q.stride(3) != 1
            || k.stride(3) != 1
            || v.stride(3) != 1
        )
            return null;
        int heads = _spec.NumHeads,
            dHead = _spec.HeadDim;
        var output = empty([batch, pos, heads * dHead], ScalarType.Float32); // [batch, pos, n_heads · d_head]
        Kernels.PrefillAttention.Run(
            Rows(q),
            Rows(k),
            Rows(v),
            Kernels.TensorMemory.Floats(output),
            (int)batch,
            heads,
            _spec.NumKvHeads,
            dHead,
            (int)pos,
            (int)length,
            _design.AttentionScale is { } s ? (float)s : (float)(1 / Math.Sqrt(dHead)),
            get_num_threads(),
            window: _window ?? 0
        );
        GC.KeepAlive(q);
        GC.KeepAlive(k);
        GC.KeepAlive(v);
        return output;

        // x: [batch, heads, rows, d_head] with contiguous rows
        static Kernels.HeadRows Rows(Tensor x) => new((nint)Kernels.TensorMemory.Floats(x), x.stride(0), x.stride(1), x.stride(2));
    }

    /// <summary>The per-head q/k norms (Qwen3, Gemma 3), applied in the [batch, pos, head, d_head] layout so that their hooks
    /// keep position on axis 1 like every other hook; the general path and the decoding kernel both use it.</summary>
    /// <param name="split">[batch, pos, n_heads + 2·n_kv_heads, d_head]</param>
    /// <returns>The queries [batch, pos, n_heads, d_head] and the keys [batch, pos, n_kv_heads, d_head], normalised.</returns>
    private Tensor[] PerHeadNormalized(Tensor split) =>
        [q_norm!.call(split.narrow(2, 0, _spec.NumHeads)), k_norm!.call(split.narrow(2, _spec.NumHeads, _spec.NumKvHeads))];

    /// <summary>Attention scores with the design's scale and soft cap.</summary>
    /// <param name="q">[batch, n_heads, pos, d_head]</param>
    /// <param name="k">[batch, n_heads, keys, d_head]</param>
    /// <returns>[batch, n_heads, pos, keys]</returns>
    private Tensor Scores(Tensor q, Tensor k)
    {
        var raw = q.matmul(k.transpose(-2, -1)); // [batch, n_heads, pos, keys]
        var scores = _scoreScale is { } scale ? raw.mul_(scale) : raw.div_(_sqrtHeadDim);
        return _softcap is { } cap ? scores.div_(cap).tanh_().mul_(cap) : scores;
    }

    /// <summary>x W (+ b).</summary>
    private static Tensor Project(Tensor x, Tensor w, Tensor? b) =>
        b is null ? WeightProduct.Apply(x, w) : WeightProduct.Apply(x, w).add_(b, KeptScalars.One);

    /// <summary>Repeats each key/value head for the query heads that share it: [batch, n_kv_heads, len, d] → [batch, n_heads,
    /// len, d].</summary>
    private Tensor RepeatKv(Tensor x)
    {
        var group = _spec.QueriesPerKvHead;
        if (group == 1)
            return x;
        long batch = x.shape[0],
            length = x.shape[2];
        return x.unsqueeze(2)
            .expand(batch, _spec.NumKvHeads, group, length, _spec.HeadDim)
            .reshape(batch, _spec.NumHeads, length, _spec.HeadDim);
    }
}
