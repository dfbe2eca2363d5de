// Layer normalisation (Ba et al. 2016, arXiv:1607.06450) as GPT-2 uses it, computed in float32 whatever the model dtype,
// with a hook on the normalised value before the affine map (TransformerLens' convention).
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TrajectoryLab.Torch.Models;

/// <summary>y = w ⊙ (x - mean(x)) / sqrt(var(x) + ε) + b, with the biased variance.</summary>
/// <remarks>hook_normalized sees (x - mean(x)) / sqrt(var(x) + ε) before w and b, in the model dtype.</remarks>
internal sealed class LayerNorm : Module<Tensor, Tensor>
{
    // Field names are the canonical names (HookNames.cs): RegisterComponents registers them as written.
    private readonly Parameter w; // [d_model]
    private readonly Parameter b; // [d_model]
    private readonly HookPoint hook_normalized;
    private readonly Scalar _eps; // a field, not an implicit conversion per call: see KeptScalars.cs

    /// <summary>A LayerNorm over <paramref name="dModel"/> features with w = 1 and b = 0.</summary>
    public LayerNorm(int dModel, double eps, ScalarType dtype)
        : base(nameof(LayerNorm))
    {
        w = new Parameter(ones(dModel, dtype));
        b = new Parameter(zeros(dModel, dtype));
        hook_normalized = new HookPoint();
        _eps = eps.ToScalar();
        RegisterComponents();
    }

    /// <param name="x">[batch, pos, d_model]</param>
    /// <returns>[batch, pos, d_model]</returns>
    public override Tensor forward(Tensor x)
    {
        var x32 = x.to_type(ScalarType.Float32); // [batch, pos, d_model]
        var centered = x32.sub(x32.mean([-1], keepdim: true)); // [batch, pos, d_model]
        var inverseStd = centered.mul(centered).mean([-1], keepdim: true).add_(_eps, KeptScalars.One).rsqrt_(); // [batch, pos, 1]
        // Out of place: autograd saved `centered` for the variance's backward (the tuned lens trains through this norm).
        var normalized = hook_normalized.Apply(centered.mul(inverseStd).to_type(x.dtype)); // [batch, pos, d_model]
        return normalized.mul(w).add(b, KeptScalars.One); // [batch, pos, d_model]
    }
}
