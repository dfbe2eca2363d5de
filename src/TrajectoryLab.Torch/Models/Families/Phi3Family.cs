// Phi-3 (Abdin et al. 2024, arXiv:2404.14219) as transformers' Phi3Config and modeling_phi3.py define it: a Llama
// block (pre-norm RMSNorm, SwiGLU, grouped-query attention without biases) whose projections are fused in the
// checkpoint — self_attn.qkv_proj holds rows [q; k; v] (the canonical W_QKV once transposed) and mlp.gate_up_proj rows
// [gate; up] (the canonical W_gate_in) — with rotary embeddings on the first int(d_head · partial_rotary_factor)
// features (Phi-4-mini) and an optional sliding window. The window is used as transformers' Phi-3 (Mistral's mask,
// masking_utils.sliding_window_overlay) uses it: the query at position p sees keys p − W + 1 … p, W = sliding_window as
// config.json gives it (Phi-3-mini-4k's 2047 means 2047 positions). Only unscaled rotary embeddings are computed.
using System.Text.Json;
using TrajectoryLab.Torch.Checkpoints;

namespace TrajectoryLab.Torch.Models.Families;

/// <summary>phi3.</summary>
internal sealed class Phi3Family : IModelFamily
{
    /// <inheritdoc/>
    public IReadOnlyList<string> ModelTypes { get; } = ["phi3"];

    /// <inheritdoc/>
    /// <remarks>A Llama block (fused q/k/v and gate/up in the checkpoint) with Phi-3-mini-4k's sliding window (2047 of a
    /// 4096 context: the sizes' window, or half the context less one) and Phi-4-mini's partial rotary factor 0.75
    /// (rounded down to an even count).</remarks>
    public ModelSpec Shaped(string modelType, ModelSizes sizes)
    {
        var s = sizes;
        var rotary = s.RotaryDims(0.75);
        return s.Llama() with
        {
            ModelType = modelType,
            SlidingWindow = s.Window ?? Math.Max(1, s.Context / 2 - 1),
            Design = BlockDesign.Llama with { RotaryDims = rotary == s.HeadDim ? null : rotary },
        };
    }

    /// <inheritdoc/>
    /// <remarks>Phi3Config's defaults: hidden_act silu, rms_norm_eps 1e-5, rope_theta 10000, partial_rotary_factor 1,
    /// num_key_value_heads = num_attention_heads, head_dim = hidden_size / num_attention_heads, untied head, no window,
    /// max_position_embeddings 4096. Dropouts (resid_pdrop, embd_pdrop, attention_dropout) do not act at inference.</remarks>
    public ModelSpec Read(ConfigKeys c, string modelType)
    {
        var activation = c.String("hidden_act") ?? "silu";
        if (activation != "silu")
            throw c.Error("hidden_act", $"'{activation}' is not supported (only silu)");
        var rope = RopeKeys.Block(c);
        var type = RopeKeys.Type(rope);
        if (type != "default")
            throw rope!.Error(
                RopeKeys.TypeKey(rope),
                $"'{type}' is not supported (only unscaled rotary embeddings: no rope_scaling, or rope_type default)"
            );

        var hidden = c.Int("hidden_size") ?? throw c.Error("hidden_size", "is required");
        var heads = c.Int("num_attention_heads") ?? throw c.Error("num_attention_heads", "is required");
        var headDim = c.Int("head_dim")
            ?? (
                heads > 0 && hidden % heads == 0
                    ? hidden / heads
                    : throw c.Error("num_attention_heads", $"{heads} does not divide hidden_size {hidden} and there is no head_dim")
            );
        var (factorKeys, factorKey) = (c, "partial_rotary_factor");
        if (rope is not null && rope.Has("partial_rotary_factor"))
            factorKeys = rope;
        var rotaryDims = RopeKeys.RotaryDims(factorKeys, factorKey, factorKeys.Double(factorKey) ?? 1.0, headDim);

        return new ModelSpec(
            ModelType: modelType,
            VocabSize: c.Int("vocab_size") ?? throw c.Error("vocab_size", "is required"),
            HiddenSize: hidden,
            IntermediateSize: c.Int("intermediate_size") ?? throw c.Error("intermediate_size", "is required"),
            NumLayers: c.Int("num_hidden_layers") ?? throw c.Error("num_hidden_layers", "is required"),
            NumHeads: heads,
            NumKvHeads: c.Int("num_key_value_heads") ?? heads,
            HeadDim: headDim,
            RmsNormEps: c.Double("rms_norm_eps") ?? 1e-5,
            RopeTheta: rope?.Double("rope_theta") ?? c.Double("rope_theta") ?? 10000.0,
            RopeScaling: null,
            TieWordEmbeddings: c.Bool("tie_word_embeddings") ?? false,
            QkvBias: false,
            OutputBias: false,
            MaxPositionEmbeddings: c.Int("max_position_embeddings") ?? 4096,
            TorchDType: c.String("torch_dtype") ?? c.String("dtype"),
            BosTokenId: c.Int("bos_token_id"),
            EosTokenIds: c.IntList("eos_token_id"),
            SlidingWindow: c.Int("sliding_window"),
            Design: BlockDesign.Llama with
            {
                RotaryDims = rotaryDims == headDim ? null : rotaryDims,
            }
        );
    }

    /// <inheritdoc/>
    /// <remarks>head_dim is written only when it is not hidden_size / num_attention_heads (Phi3Config has no such key;
    /// the model reads it when present), partial_rotary_factor only when some features do not rotate.</remarks>
    public void Write(Utf8JsonWriter json, ModelSpec spec)
    {
        FamilyConventions.WriteHead(json, "Phi3ForCausalLM", spec);
        json.WriteNumber("num_key_value_heads", spec.NumKvHeads);
        if ((long)spec.NumHeads * spec.HeadDim != spec.HiddenSize)
            json.WriteNumber("head_dim", spec.HeadDim);
        json.WriteString("hidden_act", "silu");
        json.WriteNumber("rms_norm_eps", spec.RmsNormEps);
        json.WriteNumber("rope_theta", spec.RopeTheta);
        if (spec.Block.RotaryDims is { } dims)
            json.WriteNumber("partial_rotary_factor", RopeKeys.Factor(dims, spec.HeadDim));
        json.WriteBoolean("tie_word_embeddings", spec.TieWordEmbeddings);
        json.WriteNumber("max_position_embeddings", spec.MaxPositionEmbeddings);
        if (spec.SlidingWindow is { } window)
            json.WriteNumber("sliding_window", window);
    }

    /// <inheritdoc/>
    /// <remarks>nn.Linear weights are [out, in], so each is transposed; qkv_proj's rows [q; k; v] and gate_up_proj's rows
    /// [gate; up] are then the canonical column blocks as they are. A tied model keeps embed_tokens as the head's W_U.</remarks>
    public IReadOnlyList<WeightMapping> Weights(ModelSpec spec, Func<string, bool>? present = null)
    {
        var map = new List<WeightMapping>
        {
            spec.TieWordEmbeddings
                ? new("model.embed_tokens.weight", ParameterNames.UnembedW, true)
                : new("model.embed_tokens.weight", ParameterNames.EmbedW, false),
        };
        for (var l = 0; l < spec.NumLayers; l++)
        {
            var hf = $"model.layers.{l}.";
            WeightMapping M(string hfLeaf, string leaf, bool transposed) => new(hf + hfLeaf, ParameterNames.Block(l, leaf), transposed);
            map.Add(M("input_layernorm.weight", ParameterNames.Ln1W, false));
            map.Add(M("self_attn.qkv_proj.weight", ParameterNames.WQkv, true));
            map.Add(M("self_attn.o_proj.weight", ParameterNames.WO, true));
            map.Add(M("post_attention_layernorm.weight", ParameterNames.Ln2W, false));
            map.Add(M("mlp.gate_up_proj.weight", ParameterNames.WGateIn, true));
            map.Add(M("mlp.down_proj.weight", ParameterNames.WOut, true));
        }
        map.Add(new("model.norm.weight", ParameterNames.FinalNormW, false));
        if (!spec.TieWordEmbeddings)
            map.Add(new("lm_head.weight", ParameterNames.UnembedW, true));
        return map;
    }

    /// <inheritdoc/>
    public bool IsIgnorable(string hfName, ModelSpec spec) => FamilyConventions.IsRotaryBufferOrTiedHead(hfName, spec);

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
                ("num_key_value_heads", spec.NumKvHeads),
                ("head_dim", spec.HeadDim),
                ("max_position_embeddings", spec.MaxPositionEmbeddings)
            ) is
            { } size
        )
            return size;
        if (spec.NumHeads % spec.NumKvHeads != 0)
            return ("num_key_value_heads", $"{spec.NumKvHeads} does not divide num_attention_heads {spec.NumHeads}");
        if (spec.Block with { RotaryDims = null } != BlockDesign.Llama)
            return ("model_type", "phi3 blocks are Llama blocks (RMSNorm, SwiGLU, pre-norm, rotary positions); the spec's design differs");
        if (!(spec.RmsNormEps > 0))
            return ("rms_norm_eps", "must be positive");
        if (!(spec.RopeTheta > 1))
            return ("rope_theta", "must exceed 1");
        if (FamilyConventions.RotaryDimsProblem(spec, "partial_rotary_factor") is { } rotary)
            return rotary;
        if (spec.RopeScaling is not null)
            return ("rope_scaling", "is not supported for phi3 (only unscaled rotary embeddings)");
        if (spec.QkvBias || spec.OutputBias)
            return ("model_type", "phi3 projections have no biases");
        if (spec.SlidingWindow is <= 0)
            return ("sliding_window", $"must be positive, is {spec.SlidingWindow}");
        return null;
    }

    /// <inheritdoc/>
    public string DescribeSizes(ModelSpec spec) => FamilyConventions.AttentionSizes(spec);
}
