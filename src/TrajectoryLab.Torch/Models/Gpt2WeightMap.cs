// The one mapping between Hugging Face GPT-2 tensor names and the canonical parameter names (Radford et al. 2019;
// transformers' modeling_gpt2.py). GPT-2's Conv1D stores weights [in, out], the canonical layout, so nothing is
// transposed except an untied lm_head; c_attn holds W_Q, W_K and W_V side by side ([d_model, 3·d_model]), as the canonical W_QKV does.
namespace TrajectoryLab.Torch.Models;

/// <summary>Hugging Face ↔ canonical names for a GPT-2 <see cref="ModelSpec"/>.</summary>
internal static class Gpt2WeightMap
{
    /// <summary>The prefix GPT2LMHeadModel.save_pretrained writes; checkpoints saved from the bare GPT2Model (the original
    /// openai-community/gpt2 among them) have none.</summary>
    public const string Prefix = "transformer.";

    /// <summary>HF tensors that carry no weights of their own and are skipped when present.</summary>
    /// <remarks>Old checkpoints store the causal-mask buffers attn.bias and attn.masked_bias; tied checkpoints may repeat
    /// the embedding as lm_head.</remarks>
    public static bool IsIgnorable(string hfName, ModelSpec spec) =>
        hfName.EndsWith(".attn.bias", StringComparison.Ordinal)
        || hfName.EndsWith(".attn.masked_bias", StringComparison.Ordinal)
        || (spec.TieWordEmbeddings && hfName == "lm_head.weight");

    /// <summary>Every parameter of a GPT-2 model built from <paramref name="spec"/>.</summary>
    /// <param name="spec">A GPT-2 spec.</param>
    /// <param name="present">When reading a checkpoint, which tensors it holds: without <c>transformer.wte.weight</c> but
    /// with <c>wte.weight</c>, the names carry no prefix. Null for the names save_pretrained writes.</param>
    public static IReadOnlyList<WeightMapping> For(ModelSpec spec, Func<string, bool>? present = null)
    {
        var prefix = present is not null && !present(Prefix + "wte.weight") && present("wte.weight") ? "" : Prefix;
        var map = new List<WeightMapping>
        {
            // A tied model keeps its one matrix in the head's [in, out] layout (Embeddings.cs).
            spec.TieWordEmbeddings
                ? new(prefix + "wte.weight", ParameterNames.UnembedW, true)
                : new(prefix + "wte.weight", ParameterNames.EmbedW, false),
            new(prefix + "wpe.weight", ParameterNames.PosEmbedW, false),
        };
        for (var l = 0; l < spec.NumLayers; l++)
        {
            var hf = $"{prefix}h.{l}.";
            WeightMapping M(string hfLeaf, string leaf) => new(hf + hfLeaf, ParameterNames.Block(l, leaf), false);
            map.Add(M("ln_1.weight", ParameterNames.Ln1W));
            map.Add(M("ln_1.bias", ParameterNames.Ln1B));
            map.Add(M("attn.c_attn.weight", ParameterNames.WQkv));
            map.Add(M("attn.c_attn.bias", ParameterNames.BQkv));
            map.Add(M("attn.c_proj.weight", ParameterNames.WO));
            map.Add(M("attn.c_proj.bias", ParameterNames.BO));
            map.Add(M("ln_2.weight", ParameterNames.Ln2W));
            map.Add(M("ln_2.bias", ParameterNames.Ln2B));
            map.Add(M("mlp.c_fc.weight", ParameterNames.WIn));
            map.Add(M("mlp.c_fc.bias", ParameterNames.BIn));
            map.Add(M("mlp.c_proj.weight", ParameterNames.WOut));
            map.Add(M("mlp.c_proj.bias", ParameterNames.BOut));
        }
        map.Add(new(prefix + "ln_f.weight", ParameterNames.FinalNormW, false));
        map.Add(new(prefix + "ln_f.bias", ParameterNames.FinalNormB, false));
        if (!spec.TieWordEmbeddings)
            map.Add(new("lm_head.weight", ParameterNames.UnembedW, true));
        return map;
    }
}
