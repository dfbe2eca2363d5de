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
    private readonly Parameter w; // [width]
    private readonly HookPoint hook_normalized;
    private readonly Scalar _eps; // a field, not an implicit conversion per call: see KeptScalars.cs
    private readonly bool _offset;
    private readonly float _epsValue; // ε as libtorch's add_ sees it on a float32 tensor

    /// <param name="width">Features normalised (the last dimension): d_model, or d_head for a per-head q/k norm.</param>
    /// <param name="eps">ε inside the root.</param>
    /// <param name="dtype">The model dtype.</param>
    /// <param name="offset">Gemma's form: the weight is the offset from 1, y = (1 + w) ⊙ x / rms(x), applied in float32.</param>
    public RmsNorm(int width, double eps, ScalarType dtype, bool offset = false)
        : base(nameof(RmsNorm))
    {
        w = new Parameter(offset ? zeros(width, dtype) : ones(width, dtype));
        hook_normalized = new HookPoint();
        _eps = eps.ToScalar();
        _epsValue = (float)eps;
        _offset = offset;
        RegisterComponents();
    }

    /// <summary>True for Gemma's (1 + w) form.</summary>
    public bool Offset => _offset;

    /// <param name="x">[..., width]</param>
    /// <returns>[..., width]</returns>
    public override Tensor forward(Tensor x)
    {
        // Inference on a CPU: one C# pass per row (Kernels/RmsNormKernel.cs), the same steps. With a hook on the normalised
        // value the kernel stops before the gain, so that adding a hook changes nothing but what the hook does.
        var hooked = hook_normalized.HasHooks;
        if (Kernels.RmsNormKernel.TryApply(x, w, _epsValue, _offset, applyGain: !hooked) is { } fast)
        {
            if (!hooked)
                return fast;
            var basis = hook_normalized.Apply(fast); // [..., width] float32
            return _offset ? basis.mul(w.add(KeptScalars.One, KeptScalars.One)) : basis.mul(w);
        }
        var dtype = x.dtype;
        var x32 = dtype == ScalarType.Float32 ? x : x.to_type(ScalarType.Float32); // [..., width]
        var inverseRms = x32.mul(x32).mean([-1], keepdim: true).add_(_eps, KeptScalars.One).rsqrt_(); // [..., 1]
        var scaled = x32.mul(inverseRms); // [..., width]
        if (_offset)
        {
            // Gemma multiplies in float32 by (1 + w) and casts the product (transformers' GemmaRMSNorm); a hook sees (and
            // may replace) the normalised value in the model dtype.
            var basis = hook_normalized.HasHooks
                ? hook_normalized.Apply(dtype == ScalarType.Float32 ? scaled : scaled.to_type(dtype)).to_type(ScalarType.Float32)
                : scaled; // [..., width]
            var gain = w.to_type(ScalarType.Float32).add(KeptScalars.One, KeptScalars.One); // [width]
            var y = basis.mul(gain); // [..., width]
            return dtype == ScalarType.Float32 ? y : y.to_type(dtype);
        }
        var normalized = hook_normalized.Apply(dtype == ScalarType.Float32 ? scaled : scaled.to_type(dtype));
        return normalized.mul(w); // [..., width]
    }
}
