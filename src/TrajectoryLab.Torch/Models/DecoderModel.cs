// The decoder every supported architecture is: embeddings, pre-norm blocks, a final norm and the head, driven by a
// ModelSpec. Llama family (Llama, TinyLlama, Mistral without sliding window, Qwen2, SmolLM): RMSNorm, rotary embeddings
// with scaling, SwiGLU, grouped-query attention, optional q/k/v/o biases. GPT-2: learned absolute positions added to the
// token embeddings, LayerNorm, biased multi-head attention, GELU (tanh). Either with a tied or untied head.
// References: Touvron et al. 2023 (arXiv:2302.13971); Radford et al. 2019; transformers' modeling_llama.py and
// modeling_gpt2.py for the layouts and numerics.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TrajectoryLab.Torch.Models;

/// <summary>logits = model(tokens, cache, startPos), with a hook point at every TransformerLens name.</summary>
/// <remarks>Parameter and hook names follow <see cref="ParameterNames"/> and <see cref="HookNames"/>; for GPT-2 the residual
/// stream entering block 0 is hook_embed + hook_pos_embed, and positions must stay below n_positions. Run it under one
/// dispose scope and no_grad per step; the cache's buffers outlive the scopes.</remarks>
internal sealed class DecoderModel : CausalLm
{
    // Field names are the canonical names (HookNames.cs): RegisterComponents registers them as written.
    private readonly Embed embed;
    private readonly HookPoint hook_embed;
    private readonly PosEmbed? pos_embed; // GPT-2 only
    private readonly HookPoint? hook_pos_embed; // GPT-2 only
    private readonly ModuleList<DecoderBlock> blocks;
    private readonly Module<Tensor, Tensor> ln_final;
    private readonly Unembed unembed;
    private readonly HookPoint hook_logits;
    private readonly RotaryEmbedding? _rotary; // rotary models only
    private readonly RotaryEmbedding? _localRotary; // sliding-window layers with their own base (Gemma 3)
    private readonly Scalar? _embeddingScale; // Gemma: √d_model
    private readonly Scalar? _finalSoftcap; // Gemma 2

    /// <summary>Builds a model with uninitialised weights in <paramref name="dtype"/> (load or initialise them next).</summary>
    /// <exception cref="ArgumentException">The spec is not buildable (<see cref="ModelSpec.FindProblem"/>).</exception>
    public DecoderModel(ModelSpec spec, ScalarType dtype = ScalarType.Float32)
        : base(nameof(DecoderModel))
    {
        if (spec.FindProblem() is var (key, problem))
            throw new ArgumentException($"spec key '{key}': {problem}", nameof(spec));
        Spec = spec;
        DType = dtype;
        var design = spec.Block;
        unembed = new Unembed(spec, dtype);
        embed = new Embed(spec, dtype, spec.TieWordEmbeddings ? unembed : null);
        hook_embed = new HookPoint();
        if (design.Positions == PositionKind.Learned)
        {
            pos_embed = new PosEmbed(spec, dtype);
            hook_pos_embed = new HookPoint();
        }
        else if (design.Positions == PositionKind.Rotary)
        {
            _rotary = new RotaryEmbedding(spec);
            if (design.LocalRopeTheta is { } local)
                _localRotary = new RotaryEmbedding(spec with { RopeTheta = local, RopeScaling = null });
        }
        if (design.EmbeddingScale != 1)
        {
            // Rounded to the model dtype first, as Gemma multiplies by embed_scale.to(dtype) (√3072 is 55.5 in bfloat16); a
            // float Scalar would stay unrounded in a bfloat16 product. In float32 this is the float Scalar's own rounding.
            using var rounded = tensor(design.EmbeddingScale, dtype).to_type(ScalarType.Float64);
            _embeddingScale = rounded.item<double>().ToScalar();
        }
        if (design.FinalSoftcap is { } cap)
            _finalSoftcap = cap.ToScalar();
        blocks = new ModuleList<DecoderBlock>([.. Enumerable.Range(0, spec.NumLayers).Select(l => Blocks.Create(spec, l, dtype))]);
        ln_final = Norms.Create(design.Norm, spec.HiddenSize, spec.RmsNormEps, dtype);
        hook_logits = new HookPoint();
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override ModelSpec Spec { get; }

    /// <summary>The dtype of every weight and activation (norm statistics are float32).</summary>
    public override ScalarType DType { get; }

    /// <inheritdoc/>
    public override Device Device => unembed.Weight.device;

    /// <summary>Logits at every position: <see cref="Forward"/> with lastPositionOnly false.</summary>
    /// <param name="tokens">[batch, pos] int64 token ids at positions startPos … startPos + pos - 1.</param>
    /// <param name="cache">Keys/values of positions before startPos (written with the new ones), or null for a pass from position 0 without
    /// a cache.</param>
    /// <param name="startPos">Position of the first token; 0 without a cache.</param>
    /// <returns>[batch, pos, d_vocab] logits.</returns>
    public override Tensor forward(Tensor tokens, ModelState? cache, long startPos) => Forward(tokens, cache, startPos, false);

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">A learned position would reach n_positions, or the cache does not fit (see <see
    /// cref="StepContext.Begin"/>).</exception>
    public override Tensor Forward(Tensor tokens, ModelState? cache, long startPos, bool lastPositionOnly, long? headRows = null)
    {
        long batch = tokens.shape[0],
            pos = tokens.shape[1];
        var unpadded = startPos - (cache?.LeftPad.Min() ?? 0); // the first column's position in the rows without padding
        if (pos_embed is not null && unpadded + pos > Spec.MaxPositionEmbeddings)
            throw new ArgumentException(
                $"positions {unpadded}..{unpadded + pos - 1} exceed the {Spec.MaxPositionEmbeddings} learned positions (n_positions)",
                nameof(tokens)
            );
        var step = StepContext.Begin(tokens, cache, startPos, _rotary, _localRotary, DType, Device, Cache);

        var embedded = embed.call(tokens); // [batch, pos, d_model]
        if (_embeddingScale is { } scale)
            embedded = embedded.mul(scale); // in the model dtype, as Gemma rounds √d_model to it
        var x = hook_embed.Apply(embedded); // [batch, pos, d_model]
        if (pos_embed is not null)
        {
            var learned = step.RowPositions is { } own
                ? pos_embed.call(own) // [batch, pos, d_model]: each row's own positions (padded)
                : pos_embed.call(step.Positions).expand(batch, pos, Spec.HiddenSize); // [batch, pos, d_model]
            x = x.add(hook_pos_embed!.Apply(learned), KeptScalars.One); // [batch, pos, d_model]
        }
        foreach (var block in blocks)
            x = block.call(x, step);
        if (lastPositionOnly)
            x = x.narrow(1, pos - 1, 1); // [batch, 1, d_model]
        if (headRows is { } rows)
            x = x.narrow(0, 0, rows); // [headRows, pos or 1, d_model]
        return hook_logits.Apply(Head(x)); // [batch or headRows, pos or 1, d_vocab]
    }

    /// <inheritdoc/>
    internal override Tensor Head(Tensor x)
    {
        x = ln_final.call(x); // [batch, pos, d_model]
        var logits = unembed.call(x); // [batch, pos, d_vocab]
        if (_finalSoftcap is { } cap)
            logits = logits.div(cap).tanh().mul(cap); // out of place: tanh's backward reads its output
        return logits;
    }

    /// <inheritdoc/>
    public override ModelState NewState(long batch, long capacity, IReadOnlyList<long>? leftPad = null) =>
        NewState(batch, capacity, leftPad, keepAll: false);

    /// <inheritdoc/>
    internal override ModelState NewState(long batch, long capacity, IReadOnlyList<long>? leftPad, bool keepAll) =>
        new(batch, capacity, blocks.Select(b => b.NewState(batch, capacity, DType, Device, keepAll, Cache)), leftPad, Device);

    /// <inheritdoc/>
    internal override Tensor ResidualMap(Tensor h, int fromSite, int toSite)
    {
        using var positions = zeros([h.shape[0], h.shape[1]], ScalarType.Int64, Device); // only its shape is read
        // Explicit attention: the pass must be twice differentiable.
        var step = StepContext.Begin(positions, null, 0, _rotary, _localRotary, DType, Device, Cache) with { ExplicitAttention = true };
        for (var l = fromSite; l < toSite; l++)
            h = blocks[l].call(h, step);
        return h;
    }
}
