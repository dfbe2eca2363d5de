// The ungated feed-forward layer: W_out gelu(x W_in + b_in) + b_out, weights stored [in, out]. GPT-2 uses the tanh
// approximation, gelu_tanh(u) = u/2 · (1 + tanh(√(2/π) (u + 0.044715 u³))) (Hendrycks & Gimpel 2016; Hugging Face's
// "gelu_new"); GPT-NeoX the exact u/2 · (1 + erf(u/√2)). The hidden activation gelu(x W_in + b_in) is the hook point
// mlp.hook_post (TransformerLens).
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TrajectoryLab.Torch.Models;

/// <summary>The GPT-2 / GPT-NeoX MLP.</summary>
internal sealed class GeluMlp : Module<Tensor, Tensor>
{
    // Field names are the canonical names (HookNames.cs): RegisterComponents registers them as written.
    private readonly Parameter W_in; // [d_model, d_mlp]
    private readonly Parameter? b_in; // [d_mlp]
    private readonly Parameter W_out; // [d_mlp, d_model]
    private readonly Parameter? b_out; // [d_model]
    private readonly HookPoint hook_post; // gelu(x W_in + b_in), [batch, pos, d_mlp]
    private readonly TorchSharp.Modules.GELU.Approximate _approximate;

    /// <param name="spec">The sizes.</param>
    /// <param name="dtype">The model dtype.</param>
    /// <param name="exact">The exact (erf) GELU instead of the tanh approximation.</param>
    /// <param name="bias">Both projections carry a bias.</param>
    public GeluMlp(ModelSpec spec, ScalarType dtype, bool exact = false, bool bias = true)
        : base(nameof(GeluMlp))
    {
        W_in = new Parameter(empty(spec.HiddenSize, spec.IntermediateSize, dtype));
        W_out = new Parameter(empty(spec.IntermediateSize, spec.HiddenSize, dtype));
        if (bias)
        {
            b_in = new Parameter(zeros(spec.IntermediateSize, dtype));
            b_out = new Parameter(zeros(spec.HiddenSize, dtype));
        }
        _approximate = exact ? TorchSharp.Modules.GELU.Approximate.none : TorchSharp.Modules.GELU.Approximate.tanh;
        hook_post = new HookPoint();
        RegisterComponents();
    }

    /// <param name="x">[batch, pos, d_model], already normalised.</param>
    /// <returns>[batch, pos, d_model]</returns>
    public override Tensor forward(Tensor x)
    {
        var hidden = WeightProduct.Apply(x, W_in); // [batch, pos, d_mlp]
        if (b_in is not null)
            hidden = hidden.add_(b_in, KeptScalars.One);
        hidden = hook_post.Apply(hidden.gelu_(_approximate)); // [batch, pos, d_mlp]
        var output = WeightProduct.Apply(hidden, W_out); // [batch, pos, d_model]
        return b_out is null ? output : output.add_(b_out, KeptScalars.One);
    }
}
