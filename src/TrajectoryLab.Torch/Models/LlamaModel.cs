// The Llama-family decoder (Llama, TinyLlama, Mistral without sliding window, Qwen2, SmolLM) driven by a ModelSpec:
// RMSNorm, rotary embeddings with scaling, SwiGLU, grouped-query attention, optional q/k/v/o biases, tied or untied head.
// Reference: Touvron et al. 2023 (arXiv:2302.13971); transformers' modeling_llama.py for the layouts and numerics.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TrajectoryLab.Torch.Models;

/// <summary>logits = model(tokens, cache, startPos), with a hook point at every TransformerLens name.</summary>
/// <remarks>Parameter and hook names follow <see cref="ParameterNames"/> and <see cref="HookNames"/>. Run it under one
/// dispose scope and no_grad per step; the cache's buffers outlive the scopes.</remarks>
internal sealed class LlamaModel : CausalLm
{
    // Field names are the canonical names (HookNames.cs): RegisterComponents registers them as written.
    private readonly Embed embed;
    private readonly HookPoint hook_embed;
    private readonly ModuleList<TransformerBlock> blocks;
    private readonly RmsNorm ln_final;
    private readonly Unembed unembed;
    private readonly HookPoint hook_logits;
    private readonly RotaryEmbedding _rotary;

    /// <summary>Builds a model with uninitialised weights in <paramref name="dtype"/> (load or initialise them next).</summary>
    public LlamaModel(ModelSpec spec, ScalarType dtype = ScalarType.Float32) : base(nameof(LlamaModel))
    {
        Require(spec, ModelArchitecture.Llama);
        Spec = spec;
        DType = dtype;
        _rotary = new RotaryEmbedding(spec);
        unembed = new Unembed(spec, dtype);
        embed = new Embed(spec, dtype, spec.TieWordEmbeddings ? unembed : null);
        hook_embed = new HookPoint();
        blocks = new ModuleList<TransformerBlock>(
            Enumerable.Range(0, spec.NumLayers).Select(l => new TransformerBlock(spec, l, dtype)).ToArray());
        ln_final = new RmsNorm(spec.HiddenSize, spec.RmsNormEps, dtype);
        hook_logits = new HookPoint();
        RegisterComponents();
    }

    /// <inheritdoc/>
    public override ModelSpec Spec { get; }

    /// <summary>The dtype of every weight and activation (RMSNorm statistics are float32).</summary>
    public override ScalarType DType { get; }

    /// <inheritdoc/>
    public override Device Device => unembed.Weight.device;

    /// <param name="tokens">[batch, pos] int64 token ids at positions startPos … startPos + pos - 1.</param>
    /// <param name="cache">Keys/values of positions before startPos (written with the new ones), or null for a pass from position 0 without a cache.</param>
    /// <param name="startPos">Position of the first token; 0 without a cache.</param>
    /// <returns>[batch, pos, d_vocab] logits.</returns>
    public override Tensor forward(Tensor tokens, KvCache? cache, long startPos)
    {
        var step = StepContext.Begin(tokens, cache, startPos, _rotary, DType, Device);
        var x = hook_embed.call(embed.call(tokens)); // [batch, pos, d_model]
        foreach (var block in blocks) x = block.call(x, step);
        x = ln_final.call(x);                        // [batch, pos, d_model]
        var logits = unembed.call(x);                                                // [batch, pos, d_vocab]
        return hook_logits.call(logits);
    }
}
