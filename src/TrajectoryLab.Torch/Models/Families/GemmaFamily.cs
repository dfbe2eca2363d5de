// The Gemma family: gemma (Gemma 1), gemma2, and gemma3_text (Gemma 3's text model, Gemma3ForCausalLM) as transformers'
// GemmaConfig, Gemma2Config and Gemma3TextConfig describe them, with their defaults. All three: RMSNorm in the (1 + w)
// form computed in float32, token embeddings scaled by √d_model, GeGLU with the tanh GELU, a head_dim of its own (256 by
// default), a tied head by default, no biases unless attention_bias. Gemma 2 adds sandwich norms (post_attention_layernorm
// on the attention output before the residual add, pre_ and post_feedforward_layernorm around the MLP), the score scale
// query_pre_attn_scalar^−½, tanh soft-caps of the scores and logits, and sliding-window layers (layer_types; by default
// layers 0, 2, 4, … slide). Gemma 3 adds per-head q/k norms, one global layer in every sliding_window_pattern (6), the
// sliding layers' own rotary base (rope_local_base_freq) and rope_scaling on the global layers only.
// A query at position i of a sliding layer with window W sees keys j with 0 ≤ i − j < W (masking_utils'
// sliding_window_overlay: kv_idx > q_idx − W), which StepContext.MaskFor computes.
// Activation: the checkpoints were trained with the tanh GELU. hidden_activation is read first, then hidden_act; Gemma 1
// configs on the hub say hidden_act "gelu", which transformers overrode to gelu_pytorch_tanh (PR #29402) and which is read
// as the tanh GELU here too (vLLM does the same). transformers' current GemmaMLP, inherited from LlamaMLP, reads hidden_act
// and would compute the exact GELU for such a config; that is not what the weights were trained for. An exact GELU named
// in hidden_activation, or in a gemma2/gemma3_text config, is refused.
// References: Gemma Team 2024 (arXiv:2403.08295), Gemma 2 (arXiv:2408.00118), Gemma 3 (arXiv:2503.19786);
// transformers' configuration_gemma/gemma2/gemma3.py, modeling_gemma/gemma2/gemma3.py, masking_utils.py.
using System.Text.Json;
using TrajectoryLab.Torch.Checkpoints;

namespace TrajectoryLab.Torch.Models.Families;

/// <summary>gemma, gemma2, gemma3_text.</summary>
internal sealed class GemmaFamily : IModelFamily
{
    private const string Gemma = "gemma";
    private const string Gemma2 = "gemma2";
    private const string Gemma3 = "gemma3_text";
    private const string Sliding = "sliding_attention";
    private const string Full = "full_attention";

    /// <summary>The activation names that mean the tanh approximation of GELU.</summary>
    private static readonly string[] TanhGelu = ["gelu_pytorch_tanh", "gelu_new"];

    /// <inheritdoc/>
    public IReadOnlyList<string> ModelTypes { get; } = [Gemma, Gemma2, Gemma3];

    /// <inheritdoc/>
    /// <remarks>All: (1 + w) RMSNorm with ε 1e-6, embeddings scaled by √dim, GeGLU, d_head = dim / heads (not Gemma's 256).
    /// gemma: θ 10000. gemma2: sandwich norms, scores scaled by d_head^−½ (query_pre_attn_scalar = d_head), soft-caps 50
    /// and 30, layers 0, 2, 4, … sliding by the sizes' window. gemma3_text: per-head q/k norms, no soft-caps, one global
    /// layer in every min(6, layers) (so at least the last is global), global θ 1e6 and local θ 10000.</remarks>
    public ModelSpec Shaped(string modelType, ModelSizes sizes)
    {
        var s = sizes;
        var window = s.SlidingWindow;
        var pattern = modelType == Gemma3 ? Math.Min(6, s.Layers) : 2;
        int?[] windows = [.. Enumerable.Range(0, s.Layers).Select(i => (i + 1) % pattern != 0 ? window : (int?)null)];
        var design = modelType switch
        {
            Gemma => DesignFor(Gemma, s.Dim),
            Gemma2 => DesignFor(Gemma2, s.Dim, s.HeadDim, attentionSoftcap: 50, finalSoftcap: 30, layerWindows: windows),
            _ => DesignFor(Gemma3, s.Dim, s.HeadDim, layerWindows: windows, localRopeTheta: 10_000),
        };
        return s.Llama() with
        {
            ModelType = modelType,
            RmsNormEps = 1e-6,
            RopeTheta = modelType == Gemma3 ? 1_000_000 : 10_000,
            Design = design,
        };
    }

    /// <inheritdoc/>
    public string? Refusal(string modelType) =>
        modelType == "gemma3"
            ? "'gemma3' is the multimodal Gemma 3 (Gemma3ForConditionalGeneration, with text_config and vision_config); "
                + "only its text model is supported: a Gemma3ForCausalLM folder whose config.json says model_type gemma3_text"
            : null;

    /// <summary>The block design of a <paramref name="modelType"/> model with these config values.</summary>
    /// <param name="modelType">gemma, gemma2 or gemma3_text.</param>
    /// <param name="hiddenSize">hidden_size: the embedding scale is its square root.</param>
    /// <param name="queryPreAttnScalar">query_pre_attn_scalar (Gemma 2, 3): scores are scaled by its inverse square root.</param>
    /// <param name="attentionSoftcap">attn_logit_softcapping (Gemma 2, 3), or null.</param>
    /// <param name="finalSoftcap">final_logit_softcapping (Gemma 2, 3), or null.</param>
    /// <param name="layerWindows">Each layer's sliding window or null for a global layer (Gemma 2, 3).</param>
    /// <param name="localRopeTheta">rope_local_base_freq (Gemma 3).</param>
    internal static BlockDesign DesignFor(
        string modelType,
        int hiddenSize,
        double queryPreAttnScalar = 256,
        double? attentionSoftcap = null,
        double? finalSoftcap = null,
        IReadOnlyList<int?>? layerWindows = null,
        double localRopeTheta = 10_000
    )
    {
        var design = new BlockDesign
        {
            Norm = NormKind.RmsOffset,
            Mlp = MlpKind.GeGluTanh,
            EmbeddingScale = Math.Sqrt(hiddenSize),
        };
        if (modelType == Gemma)
            return design;
        design = design with
        {
            Residual = ResidualLayout.Sandwich,
            AttentionScale = Math.Pow(queryPreAttnScalar, -0.5),
            AttentionSoftcap = attentionSoftcap,
            FinalSoftcap = finalSoftcap,
            LayerWindows = layerWindows,
        };
        return modelType == Gemma3 ? design with { QkNorm = QkNormKind.PerHead, LocalRopeTheta = localRopeTheta } : design;
    }

    /// <inheritdoc/>
    public ModelSpec Read(ConfigKeys config, string modelType)
    {
        var c = config;
        var sandwich = modelType != Gemma;
        ReadActivation(c, modelType);
        if (c.Bool("use_bidirectional_attention") == true)
            throw c.Error("use_bidirectional_attention", "bidirectional attention is not supported (only causal)");
        var hidden = c.Int("hidden_size") ?? throw c.Error("hidden_size", "is required");
        var heads = c.Int("num_attention_heads") ?? throw c.Error("num_attention_heads", "is required");
        var layers = c.Int("num_hidden_layers") ?? throw c.Error("num_hidden_layers", "is required");
        var attentionBias = c.Bool("attention_bias") ?? false;
        var (theta, scaling, localTheta) = ReadRope(c, modelType);
        var design = DesignFor(
            modelType,
            hidden,
            c.Double("query_pre_attn_scalar") ?? 256,
            sandwich ? Softcap(c, "attn_logit_softcapping", modelType == Gemma2 ? 50.0 : null) : null,
            sandwich ? Softcap(c, "final_logit_softcapping", modelType == Gemma2 ? 30.0 : null) : null,
            sandwich ? ReadWindows(c, modelType, layers) : null,
            localTheta
        );
        return new ModelSpec(
            ModelType: modelType,
            VocabSize: c.Int("vocab_size") ?? throw c.Error("vocab_size", "is required"),
            HiddenSize: hidden,
            IntermediateSize: c.Int("intermediate_size") ?? throw c.Error("intermediate_size", "is required"),
            NumLayers: layers,
            NumHeads: heads,
            NumKvHeads: c.Int("num_key_value_heads") ?? (modelType == Gemma ? 16 : 4),
            HeadDim: c.Int("head_dim") ?? 256,
            RmsNormEps: c.Double("rms_norm_eps") ?? 1e-6,
            RopeTheta: theta,
            RopeScaling: scaling,
            TieWordEmbeddings: c.Bool("tie_word_embeddings") ?? true,
            QkvBias: attentionBias,
            OutputBias: attentionBias,
            MaxPositionEmbeddings: c.Int("max_position_embeddings") ?? (modelType == Gemma3 ? 131_072 : 8192),
            TorchDType: c.String("torch_dtype") ?? c.String("dtype"),
            BosTokenId: c.Int("bos_token_id"),
            EosTokenIds: c.IntList("eos_token_id"),
            Design: design
        );
    }

    /// <summary>Checks that the activation is the tanh GELU (see the file header for Gemma 1's hidden_act "gelu").</summary>
    private static void ReadActivation(ConfigKeys c, string modelType)
    {
        var (key, name) = c.String("hidden_activation") is { } activation
            ? ("hidden_activation", activation)
            : ("hidden_act", c.String("hidden_act") ?? "gelu_pytorch_tanh");
        if (TanhGelu.Contains(name) || (modelType == Gemma && key == "hidden_act" && name == "gelu"))
            return;
        throw c.Error(key, $"'{name}' is not supported (only the tanh GELU: {string.Join(", ", TanhGelu)})");
    }

    /// <summary>A soft-cap key: absent gives the config class's default, an explicit null none.</summary>
    private static double? Softcap(ConfigKeys c, string key, double? fallback) => c.Contains(key) ? c.Double(key) : fallback;

    /// <summary>Each layer's window (null for global) from layer_types, or from the default pattern: Gemma 2 slides in layers
    /// 0, 2, 4, …; Gemma 3 in all but every sliding_window_pattern-th (layer i slides unless (i + 1) % pattern == 0).</summary>
    private static int?[] ReadWindows(ConfigKeys c, string modelType, int layers)
    {
        IReadOnlyList<string> types;
        if (c.Has("layer_types"))
        {
            types = c.StringList("layer_types");
            if (types.Count != layers)
                throw c.Error("layer_types", $"has {types.Count} entries for num_hidden_layers {layers}");
            if (types.FirstOrDefault(t => t is not (Sliding or Full)) is { } other)
                throw c.Error("layer_types", $"'{other}' is not supported (supported: {Sliding}, {Full})");
        }
        else
        {
            var pattern = modelType == Gemma3 ? c.Int("sliding_window_pattern") ?? 6 : 2;
            if (pattern <= 0)
                throw c.Error("sliding_window_pattern", $"must be positive, is {pattern}");
            types = [.. Enumerable.Range(0, Math.Max(layers, 0)).Select(i => (i + 1) % pattern != 0 ? Sliding : Full)];
        }
        var window = c.Contains("sliding_window") ? c.Int("sliding_window") : 4096;
        if (window is null && types.Contains(Sliding))
            throw c.Error("sliding_window", "is null, but layer_types has sliding_attention layers");
        return [.. types.Select(t => t == Sliding ? window : null)];
    }

    /// <summary>The global rotary base and scaling, and (Gemma 3) the sliding layers' base: rope_parameters (per layer type
    /// for Gemma 3) or the older rope_theta, rope_scaling and rope_local_base_freq.</summary>
    private static (double Theta, RopeScaling? Scaling, double LocalTheta) ReadRope(ConfigKeys c, string modelType)
    {
        var parameters = c.Object("rope_parameters") is { } p ? c.At("rope_parameters", p) : null;
        var scalingKeys = c.Object("rope_scaling") is { } s ? c.At("rope_scaling", s) : null;
        if (modelType != Gemma3)
        {
            var theta = parameters?.Double("rope_theta") ?? c.Double("rope_theta") ?? 10_000.0;
            return (theta, ReadScaling(parameters ?? scalingKeys), 0);
        }
        var full = parameters?.Object(Full) is { } f ? parameters.At(Full, f) : null;
        var local = parameters?.Object(Sliding) is { } l ? parameters.At(Sliding, l) : null;
        if (local is not null && ReadScaling(local) is not null)
            throw local.Error("rope_type", "is not supported for the sliding layers (only default; scaling applies to full_attention)");
        return (
            full?.Double("rope_theta") ?? c.Double("rope_theta") ?? 1_000_000.0,
            ReadScaling(scalingKeys ?? full),
            local?.Double("rope_theta") ?? c.Double("rope_local_base_freq") ?? 10_000.0
        );
    }

    /// <summary>A rope_scaling object (or rope_parameters): default or linear.</summary>
    private static RopeScaling? ReadScaling(ConfigKeys? s)
    {
        if (s is null)
            return null;
        var type = s.String("rope_type") ?? s.String("type") ?? "default";
        return type switch
        {
            "default" => null,
            "linear" => new RopeScaling(RopeScalingKind.Linear, s.Double("factor") ?? throw s.Error("factor", "is required")),
            _ => throw s.Error(RopeKeys.TypeKey(s), $"'{type}' is not supported for Gemma (supported: default, linear)"),
        };
    }

    /// <inheritdoc/>
    public void Write(Utf8JsonWriter json, ModelSpec spec)
    {
        if (spec.QkvBias != spec.OutputBias)
            throw new ArgumentException(
                $"{spec.ModelType} cannot express QkvBias={spec.QkvBias} with OutputBias={spec.OutputBias}",
                nameof(spec)
            );
        var design = spec.Block;
        FamilyConventions.WriteHead(
            json,
            spec.ModelType switch
            {
                Gemma => "GemmaForCausalLM",
                Gemma2 => "Gemma2ForCausalLM",
                _ => "Gemma3ForCausalLM",
            },
            spec
        );
        json.WriteNumber("num_key_value_heads", spec.NumKvHeads);
        json.WriteNumber("head_dim", spec.HeadDim);
        json.WriteString("hidden_act", TanhGelu[0]);
        json.WriteString("hidden_activation", TanhGelu[0]);
        json.WriteNumber("rms_norm_eps", spec.RmsNormEps);
        json.WriteNumber("rope_theta", spec.RopeTheta);
        if (spec.RopeScaling is { } scaling)
        {
            json.WriteStartObject("rope_scaling");
            json.WriteString("rope_type", "linear");
            json.WriteNumber("factor", scaling.Factor);
            json.WriteEndObject();
        }
        json.WriteBoolean("tie_word_embeddings", spec.TieWordEmbeddings);
        json.WriteBoolean("attention_bias", spec.QkvBias);
        json.WriteNumber("max_position_embeddings", spec.MaxPositionEmbeddings);
        if (spec.ModelType == Gemma)
            return;
        json.WriteNumber("query_pre_attn_scalar", QueryPreAttnScalar(design.AttentionScale!.Value));
        WriteNumberOrNull(json, "attn_logit_softcapping", design.AttentionSoftcap);
        WriteNumberOrNull(json, "final_logit_softcapping", design.FinalSoftcap);
        var windows = design.LayerWindows ?? new int?[spec.NumLayers];
        WriteNumberOrNull(json, "sliding_window", windows.FirstOrDefault(w => w is not null));
        json.WriteStartArray("layer_types");
        foreach (var window in windows)
            json.WriteStringValue(window is null ? Full : Sliding);
        json.WriteEndArray();
        if (spec.ModelType == Gemma3)
            json.WriteNumber("rope_local_base_freq", design.LocalRopeTheta!.Value);
    }

    /// <summary>The query_pre_attn_scalar q whose q^−½ is <paramref name="scale"/>, as the integer it usually is.</summary>
    private static double QueryPreAttnScalar(double scale)
    {
        var q = 1 / (scale * scale);
        var whole = Math.Round(q);
        return Math.Pow(whole, -0.5) == scale ? whole : q;
    }

    private static void WriteNumberOrNull(Utf8JsonWriter json, string key, double? value)
    {
        if (value is { } v)
            json.WriteNumber(key, v);
        else
            json.WriteNull(key);
    }

    /// <inheritdoc/>
    /// <remarks>Gemma 2 and 3 name their four sandwich norms post_attention_layernorm (after attention, ln1_post),
    /// pre_feedforward_layernorm (ln2) and post_feedforward_layernorm (ln2_post); Gemma 1's post_attention_layernorm is the
    /// Llama one before the MLP (ln2).</remarks>
    public IReadOnlyList<WeightMapping> Weights(ModelSpec spec, Func<string, bool>? present = null) =>
        LlamaStyleWeights.For(
            spec,
            spec.Block.Residual == ResidualLayout.Sandwich
                ?
                [
                    ("input_layernorm.weight", ParameterNames.Ln1W),
                    ("post_attention_layernorm.weight", ParameterNames.Ln1PostW),
                    ("pre_feedforward_layernorm.weight", ParameterNames.Ln2W),
                    ("post_feedforward_layernorm.weight", ParameterNames.Ln2PostW),
                ]
                : LlamaStyleWeights.PreNorms
        );

    /// <inheritdoc/>
    public bool IsIgnorable(string hfName, ModelSpec spec) => FamilyConventions.IsRotaryBufferOrTiedHead(hfName, spec);

    /// <inheritdoc/>
    public (string Key, string Problem)? FindProblem(ModelSpec spec)
    {
        if (spec.FindLlamaProblem() is { } problem)
            return problem;
        if (spec.SlidingWindow is not null)
            return ("sliding_window", "Gemma's windows are per layer (the design's LayerWindows), not the spec's SlidingWindow");
        if (spec.RopeScaling is { Kind: not RopeScalingKind.Linear })
            return ("rope_scaling.rope_type", $"{spec.RopeScaling.Kind} is not supported for Gemma (supported: default, linear)");
        var d = spec.Block;
        var gemma1 = spec.ModelType == Gemma;
        var expected = DesignFor(spec.ModelType, spec.HiddenSize) with
        {
            AttentionScale = d.AttentionScale,
            AttentionSoftcap = d.AttentionSoftcap,
            FinalSoftcap = d.FinalSoftcap,
            LayerWindows = d.LayerWindows,
            LocalRopeTheta = d.LocalRopeTheta,
        };
        var variantsFit = gemma1
            ? d is { AttentionScale: null, AttentionSoftcap: null, FinalSoftcap: null, LayerWindows: null, LocalRopeTheta: null }
            : d.AttentionScale is not null && (spec.ModelType == Gemma3) == (d.LocalRopeTheta is not null);
        if (d != expected || !variantsFit)
            return ("model_type", $"the spec's block design is not one {spec.ModelType} computes (build it with GemmaFamily.DesignFor)");
        if (d.AttentionScale is { } scale && !(scale > 0 && double.IsFinite(scale)))
            return ("query_pre_attn_scalar", "must be positive");
        if (d.AttentionSoftcap is { } attentionCap && !(attentionCap > 0))
            return ("attn_logit_softcapping", "must be positive or null");
        if (d.FinalSoftcap is { } finalCap && !(finalCap > 0))
            return ("final_logit_softcapping", "must be positive or null");
        if (d.LocalRopeTheta is { } local && !(local > 1))
            return ("rope_local_base_freq", "must exceed 1");
        if (d.LayerWindows is { } windows)
        {
            if (windows.Count != spec.NumLayers)
                return ("layer_types", $"has {windows.Count} entries for num_hidden_layers {spec.NumLayers}");
            if (windows.FirstOrDefault(w => w is <= 0) is { } bad)
                return ("sliding_window", $"must be positive, is {bad}");
            if (windows.Where(w => w is not null).Distinct().Count() > 1)
                return ("sliding_window", "config.json has one window for every sliding layer");
        }
        return null;
    }

    /// <inheritdoc/>
    public string DescribeSizes(ModelSpec spec) => FamilyConventions.AttentionSizes(spec);
}
