// Gated feed-forward layers: SwiGLU (Shazeer 2020, arXiv:2002.05202), W_out (silu(x W_gate) ⊙ x W_in), and GeGLU as Gemma
// computes it, W_out (gelu_tanh(x W_gate) ⊙ x W_in). Weights stored [in, out], W_gate and W_in side by side as one
// W_gate_in so that one product computes both (docs/performance.md). The hidden activation act(x W_gate) ⊙ x W_in is the
// hook point mlp.hook_post (TransformerLens), the coefficients of W_out's rows (Geva et al. 2021, EMNLP).
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TrajectoryLab.Torch.Models;

/// <summary>The gated MLP of Llama-style (SwiGLU) and Gemma-style (GeGLU) models.</summary>
internal sealed class GatedMlp : Module<Tensor, Tensor>
{
    // Field names are the canonical names (HookNames.cs): RegisterComponents registers them as written.
    private readonly Parameter W_gate_in; // [d_model, 2·d_mlp]: W_gate | W_in
    private readonly Parameter W_out; // [d_mlp, d_model]
    private readonly HookPoint hook_post; // act(x W_gate) ⊙ x W_in, [batch, pos, d_mlp]
    private readonly long _hidden;
    private readonly bool _gelu;

    /// <param name="spec">The sizes.</param>
    /// <param name="dtype">The model dtype.</param>
    /// <param name="gelu">Gate with GELU (tanh approximation) instead of SiLU.</param>
    public GatedMlp(ModelSpec spec, ScalarType dtype, bool gelu = false)
        : base(nameof(GatedMlp))
    {
        W_gate_in = new Parameter(empty(spec.HiddenSize, 2L * spec.IntermediateSize, dtype));
        _hidden = spec.IntermediateSize;
        W_out = new Parameter(empty(spec.IntermediateSize, spec.HiddenSize, dtype));
        _gelu = gelu;
        hook_post = new HookPoint();
        RegisterComponents();
    }

    /// <param name="x">[batch, pos, d_model], already normalised.</param>
    /// <returns>[batch, pos, d_model]</returns>
    public override Tensor forward(Tensor x)
    {
        var gateIn = WeightProduct.Apply(x, W_gate_in); // [batch, pos, 2·d_mlp]
        // [batch, pos, d_mlp]: SwiGLU's in one C# pass for inference on a CPU (Kernels/SwiGluKernel.cs), else libtorch's
        var fused = _gelu ? null : Kernels.SwiGluKernel.TryApply(gateIn, _hidden);
        var hidden = hook_post.Apply(fused ?? Activated(gateIn)); // [batch, pos, d_mlp]
        return WeightProduct.Apply(hidden, W_out); // [batch, pos, d_model]
    }

    /// <summary>act(x W_gate) ⊙ x W_in in libtorch.</summary>
    /// <param name="gateIn">[batch, pos, 2·d_mlp]</param>
    /// <returns>[batch, pos, d_mlp]</returns>
    private Tensor Activated(Tensor gateIn)
    {
        var gate = gateIn.narrow(-1, 0, _hidden); // [batch, pos, d_mlp]
        var activated = _gelu ? functional.gelu(gate, TorchSharp.Modules.GELU.Approximate.tanh) : functional.silu(gate);
        return activated.mul_(gateIn.narrow(-1, _hidden, _hidden));
    }

    /// <summary>The MLP a design names.</summary>
    public static Module<Tensor, Tensor> Create(BlockDesign design, ModelSpec spec, ScalarType dtype) =>
        design.Mlp switch
        {
            MlpKind.SwiGlu => new GatedMlp(spec, dtype),
            MlpKind.GeGluTanh => new GatedMlp(spec, dtype, gelu: true),
            MlpKind.GeluExact => new GeluMlp(spec, dtype, exact: true, bias: design.MlpBias),
            _ => new GeluMlp(spec, dtype, exact: false, bias: design.MlpBias),
        };
}
