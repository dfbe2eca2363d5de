// Token embedding (W_E, [d_vocab, d_model]), GPT-2's learned position embedding (W_pos, [n_ctx, d_model]) and untied
// unembedding (W_U, [d_model, d_vocab]) as modules, so their parameters carry the canonical names embed.W_E,
// pos_embed.W_pos and unembed.W_U.
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TrajectoryLab.Torch.Models;

/// <summary>Looks token ids up in W_E.</summary>
internal sealed class Embed : Module<Tensor, Tensor>
{
    // Field name is the canonical name (HookNames.cs): RegisterComponents registers it as written.
    private readonly Parameter W_E; // [d_vocab, d_model]

    public Embed(ModelSpec spec, ScalarType dtype) : base(nameof(Embed))
    {
        W_E = new Parameter(empty(spec.VocabSize, spec.HiddenSize, dtype));
        RegisterComponents();
    }

    /// <summary>W_E, for a head tied to it.</summary>
    public Tensor Weight => W_E; // [d_vocab, d_model]

    /// <param name="tokens">[batch, pos] int64</param>
    /// <returns>[batch, pos, d_model]</returns>
    public override Tensor forward(Tensor tokens) =>
        W_E.index_select(0, tokens.reshape(-1)).view(tokens.shape[0], tokens.shape[1], W_E.shape[1]);
}

/// <summary>Looks positions up in W_pos (learned absolute positions, Radford et al. 2019).</summary>
internal sealed class PosEmbed : Module<Tensor, Tensor>
{
    // Field name is the canonical name (HookNames.cs): RegisterComponents registers it as written.
    private readonly Parameter W_pos; // [n_ctx, d_model]

    public PosEmbed(ModelSpec spec, ScalarType dtype) : base(nameof(PosEmbed))
    {
        W_pos = new Parameter(empty(spec.MaxPositionEmbeddings, spec.HiddenSize, dtype));
        RegisterComponents();
    }

    /// <param name="positions">[pos] int64, each below n_ctx.</param>
    /// <returns>[pos, d_model]</returns>
    public override Tensor forward(Tensor positions) => W_pos.index_select(0, positions);
}

/// <summary>Maps the final residual stream to logits with its own W_U.</summary>
internal sealed class Unembed : Module<Tensor, Tensor>
{
    // Field name is the canonical name (HookNames.cs): RegisterComponents registers it as written.
    private readonly Parameter W_U; // [d_model, d_vocab]

    public Unembed(ModelSpec spec, ScalarType dtype) : base(nameof(Unembed))
    {
        W_U = new Parameter(empty(spec.HiddenSize, spec.VocabSize, dtype));
        RegisterComponents();
    }

    /// <param name="x">[batch, pos, d_model]</param>
    /// <returns>[batch, pos, d_vocab]</returns>
    public override Tensor forward(Tensor x) => x.matmul(W_U);
}
