// GPT-2 (Radford et al. 2019, "Language Models are Unsupervised Multitask Learners"): learned absolute positions added
// to the token embeddings, pre-LayerNorm blocks with biased multi-head attention and a GELU (tanh) MLP, a final
// LayerNorm and (by default) a head tied to the embedding. transformers' modeling_gpt2.py for the layouts and numerics.
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Models;

/// <summary>logits = model(tokens, cache, startPos), with a hook point at every TransformerLens name.</summary>
/// <remarks>Parameter and hook names follow <see cref="ParameterNames"/> and <see cref="HookNames"/>; the residual stream
/// entering block 0 is hook_embed + hook_pos_embed. Positions must stay below n_positions (<see cref="ModelSpec.MaxPositionEmbeddings"/>).
/// Run it under one dispose scope and no_grad per step; the cache's buffers outlive the scopes.</remarks>
internal sealed class Gpt2Model : CausalLm
{
    // Field names are the canonical names (HookNames.cs): RegisterComponents registers them as written.
    private readonly Embed embed;
    private readonly HookPoint hook_embed;
    private readonly PosEmbed pos_embed;
    private readonly HookPoint hook_pos_embed;
    private readonly ModuleList<TransformerBlock> blocks;
    private readonly LayerNorm ln_final;
    private readonly Unembed unembed;
    private readonly HookPoint hook_logits;

    /// <summary>Builds a model with uninitialised weights in <paramref name="dtype"/> (load or initialise them next).</summary>
    /// <param name="spec">A GPT-2 spec (<see cref="ModelSpec.Gpt2"/>).</param>
    /// <param name="dtype">Weight and activation dtype.</param>
    public Gpt2Model(ModelSpec spec, ScalarType dtype = ScalarType.Float32) : base(nameof(Gpt2Model))
    {
        Require(spec, ModelArchitecture.Gpt2);
        Spec = spec;
        DType = dtype;
        unembed = new Unembed(spec, dtype);
        embed = new Embed(spec, dtype, spec.TieWordEmbeddings ? unembed : null);
        hook_embed = new HookPoint();
        pos_embed = new PosEmbed(spec, dtype);
        hook_pos_embed = new HookPoint();
        blocks = new ModuleList<TransformerBlock>(
            Enumerable.Range(0, spec.NumLayers).Select(l => new TransformerBlock(spec, l, dtype)).ToArray());
        ln_final = new LayerNorm(spec.HiddenSize, spec.RmsNormEps, dtype);
        hook_logits = new HookPoint();
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override ModelSpec Spec { get; }

    /// <summary>The dtype of every weight and activation (LayerNorm statistics are float32).</summary>
    public override ScalarType DType { get; }

    /// <inheritdoc/>
    public override Device Device => unembed.Weight.device;

    /// <param name="tokens">[batch, pos] int64 token ids at positions startPos … startPos + pos - 1.</param>
    /// <param name="cache">Keys/values of positions before startPos (written with the new ones), or null for a pass from position 0 without a cache.</param>
    /// <param name="startPos">Position of the first token; 0 without a cache.</param>
    /// <returns>[batch, pos, d_vocab] logits.</returns>
    /// <exception cref="ArgumentException">A position reaches n_positions, or the cache does not fit (see <see cref="StepContext.Begin"/>).</exception>
    public override Tensor forward(Tensor tokens, KvCache? cache, long startPos)
    {
        long batch = tokens.shape[0], pos = tokens.shape[1];
        if (startPos + pos > Spec.MaxPositionEmbeddings)
            throw new ArgumentException($"positions {startPos}..{startPos + pos - 1} exceed the {Spec.MaxPositionEmbeddings} learned positions (n_positions)", nameof(tokens));
        var step = StepContext.Begin(tokens, cache, startPos, rotary: null, DType, Device);

        var tokenEmbed = hook_embed.call(embed.call(tokens));                                              // [batch, pos, d_model]
        var posEmbed = hook_pos_embed.call(pos_embed.call(step.Positions).expand(batch, pos, Spec.HiddenSize)); // [batch, pos, d_model]
        var x = tokenEmbed + posEmbed;                                                                     // [batch, pos, d_model]
        foreach (var block in blocks) x = block.call(x, step);
        x = ln_final.call(x);                                                                              // [batch, pos, d_model]
        var logits = unembed.call(x);                                                                      // [batch, pos, d_vocab]
        return hook_logits.call(logits);
    }
}
