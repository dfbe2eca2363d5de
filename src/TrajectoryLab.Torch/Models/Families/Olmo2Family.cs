// OLMo 2 (transformers' Olmo2Config, modeling_olmo2.py; OLMo et al. 2024, "2 OLMo 2 Furious", arXiv:2501.00656):
// a Llama-style decoder whose RMSNorms sit on the sublayer outputs instead of their inputs —
// h = x + post_attention_layernorm(attn(x)), out = h + post_feedforward_layernorm(mlp(h)), no input norm
// (ResidualLayout.PostNorm) — with RMSNorm over the whole query and key projections (n_heads·d_head and
// n_kv_heads·d_head features, QkNormKind.FullProjection) before the rotation, SwiGLU, a final norm and an untied head.
using System.Text.Json;
using TrajectoryLab.Torch.Checkpoints;

namespace TrajectoryLab.Torch.Models.Families;

/// <summary>olmo2.</summary>
internal sealed class Olmo2Family : IModelFamily
{
    /// <summary>OLMo 2's block design: norms on the sublayer outputs, q/k RMSNorm over the whole projections.</summary>
    public static BlockDesign Design { get; } =
        BlockDesign.Llama with
        {
            Residual = ResidualLayout.PostNorm,
            QkNorm = QkNormKind.FullProjection,
        };

    /// <inheritdoc/>
    public IReadOnlyList<string> ModelTypes { get; } = ["olmo2"];

    /// <inheritdoc/>
    /// <remarks>Norms after the sublayers only, q/k RMSNorm over the whole projections, θ 500000 and ε 1e-6 (OLMo 2's).</remarks>
    public ModelSpec Shaped(string modelType, ModelSizes sizes)
    {
        var s = sizes;
        return s.Llama() with { ModelType = modelType, RopeTheta = 500_000, RmsNormEps = 1e-6, Design = Design };
    }

    /// <inheritdoc/>
    public ModelSpec Read(ConfigKeys c, string modelType)
    {
        var activation = c.String("hidden_act") ?? "silu";
        if (activation != "silu")
            throw c.Error("hidden_act", $"'{activation}' is not supported (only silu)");
        var hidden = c.Int("hidden_size") ?? throw c.Error("hidden_size", "is required");
        var heads = c.Int("num_attention_heads") ?? throw c.Error("num_attention_heads", "is required");
        var attentionBias = c.Bool("attention_bias") ?? false;
        var (theta, scaling) = LlamaStyleKeys.ReadRope(c);
        return new ModelSpec(
            ModelType: modelType,
            VocabSize: c.Int("vocab_size") ?? throw c.Error("vocab_size", "is required"),
            HiddenSize: hidden,
            IntermediateSize: c.Int("intermediate_size") ?? throw c.Error("intermediate_size", "is required"),
            NumLayers: c.Int("num_hidden_layers") ?? throw c.Error("num_hidden_layers", "is required"),
            NumHeads: heads,
            NumKvHeads: LlamaStyleKeys.ReadKvHeads(c, heads, absentDefault: null),
            // Olmo2Config has no head_dim; modeling_olmo2 reads one when config.json carries it.
            HeadDim: c.Int("head_dim")
                ?? (
                    heads > 0 && hidden % heads == 0
                        ? hidden / heads
                        : throw c.Error("num_attention_heads", $"{heads} does not divide hidden_size {hidden} and there is no head_dim")
                ),
            RmsNormEps: c.Double("rms_norm_eps") ?? 1e-5,
            RopeTheta: theta,
            RopeScaling: scaling,
            TieWordEmbeddings: c.Bool("tie_word_embeddings") ?? false,
            QkvBias: attentionBias,
            OutputBias: attentionBias,
            MaxPositionEmbeddings: c.Int("max_position_embeddings") ?? 2048,
            TorchDType: c.String("torch_dtype") ?? c.String("dtype"),
            BosTokenId: c.Int("bos_token_id"),
            EosTokenIds: c.IntList("eos_token_id"),
            Design: Design
        );
    }

    /// <inheritdoc/>
    public void Write(Utf8JsonWriter json, ModelSpec spec)
    {
        FamilyConventions.WriteHead(json, "Olmo2ForCausalLM", spec);
        json.WriteNumber("num_key_value_heads", spec.NumKvHeads);
        if ((long)spec.NumHeads * spec.HeadDim != spec.HiddenSize)
            json.WriteNumber("head_dim", spec.HeadDim);
        json.WriteString("hidden_act", "silu");
        json.WriteNumber("rms_norm_eps", spec.RmsNormEps);
        LlamaStyleKeys.WriteRope(json, spec);
        json.WriteBoolean("tie_word_embeddings", spec.TieWordEmbeddings);
        json.WriteBoolean("attention_bias", spec.QkvBias);
        json.WriteNumber("max_position_embeddings", spec.MaxPositionEmbeddings);
    }

    /// <inheritdoc/>
    public IReadOnlyList<WeightMapping> Weights(ModelSpec spec, Func<string, bool>? present = null) =>
        LlamaStyleWeights.For(
            spec,
            [("post_attention_layernorm.weight", ParameterNames.Ln1PostW), ("post_feedforward_layernorm.weight", ParameterNames.Ln2PostW)]
        );

    /// <inheritdoc/>
    public bool IsIgnorable(string hfName, ModelSpec spec) => FamilyConventions.IsRotaryBufferOrTiedHead(hfName, spec);

    /// <inheritdoc/>
    public (string Key, string Problem)? FindProblem(ModelSpec spec) =>
        LlamaStyleWeights.FindProblem(spec, Design, "Olmo2Family.Design")
        ?? (
            Enumerable.Range(0, spec.NumLayers).Any(l => spec.Block.WindowOf(spec, l) is not null)
                ? ("sliding_window", "olmo2 has no sliding-window attention")
                : null
        );

    /// <inheritdoc/>
    public string DescribeSizes(ModelSpec spec) => FamilyConventions.AttentionSizes(spec);
}
