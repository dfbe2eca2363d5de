// Reads a Hugging Face config.json into a ModelSpec, applying the defaults of transformers' LlamaConfig,
// MistralConfig, Qwen2Config and GPT2Config, and rejecting what this implementation does not compute (other model types
// and activations, mixture-of-experts MLPs, MLP bias, other rope_scaling types, GPT-2's attention variants) with an error
// naming the file and key and, for model types, listing the supported ones.
using System.Text.Json;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Models.Families;

namespace TrajectoryLab.Torch.Checkpoints;

/// <summary>Parses config.json files of Llama-family and GPT-2 models.</summary>
public static class HfConfigReader
{
    /// <summary>The file name Hugging Face uses.</summary>
    public const string FileName = "config.json";

    /// <summary>Reads and validates <paramref name="filePath"/>.</summary>
    /// <exception cref="CheckpointException">Missing file, invalid JSON, a missing or ill-typed key, or an unsupported feature.</exception>
    public static ModelSpec Read(string filePath)
    {
        using (var document = CheckpointJson.Parse(filePath, "config"))
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointException(filePath, null, "config is not a JSON object");
            var spec = Parse(new ConfigKeys(filePath, document.RootElement));
            if (spec.FindProblem() is var (key, problem))
                throw CheckpointException.ForKey(filePath, key, problem);
            return spec;
        }
    }

    /// <summary>config.json keys that give a mixture-of-experts MLP its experts (Mixtral and PhiMoE: num_local_experts;
    /// Qwen2-MoE, Qwen3-MoE, OLMoE: num_experts; DeepSeek: n_routed_experts).</summary>
    private static readonly string[] ExpertKeys = ["num_local_experts", "num_experts", "n_routed_experts"];

    private static ModelSpec Parse(ConfigKeys c)
    {
        var modelType = c.String("model_type") ?? throw c.Error("model_type", "is required");
        var supported = $"(supported: {string.Join(", ", ModelSpec.SupportedModelTypes)})";
        var family = ModelFamilies.Find(modelType)
            ?? throw c.Error(
                "model_type",
                ModelFamilies.Refusal(modelType) is { } refusal ? $"{refusal} {supported}" : $"'{modelType}' is not supported {supported}"
            );
        // A dense model_type with experts (a Mixtral-style config saying llama, say) would be read as a dense model and then
        // fail on its expert tensors: name the key instead.
        foreach (var key in ExpertKeys)
            if (c.KindOf(key) == JsonValueKind.Number && c.Double(key) is > 0 and var experts)
                throw c.Error(
                    key,
                    $"{experts} experts: mixture-of-experts MLPs are not supported, only dense ones "
                        + $"(a {modelType} config has no {key}) {supported}"
                );
        return family.Read(c, modelType);
    }

    internal static ModelSpec ParseLlama(ConfigKeys c, string modelType)
    {
        var activation = c.String("hidden_act") ?? "silu";
        if (activation != "silu")
            throw c.Error("hidden_act", $"'{activation}' is not supported (only silu)");
        if (c.Bool("mlp_bias") == true)
            throw c.Error("mlp_bias", "MLP biases are not supported");

        var hidden = c.Int("hidden_size") ?? throw c.Error("hidden_size", "is required");
        var heads = c.Int("num_attention_heads") ?? throw c.Error("num_attention_heads", "is required");
        var attentionBias = c.Bool("attention_bias") ?? false;
        var isQwen2 = modelType == "qwen2";
        var layers = c.Int("num_hidden_layers") ?? throw c.Error("num_hidden_layers", "is required");
        var rope = c.Object("rope_parameters") is { } parameters ? c.At("rope_parameters", parameters) : null;
        // Qwen2: use_sliding_window, max_window_layers and layer_types choose the sliding layers; Mistral: every layer
        // slides, by 4096 positions when the key is absent (MistralConfig's default), not at all when it is null.
        var (slidingWindow, layerWindows) = isQwen2
            ? LlamaStyleKeys.ReadQwenWindows(c, layers)
            : (
                c.Int("sliding_window")
                    ?? (modelType == "mistral" && !c.IsNull("sliding_window") ? LlamaStyleKeys.DefaultSlidingWindow : null),
                null
            );

        return new ModelSpec(
            ModelType: modelType,
            VocabSize: c.Int("vocab_size") ?? throw c.Error("vocab_size", "is required"),
            HiddenSize: hidden,
            IntermediateSize: c.Int("intermediate_size") ?? throw c.Error("intermediate_size", "is required"),
            NumLayers: layers,
            NumHeads: heads,
            NumKvHeads: LlamaStyleKeys.ReadKvHeads(
                c,
                heads,
                modelType switch
                {
                    "qwen2" => 32,
                    "mistral" => 8,
                    _ => null,
                }
            ),
            HeadDim: c.Int("head_dim")
                ?? (
                    heads > 0 && hidden % heads == 0
                        ? hidden / heads
                        : throw c.Error("num_attention_heads", $"{heads} does not divide hidden_size {hidden} and there is no head_dim")
                ),
            RmsNormEps: c.Double("rms_norm_eps") ?? 1e-6,
            RopeTheta: rope?.Double("rope_theta") ?? c.Double("rope_theta") ?? 10000.0,
            RopeScaling: ReadScaling(rope ?? c, rope is null ? "rope_scaling" : null),
            TieWordEmbeddings: c.Bool("tie_word_embeddings") ?? false,
            QkvBias: isQwen2 || attentionBias,
            OutputBias: !isQwen2 && attentionBias,
            MaxPositionEmbeddings: c.Int("max_position_embeddings") ?? throw c.Error("max_position_embeddings", "is required"),
            TorchDType: c.String("torch_dtype") ?? c.String("dtype"),
            BosTokenId: c.Int("bos_token_id"),
            EosTokenIds: c.IntList("eos_token_id"),
            SlidingWindow: slidingWindow,
            Design: layerWindows is null ? null : BlockDesign.Llama with { LayerWindows = layerWindows }
        );
    }

    /// <summary>GPT2Config's keys and defaults (n_inner 4·n_embd, gelu_new, layer_norm_epsilon 1e-5, tied head).</summary>
    internal static ModelSpec ParseGpt2(ConfigKeys c)
    {
        var activation = c.String("activation_function") ?? "gelu_new";
        if (activation is not ("gelu_new" or "gelu_pytorch_tanh"))
            throw c.Error("activation_function", $"'{activation}' is not supported (only gelu_new, the tanh approximation)");
        if (c.Bool("scale_attn_weights") == false)
            throw c.Error("scale_attn_weights", "unscaled attention is not supported");
        if (c.Bool("scale_attn_by_inverse_layer_idx") == true)
            throw c.Error("scale_attn_by_inverse_layer_idx", "per-layer attention scaling is not supported");
        if (c.Bool("add_cross_attention") == true)
            throw c.Error("add_cross_attention", "cross-attention is not supported");
        return ModelSpec.Gpt2(
            vocabSize: c.Int("vocab_size") ?? throw c.Error("vocab_size", "is required"),
            nEmbd: c.Int("n_embd") ?? throw c.Error("n_embd", "is required"),
            nLayer: c.Int("n_layer") ?? throw c.Error("n_layer", "is required"),
            nHead: c.Int("n_head") ?? throw c.Error("n_head", "is required"),
            nPositions: c.Int("n_positions") ?? throw c.Error("n_positions", "is required"),
            nInner: c.Int("n_inner"),
            layerNormEpsilon: c.Double("layer_norm_epsilon") ?? 1e-5,
            tieWordEmbeddings: c.Bool("tie_word_embeddings") ?? true
        ) with
        {
            TorchDType = c.String("torch_dtype") ?? c.String("dtype"),
            BosTokenId = c.Int("bos_token_id"),
            EosTokenIds = c.IntList("eos_token_id"),
        };
    }

    /// <summary>Reads rope_scaling (or, with <paramref name="key"/> null, the scaling fields of rope_parameters itself).</summary>
    internal static RopeScaling? ReadScaling(ConfigKeys c, string? key)
    {
        var s =
            key is null ? c
            : c.Object(key) is { } o ? c.At(key, o)
            : null;
        if (s is null)
            return null;
        var type = s.String("rope_type") ?? s.String("type") ?? throw s.Error("rope_type", "is required (or 'type')");
        var typeKey = RopeKeys.TypeKey(s); // the key the file used, for the message
        var kind = type switch
        {
            "default" => (RopeScalingKind?)null,
            "linear" => RopeScalingKind.Linear,
            "dynamic" => RopeScalingKind.Dynamic,
            "llama3" => RopeScalingKind.Llama3,
            _ => throw s.Error(typeKey, $"'{type}' is not supported (supported: default, linear, dynamic, llama3)"),
        };
        if (kind is not { } k)
            return null;
        return new RopeScaling(
            k,
            s.Double("factor") ?? throw s.Error("factor", "is required"),
            s.Double("low_freq_factor") ?? 1.0,
            s.Double("high_freq_factor") ?? 4.0,
            s.Int("original_max_position_embeddings")
        );
    }
}
