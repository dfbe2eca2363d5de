// How a decoder's blocks are built, as one description object: the norm, the MLP, how the sublayers sit on the
// residual stream, the attention's variants (query/key norms, soft-capping, scale, partial rotary, sliding windows,
// per-layer rotary bases), the embedding scale and final soft-cap, or a state-space mixer instead of attention.
// Each family's config reader fills one of these; the modules read it, so no family is a boolean in six files.
// References: transformers' modeling_llama, modeling_gpt2, modeling_gpt_neox, modeling_gemma/2/3, modeling_qwen3,
// modeling_phi3, modeling_olmo2, modeling_mamba (the layouts these options name).
namespace TrajectoryLab.Torch.Models;

/// <summary>The normalisation of a block.</summary>
public enum NormKind
{
    /// <summary>RMSNorm: w ⊙ x / rms(x) (Zhang &amp; Sennrich 2019).</summary>
    Rms,

    /// <summary>Gemma's RMSNorm: (1 + w) ⊙ x / rms(x), with w stored as the offset from 1.</summary>
    RmsOffset,

    /// <summary>LayerNorm with bias (Ba et al. 2016).</summary>
    Layer,
}

/// <summary>The feed-forward layer.</summary>
public enum MlpKind
{
    /// <summary>W_out (silu(x W_gate) ⊙ x W_in) (Shazeer 2020).</summary>
    SwiGlu,

    /// <summary>W_out (gelu_tanh(x W_gate) ⊙ x W_in): GeGLU as Gemma computes it.</summary>
    GeGluTanh,

    /// <summary>W_out gelu_tanh(x W_in + b_in) + b_out (GPT-2's gelu_new).</summary>
    GeluTanh,

    /// <summary>W_out gelu(x W_in + b_in) + b_out with the exact (erf) GELU (GPT-NeoX).</summary>
    GeluExact,
}

/// <summary>How attention and MLP sit on the residual stream.</summary>
public enum ResidualLayout
{
    /// <summary>x + attn(ln1 x), then + mlp(ln2 ·) (Llama, GPT-2).</summary>
    PreNorm,

    /// <summary>x + attn(ln1 x) + mlp(ln2 x), both sublayers reading the same x (GPT-NeoX use_parallel_residual).</summary>
    Parallel,

    /// <summary>x + ln1_post(attn(ln1 x)), then + ln2_post(mlp(ln2 ·)) (Gemma 2 and 3).</summary>
    Sandwich,

    /// <summary>x + ln1_post(attn(x)), then + ln2_post(mlp(·)): norms after the sublayers only (OLMo 2).</summary>
    PostNorm,
}

/// <summary>Normalisation of queries and keys before the rotary rotation.</summary>
public enum QkNormKind
{
    /// <summary>None.</summary>
    None,

    /// <summary>RMSNorm over each head's d_head features (Qwen3, Gemma 3).</summary>
    PerHead,

    /// <summary>RMSNorm over the whole projection, n_heads·d_head features (OLMo 2).</summary>
    FullProjection,
}

/// <summary>How positions enter.</summary>
public enum PositionKind
{
    /// <summary>Rotary embeddings on queries and keys (Su et al. 2021).</summary>
    Rotary,

    /// <summary>Learned absolute positions added to the embeddings (GPT-2).</summary>
    Learned,

    /// <summary>None: a recurrent mixer carries position in its state (Mamba).</summary>
    None,
}

/// <summary>What mixes information across positions.</summary>
public enum MixerKind
{
    /// <summary>Causal self-attention with a key–value cache.</summary>
    Attention,

    /// <summary>Mamba-1's selective state space (Gu &amp; Dao 2023), a fixed-size recurrent state.</summary>
    Mamba,
}

/// <summary>The block design of a model; the defaults describe a Llama.</summary>
public sealed record BlockDesign
{
    /// <summary>The norm of every block and of the final norm.</summary>
    public NormKind Norm { get; init; } = NormKind.Rms;

    /// <summary>The feed-forward layer.</summary>
    public MlpKind Mlp { get; init; } = MlpKind.SwiGlu;

    /// <summary>The MLP's projections carry biases.</summary>
    public bool MlpBias { get; init; }

    /// <summary>How the sublayers sit on the residual stream.</summary>
    public ResidualLayout Residual { get; init; } = ResidualLayout.PreNorm;

    /// <summary>Query/key normalisation.</summary>
    public QkNormKind QkNorm { get; init; } = QkNormKind.None;

    /// <summary>How positions enter.</summary>
    public PositionKind Positions { get; init; } = PositionKind.Rotary;

    /// <summary>Features of each head that rotary embeddings rotate (the first ones); null for all d_head
    /// (GPT-NeoX's rotary_pct, Phi-3's partial_rotary_factor).</summary>
    public int? RotaryDims { get; init; }

    /// <summary>Multiplier of the attention scores q·k; null for 1/√d_head (Gemma 2's query_pre_attn_scalar^−½).</summary>
    public double? AttentionScale { get; init; }

    /// <summary>Soft-cap c of the attention scores, s → c·tanh(s/c); null for none (Gemma 2).</summary>
    public double? AttentionSoftcap { get; init; }

    /// <summary>Soft-cap of the final logits; null for none (Gemma 2).</summary>
    public double? FinalSoftcap { get; init; }

    /// <summary>Multiplier of the token embeddings (Gemma: √d_model); 1 for none.</summary>
    public double EmbeddingScale { get; init; } = 1;

    /// <summary>Per layer, its sliding window (keys older than W positions are not attended) or null for global
    /// attention; null for all layers global unless <see cref="ModelSpec.SlidingWindow"/> applies to every layer.</summary>
    public IReadOnlyList<int?>? LayerWindows { get; init; }

    /// <summary>The rotary base of layers with a sliding window (Gemma 3's rope_local_base_freq); null for the model's.</summary>
    public double? LocalRopeTheta { get; init; }

    /// <summary>What mixes positions.</summary>
    public MixerKind Mixer { get; init; } = MixerKind.Attention;

    /// <summary>The Mamba mixer's sizes, when <see cref="Mixer"/> is <see cref="MixerKind.Mamba"/>.</summary>
    public MambaDesign? Mamba { get; init; }

    /// <summary>A Llama: RMSNorm, SwiGLU, pre-norm, rotary.</summary>
    public static BlockDesign Llama { get; } = new();

    /// <summary>GPT-2: LayerNorm, GELU (tanh) with biases, pre-norm, learned positions.</summary>
    public static BlockDesign Gpt2 { get; } =
        new()
        {
            Norm = NormKind.Layer,
            Mlp = MlpKind.GeluTanh,
            MlpBias = true,
            Positions = PositionKind.Learned,
        };

    /// <summary>Layer <paramref name="layer"/>'s sliding window under <paramref name="spec"/>, or null for global attention.</summary>
    public int? WindowOf(ModelSpec spec, int layer) => LayerWindows is { } windows ? windows[layer] : spec.SlidingWindow;
}

/// <summary>The sizes of a Mamba-1 mixer (transformers' MambaConfig).</summary>
/// <param name="StateSize">d_state, N: the size of each channel's selective state.</param>
/// <param name="ConvKernel">d_conv: the causal depthwise convolution's width.</param>
/// <param name="Expand">expand: d_inner = expand · d_model.</param>
/// <param name="TimeStepRank">dt_rank: the rank of the Δ projection.</param>
/// <param name="ConvBias">The convolution carries a bias.</param>
/// <param name="ProjectionBias">in_proj and out_proj carry biases.</param>
/// <param name="ResidualInFp32">residual_in_fp32: the residual sum is taken in float32 (a model computing in float32 is
/// unaffected; in float16/bfloat16 the sum is rounded back to the model dtype between blocks).</param>
public sealed record MambaDesign(
    int StateSize,
    int ConvKernel,
    int Expand,
    int TimeStepRank,
    bool ConvBias = true,
    bool ProjectionBias = false,
    bool ResidualInFp32 = true
);
