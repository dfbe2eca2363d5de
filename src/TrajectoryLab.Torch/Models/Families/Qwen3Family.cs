// Qwen3 (transformers' Qwen3Config, modeling_qwen3.py; Qwen Team 2025, arXiv:2505.09388): a Llama-style decoder
// (pre-norm RMSNorm, SwiGLU, grouped-query attention, rotary positions) with RMSNorm on each query and key head over
// d_head before the rotation (q_norm, k_norm), an explicit head_dim (128 by default, independent of hidden_size),
// q/k/v/o biases together under attention_bias, and Qwen's sliding windows (use_sliding_window, sliding_window,
// max_window_layers, layer_types). The mixture-of-experts variant (qwen3_moe) is refused.
using System.Text.Json;
using TrajectoryLab.Torch.Checkpoints;

namespace TrajectoryLab.Torch.Models.Families;

/// <summary>qwen3.</summary>
internal sealed class Qwen3Family : IModelFamily
{
    /// <summary>Qwen3's block design (windows aside): a Llama's with per-head query/key RMSNorm.</summary>
    public static BlockDesign Design { get; } = BlockDesign.Llama with { QkNorm = QkNormKind.PerHead };

    /// <summary>Qwen3Config's head_dim when config.json has none.</summary>
    public const int DefaultHeadDim = 128;

    /// <inheritdoc/>
    public IReadOnlyList<string> ModelTypes { get; } = ["qwen3"];

    /// <inheritdoc/>
    /// <remarks>Per-head q/k RMSNorm, d_head = dim / heads (not Qwen3's default of 128), θ 1e6, ε 1e-6, no window.</remarks>
    public ModelSpec Shaped(string modelType, ModelSizes sizes)
    {
        var s = sizes;
        return s.Llama() with { ModelType = modelType, RopeTheta = 1_000_000, RmsNormEps = 1e-6, Design = Design };
    }

    /// <inheritdoc/>
    public string? Refusal(string modelType) =>
        modelType == "qwen3_moe" ? "'qwen3_moe' (Qwen3 with mixture-of-experts MLPs) is not supported; only the dense 'qwen3' is" : null;

    /// <inheritdoc/>
    public ModelSpec Read(ConfigKeys c, string modelType)
    {
        var activation = c.String("hidden_act") ?? "silu";
        if (activation != "silu")
            throw c.Error("hidden_act", $"'{activation}' is not supported (only silu)");
        var heads = c.Int("num_attention_heads") ?? throw c.Error("num_attention_heads", "is required");
        var layers = c.Int("num_hidden_layers") ?? throw c.Error("num_hidden_layers", "is required");
        var attentionBias = c.Bool("attention_bias") ?? false;
        var (theta, scaling) = LlamaStyleKeys.ReadRope(c);
        var (window, layerWindows) = LlamaStyleKeys.ReadQwenWindows(c, layers);
        return new ModelSpec(
            ModelType: modelType,
            VocabSize: c.Int("vocab_size") ?? throw c.Error("vocab_size", "is required"),
            HiddenSize: c.Int("hidden_size") ?? throw c.Error("hidden_size", "is required"),
            IntermediateSize: c.Int("intermediate_size") ?? throw c.Error("intermediate_size", "is required"),
            NumLayers: layers,
            NumHeads: heads,
            NumKvHeads: LlamaStyleKeys.ReadKvHeads(c, heads, absentDefault: 32),
            HeadDim: c.Int("head_dim") ?? DefaultHeadDim,
            RmsNormEps: c.Double("rms_norm_eps") ?? 1e-6,
            RopeTheta: theta,
            RopeScaling: scaling,
            TieWordEmbeddings: c.Bool("tie_word_embeddings") ?? false,
            QkvBias: attentionBias,
            OutputBias: attentionBias,
            MaxPositionEmbeddings: c.Int("max_position_embeddings") ?? 32768,
            TorchDType: c.String("torch_dtype") ?? c.String("dtype"),
            BosTokenId: c.Int("bos_token_id"),
            EosTokenIds: c.IntList("eos_token_id"),
            SlidingWindow: window,
            Design: Design with
            {
                LayerWindows = layerWindows,
            }
        );
    }

    /// <inheritdoc/>
    public void Write(Utf8JsonWriter json, ModelSpec spec)
    {
        FamilyConventions.WriteHead(json, "Qwen3ForCausalLM", spec);
        json.WriteNumber("num_key_value_heads", spec.NumKvHeads);
        json.WriteNumber("head_dim", spec.HeadDim);
        json.WriteString("hidden_act", "silu");
        json.WriteNumber("rms_norm_eps", spec.RmsNormEps);
        LlamaStyleKeys.WriteRope(json, spec);
        json.WriteBoolean("tie_word_embeddings", spec.TieWordEmbeddings);
        json.WriteBoolean("attention_bias", spec.QkvBias);
        json.WriteNumber("max_position_embeddings", spec.MaxPositionEmbeddings);
        LlamaStyleKeys.WriteQwenWindows(json, spec);
    }

    /// <inheritdoc/>
    public IReadOnlyList<WeightMapping> Weights(ModelSpec spec, Func<string, bool>? present = null) =>
        LlamaStyleWeights.For(spec, LlamaStyleWeights.PreNorms);

    /// <inheritdoc/>
    public bool IsIgnorable(string hfName, ModelSpec spec) => FamilyConventions.IsRotaryBufferOrTiedHead(hfName, spec);

    /// <inheritdoc/>
    public (string Key, string Problem)? FindProblem(ModelSpec spec)
    {
        if (LlamaStyleWeights.FindProblem(spec, Design, "Qwen3Family.Design") is { } problem)
            return problem;
        var sizes = Enumerable.Range(0, spec.NumLayers).Select(l => spec.Block.WindowOf(spec, l)).OfType<int>().Distinct().Count();
        return sizes > 1 ? ("sliding_window", "qwen3 has one window size for all its sliding layers") : null;
    }

    /// <inheritdoc/>
    public string DescribeSizes(ModelSpec spec) => FamilyConventions.AttentionSizes(spec);
}
