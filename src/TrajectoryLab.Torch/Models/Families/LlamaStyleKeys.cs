// config.json keys that the Llama-style families (Qwen2, Qwen3, OLMo 2, Mistral) share, read and written the way their
// transformers configs do: the rotary base and scaling (rope_theta + rope_scaling, or the newer rope_parameters), and
// Qwen's per-layer sliding windows (use_sliding_window, sliding_window, max_window_layers, layer_types).
// References: transformers' configuration_qwen2.py / configuration_qwen3.py (__post_init__: layer i slides when
// use_sliding_window and i >= max_window_layers, unless layer_types lists the kinds), modeling_rope_utils.py.
using System.Text.Json;
using TrajectoryLab.Torch.Checkpoints;

namespace TrajectoryLab.Torch.Models.Families;

/// <summary>Reading and writing of the config.json keys the Llama-style families share.</summary>
internal static class LlamaStyleKeys
{
    /// <summary>transformers' default of max_window_layers (Qwen2Config, Qwen3Config).</summary>
    public const int DefaultMaxWindowLayers = 28;

    /// <summary>transformers' default of sliding_window when the key is absent (Qwen2Config, Qwen3Config, MistralConfig).</summary>
    public const int DefaultSlidingWindow = 4096;

    /// <summary>The rotary base and scaling: rope_parameters when present (rope_theta and the scaling fields inside it),
    /// else rope_theta and rope_scaling at the top level; θ defaults to 10000.</summary>
    /// <exception cref="CheckpointException">A scaling type other than default, linear, dynamic or llama3, naming its key.</exception>
    public static (double Theta, RopeScaling? Scaling) ReadRope(ConfigKeys c)
    {
        var rope = c.Object("rope_parameters") is { } parameters ? c.At("rope_parameters", parameters) : null;
        var theta = rope?.Double("rope_theta") ?? c.Double("rope_theta") ?? 10000.0;
        return (theta, HfConfigReader.ReadScaling(rope ?? c, rope is null ? "rope_scaling" : null));
    }

    /// <summary>Writes rope_theta and, when there is scaling, rope_scaling (the form every transformers version reads).</summary>
    public static void WriteRope(Utf8JsonWriter json, ModelSpec spec)
    {
        json.WriteNumber("rope_theta", spec.RopeTheta);
        if (spec.RopeScaling is not { } s)
            return;
        json.WriteStartObject("rope_scaling");
        json.WriteString(
            "rope_type",
            s.Kind switch
            {
                RopeScalingKind.Linear => "linear",
                RopeScalingKind.Dynamic => "dynamic",
                _ => "llama3",
            }
        );
        json.WriteNumber("factor", s.Factor);
        if (s.Kind == RopeScalingKind.Llama3)
        {
            json.WriteNumber("low_freq_factor", s.LowFreqFactor);
            json.WriteNumber("high_freq_factor", s.HighFreqFactor);
        }
        if (s.OriginalMaxPositionEmbeddings is { } original)
            json.WriteNumber("original_max_position_embeddings", original);
        json.WriteEndObject();
    }

    /// <summary>num_key_value_heads: the key's value; an explicit null means as many as the query heads; an absent key
    /// means <paramref name="absentDefault"/> (transformers' dataclass default, which is not always the query heads:
    /// Qwen2 and Qwen3 default to 32, Mistral to 8), or the query heads when that is null.</summary>
    public static int ReadKvHeads(ConfigKeys c, int heads, int? absentDefault) =>
        c.Int("num_key_value_heads") ?? (c.IsNull("num_key_value_heads") ? heads : absentDefault ?? heads);

    /// <summary>Qwen's sliding windows per layer, as Qwen2Config/Qwen3Config resolve them: the window is sliding_window
    /// (4096 when absent) if use_sliding_window is true, else none; layer_types, when given, names each layer's kind
    /// (full_attention or sliding_attention), otherwise layers max_window_layers (default 28) and above slide.</summary>
    /// <returns>The window of every layer when all slide alike (<c>Uniform</c>), else the per-layer list when any layer
    /// slides (<c>PerLayer</c>), else neither.</returns>
    /// <exception cref="CheckpointException">layer_types of the wrong length, an unsupported kind, or sliding_attention
    /// layers without a window.</exception>
    public static (int? Uniform, IReadOnlyList<int?>? PerLayer) ReadQwenWindows(ConfigKeys c, int layers)
    {
        int? window =
            c.Bool("use_sliding_window") == true
                ? c.Int("sliding_window") ?? (c.IsNull("sliding_window") ? null : DefaultSlidingWindow)
                : null;
        var types = c.StringList("layer_types");
        int?[] perLayer;
        if (types.Count > 0)
        {
            if (types.Count != layers)
                throw c.Error("layer_types", $"lists {types.Count} layers, num_hidden_layers is {layers}");
            perLayer =
            [
                .. types.Select(t =>
                    t switch
                    {
                        "full_attention" => (int?)null,
                        "sliding_attention" => window
                            ?? throw c.Error(
                                "layer_types",
                                "names sliding_attention layers but there is no window (use_sliding_window is not true "
                                    + "or sliding_window is null)"
                            ),
                        _ => throw c.Error("layer_types", $"'{t}' is not supported (supported: full_attention, sliding_attention)"),
                    }
                ),
            ];
        }
        else
        {
            var first = c.Int("max_window_layers") ?? DefaultMaxWindowLayers;
            perLayer = [.. Enumerable.Range(0, Math.Max(layers, 0)).Select(i => i >= first ? window : null)];
        }
        if (perLayer.All(w => w is null))
            return (null, null);
        if (perLayer.All(w => w == perLayer[0]))
            return (perLayer[0], null);
        return (null, perLayer);
    }

    /// <summary>Writes the window keys that <see cref="ReadQwenWindows"/> reads back to the same windows: use_sliding_window,
    /// and with a window sliding_window, max_window_layers (the first sliding layer) and layer_types.</summary>
    /// <exception cref="ArgumentException">Layers with different window sizes, which Qwen's one sliding_window cannot express.</exception>
    public static void WriteQwenWindows(Utf8JsonWriter json, ModelSpec spec)
    {
        var windows = Enumerable.Range(0, spec.NumLayers).Select(l => spec.Block.WindowOf(spec, l)).ToArray();
        var sizes = windows.Where(w => w is not null).Distinct().ToArray();
        if (sizes.Length > 1)
            throw new ArgumentException(
                $"{spec.ModelType} has one sliding_window for all sliding layers, not {string.Join(", ", sizes)}",
                nameof(spec)
            );
        json.WriteBoolean("use_sliding_window", sizes.Length == 1);
        if (sizes.Length == 0)
            return;
        json.WriteNumber("sliding_window", sizes[0]!.Value);
        json.WriteNumber("max_window_layers", Array.FindIndex(windows, w => w is not null));
        json.WriteStartArray("layer_types");
        foreach (var w in windows)
            json.WriteStringValue(w is null ? "full_attention" : "sliding_attention");
        json.WriteEndArray();
    }
}
