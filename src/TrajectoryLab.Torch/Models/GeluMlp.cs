// GPT-2's feed-forward layer (Radford et al. 2019): W_out gelu_tanh(x W_in + b_in) + b_out, weights stored [in, out].
// gelu_tanh(u) = u/2 · (1 + tanh(√(2/π) (u + 0.044715 u³))) (Hendrycks & Gimpel 2016), Hugging Face's "gelu_new".
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TrajectoryLab.Torch.Models;

/// <summary>The GPT-2 MLP.</summary>
internal sealed class GeluMlp : Module<Tensor, Tensor>
{
    // Field names are the canonical names (HookNames.cs): RegisterComponents registers them as written.
    private readonly Parameter W_in; // [d_model, d_mlp]
    private readonly Parameter b_in; // [d_mlp]
    private readonly Parameter W_out; // [d_mlp, d_model]
    private readonly Parameter b_out; // [d_model]

    /// <summary>Builds the MLP with uninitialised weights and zero biases.</summary>
    public GeluMlp(ModelSpec spec, ScalarType dtype)
        : base(nameof(GeluMlp))
    {
        W_in = new Parameter(empty(spec.HiddenSize, spec.IntermediateSize, dtype));
        b_in = new Parameter(zeros(spec.IntermediateSize, dtype));
        W_out = new Parameter(empty(spec.IntermediateSize, spec.HiddenSize, dtype));
        b_out = new Parameter(zeros(spec.HiddenSize, dtype));
        RegisterComponents();
    }

    /// <param name="x">[batch, pos, d_model], already normalised.</param>
    /// <returns>[batch, pos, d_model]</returns>
    public override Tensor forward(Tensor x)
    {
        // hidden: [batch, pos, d_mlp]
        var hidden = WeightProduct.Apply(x, W_in).add_(b_in, KeptScalars.One).gelu_(TorchSharp.Modules.GELU.Approximate.tanh);
        return WeightProduct.Apply(hidden, W_out).add_(b_out, KeptScalars.One); // [batch, pos, d_model]
    }
}
