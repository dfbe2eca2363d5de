// Token embedding (W_E, [d_vocab, d_model]), GPT-2's learned position embedding (W_pos, [n_ctx, d_model]) and
// unembedding (W_U, [d_model, d_vocab]) as modules, so their parameters carry the canonical names embed.W_E,
// pos_embed.W_pos and unembed.W_U. A tied model keeps its one matrix as W_U, in the [in, out] layout the head reads at
// every step (a one-row product runs ~3.5× faster on it than on W_Eᵀ here; docs/performance.md), and the
// embedding gathers columns of it: a lookup touches batch × d_model numbers, the head all d_vocab × d_model of them.
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TrajectoryLab.Torch.Models;

/// <summary>Looks token ids up in W_E, or, in a tied model, in the columns of the head's W_U.</summary>
internal sealed class Embed : Module<Tensor, Tensor>
{
    // Field name is the canonical name (HookNames.cs): RegisterComponents registers it as written.
    private readonly Parameter? W_E; // [d_vocab, d_model], untied models only

    // tied models: the head's W_U, [d_model, d_vocab] (a delegate, so it is not registered twice)
    private readonly Func<Tensor>? _tiedWeight;

    /// <summary>An embedding with its own W_E, or, given <paramref name="tiedTo"/>, one that reads the head's W_U.</summary>
    public Embed(ModelSpec spec, ScalarType dtype, Unembed? tiedTo = null)
        : base(nameof(Embed))
    {
        if (tiedTo is null)
            W_E = new Parameter(empty(spec.VocabSize, spec.HiddenSize, dtype));
        else
            _tiedWeight = () => tiedTo.Weight;
        RegisterComponents();
    }

    /// <param name="tokens">[batch, pos] int64</param>
    /// <returns>[batch, pos, d_model]</returns>
    public override Tensor forward(Tensor tokens)
    {
        var ids = tokens.reshape(-1); // [batch · pos]
        var rows = _tiedWeight is { } tied
            ? Kernels.EmbeddingGather.TryColumns(tied(), ids) ?? tied().index_select(1, ids).t() // [batch · pos, d_model]
            : W_E!.index_select(0, ids); // [batch · pos, d_model]
        return rows.reshape(tokens.shape[0], tokens.shape[1], -1);
    }
}

/// <summary>Looks positions up in W_pos (learned absolute positions, Radford et al. 2019).</summary>
internal sealed class PosEmbed : Module<Tensor, Tensor>
{
    // Field name is the canonical name (HookNames.cs): RegisterComponents registers it as written.
    private readonly Parameter W_pos; // [n_ctx, d_model]

    public PosEmbed(ModelSpec spec, ScalarType dtype)
        : base(nameof(PosEmbed))
    {
        W_pos = new Parameter(empty(spec.MaxPositionEmbeddings, spec.HiddenSize, dtype));
        RegisterComponents();
    }

    /// <param name="positions">[pos] int64, or [batch, pos] with each row's own positions (a padded batch), each below
    /// n_ctx.</param>
    /// <returns>[pos, d_model], or [batch, pos, d_model].</returns>
    public override Tensor forward(Tensor positions) =>
        positions.dim() == 1
            ? W_pos.index_select(0, positions)
            : W_pos.index_select(0, positions.reshape(-1)).reshape(positions.shape[0], positions.shape[1], -1);
}

/// <summary>Maps the final residual stream to logits with W_U (which a tied model's embedding also reads).</summary>
internal sealed class Unembed : Module<Tensor, Tensor>
{
    // Field name is the canonical name (HookNames.cs): RegisterComponents registers it as written.
    private readonly Parameter W_U; // [d_model, d_vocab]

    public Unembed(ModelSpec spec, ScalarType dtype)
        : base(nameof(Unembed))
    {
        W_U = new Parameter(empty(spec.HiddenSize, spec.VocabSize, dtype));
        RegisterComponents();
    }

    /// <summary>W_U, [d_model, d_vocab].</summary>
    public Tensor Weight => W_U;

    /// <param name="x">[batch, pos, d_model]</param>
    /// <returns>[batch, pos, d_vocab]</returns>
    public override Tensor forward(Tensor x) => WeightProduct.Apply(x, W_U);
}
