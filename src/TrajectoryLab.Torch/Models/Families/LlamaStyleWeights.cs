// The Hugging Face tensor names the Llama-style families share (model.embed_tokens, model.layers.N.self_attn.q/k/v/o_proj,
// mlp.gate/up/down_proj, q_norm/k_norm, model.norm, lm_head) and their canonical parameters. HF linear weights are
// [out, in]; canonical ones are [in, out], so those are transposed; q/k/v_proj fill column ranges of the one W_QKV,
// gate/up_proj those of W_gate_in. Each family adds its own block norms. References: transformers'
// modeling_llama.py, modeling_gemma*.py, modeling_qwen3.py, modeling_olmo2.py (module names under *ForCausalLM).
namespace TrajectoryLab.Torch.Models.Families;

/// <summary>Weight-map pieces of the Llama-style families.</summary>
internal static class LlamaStyleWeights
{
    /// <summary>The block norms of a pre-norm block: input_layernorm (ln1) and post_attention_layernorm (ln2, before the
    /// MLP despite its name).</summary>
    public static IReadOnlyList<(string HfLeaf, string Leaf)> PreNorms { get; } =
    [("input_layernorm.weight", ParameterNames.Ln1W), ("post_attention_layernorm.weight", ParameterNames.Ln2W)];

    /// <summary>Every parameter of <paramref name="spec"/>: the embedding, per layer the block norms that
    /// <paramref name="blockNorms"/> names (HF leaf under model.layers.N, canonical leaf) followed by attention (with
    /// q_norm/k_norm when the design has them) and the gated MLP, then the final norm and an untied head.</summary>
    public static IReadOnlyList<WeightMapping> For(ModelSpec spec, IReadOnlyList<(string HfLeaf, string Leaf)> blockNorms)
    {
        // A tied model keeps its one matrix in the head's [in, out] layout (Embeddings.cs).
        var map = new List<WeightMapping>
        {
            spec.TieWordEmbeddings
                ? new("model.embed_tokens.weight", ParameterNames.UnembedW, true)
                : new("model.embed_tokens.weight", ParameterNames.EmbedW, false),
        };
        long q = (long)spec.NumHeads * spec.HeadDim,
            kv = (long)spec.NumKvHeads * spec.HeadDim,
            mlp = spec.IntermediateSize;
        for (var l = 0; l < spec.NumLayers; l++)
        {
            var hf = $"model.layers.{l}.";
            WeightMapping M(string hfLeaf, string leaf, bool transposed, long start = 0, long? columns = null) =>
                new(hf + hfLeaf, ParameterNames.Block(l, leaf), transposed, start, columns);
            foreach (var (hfLeaf, leaf) in blockNorms)
                map.Add(M(hfLeaf, leaf, false));
            map.Add(M("self_attn.q_proj.weight", ParameterNames.WQkv, true, 0, q));
            map.Add(M("self_attn.k_proj.weight", ParameterNames.WQkv, true, q, kv));
            map.Add(M("self_attn.v_proj.weight", ParameterNames.WQkv, true, q + kv, kv));
            if (spec.QkvBias)
            {
                map.Add(M("self_attn.q_proj.bias", ParameterNames.BQkv, false, 0, q));
                map.Add(M("self_attn.k_proj.bias", ParameterNames.BQkv, false, q, kv));
                map.Add(M("self_attn.v_proj.bias", ParameterNames.BQkv, false, q + kv, kv));
            }
            map.Add(M("self_attn.o_proj.weight", ParameterNames.WO, true));
            if (spec.OutputBias)
                map.Add(M("self_attn.o_proj.bias", ParameterNames.BO, false));
            if (spec.Block.QkNorm != QkNormKind.None)
            {
                map.Add(M("self_attn.q_norm.weight", ParameterNames.QNormW, false));
                map.Add(M("self_attn.k_norm.weight", ParameterNames.KNormW, false));
            }
            map.Add(M("mlp.gate_proj.weight", ParameterNames.WGateIn, true, 0, mlp));
            map.Add(M("mlp.up_proj.weight", ParameterNames.WGateIn, true, mlp, mlp));
            map.Add(M("mlp.down_proj.weight", ParameterNames.WOut, true));
        }
        map.Add(new("model.norm.weight", ParameterNames.FinalNormW, false));
        if (!spec.TieWordEmbeddings)
            map.Add(new("lm_head.weight", ParameterNames.UnembedW, true));
        return map;
    }

    /// <summary>The number-and-size problems every Llama-style spec can have (those of the Llama family), then windows
    /// that do not fit the layers, then <paramref name="design"/> disagreeing with the spec's (windows aside).</summary>
    public static (string Key, string Problem)? FindProblem(ModelSpec spec, BlockDesign design, string builder)
    {
        if (spec.FindLlamaProblem() is { } problem)
            return problem;
        if (spec.Block.LayerWindows is { } windows && windows.Count != spec.NumLayers)
            return ("layer_types", $"lists {windows.Count} layers, num_hidden_layers is {spec.NumLayers}");
        if (Enumerable.Range(0, spec.NumLayers).Any(l => spec.Block.WindowOf(spec, l) is <= 0))
            return ("sliding_window", "must be positive");
        if (spec.Block with { LayerWindows = null } != design)
            return ("model_type", $"a {spec.ModelType} spec needs the {spec.ModelType} block design (build it with {builder})");
        if (spec.QkvBias != spec.OutputBias)
            return ("attention_bias", "sets the biases of q, k, v and o together");
        return null;
    }
}
