// A Mamba-1 block (Gu & Dao 2023, arXiv:2312.00752, Figure 3; transformers' MambaBlock): one pre-norm residual branch,
//   resid_post = resid_pre + mixer(RMSNorm(resid_pre)),
// with no MLP and no attention: the mixer's selective state space is what carries information across positions, in a
// fixed-size recurrent state (MambaState) instead of a growing key–value cache. Hook points: hook_resid_pre,
// ln1.hook_normalized, the mixer's (MambaMixer), hook_mixer_out (what the branch adds) and hook_resid_post.
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TrajectoryLab.Torch.Models;

/// <summary>A Mamba block with TransformerLens-style hook points on the residual stream and the mixer's output.</summary>
internal sealed class MambaBlock : DecoderBlock
{
    // Field names are the canonical names (HookNames.cs): RegisterComponents registers them as written.
    private readonly Module<Tensor, Tensor> ln1;
    private readonly MambaMixer mixer;
    private readonly HookPoint hook_resid_pre;
    private readonly HookPoint hook_mixer_out;
    private readonly HookPoint hook_resid_post;
    private readonly bool _residualInFp32;

    /// <summary>Builds block <paramref name="layer"/> of <paramref name="spec"/> with uninitialised weights.</summary>
    public MambaBlock(ModelSpec spec, int layer, ScalarType dtype)
        : base(nameof(MambaBlock))
    {
        ln1 = Norms.Create(spec.Block.Norm, spec.HiddenSize, spec.RmsNormEps, dtype);
        mixer = new MambaMixer(spec, layer, dtype);
        hook_resid_pre = new HookPoint();
        hook_mixer_out = new HookPoint();
        hook_resid_post = new HookPoint();
        _residualInFp32 = spec.Block.Mamba?.ResidualInFp32 ?? true;
        RegisterComponents();
    }

    /// <param name="x">[batch, pos, d_model]</param>
    /// <param name="step">Positions and the state of this forward pass.</param>
    /// <returns>[batch, pos, d_model]</returns>
    /// <exception cref="NotSupportedException">A path ablation is set (<see cref="DecoderBlock.Ablation"/>): its paths are
    /// attention's and the MLP's, which a Mamba block does not have.</exception>
    public override Tensor forward(Tensor x, StepContext step)
    {
        if (Ablation != BlockAblation.Full)
            throw new NotSupportedException(
                "path ablations remove attention's skip connections and MLPs; a Mamba block has neither (mamba has no attention)"
            );
        var residPre = hook_resid_pre.Apply(x); // [batch, pos, d_model]
        var mixerOut = hook_mixer_out.Apply(mixer.call(ln1.call(residPre), step)); // [batch, pos, d_model]
        var residPost =
            _residualInFp32 && x.dtype != ScalarType.Float32
                ? residPre.to_type(ScalarType.Float32).add(mixerOut.to_type(ScalarType.Float32), KeptScalars.One).to_type(x.dtype)
                : residPre.add(mixerOut, KeptScalars.One); // [batch, pos, d_model]
        return hook_resid_post.Apply(residPost);
    }

    /// <summary>A recurrent state: the convolution window and the selective state, the same size at every position.</summary>
    public override ILayerState NewState(
        long batch,
        long capacity,
        ScalarType dtype,
        Device device,
        bool keepAll = false,
        Generation.CachePolicy? policy = null
    ) => mixer.NewState(batch, dtype, device);
}
