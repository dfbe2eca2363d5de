// Grouped-query causal self-attention with a KV cache (Ainslie et al. 2023, arXiv:2305.13245), rotating queries and keys
// when the model has rotary embeddings (Su et al. 2021, arXiv:2104.09864); GPT-2 is the case n_kv_heads = n_heads with
// every bias and no rotation (Radford et al. 2019).
// Weights are stored [in, out] and applied with matmul (faster than nn.Linear's [out, in] on MKL), and W_Q, W_K, W_V
// side by side as one W_QKV so that one product computes all three (docs/performance.md).
// Fused SDPA unless hook_pattern is hooked or the pass must be twice differentiable, then explicit softmax(QKᵀ/√d).
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
    private readonly HookPoint hook_pattern;
    private readonly int _layer;
    private readonly ModelSpec _spec;

    /// <summary>Builds the attention of block <paramref name="layer"/> with uninitialised weights and zero biases.</summary>
    public Attention(ModelSpec spec, int layer, ScalarType dtype)
        : base(nameof(Attention))
    {
        long d = spec.HiddenSize,
            q = spec.NumHeads * spec.HeadDim,
            kv = spec.NumKvHeads * spec.HeadDim;
        W_QKV = new Parameter(empty(d, q + 2 * kv, dtype));
        W_O = new Parameter(empty(q, d, dtype));
        if (spec.QkvBias)
            b_QKV = new Parameter(zeros(q + 2 * kv, dtype));
        if (spec.OutputBias)
            b_O = new Parameter(zeros(d, dtype));
        hook_pattern = new HookPoint();
        _layer = layer;
        _spec = spec;
        RegisterComponents();
    }

    /// <param name="x">[batch, pos, d_model], already normalised.</param>
    /// <param name="step">Positions, rotary angles (if any), mask and cache of this forward pass.</param>
    /// <returns>[batch, pos, d_model]</returns>
    public override Tensor forward(Tensor x, StepContext step)
    {
        long batch = x.shape[0],
            pos = x.shape[1];
        int heads = _spec.NumHeads,
            kvHeads = _spec.NumKvHeads;
        // qkv: [batch, n_heads + 2·n_kv_heads, pos, d_head]
        var qkv = Project(x, W_QKV, b_QKV).view(batch, pos, heads + 2 * kvHeads, _spec.HeadDim).transpose(1, 2);
        var qk = qkv.narrow(1, 0, heads + kvHeads); // [batch, n_heads + n_kv_heads, pos, d_head]
        if (step.Rotary is { } angles)
            qk = RotaryEmbedding.Rotate(qk, angles.Cos, angles.Sin); // queries and keys in one rotation
        var q = qk.narrow(1, 0, heads); // [batch, n_heads, pos, d_head]
        var k = qk.narrow(1, heads, kvHeads); // [batch, n_kv_heads, pos, d_head]
        var v = qkv.narrow(1, heads + kvHeads, kvHeads); // [batch, n_kv_heads, pos, d_head]
        if (step.State is { } state)
            (k, v) = state.Layer<AttentionCache>(_layer).Write(k, v, step.Positions, step.Length); // [batch, n_kv_heads, length, d_head]
        k = RepeatKv(k); // [batch, n_heads, length, d_head]
        v = RepeatKv(v); // [batch, n_heads, length, d_head]

        Tensor z; // [batch, n_heads, pos, d_head]
        if (hook_pattern.HasHooks || step.ExplicitAttention)
        {
            using var scale = Math.Sqrt(_spec.HeadDim).ToScalar(); // kept alive through the calls: see KeptScalars.cs
            var scores = q.matmul(k.transpose(-2, -1)).div_(scale); // [batch, n_heads, pos, length]
            if (step.Mask is { } mask)
                scores = scores.masked_fill(mask.logical_not(), KeptScalars.NegativeInfinity);
            var pattern = hook_pattern.Apply(scores.softmax(-1)); // [batch, n_heads, pos, length]
            z = pattern.matmul(v);
        }
        else
        {
            // SDPA's is_causal aligns the mask top-left, which is right only when queries start at position 0.
            var causalFromZero = step.StartPos == 0 && pos > 1;
            z = functional.scaled_dot_product_attention(q, k, v, causalFromZero ? null : step.Mask, is_casual: causalFromZero);
        }
        var merged = z.transpose(1, 2).reshape(batch, pos, _spec.NumHeads * _spec.HeadDim); // [batch, pos, n_heads * d_head]
        return Project(merged, W_O, b_O); // [batch, pos, d_model]
    }

    /// <summary>x W (+ b).</summary>
    private static Tensor Project(Tensor x, Tensor w, Tensor? b) =>
        b is null ? WeightProduct.Apply(x, w) : WeightProduct.Apply(x, w).add_(b, KeptScalars.One);

    /// <summary>Repeats each key/value head for the query heads that share it: [batch, n_kv_heads, len, d] → [batch, n_heads, len,
    /// d].</summary>
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
