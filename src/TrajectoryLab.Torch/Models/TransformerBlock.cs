// One pre-norm decoder block: resid_mid = resid_pre + attn(ln1(resid_pre)); resid_post = resid_mid + mlp(ln2(resid_mid)).
// The architecture picks the norm (RMSNorm or LayerNorm) and the MLP (SwiGLU or GELU); the wiring is the same.
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TrajectoryLab.Torch.Models;

/// <summary>A decoder block with TransformerLens hook points on the residual stream and both sublayer outputs.</summary>
internal sealed class TransformerBlock : Module<Tensor, StepContext, Tensor>
{
    // Field names are the canonical names (HookNames.cs): RegisterComponents registers them as written.
    private readonly Module<Tensor, Tensor> ln1;
    private readonly Attention attn;
    private readonly Module<Tensor, Tensor> ln2;
    private readonly Module<Tensor, Tensor> mlp;
    private readonly HookPoint hook_resid_pre;
    private readonly HookPoint hook_attn_out;
    private readonly HookPoint hook_resid_mid;
    private readonly HookPoint hook_mlp_out;
    private readonly HookPoint hook_resid_post;

    /// <summary>Builds block <paramref name="layer"/> of <paramref name="spec"/>'s architecture with uninitialised weights.</summary>
    public TransformerBlock(ModelSpec spec, int layer, ScalarType dtype)
        : base(nameof(TransformerBlock))
    {
        var gpt2 = spec.Architecture == ModelArchitecture.Gpt2;
        ln1 = gpt2 ? new LayerNorm(spec.HiddenSize, spec.RmsNormEps, dtype) : new RmsNorm(spec.HiddenSize, spec.RmsNormEps, dtype);
        attn = new Attention(spec, layer, dtype);
        ln2 = gpt2 ? new LayerNorm(spec.HiddenSize, spec.RmsNormEps, dtype) : new RmsNorm(spec.HiddenSize, spec.RmsNormEps, dtype);
        mlp = gpt2 ? new GeluMlp(spec, dtype) : new SwiGluMlp(spec, dtype);
        hook_resid_pre = new HookPoint();
        hook_attn_out = new HookPoint();
        hook_resid_mid = new HookPoint();
        hook_mlp_out = new HookPoint();
        hook_resid_post = new HookPoint();
        RegisterComponents();
    }

    /// <param name="x">[batch, pos, d_model]</param>
    /// <param name="step">Positions, rotary angles (if any), mask and cache of this forward pass.</param>
    /// <returns>[batch, pos, d_model]</returns>
    public override Tensor forward(Tensor x, StepContext step)
    {
        var residPre = hook_resid_pre.Apply(x); // [batch, pos, d_model]
        var attnOut = hook_attn_out.Apply(attn.call(ln1.call(residPre), step)); // [batch, pos, d_model]
        var residMid = hook_resid_mid.Apply(Ablation.Skip ? residPre.add(attnOut, KeptScalars.One) : attnOut); // [batch, pos, d_model]
        var mlpOut = hook_mlp_out.Apply(Ablation.Mlp ? mlp.call(ln2.call(residMid)) : zeros_like(residMid)); // [batch, pos, d_model]
        var residPost =
            !Ablation.Mlp ? residMid
            : Ablation.Skip ? residMid.add(mlpOut, KeptScalars.One)
            : mlpOut; // [batch, pos, d_model]
        return hook_resid_post.Apply(residPost);
    }

    /// <summary>The paths this block keeps (<see cref="BlockAblation"/>); <see cref="BlockAblation.Full"/>, the unchanged
    /// block, by default. Without the skip connections resid_mid = attn_out and resid_post = mlp_out; without the MLP
    /// hook_mlp_out carries zeros and resid_post = resid_mid.</summary>
    public BlockAblation Ablation { get; set; } = BlockAblation.Full;
}
