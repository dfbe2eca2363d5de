// The architecture of a Llama-family decoder (Llama, TinyLlama, Mistral, Qwen2, SmolLM), as read from
// or written to a Hugging Face config.json. Reference: transformers' LlamaConfig / MistralConfig / Qwen2Config.
namespace TrajectoryLab.Torch.Models;

/// <summary>Shape and numerics of a Llama-family decoder.</summary>
/// <param name="ModelType">config.json's model_type: <c>llama</c>, <c>mistral</c> or <c>qwen2</c>.</param>
/// <param name="VocabSize">Number of token ids.</param>
/// <param name="HiddenSize">d_model, the width of the residual stream.</param>
/// <param name="IntermediateSize">d_mlp, the width of the SwiGLU hidden layer.</param>
/// <param name="NumLayers">Number of transformer blocks.</param>
/// <param name="NumHeads">Query heads per block.</param>
/// <param name="NumKvHeads">Key/value heads per block (grouped-query attention when below <paramref name="NumHeads"/>).</param>
/// <param name="HeadDim">d_head (hidden_size / num_attention_heads unless config.json says head_dim).</param>
/// <param name="RmsNormEps">Epsilon inside every RMSNorm.</param>
/// <param name="RopeTheta">Rotary base θ.</param>
/// <param name="RopeScaling">Rotary scaling, or null for none.</param>
/// <param name="TieWordEmbeddings">The output head reuses the embedding matrix.</param>
/// <param name="QkvBias">q, k and v projections carry a bias (Qwen2; Llama with attention_bias).</param>
/// <param name="OutputBias">The attention output projection carries a bias (Llama with attention_bias).</param>
/// <param name="MaxPositionEmbeddings">Context length the config declares.</param>
/// <param name="TorchDType">config.json's torch_dtype (<c>float32</c>, <c>float16</c>, <c>bfloat16</c>), or null.</param>
/// <param name="BosTokenId">Beginning-of-sequence token id, or null.</param>
/// <param name="EosTokenIds">End-of-sequence token ids (config.json may give one or a list).</param>
/// <param name="SlidingWindow">Mistral/Qwen2 sliding-window size, or null. Recorded only: attention here is always full,
/// which equals sliding-window attention as long as the sequence is no longer than the window.</param>
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
    int? SlidingWindow = null)
{
    /// <summary>The model types this implementation covers.</summary>
    public static readonly IReadOnlyList<string> SupportedModelTypes = ["llama", "mistral", "qwen2"];

    /// <summary>Query heads sharing one key/value head.</summary>
    public int QueriesPerKvHead => NumHeads / NumKvHeads;

    /// <summary>A problem with the spec's numbers, or null when it describes a buildable model.</summary>
    /// <remarks>Returns the name of the config.json key at fault and what is wrong with it.</remarks>
    public (string Key, string Problem)? FindProblem()
    {
        if (!SupportedModelTypes.Contains(ModelType))
            return ("model_type", $"'{ModelType}' is not supported (supported: {string.Join(", ", SupportedModelTypes)})");
        foreach (var (key, value) in new[]
                 {
                     ("vocab_size", VocabSize), ("hidden_size", HiddenSize), ("intermediate_size", IntermediateSize),
                     ("num_hidden_layers", NumLayers), ("num_attention_heads", NumHeads), ("num_key_value_heads", NumKvHeads),
                     ("head_dim", HeadDim), ("max_position_embeddings", MaxPositionEmbeddings),
                 })
            if (value <= 0) return (key, $"must be positive, is {value}");
        if (NumHeads % NumKvHeads != 0)
            return ("num_key_value_heads", $"{NumKvHeads} does not divide num_attention_heads {NumHeads}");
        if (HeadDim % 2 != 0)
            return ("head_dim", $"{HeadDim} is odd; rotary embeddings rotate pairs");
        if (!(RmsNormEps > 0)) return ("rms_norm_eps", "must be positive");
        if (!(RopeTheta > 1)) return ("rope_theta", "must exceed 1");
        if (RopeScaling is { } s)
        {
            if (!(s.Factor > 0)) return ("rope_scaling.factor", "must be positive");
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
