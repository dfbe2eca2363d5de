// One pre-norm decoder block: resid_mid = resid_pre + attn(ln1(resid_pre)); resid_post = resid_mid + mlp(ln2(resid_mid)).
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TrajectoryLab.Torch.Models;

/// <summary>A Llama decoder block with TransformerLens hook points on the residual stream and both sublayer outputs.</summary>
internal sealed class TransformerBlock : Module<Tensor, StepContext, Tensor>
{
    // Field names are the canonical names (HookNames.cs): RegisterComponents registers them as written.
    private readonly RmsNorm ln1;
    private readonly Attention attn;
    private readonly RmsNorm ln2;
    private readonly SwiGluMlp mlp;
    private readonly HookPoint hook_resid_pre;
    private readonly HookPoint hook_attn_out;
    private readonly HookPoint hook_resid_mid;
    private readonly HookPoint hook_mlp_out;
    private readonly HookPoint hook_resid_post;

    public TransformerBlock(ModelSpec spec, int layer, RotaryEmbedding rotary, ScalarType dtype) : base(nameof(TransformerBlock))
    {
        ln1 = new RmsNorm(spec.HiddenSize, spec.RmsNormEps, dtype);
        attn = new Attention(spec, layer, rotary, dtype);
        ln2 = new RmsNorm(spec.HiddenSize, spec.RmsNormEps, dtype);
        mlp = new SwiGluMlp(spec, dtype);
        hook_resid_pre = new HookPoint();
        hook_attn_out = new HookPoint();
        hook_resid_mid = new HookPoint();
        hook_mlp_out = new HookPoint();
        hook_resid_post = new HookPoint();
        RegisterComponents();
    }

    /// <param name="x">[batch, pos, d_model]</param>
    /// <param name="step">Positions, rotary angles, mask and cache of this forward pass.</param>
    /// <returns>[batch, pos, d_model]</returns>
    public override Tensor forward(Tensor x, StepContext step)
    {
        var residPre = hook_resid_pre.call(x);                                  // [batch, pos, d_model]
        var attnOut = hook_attn_out.call(attn.call(ln1.call(residPre), step));  // [batch, pos, d_model]
        var residMid = hook_resid_mid.call(residPre + attnOut);                 // [batch, pos, d_model]
        var mlpOut = hook_mlp_out.call(mlp.call(ln2.call(residMid)));           // [batch, pos, d_model]
        return hook_resid_post.call(residMid + mlpOut);                         // [batch, pos, d_model]
    }
}
