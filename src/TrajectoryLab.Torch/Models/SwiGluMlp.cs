// SwiGLU feed-forward layer (Shazeer 2020, arXiv:2002.05202): W_out (silu(x W_gate) ⊙ x W_in), weights stored [in, out].
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TrajectoryLab.Torch.Models;

/// <summary>The Llama MLP.</summary>
internal sealed class SwiGluMlp : Module<Tensor, Tensor>
{
    // Field names are the canonical names (HookNames.cs): RegisterComponents registers them as written.
    private readonly Parameter W_gate; // [d_model, d_mlp]
    private readonly Parameter W_in;   // [d_model, d_mlp]
    private readonly Parameter W_out;  // [d_mlp, d_model]

    public SwiGluMlp(ModelSpec spec, ScalarType dtype) : base(nameof(SwiGluMlp))
    {
        W_gate = new Parameter(empty(spec.HiddenSize, spec.IntermediateSize, dtype));
        W_in = new Parameter(empty(spec.HiddenSize, spec.IntermediateSize, dtype));
        W_out = new Parameter(empty(spec.IntermediateSize, spec.HiddenSize, dtype));
        RegisterComponents();
    }

    /// <param name="x">[batch, pos, d_model], already normalised.</param>
    /// <returns>[batch, pos, d_model]</returns>
    public override Tensor forward(Tensor x)
    {
        var hidden = functional.silu(WeightProduct.Apply(x, W_gate)).mul_(WeightProduct.Apply(x, W_in)); // [batch, pos, d_mlp]
        return WeightProduct.Apply(hidden, W_out);                                                        // [batch, pos, d_model]
    }
}
