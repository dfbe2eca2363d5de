// Root-mean-square layer norm (Zhang & Sennrich 2019, arXiv:1910.07467), computed in float32 whatever the model
// dtype, as Hugging Face's LlamaRMSNorm does.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TrajectoryLab.Torch.Models;

/// <summary>y = w ⊙ x / sqrt(mean(x²) + ε).</summary>
/// <remarks>hook_normalized sees x / sqrt(mean(x²) + ε) before the weight (TransformerLens' convention), in the model dtype.</remarks>
internal sealed class RmsNorm : Module<Tensor, Tensor>
{
    // Field names are the canonical names (HookNames.cs): RegisterComponents registers them as written.
    private readonly Parameter w; // [d_model]
    private readonly HookPoint hook_normalized;
    private readonly Scalar _eps; // a field, not an implicit conversion per call: see KeptScalars.cs

    public RmsNorm(int dModel, double eps, ScalarType dtype)
        : base(nameof(RmsNorm))
    {
        w = new Parameter(ones(dModel, dtype));
        hook_normalized = new HookPoint();
        _eps = eps.ToScalar();
        RegisterComponents();
    }

    /// <param name="x">[batch, pos, d_model]</param>
    /// <returns>[batch, pos, d_model]</returns>
    public override Tensor forward(Tensor x)
    {
        var dtype = x.dtype;
        var x32 = dtype == ScalarType.Float32 ? x : x.to_type(ScalarType.Float32); // [batch, pos, d_model]
        var inverseRms = x32.mul(x32).mean([-1], keepdim: true).add_(_eps, KeptScalars.One).rsqrt_(); // [batch, pos, 1]
        var scaled = x32.mul(inverseRms); // [batch, pos, d_model]
        var normalized = hook_normalized.Apply(dtype == ScalarType.Float32 ? scaled : scaled.to_type(dtype));
        return normalized.mul(w); // [batch, pos, d_model]
    }
}
