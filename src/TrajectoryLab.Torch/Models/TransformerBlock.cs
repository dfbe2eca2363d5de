// One decoder block, wired as the design's residual layout says (BlockDesign.Residual):
//   pre-norm (Llama, GPT-2):  mid = x + attn(ln1 x);              post = mid + mlp(ln2 mid)
//   parallel (GPT-NeoX):      mid = x + attn(ln1 x);              post = mid + mlp(ln2 x)
//   sandwich (Gemma 2, 3):    mid = x + ln1_post(attn(ln1 x));    post = mid + ln2_post(mlp(ln2 mid))
//   post-norm (OLMo 2):       mid = x + ln1_post(attn(x));        post = mid + ln2_post(mlp(mid))
// hook_attn_out and hook_mlp_out see what is added to the stream (after a post norm, when there is one, and times the
// branch scale α of BlockAblation.BranchScale when it is not 1: Noci et al. 2022, NeurIPS, arXiv:2206.03126).
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TrajectoryLab.Torch.Models;

/// <summary>A decoder block with TransformerLens hook points on the residual stream and both sublayer outputs.</summary>
internal sealed class TransformerBlock : DecoderBlock
{
    // Field names are the canonical names (HookNames.cs): RegisterComponents registers them as written.
    private readonly Module<Tensor, Tensor>? ln1; // absent in the post-norm layout
    private readonly Attention attn;
    private readonly Module<Tensor, Tensor>? ln1_post; // sandwich and post-norm layouts
    private readonly Module<Tensor, Tensor>? ln2; // absent in the post-norm layout
    private readonly Module<Tensor, Tensor> mlp;
    private readonly Module<Tensor, Tensor>? ln2_post; // sandwich and post-norm layouts
    private readonly HookPoint hook_resid_pre;
    private readonly HookPoint hook_attn_out;
    private readonly HookPoint hook_resid_mid;
    private readonly HookPoint hook_mlp_out;
    private readonly HookPoint hook_resid_post;
    private readonly ResidualLayout _layout;
    private readonly ModelSpec _spec;
    private readonly int _layer;
    private Scalar? _branchScale; // held while in use (KeptScalars.cs); rebuilt when BlockAblation.BranchScale changes
    private double _branchScaleValue = double.NaN;

    /// <summary>Builds block <paramref name="layer"/> of <paramref name="spec"/>'s design with uninitialised weights.</summary>
    public TransformerBlock(ModelSpec spec, int layer, ScalarType dtype)
        : base(nameof(TransformerBlock))
    {
        var design = spec.Block;
        _spec = spec;
        _layer = layer;
        _layout = design.Residual;
        Module<Tensor, Tensor> Norm() => Norms.Create(design.Norm, spec.HiddenSize, spec.RmsNormEps, dtype);
        if (_layout != ResidualLayout.PostNorm)
        {
            ln1 = Norm();
            ln2 = Norm();
        }
        if (_layout is ResidualLayout.Sandwich or ResidualLayout.PostNorm)
        {
            ln1_post = Norm();
            ln2_post = Norm();
        }
        attn = new Attention(spec, layer, dtype);
        mlp = GatedMlp.Create(design, spec, dtype);
        hook_resid_pre = new HookPoint();
        hook_attn_out = new HookPoint();
        hook_resid_mid = new HookPoint();
        hook_mlp_out = new HookPoint();
        hook_resid_post = new HookPoint();
        RegisterComponents();
    }

    /// <param name="x">[batch, pos, d_model]</param>
    /// <param name="step">Positions, rotary angles (if any), masks and state of this forward pass.</param>
    /// <returns>[batch, pos, d_model]</returns>
    public override Tensor forward(Tensor x, StepContext step)
    {
        var residPre = hook_resid_pre.Apply(x); // [batch, pos, d_model]
        var attnRaw = attn.call(ln1 is null ? residPre : ln1.call(residPre), step); // [batch, pos, d_model]
        var attnOut = hook_attn_out.Apply(Scale(ln1_post is null ? attnRaw : ln1_post.call(attnRaw))); // [batch, pos, d_model]
        var residMid = hook_resid_mid.Apply(Ablation.Skip ? Residual(residPre, attnOut) : attnOut); // [batch, pos, d_model]
        Tensor mlpOut; // [batch, pos, d_model]
        if (Ablation.Mlp)
        {
            var mlpSource = _layout == ResidualLayout.Parallel ? residPre : residMid; // [batch, pos, d_model]
            var mlpRaw = mlp.call(ln2 is null ? mlpSource : ln2.call(mlpSource));
            mlpOut = hook_mlp_out.Apply(Scale(ln2_post is null ? mlpRaw : ln2_post.call(mlpRaw)));
        }
        else
            mlpOut = hook_mlp_out.Apply(zeros_like(residMid));
        var residPost =
            !Ablation.Mlp ? residMid
            : Ablation.Skip ? Residual(residMid, mlpOut)
            : mlpOut; // [batch, pos, d_model]
        return hook_resid_post.Apply(residPost);
    }

    /// <summary>x + branch: on the kernel workers for inference on a CPU (Kernels/ResidualAdd.cs, libtorch's bits), else
    /// libtorch's add.</summary>
    /// <param name="x">[batch, pos, d_model]</param>
    /// <param name="branch">[batch, pos, d_model]</param>
    /// <returns>[batch, pos, d_model]</returns>
    private static Tensor Residual(Tensor x, Tensor branch) => Kernels.ResidualAdd.TryApply(x, branch) ?? x.add(branch, KeptScalars.One);

    /// <summary>α·<paramref name="branch"/> (α = <see cref="BlockAblation.BranchScale"/>); the branch itself when α = 1.</summary>
    /// <param name="branch">[batch, pos, d_model]</param>
    private Tensor Scale(Tensor branch)
    {
        var alpha = Ablation.BranchScale;
        if (alpha == 1.0)
            return branch;
        if (_branchScale is null || _branchScaleValue != alpha)
        {
            _branchScale?.Dispose();
            _branchScale = alpha.ToScalar();
            _branchScaleValue = alpha;
        }
        return branch.mul(_branchScale); // [batch, pos, d_model]
    }

    /// <summary>An attention cache: every position's keys and values (a sliding-window layer reads only the last W).</summary>
    /// <remarks>Without the skip connections (<see cref="DecoderBlock.Ablation"/>) resid_mid = attn_out and resid_post =
    /// mlp_out; without the MLP hook_mlp_out carries zeros and resid_post = resid_mid.</remarks>
    /// <remarks>A sliding-window layer keeps only the columns its queries can still see (<see cref="WindowCache"/>) when
    /// that is fewer than the capacity; <paramref name="keepAll"/> keeps every column (a full cache, for comparisons). Under
    /// a cache policy a full-attention layer keeps its sinks and window (<see cref="StreamingCache"/>).</remarks>
    public override ILayerState NewState(
        long batch,
        long capacity,
        ScalarType dtype,
        Device device,
        bool keepAll = false,
        Generation.CachePolicy? policy = null
    ) =>
        _spec.Block.WindowOf(_spec, _layer) is { } window
            ? 2L * window < capacity && !keepAll
                ? new WindowCache(batch, window, _spec.NumKvHeads, _spec.HeadDim, dtype, device)
                : new AttentionCache(batch, capacity, _spec.NumKvHeads, _spec.HeadDim, dtype, device)
            : policy is not null
                ? new StreamingCache(batch, policy.Sinks, policy.Window, _spec.NumKvHeads, _spec.HeadDim, dtype, device)
                : new AttentionCache(batch, capacity, _spec.NumKvHeads, _spec.HeadDim, dtype, device);
}
