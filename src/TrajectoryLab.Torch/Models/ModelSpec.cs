// The architecture of a decoder (Llama family: Llama, TinyLlama, Mistral, Qwen2, SmolLM; and GPT-2), as read from
// or written to a Hugging Face config.json. Reference: transformers' LlamaConfig / MistralConfig / Qwen2Config / GPT2Config.
namespace TrajectoryLab.Torch.Models;

/// <summary>Shape and numerics of a decoder; <see cref="Architecture"/> follows from <paramref name="ModelType"/>.</summary>
/// <remarks>GPT-2 specs come from <see cref="Gpt2"/>, which fills the fields GPT-2 has no choice about.</remarks>
/// <param name="ModelType">config.json's model_type: <c>llama</c>, <c>mistral</c>, <c>qwen2</c> or <c>gpt2</c>.</param>
/// <param name="VocabSize">Number of token ids.</param>
/// <param name="HiddenSize">d_model, the width of the residual stream.</param>
/// <param name="IntermediateSize">d_mlp, the width of the MLP hidden layer (GPT-2's n_inner, 4·n_embd by default).</param>
/// <param name="NumLayers">Number of transformer blocks.</param>
/// <param name="NumHeads">Query heads per block.</param>
/// <param name="NumKvHeads">Key/value heads per block (grouped-query attention when below <paramref name="NumHeads"/>).</param>
/// <param name="HeadDim">d_head (hidden_size / num_attention_heads unless config.json says head_dim).</param>
/// <param name="RmsNormEps">Epsilon inside every norm: RMSNorm, or LayerNorm for GPT-2 (its layer_norm_epsilon).</param>
/// <param name="RopeTheta">Rotary base θ; 0 for GPT-2, whose positions are learned.</param>
/// <param name="RopeScaling">Rotary scaling, or null for none.</param>
/// <param name="TieWordEmbeddings">The output head reuses the embedding matrix.</param>
/// <param name="QkvBias">q, k and v projections carry a bias (Qwen2; Llama with attention_bias; always GPT-2).</param>
/// <param name="OutputBias">The attention output projection carries a bias (Llama with attention_bias; always GPT-2).</param>
/// <param name="MaxPositionEmbeddings">Context length the config declares; for GPT-2 (n_positions) a hard limit, the
/// number of learned positions.</param>
/// <param name="TorchDType">config.json's torch_dtype (<c>float32</c>, <c>float16</c>, <c>bfloat16</c>), or null.</param>
/// <param name="BosTokenId">Beginning-of-sequence token id, or null.</param>
/// <param name="EosTokenIds">End-of-sequence token ids (config.json may give one or a list).</param>
/// <param name="SlidingWindow">Sliding-window size of every attention layer (Mistral, Qwen2 with use_sliding_window), or
/// null: a query attends to itself and the W − 1 positions before it. Per-layer windows are in the design.</param>
/// <param name="Design">How the blocks are built (norm, MLP, residual layout, attention variants, mixer); null for the
/// Llama design (GPT-2's for gpt2).</param>
public sealed record ModelSpec(
    string ModelType,
    int VocabSize,
    int HiddenSize,
    int IntermediateSize,
    int NumLayers,
    int NumHeads,
    int NumKvHeads,
    int HeadDim,
    double RmsNormEps,
    double RopeTheta,
    RopeScaling? RopeScaling,
    bool TieWordEmbeddings,
    bool QkvBias,
    bool OutputBias,
    int MaxPositionEmbeddings,
    string? TorchDType = null,
    int? BosTokenId = null,
    IReadOnlyList<int>? EosTokenIds = null,
    int? SlidingWindow = null,
    BlockDesign? Design = null
)
{
    /// <summary>How the blocks are built: <see cref="Design"/>, or the Llama design (GPT-2's for gpt2) when none is given.</summary>
    public BlockDesign Block => Design ?? (ModelType == "gpt2" ? BlockDesign.Gpt2 : BlockDesign.Llama);

    /// <summary>The model types this implementation covers.</summary>
    public static IReadOnlyList<string> SupportedModelTypes => Families.ModelFamilies.ModelTypes;

    /// <summary>The decoder family of <see cref="ModelType"/>.</summary>
    public ModelArchitecture Architecture =>
        ModelType == "gpt2" ? ModelArchitecture.Gpt2
        : Block.Mixer == MixerKind.Mamba ? ModelArchitecture.Mamba
        : ModelArchitecture.Llama;

    /// <summary>Query heads sharing one key/value head.</summary>
    public int QueriesPerKvHead => NumHeads / NumKvHeads;

    /// <summary>A Llama spec (RMSNorm, rotary positions, SwiGLU, grouped-query attention, no biases) by named sizes.</summary>
    /// <param name="vocabSize">vocab_size.</param>
    /// <param name="hiddenSize">d_model.</param>
    /// <param name="intermediateSize">d_mlp of the SwiGLU.</param>
    /// <param name="numLayers">Blocks.</param>
    /// <param name="numHeads">Query heads.</param>
    /// <param name="numKvHeads">Key/value heads; null for as many as query heads.</param>
    /// <param name="headDim">d_head; null for d_model / heads.</param>
    /// <param name="context">max_position_embeddings.</param>
    /// <param name="tieWordEmbeddings">One matrix for the embedding and the head.</param>
    /// <param name="rmsNormEps">RMSNorm ε (llama2.c and Llama 2 use 1e-5).</param>
    /// <param name="ropeTheta">Rotary base.</param>
    /// <param name="ropeScaling">Rotary scaling, or null.</param>
    public static ModelSpec Llama(
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int? numKvHeads = null,
        int? headDim = null,
        int context = 2048,
        bool tieWordEmbeddings = false,
        double rmsNormEps = 1e-5,
        double ropeTheta = 10_000,
        RopeScaling? ropeScaling = null
    ) =>
        new(
            ModelType: "llama",
            VocabSize: vocabSize,
            HiddenSize: hiddenSize,
            IntermediateSize: intermediateSize,
            NumLayers: numLayers,
            NumHeads: numHeads,
            NumKvHeads: numKvHeads ?? numHeads,
            HeadDim: headDim ?? (numHeads > 0 ? hiddenSize / numHeads : 0),
            RmsNormEps: rmsNormEps,
            RopeTheta: ropeTheta,
            RopeScaling: ropeScaling,
            TieWordEmbeddings: tieWordEmbeddings,
            QkvBias: false,
            OutputBias: false,
            MaxPositionEmbeddings: context
        );

    /// <summary>A model of <paramref name="modelType"/> shaped from family-neutral sizes with its family's distinctive design
    /// (each family's <c>Shaped</c> documents its choices): architectures compared at equal width, depth, heads, MLP width,
    /// vocabulary and context.</summary>
    /// <param name="modelType">A supported model_type (<see cref="SupportedModelTypes"/>).</param>
    /// <param name="sizes">The sizes.</param>
    /// <exception cref="ArgumentException"><paramref name="modelType"/> is not supported.</exception>
    public static ModelSpec Shaped(string modelType, ModelSizes sizes) =>
        (
            Families.ModelFamilies.Find(modelType)
            ?? throw new ArgumentException(
                $"model_type '{modelType}' is not supported (supported: {string.Join(", ", SupportedModelTypes)})",
                nameof(modelType)
            )
        ).Shaped(modelType, sizes);

    /// <summary>A GPT-2 spec from config.json's GPT2Config fields (Radford et al. 2019).</summary>
    /// <param name="vocabSize">vocab_size.</param>
    /// <param name="nEmbd">n_embd, d_model.</param>
    /// <param name="nLayer">n_layer.</param>
    /// <param name="nHead">n_head; d_head = n_embd / n_head.</param>
    /// <param name="nPositions">n_positions, the number of learned positions.</param>
    /// <param name="nInner">n_inner, d_mlp; null for 4·n_embd.</param>
    /// <param name="layerNormEpsilon">layer_norm_epsilon.</param>
    /// <param name="tieWordEmbeddings">tie_word_embeddings (GPT-2 ties by default).</param>
    public static ModelSpec Gpt2(
        int vocabSize,
        int nEmbd,
        int nLayer,
        int nHead,
        int nPositions,
        int? nInner = null,
        double layerNormEpsilon = 1e-5,
        bool tieWordEmbeddings = true
    ) =>
        new(
            ModelType: "gpt2",
            VocabSize: vocabSize,
            HiddenSize: nEmbd,
            IntermediateSize: nInner ?? 4 * nEmbd,
            NumLayers: nLayer,
            NumHeads: nHead,
            NumKvHeads: nHead,
            HeadDim: nHead > 0 ? nEmbd / nHead : 0,
            RmsNormEps: layerNormEpsilon,
            RopeTheta: 0,
            RopeScaling: null,
            TieWordEmbeddings: tieWordEmbeddings,
            QkvBias: true,
            OutputBias: true,
            MaxPositionEmbeddings: nPositions
        );

    /// <summary>A problem with the spec's numbers, or null when it describes a buildable model.</summary>
    /// <remarks>Returns the name of the config.json key at fault (in the architecture's own vocabulary) and what is wrong with
    /// it.</remarks>
    public (string Key, string Problem)? FindProblem()
    {
        if (!SupportedModelTypes.Contains(ModelType))
            return ("model_type", $"'{ModelType}' is not supported (supported: {string.Join(", ", SupportedModelTypes)})");
        return Families.ModelFamilies.Of(this).FindProblem(this);
    }

    internal (string Key, string Problem)? FindGpt2Problem()
    {
        foreach (
            var (key, value) in new[]
            {
                ("vocab_size", VocabSize),
                ("n_embd", HiddenSize),
                ("n_inner", IntermediateSize),
                ("n_layer", NumLayers),
                ("n_head", NumHeads),
                ("n_positions", MaxPositionEmbeddings),
            }
        )
            if (value <= 0)
                return (key, $"must be positive, is {value}");
        if (NumKvHeads != NumHeads || (long)NumHeads * HeadDim != HiddenSize)
            return ("n_head", $"{NumHeads} heads must split n_embd {HiddenSize} evenly, each head with its own keys and values");
        if (!(RmsNormEps > 0))
            return ("layer_norm_epsilon", "must be positive");
        if (!QkvBias || !OutputBias || RopeScaling is not null)
            return (
                "model_type",
                "gpt2 has biases on every attention projection and no rotary embedding (build its spec with ModelSpec.Gpt2)"
            );
        return null;
    }

    internal (string Key, string Problem)? FindLlamaProblem()
    {
        foreach (
            var (key, value) in new[]
            {
                ("vocab_size", VocabSize),
                ("hidden_size", HiddenSize),
                ("intermediate_size", IntermediateSize),
                ("num_hidden_layers", NumLayers),
                ("num_attention_heads", NumHeads),
                ("num_key_value_heads", NumKvHeads),
                ("head_dim", HeadDim),
                ("max_position_embeddings", MaxPositionEmbeddings),
            }
        )
            if (value <= 0)
                return (key, $"must be positive, is {value}");
        if (NumHeads % NumKvHeads != 0)
            return ("num_key_value_heads", $"{NumKvHeads} does not divide num_attention_heads {NumHeads}");
        if (HeadDim % 2 != 0)
            return ("head_dim", $"{HeadDim} is odd; rotary embeddings rotate pairs");
        if (!(RmsNormEps > 0))
            return ("rms_norm_eps", "must be positive");
        if (!(RopeTheta > 1))
            return ("rope_theta", "must exceed 1");
        if (RopeScaling is { } s)
        {
            if (!(s.Factor > 0))
                return ("rope_scaling.factor", "must be positive");
            if (s.Kind == RopeScalingKind.Llama3)
            {
                if (s.OriginalMaxPositionEmbeddings is not > 0)
                    return ("rope_scaling.original_max_position_embeddings", "is required for llama3 scaling and must be positive");
                if (!(s.HighFreqFactor > s.LowFreqFactor) || !(s.LowFreqFactor > 0))
                    return ("rope_scaling.high_freq_factor", "llama3 scaling needs 0 < low_freq_factor < high_freq_factor");
            }
        }
        return null;
    }
}
