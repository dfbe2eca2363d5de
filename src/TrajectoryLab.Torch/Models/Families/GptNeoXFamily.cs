// GPT-NeoX (Black et al. 2022, arXiv:2204.06745; Pythia, Biderman et al. 2023, arXiv:2304.01373) as transformers'
// GPTNeoXConfig and modeling_gpt_neox.py define it: LayerNorm with bias, rotary embeddings on the first
// int(d_head · rotary_pct) features of each head (half-split pairs), the parallel residual x + attn(ln1 x) + mlp(ln2 x)
// when use_parallel_residual (else the sequential pre-norm block), exact GELU, biases on every projection
// (attention_bias for the attention's), an untied embed_out head unless tie_word_embeddings.
// The fused attention.query_key_value keeps its output rows interleaved per head, [q_h, k_h, v_h] for each head h
// (it is viewed as [..., n_heads, 3·d_head]); loading reorders them into the canonical W_Q | W_K | W_V and saving back.
using System.Globalization;
using System.Text.Json;
using TrajectoryLab.Torch.Checkpoints;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Models.Families;

/// <summary>gpt_neox.</summary>
internal sealed class GptNeoXFamily : IModelFamily
{
    /// <summary>The design every gpt_neox block has, up to its activation, residual layout and rotary width.</summary>
    private static readonly BlockDesign Base = new()
    {
        Norm = NormKind.Layer,
        Mlp = MlpKind.GeluExact,
        MlpBias = true,
        Residual = ResidualLayout.Parallel,
    };

    /// <inheritdoc/>
    public IReadOnlyList<string> ModelTypes { get; } = ["gpt_neox"];

    /// <inheritdoc/>
    /// <remarks>Pythia's design: the parallel residual, exact GELU, biases everywhere, rotary embeddings on the first quarter
    /// of each head (rotary_pct 0.25, rounded down to an even count), θ 10000, one key/value head per query head.</remarks>
    public ModelSpec Shaped(string modelType, ModelSizes sizes)
    {
        var s = sizes;
        var rotary = s.RotaryDims(0.25);
        return new ModelSpec(
            ModelType: modelType,
            VocabSize: s.VocabSize,
            HiddenSize: s.Dim,
            IntermediateSize: s.Hidden,
            NumLayers: s.Layers,
            NumHeads: s.Heads,
            NumKvHeads: s.Heads,
            HeadDim: s.HeadDim,
            RmsNormEps: 1e-5,
            RopeTheta: 10_000,
            RopeScaling: null,
            TieWordEmbeddings: s.Tied,
            QkvBias: true,
            OutputBias: true,
            MaxPositionEmbeddings: s.Context,
            Design: Base with
            {
                RotaryDims = rotary == s.HeadDim ? null : rotary,
            }
        );
    }

    /// <inheritdoc/>
    /// <remarks>GPTNeoXConfig's defaults: hidden_act gelu, rotary_pct 0.25, rotary_emb_base 10000, layer_norm_eps 1e-5,
    /// use_parallel_residual and attention_bias true, untied head, max_position_embeddings 2048. New transformers
    /// versions keep the rotary keys in rope_parameters (rope_theta, partial_rotary_factor), which win when present.</remarks>
    public ModelSpec Read(ConfigKeys c, string modelType)
    {
        var activation = c.String("hidden_act") ?? "gelu";
        var mlp = activation switch
        {
            "gelu" => MlpKind.GeluExact,
            "gelu_new" or "gelu_fast" or "gelu_pytorch_tanh" => MlpKind.GeluTanh,
            _ => throw c.Error(
                "hidden_act",
                $"'{activation}' is not supported (supported: gelu, and its tanh approximations gelu_new, gelu_fast, gelu_pytorch_tanh)"
            ),
        };
        var hidden = c.Int("hidden_size") ?? throw c.Error("hidden_size", "is required");
        var heads = c.Int("num_attention_heads") ?? throw c.Error("num_attention_heads", "is required");
        if (heads <= 0 || hidden % heads != 0)
            throw c.Error("num_attention_heads", $"{heads} does not divide hidden_size {hidden}");
        var headDim = hidden / heads;

        var rope = RopeKeys.Block(c);
        var theta = rope?.Double("rope_theta") ?? Agreeing(c, "rotary_emb_base", "rope_theta") ?? 10000.0;
        var (factorKeys, factorKey) = (c, c.Has("rotary_pct") ? "rotary_pct" : "partial_rotary_factor"); // named in errors
        if (rope is not null && rope.Has("partial_rotary_factor"))
            (factorKeys, factorKey) = (rope, "partial_rotary_factor");
        var factor = rope?.Double("partial_rotary_factor") ?? Agreeing(c, "rotary_pct", "partial_rotary_factor") ?? 0.25;
        var rotaryDims = RopeKeys.RotaryDims(factorKeys, factorKey, factor, headDim);
        var attentionBias = c.Bool("attention_bias") ?? true;

        return new ModelSpec(
            ModelType: modelType,
            VocabSize: c.Int("vocab_size") ?? throw c.Error("vocab_size", "is required"),
            HiddenSize: hidden,
            IntermediateSize: c.Int("intermediate_size") ?? throw c.Error("intermediate_size", "is required"),
            NumLayers: c.Int("num_hidden_layers") ?? throw c.Error("num_hidden_layers", "is required"),
            NumHeads: heads,
            NumKvHeads: heads,
            HeadDim: headDim,
            RmsNormEps: c.Double("layer_norm_eps") ?? 1e-5,
            RopeTheta: theta,
            RopeScaling: ReadScaling(rope),
            TieWordEmbeddings: c.Bool("tie_word_embeddings") ?? false,
            QkvBias: attentionBias,
            OutputBias: attentionBias,
            MaxPositionEmbeddings: c.Int("max_position_embeddings") ?? 2048,
            TorchDType: c.String("torch_dtype") ?? c.String("dtype"),
            BosTokenId: c.Int("bos_token_id"),
            EosTokenIds: c.IntList("eos_token_id"),
            Design: Base with
            {
                Mlp = mlp,
                Residual = (c.Bool("use_parallel_residual") ?? true) ? ResidualLayout.Parallel : ResidualLayout.PreNorm,
                RotaryDims = rotaryDims == headDim ? null : rotaryDims,
            }
        );
    }

    /// <summary>The value of <paramref name="key"/>, or of its other name <paramref name="alias"/>; refused when both are
    /// given and differ.</summary>
    private static double? Agreeing(ConfigKeys c, string key, string alias)
    {
        var (value, other) = (c.Double(key), c.Double(alias));
        if (value is { } v && other is { } o && v != o)
            throw c.Error(alias, string.Create(CultureInfo.InvariantCulture, $"{o} disagrees with {key} {v}"));
        return value ?? other;
    }

    /// <summary>The rope block's scaling: none, linear or dynamic (the types GPT-NeoX's rotary embedding has).</summary>
    private static RopeScaling? ReadScaling(ConfigKeys? rope)
    {
        var type = RopeKeys.Type(rope);
        RopeScalingKind? kind = type switch
        {
            "default" => null,
            "linear" => RopeScalingKind.Linear,
            "dynamic" => RopeScalingKind.Dynamic,
            _ => throw rope!.Error(RopeKeys.TypeKey(rope), $"'{type}' is not supported (supported: default, linear, dynamic)"),
        };
        if (kind is not { } k)
            return null;
        return new RopeScaling(
            k,
            rope!.Double("factor") ?? throw rope.Error("factor", "is required"),
            OriginalMaxPositionEmbeddings: rope.Int("original_max_position_embeddings")
        );
    }

    /// <inheritdoc/>
    /// <remarks>The rotary keys are written under their original names (rotary_pct, rotary_emb_base), which every
    /// transformers version reads; rotary_pct is always written, as its default is 0.25.</remarks>
    public void Write(Utf8JsonWriter json, ModelSpec spec)
    {
        var design = spec.Block;
        FamilyConventions.WriteHead(json, "GPTNeoXForCausalLM", spec);
        json.WriteString("hidden_act", design.Mlp == MlpKind.GeluExact ? "gelu" : "gelu_new");
        json.WriteNumber("rotary_pct", RopeKeys.Factor(design.RotaryDims ?? spec.HeadDim, spec.HeadDim));
        json.WriteNumber("rotary_emb_base", spec.RopeTheta);
        if (spec.RopeScaling is { } s)
        {
            var type = s.Kind == RopeScalingKind.Linear ? "linear" : "dynamic";
            json.WriteStartObject("rope_scaling");
            json.WriteString("type", type); // the key transformers before 4.45 read
            json.WriteString("rope_type", type);
            json.WriteNumber("factor", s.Factor);
            if (s.OriginalMaxPositionEmbeddings is { } original)
                json.WriteNumber("original_max_position_embeddings", original);
            json.WriteEndObject();
        }
        json.WriteNumber("layer_norm_eps", spec.RmsNormEps);
        json.WriteBoolean("use_parallel_residual", design.Residual == ResidualLayout.Parallel);
        json.WriteBoolean("attention_bias", spec.QkvBias);
        json.WriteBoolean("tie_word_embeddings", spec.TieWordEmbeddings);
        json.WriteNumber("max_position_embeddings", spec.MaxPositionEmbeddings);
    }

    /// <inheritdoc/>
    /// <remarks>nn.Linear weights are [out, in] and transposed; query_key_value's rows (and bias) are reordered from per-head
    /// [q_h, k_h, v_h] to the canonical [q | k | v]. A tied model keeps embed_in as the head's W_U (Embeddings.cs).</remarks>
    public IReadOnlyList<WeightMapping> Weights(ModelSpec spec, Func<string, bool>? present = null)
    {
        var map = new List<WeightMapping>
        {
            spec.TieWordEmbeddings
                ? new("gpt_neox.embed_in.weight", ParameterNames.UnembedW, true)
                : new("gpt_neox.embed_in.weight", ParameterNames.EmbedW, false),
        };
        var fromHf = Reorder(spec.NumHeads, toHf: false);
        var toHf = Reorder(spec.NumHeads, toHf: true);
        for (var l = 0; l < spec.NumLayers; l++)
        {
            var hf = $"gpt_neox.layers.{l}.";
            WeightMapping M(string hfLeaf, string leaf, bool transposed) => new(hf + hfLeaf, ParameterNames.Block(l, leaf), transposed);
            map.Add(M("input_layernorm.weight", ParameterNames.Ln1W, false));
            map.Add(M("input_layernorm.bias", ParameterNames.Ln1B, false));
            map.Add(M("attention.query_key_value.weight", ParameterNames.WQkv, true) with { FromHf = fromHf, ToHf = toHf });
            if (spec.QkvBias)
                map.Add(M("attention.query_key_value.bias", ParameterNames.BQkv, false) with { FromHf = fromHf, ToHf = toHf });
            map.Add(M("attention.dense.weight", ParameterNames.WO, true));
            if (spec.OutputBias)
                map.Add(M("attention.dense.bias", ParameterNames.BO, false));
            map.Add(M("post_attention_layernorm.weight", ParameterNames.Ln2W, false));
            map.Add(M("post_attention_layernorm.bias", ParameterNames.Ln2B, false));
            map.Add(M("mlp.dense_h_to_4h.weight", ParameterNames.WIn, true));
            map.Add(M("mlp.dense_h_to_4h.bias", ParameterNames.BIn, false));
            map.Add(M("mlp.dense_4h_to_h.weight", ParameterNames.WOut, true));
            map.Add(M("mlp.dense_4h_to_h.bias", ParameterNames.BOut, false));
        }
        map.Add(new("gpt_neox.final_layer_norm.weight", ParameterNames.FinalNormW, false));
        map.Add(new("gpt_neox.final_layer_norm.bias", ParameterNames.FinalNormB, false));
        if (!spec.TieWordEmbeddings)
            map.Add(new("embed_out.weight", ParameterNames.UnembedW, true));
        return map;
    }

    /// <summary>Reorders the rows (first dimension) of query_key_value's weight [3·d_model, d_model] or bias [3·d_model]:
    /// from per head [q_h, k_h, v_h] to [q_0 … q_{n−1} | k_0 … | v_0 …] when loading, and back when saving.</summary>
    private static Func<Tensor, Tensor> Reorder(int heads, bool toHf) =>
        t =>
        {
            var shape = t.shape; // [3·d_model] or [3·d_model, d_model]
            var headDim = shape[0] / (3L * heads);
            long[] split = toHf ? [3, heads, headDim, .. shape[1..]] : [heads, 3, headDim, .. shape[1..]];
            return t.reshape(split).transpose(0, 1).reshape(shape); // [3·d_model, ...]
        };

    /// <inheritdoc/>
    /// <remarks>Old checkpoints store the causal-mask buffers attention.bias and attention.masked_bias and the rotary inverse
    /// frequencies; a tied checkpoint may repeat the embedding as embed_out.</remarks>
    public bool IsIgnorable(string hfName, ModelSpec spec) =>
        hfName.EndsWith(".attention.bias", StringComparison.Ordinal)
        || hfName.EndsWith(".attention.masked_bias", StringComparison.Ordinal)
        || hfName.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal)
        || (spec.TieWordEmbeddings && hfName == "embed_out.weight");

    /// <inheritdoc/>
    public (string Key, string Problem)? FindProblem(ModelSpec spec)
    {
        if (
            FamilyConventions.NonPositive(
                ("vocab_size", spec.VocabSize),
                ("hidden_size", spec.HiddenSize),
                ("intermediate_size", spec.IntermediateSize),
                ("num_hidden_layers", spec.NumLayers),
                ("num_attention_heads", spec.NumHeads),
                ("max_position_embeddings", spec.MaxPositionEmbeddings)
            ) is
            { } size
        )
            return size;
        if (spec.NumKvHeads != spec.NumHeads || (long)spec.NumHeads * spec.HeadDim != spec.HiddenSize)
            return (
                "num_attention_heads",
                $"{spec.NumHeads} heads must split hidden_size {spec.HiddenSize} evenly, each head with its own keys and values"
            );
        var design = spec.Block;
        if (
            design.Mlp is not (MlpKind.GeluExact or MlpKind.GeluTanh)
            || design.Residual is not (ResidualLayout.Parallel or ResidualLayout.PreNorm)
            || design with { Mlp = Base.Mlp, Residual = Base.Residual, RotaryDims = null } != Base
        )
            return (
                "model_type",
                "gpt_neox blocks have LayerNorm with bias, a GELU MLP with biases, a parallel or sequential residual and "
                    + "rotary positions (the spec's design differs)"
            );
        if (!(spec.RmsNormEps > 0))
            return ("layer_norm_eps", "must be positive");
        if (!(spec.RopeTheta > 1))
            return ("rotary_emb_base", "must exceed 1");
        if (FamilyConventions.RotaryDimsProblem(spec, "rotary_pct") is { } rotary)
            return rotary;
        if (spec.RopeScaling is { } s)
        {
            if (s.Kind is not (RopeScalingKind.Linear or RopeScalingKind.Dynamic))
                return ("rope_scaling", $"{s.Kind} scaling is not supported for gpt_neox (supported: linear, dynamic)");
            if (!(s.Factor > 0))
                return ("rope_scaling.factor", "must be positive");
        }
        if (spec.QkvBias != spec.OutputBias)
            return ("attention_bias", "sets the biases of query_key_value and dense together");
        if (spec.SlidingWindow is not null)
            return ("sliding_window", "gpt_neox attends to every earlier position");
        return null;
    }

    /// <inheritdoc/>
    public string DescribeSizes(ModelSpec spec) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"vocab_size {spec.VocabSize}, hidden_size {spec.HiddenSize}, intermediate_size {spec.IntermediateSize}, "
                + $"num_attention_heads {spec.NumHeads}"
        );
}
