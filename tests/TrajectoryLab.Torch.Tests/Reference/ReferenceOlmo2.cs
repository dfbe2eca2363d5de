// An independent, deliberately plain OLMo 2 forward pass in double precision (no TorchSharp, no production module),
// read by Hugging Face tensor name in the HF layout (nn.Linear weights [out, in]), written from the equations of
// OLMo et al. 2024 (arXiv:2501.00656) as transformers' modeling_olmo2.py lays them out: no input norm; the RMSNorms
// post_attention_layernorm and post_feedforward_layernorm on the sublayer outputs before they join the residual
// stream, h = x + N₁(attn(x)), out = h + N₂(mlp(h)); RMSNorm over the whole query projection (n_heads·d_head) and key
// projection (n_kv_heads·d_head) before the rotation; causal grouped-query attention; SwiGLU; final norm; untied head.
using TrajectoryLab.Torch.Models;
using static TrajectoryLab.Torch.Tests.Reference.ReferenceQwen3;

namespace TrajectoryLab.Torch.Tests.Reference;

/// <summary>Reference forward of one sequence; weights by Hugging Face name, row-major in the HF layout.</summary>
internal sealed class ReferenceOlmo2(ModelSpec spec, IReadOnlyDictionary<string, double[]> hf)
{
    private readonly int _d = spec.HiddenSize;
    private readonly int _hd = spec.HeadDim;

    /// <summary>Logits [pos][vocab] for <paramref name="tokens"/> from position 0; activations by hook name into
    /// <paramref name="hooks"/> when given (row-major flattening of [pos, ...] or [heads, pos, pos]).</summary>
    public double[][] Forward(int[] tokens, Dictionary<string, double[]>? hooks = null)
    {
        var eps = spec.RmsNormEps;
        var embedding = hf["model.embed_tokens.weight"]; // [vocab, d_model]
        var x = tokens.Select(t => embedding.AsSpan(t * _d, _d).ToArray()).ToArray(); // [pos][d_model]
        Record(hooks, HookNames.Embed, x);
        for (var l = 0; l < spec.NumLayers; l++)
        {
            string H(string leaf) => $"model.layers.{l}.{leaf}";
            Record(hooks, HookNames.ResidPre(l), x);
            var attnRaw = AttentionOf(x, l, hooks); // the attention reads the residual stream itself
            Record(hooks, HookNames.Ln1PostNormalized(l), attnRaw.Select(r => Norm(r, null, eps)).ToArray());
            var attnOut = attnRaw.Select(r => Norm(r, hf[H("post_attention_layernorm.weight")], eps)).ToArray();
            Record(hooks, HookNames.AttnOut(l), attnOut);
            x = Add(x, attnOut);
            Record(hooks, HookNames.ResidMid(l), x);
            var post = new List<double[]>();
            var mlpRaw = x.Select(r => SwiGlu(hf, H("mlp."), r, spec.IntermediateSize, _d, post)).ToArray();
            Record(hooks, HookNames.MlpPost(l), [.. post]);
            Record(hooks, HookNames.Ln2PostNormalized(l), mlpRaw.Select(r => Norm(r, null, eps)).ToArray());
            var mlpOut = mlpRaw.Select(r => Norm(r, hf[H("post_feedforward_layernorm.weight")], eps)).ToArray();
            Record(hooks, HookNames.MlpOut(l), mlpOut);
            x = Add(x, mlpOut);
            Record(hooks, HookNames.ResidPost(l), x);
        }
        Record(hooks, HookNames.FinalNormalized, x.Select(r => Norm(r, null, eps)).ToArray());
        var final = x.Select(r => Norm(r, hf["model.norm.weight"], eps)).ToArray();
        var head = spec.TieWordEmbeddings ? embedding : hf["lm_head.weight"]; // [vocab, d_model] either way
        var logits = final.Select(r => Linear(r, head, spec.VocabSize, null)).ToArray();
        Record(hooks, HookNames.Logits, logits);
        return logits;
    }

    private double[][] AttentionOf(double[][] x, int l, Dictionary<string, double[]>? hooks)
    {
        string H(string leaf) => $"model.layers.{l}.self_attn.{leaf}";
        double[]? B(string leaf) => hf.TryGetValue(H(leaf), out var b) ? b : null;
        int heads = spec.NumHeads, kvHeads = spec.NumKvHeads;
        var q = x.Select(r => Linear(r, hf[H("q_proj.weight")], heads * _hd, B("q_proj.bias"))).ToArray(); // [pos][n_heads·d_head]
        var k = x.Select(r => Linear(r, hf[H("k_proj.weight")], kvHeads * _hd, B("k_proj.bias"))).ToArray(); // [pos][n_kv·d_head]
        var v = x.Select(r => Linear(r, hf[H("v_proj.weight")], kvHeads * _hd, B("v_proj.bias"))).ToArray();
        // RMSNorm over the whole projection (all heads together), the hooks before the weight: [pos, width].
        Record(hooks, HookNames.QNormalized(l), q.Select(r => Norm(r, null, spec.RmsNormEps)).ToArray());
        Record(hooks, HookNames.KNormalized(l), k.Select(r => Norm(r, null, spec.RmsNormEps)).ToArray());
        q = q.Select(r => Norm(r, hf[H("q_norm.weight")], spec.RmsNormEps)).ToArray();
        k = k.Select(r => Norm(r, hf[H("k_norm.weight")], spec.RmsNormEps)).ToArray();
        var freqs = InverseFrequencies(spec, _hd, x.Length);
        q = q.Select((r, p) => Rope(r, p, freqs, _hd)).ToArray();
        k = k.Select((r, p) => Rope(r, p, freqs, _hd)).ToArray();
        var z = Attend(q, k, v, heads, kvHeads, _hd, null, 1 / Math.Sqrt(_hd), hooks, HookNames.AttnPattern(l));
        return z.Select(r => Linear(r, hf[H("o_proj.weight")], _d, B("o_proj.bias"))).ToArray();
    }
}
