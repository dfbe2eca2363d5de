// SwiGLU feed-forward layer (Shazeer 2020, arXiv:2002.05202): W_out (silu(x W_gate) ⊙ x W_in), weights stored [in, out],
// W_gate and W_in side by side as one W_gate_in so that one product computes both (docs/performance.md).
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TrajectoryLab.Torch.Models;

/// <summary>The Llama MLP.</summary>
internal sealed class SwiGluMlp : Module<Tensor, Tensor>
{
    // Field names are the canonical names (HookNames.cs): RegisterComponents registers them as written.
    private readonly Parameter W_gate_in; // [d_model, 2·d_mlp]: W_gate | W_in
    private readonly Parameter W_out; // [d_mlp, d_model]
    private readonly long _hidden;

    public SwiGluMlp(ModelSpec spec, ScalarType dtype)
        : base(nameof(SwiGluMlp))
    {
        W_gate_in = new Parameter(empty(spec.HiddenSize, 2L * spec.IntermediateSize, dtype));
        _hidden = spec.IntermediateSize;
        W_out = new Parameter(empty(spec.IntermediateSize, spec.HiddenSize, dtype));
        RegisterComponents();
    }

    /// <param name="x">[batch, pos, d_model], already normalised.</param>
    /// <returns>[batch, pos, d_model]</returns>
    public override Tensor forward(Tensor x)
    {
        var gateIn = WeightProduct.Apply(x, W_gate_in); // [batch, pos, 2·d_mlp]
        var hidden = functional.silu(gateIn.narrow(-1, 0, _hidden)).mul_(gateIn.narrow(-1, _hidden, _hidden)); // [batch, pos, d_mlp]
        return WeightProduct.Apply(hidden, W_out); // [batch, pos, d_model]
    }
}
