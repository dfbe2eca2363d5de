// An independent, deliberately plain Phi-3 forward pass in double precision (no TorchSharp, no production module),
// written from the equations (Abdin et al. 2024, arXiv:2404.14219; transformers' modeling_phi3.py) over the Hugging
// Face tensors as transformers stores them: nn.Linear weights [out, in]; self_attn.qkv_proj's rows are q (n_heads·d_head),
// then k, then v (n_kv_heads·d_head each); mlp.gate_up_proj's rows are the gate (d_mlp) then the up projection. RMSNorm,
// rotary embeddings on the first R = int(d_head · partial_rotary_factor) features (pairs i, i + R/2, frequencies
// base^(−2i/R)), grouped-query causal attention within the sliding window (the query at p sees keys p − W + 1 … p),
// SwiGLU, lm_head or the tied embed_tokens as the head. The oracle the TorchSharp model and its weight map are checked
// against.
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Torch.Tests.Reference;

/// <summary>Reference forward of one sequence; weights by Hugging Face name, row-major, in Hugging Face's layout.</summary>
internal sealed class ReferencePhi3(ModelSpec spec, IReadOnlyDictionary<string, double[]> hf)
{
    private readonly int _d = spec.HiddenSize;
    private readonly int _hd = spec.HeadDim;
    private readonly int _rotary = spec.Block.RotaryDims ?? spec.HeadDim;

    /// <summary>Logits [pos][vocab] for <paramref name="tokens"/> from position 0; activations by hook name into
    /// <paramref name="hooks"/> when given (row-major flattening of [pos, ...] or [heads, pos, pos]).</summary>
    public double[][] Forward(int[] tokens, Dictionary<string, double[]>? hooks = null)
    {
        var embedding = hf["model.embed_tokens.weight"]; // [vocab, d_model]
        var x = tokens.Select(t => embedding.AsSpan(t * _d, _d).ToArray()).ToArray(); // [pos][d_model]
        Record(hooks, HookNames.Embed, x);
        var m = spec.IntermediateSize;
        for (var l = 0; l < spec.NumLayers; l++)
        {
            string P(string leaf) => $"model.layers.{l}.{leaf}";
            Record(hooks, HookNames.ResidPre(l), x);
            Record(hooks, HookNames.Ln1Normalized(l), x.Select(r => Norm(r, null)).ToArray());
            var attnOut = AttentionOf(x.Select(r => Norm(r, hf[P("input_layernorm.weight")])).ToArray(), l, hooks);
            Record(hooks, HookNames.AttnOut(l), attnOut);
            x = Add(x, attnOut);
            Record(hooks, HookNames.ResidMid(l), x);
            Record(hooks, HookNames.Ln2Normalized(l), x.Select(r => Norm(r, null)).ToArray());
            var post = x.Select(r =>
            {
                var gateUp = Linear(Norm(r, hf[P("post_attention_layernorm.weight")]), hf[P("mlp.gate_up_proj.weight")]); // [gate | up]
                return Enumerable.Range(0, m).Select(i => gateUp[i] / (1 + Math.Exp(-gateUp[i])) * gateUp[m + i]).ToArray();
            }).ToArray(); // [pos][d_mlp]
            Record(hooks, HookNames.MlpPost(l), post);
            var mlpOut = post.Select(hidden => Linear(hidden, hf[P("mlp.down_proj.weight")])).ToArray();
            Record(hooks, HookNames.MlpOut(l), mlpOut);
            x = Add(x, mlpOut);
            Record(hooks, HookNames.ResidPost(l), x);
        }
        Record(hooks, HookNames.FinalNormalized, x.Select(r => Norm(r, null)).ToArray());
        var head = spec.TieWordEmbeddings ? embedding : hf["lm_head.weight"]; // [vocab, d_model] either way
        var logits = x.Select(r => Linear(Norm(r, hf["model.norm.weight"]), head)).ToArray();
        Record(hooks, HookNames.Logits, logits);
        return logits;
    }

    private double[][] AttentionOf(double[][] h, int l, Dictionary<string, double[]>? hooks)
    {
        int n = h.Length, heads = spec.NumHeads, kvHeads = spec.NumKvHeads;
        var fused = h.Select(r => Linear(r, hf[$"model.layers.{l}.self_attn.qkv_proj.weight"])).ToArray(); // [pos][q | k | v]
        double[] Head(int p, int offset, int head) => fused[p].AsSpan(offset + head * _hd, _hd).ToArray();
        var window = spec.SlidingWindow ?? int.MaxValue;

        var pattern = new double[heads * n * n];
        var z = Enumerable.Range(0, n).Select(_ => new double[heads * _hd]).ToArray();
        for (var head = 0; head < heads; head++)
        {
            var kvHead = head / (heads / kvHeads);
            var q = Enumerable.Range(0, n).Select(p => Rope(Head(p, 0, head), p)).ToArray();
            var k = Enumerable.Range(0, n).Select(p => Rope(Head(p, heads * _hd, kvHead), p)).ToArray();
            var v = Enumerable.Range(0, n).Select(p => Head(p, (heads + kvHeads) * _hd, kvHead)).ToArray();
            for (var i = 0; i < n; i++)
            {
                var first = Math.Max(0, i - window + 1); // the oldest key in the window
                var scores = new double[i + 1 - first];
                for (var j = first; j <= i; j++) scores[j - first] = Dot(q[i], k[j]) / Math.Sqrt(_hd);
                var max = scores.Max();
                var exp = scores.Select(s => Math.Exp(s - max)).ToArray();
                var sum = exp.Sum();
                for (var j = first; j <= i; j++)
                {
                    var a = exp[j - first] / sum;
                    pattern[(head * n + i) * n + j] = a;
                    for (var e = 0; e < _hd; e++) z[i][head * _hd + e] += a * v[j][e];
                }
            }
        }
        if (hooks is not null) hooks[HookNames.AttnPattern(l)] = pattern;
        return z.Select(r => Linear(r, hf[$"model.layers.{l}.self_attn.o_proj.weight"])).ToArray();
    }

    /// <summary>Rotates pairs (i, i + R/2), i &lt; R/2, of one head at position <paramref name="p"/> by p·base^(−2i/R);
    /// features from R on pass unchanged.</summary>
    private double[] Rope(double[] head, int p)
    {
        var half = _rotary / 2;
        var result = (double[])head.Clone();
        for (var i = 0; i < half; i++)
        {
            double a = head[i], b = head[half + i], angle = p / Math.Pow(spec.RopeTheta, 2.0 * i / _rotary);
            result[i] = a * Math.Cos(angle) - b * Math.Sin(angle);
            result[half + i] = b * Math.Cos(angle) + a * Math.Sin(angle);
        }
        return result;
    }

    /// <summary>w ⊙ x / rms(x), or x / rms(x) without a weight.</summary>
    private double[] Norm(double[] x, double[]? w)
    {
        var rms = Math.Sqrt(x.Sum(e => e * e) / x.Length + spec.RmsNormEps);
        return x.Select((e, i) => e / rms * (w is null ? 1 : w[i])).ToArray();
    }

    /// <summary>nn.Linear without bias: y = W x with W stored [out, in].</summary>
    private static double[] Linear(double[] x, double[] w)
    {
        var y = new double[w.Length / x.Length];
        for (var o = 0; o < y.Length; o++)
            for (var i = 0; i < x.Length; i++) y[o] += w[o * x.Length + i] * x[i];
        return y;
    }

    private static double Dot(double[] a, double[] b)
    {
        var s = 0.0;
        for (var i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static double[][] Add(double[][] a, double[][] b) => a.Select((r, p) => r.Select((e, i) => e + b[p][i]).ToArray()).ToArray();

    private static void Record(Dictionary<string, double[]>? hooks, string name, double[][] rows)
    {
        if (hooks is not null) hooks[name] = rows.SelectMany(r => r).ToArray();
    }
}
