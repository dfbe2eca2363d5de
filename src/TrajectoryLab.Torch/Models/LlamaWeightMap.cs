// The one mapping between Hugging Face Llama/Mistral/Qwen2 tensor names and the canonical parameter names.
// HF linear weights are [out, in]; canonical weights are [in, out], so those are transposed on load and save. q/k/v_proj
// fill column ranges of the one W_QKV, gate/up_proj those of W_gate_in.
namespace TrajectoryLab.Torch.Models;

/// <summary>Hugging Face ↔ canonical names for a <see cref="ModelSpec"/>.</summary>
internal static class LlamaWeightMap
{
    /// <summary>HF tensors that carry no weights of their own and are skipped when present.</summary>
    /// <remarks>Old checkpoints store rotary inverse frequencies; tied checkpoints may repeat the embedding as lm_head.</remarks>
    public static bool IsIgnorable(string hfName, ModelSpec spec) =>
        hfName.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal) || (spec.TieWordEmbeddings && hfName == "lm_head.weight");

    /// <summary>Every parameter of a model built from <paramref name="spec"/>.</summary>
    public static IReadOnlyList<WeightMapping> For(ModelSpec spec)
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
            map.Add(M("input_layernorm.weight", ParameterNames.Ln1W, false));
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
            map.Add(M("post_attention_layernorm.weight", ParameterNames.Ln2W, false));
            map.Add(M("mlp.gate_proj.weight", ParameterNames.WGateIn, true, 0, mlp));
            map.Add(M("mlp.up_proj.weight", ParameterNames.WGateIn, true, mlp, mlp));
            map.Add(M("mlp.down_proj.weight", ParameterNames.WOut, true));
        }
        map.Add(new("model.norm.weight", ParameterNames.FinalNormW, false));
        if (!spec.TieWordEmbeddings)
            map.Add(new("lm_head.weight", ParameterNames.UnembedW, true));
        return map;
    }
}
