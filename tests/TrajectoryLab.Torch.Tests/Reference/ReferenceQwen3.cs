// An independent, deliberately plain forward pass in double precision (no TorchSharp, no production module) of the
// Llama-style decoders that name their tensors as transformers' LlamaForCausalLM does — Qwen3 (with its per-head q/k
// RMSNorm), and Llama, Mistral and Qwen2 (without) — read by Hugging Face tensor name in the HF layout (nn.Linear
// weights [out, in], q/k/v_proj separate), so that a mistake in the weight map shows. Written from the equations:
// RMSNorm (Zhang & Sennrich 2019), RoPE in the half-split layout with linear/dynamic/llama3 scaling (Su et al. 2021),
// RMSNorm of each query and key head before the rotation (Qwen3, transformers' modeling_qwen3.py), grouped-query
// causal attention where a sliding window W lets the query at i see key j when 0 ≤ i − j < W (Mistral, Jiang et al.
// 2023; transformers' masking_utils.sliding_window_overlay: kv_idx > q_idx − W), SwiGLU (Shazeer 2020).
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Torch.Tests.Reference;

/// <summary>Reference forward of one sequence; weights by Hugging Face name, row-major in the HF layout.</summary>
/// <param name="spec">Sizes, norm ε, rotary base and scaling, tied head.</param>
/// <param name="hf">Every tensor of the checkpoint by name.</param>
/// <param name="windows">Per layer the sliding window (null for global attention).</param>
internal sealed class ReferenceQwen3(ModelSpec spec, IReadOnlyDictionary<string, double[]> hf, int?[] windows)
{
    private readonly int _d = spec.HiddenSize;
    private readonly int _hd = spec.HeadDim;

    /// <summary>Logits [pos][vocab] for <paramref name="tokens"/> from position 0; activations by hook name into
    /// <paramref name="hooks"/> when given (row-major flattening of [pos, ...], [heads, pos, d_head] or [heads, pos, pos]).</summary>
    public double[][] Forward(int[] tokens, Dictionary<string, double[]>? hooks = null)
    {
        var embedding = hf["model.embed_tokens.weight"]; // [vocab, d_model]
        var x = tokens.Select(t => embedding.AsSpan(t * _d, _d).ToArray()).ToArray(); // [pos][d_model]
        Record(hooks, HookNames.Embed, x);
        for (var l = 0; l < spec.NumLayers; l++)
        {
            string H(string leaf) => $"model.layers.{l}.{leaf}";
            Record(hooks, HookNames.ResidPre(l), x);
            Record(hooks, HookNames.Ln1Normalized(l), x.Select(r => Norm(r, null, spec.RmsNormEps)).ToArray());
            var h = x.Select(r => Norm(r, hf[H("input_layernorm.weight")], spec.RmsNormEps)).ToArray();
            var attnOut = AttentionOf(h, l, hooks);
            Record(hooks, HookNames.AttnOut(l), attnOut);
            x = Add(x, attnOut);
            Record(hooks, HookNames.ResidMid(l), x);
            Record(hooks, HookNames.Ln2Normalized(l), x.Select(r => Norm(r, null, spec.RmsNormEps)).ToArray());
            h = x.Select(r => Norm(r, hf[H("post_attention_layernorm.weight")], spec.RmsNormEps)).ToArray();
            var post = new List<double[]>();
            var mlpOut = h.Select(r => SwiGlu(hf, H("mlp."), r, spec.IntermediateSize, _d, post)).ToArray();
            Record(hooks, HookNames.MlpPost(l), [.. post]);
            Record(hooks, HookNames.MlpOut(l), mlpOut);
            x = Add(x, mlpOut);
            Record(hooks, HookNames.ResidPost(l), x);
        }
        Record(hooks, HookNames.FinalNormalized, x.Select(r => Norm(r, null, spec.RmsNormEps)).ToArray());
        var final = x.Select(r => Norm(r, hf["model.norm.weight"], spec.RmsNormEps)).ToArray();
        var head = spec.TieWordEmbeddings ? embedding : hf["lm_head.weight"]; // [vocab, d_model] either way
        var logits = final.Select(r => Linear(r, head, spec.VocabSize, null)).ToArray();
        Record(hooks, HookNames.Logits, logits);
        return logits;
    }

    private double[][] AttentionOf(double[][] h, int l, Dictionary<string, double[]>? hooks)
    {
        string H(string leaf) => $"model.layers.{l}.self_attn.{leaf}";
        double[]? B(string leaf) => hf.TryGetValue(H(leaf), out var b) ? b : null;
        int heads = spec.NumHeads, kvHeads = spec.NumKvHeads;
        var q = h.Select(r => Linear(r, hf[H("q_proj.weight")], heads * _hd, B("q_proj.bias"))).ToArray(); // [pos][n_heads·d_head]
        var k = h.Select(r => Linear(r, hf[H("k_proj.weight")], kvHeads * _hd, B("k_proj.bias"))).ToArray();
        var v = h.Select(r => Linear(r, hf[H("v_proj.weight")], kvHeads * _hd, B("v_proj.bias"))).ToArray();
        if (hf.TryGetValue(H("q_norm.weight"), out var qNorm))
        {
            // Qwen3: RMSNorm over each head's d_head features; the hooks see [pos, heads, d_head] before the weight.
            if (hooks is not null)
            {
                hooks[HookNames.QNormalized(l)] = PerHead(q, heads, r => Norm(r, null, spec.RmsNormEps));
                hooks[HookNames.KNormalized(l)] = PerHead(k, kvHeads, r => Norm(r, null, spec.RmsNormEps));
            }
            q = q.Select(r => NormEachHead(r, qNorm)).ToArray();
            k = k.Select(r => NormEachHead(r, hf[H("k_norm.weight")])).ToArray();
        }
        var freqs = InverseFrequencies(spec, _hd, h.Length);
        q = q.Select((r, p) => Rope(r, p, freqs, _hd)).ToArray();
        k = k.Select((r, p) => Rope(r, p, freqs, _hd)).ToArray();
        var z = Attend(q, k, v, heads, kvHeads, _hd, windows[l], 1 / Math.Sqrt(_hd), hooks, HookNames.AttnPattern(l));
        return z.Select(r => Linear(r, hf[H("o_proj.weight")], _d, B("o_proj.bias"))).ToArray();
    }

    private double[] NormEachHead(double[] row, double[] w)
    {
        var result = new double[row.Length];
        for (var head = 0; head < row.Length / _hd; head++)
            Norm(row[(head * _hd)..((head + 1) * _hd)], w, spec.RmsNormEps).CopyTo(result, head * _hd);
        return result;
    }

    /// <summary>[pos, heads, d_head] flattening of f applied to each head's slice of rows [pos][heads·d_head].</summary>
    private double[] PerHead(double[][] rows, int heads, Func<double[], double[]> f) =>
        [.. rows.SelectMany(r => Enumerable.Range(0, heads).SelectMany(head => f(r[(head * _hd)..((head + 1) * _hd)])))];

    /// <summary>Causal grouped-query attention of rotated queries and keys: query head h reads key/value head
    /// h / (heads / kvHeads); with a window W the query at i sees the keys j with 0 ≤ i − j &lt; W. Records the pattern
    /// [heads, pos, pos] under <paramref name="patternHook"/>. Returns z [pos][heads·d_head].</summary>
    public static double[][] Attend(double[][] q, double[][] k, double[][] v, int heads, int kvHeads, int hd, int? window, double scale,
        Dictionary<string, double[]>? hooks, string patternHook)
    {
        var n = q.Length;
        var pattern = new double[heads * n * n];
        var z = Enumerable.Range(0, n).Select(_ => new double[heads * hd]).ToArray();
        for (var head = 0; head < heads; head++)
        {
            var kvHead = head / (heads / kvHeads);
            for (var i = 0; i < n; i++)
            {
                var first = window is { } w ? Math.Max(0, i - w + 1) : 0; // i − j < W
                var scores = new double[i + 1 - first];
                for (var j = first; j <= i; j++)
                {
                    var s = 0.0;
                    for (var e = 0; e < hd; e++) s += q[i][head * hd + e] * k[j][kvHead * hd + e];
                    scores[j - first] = s * scale;
                }
                var max = scores.Max();
                var exp = scores.Select(s => Math.Exp(s - max)).ToArray();
                var sum = exp.Sum();
                for (var j = first; j <= i; j++)
                {
                    var a = exp[j - first] / sum;
                    pattern[(head * n + i) * n + j] = a;
                    for (var e = 0; e < hd; e++) z[i][head * hd + e] += a * v[j][kvHead * hd + e];
                }
            }
        }
        if (hooks is not null) hooks[patternHook] = pattern;
        return z;
    }

    /// <summary>Rotary inverse frequencies for a pass of <paramref name="n"/> tokens, written out per scaling type.</summary>
    public static double[] InverseFrequencies(ModelSpec spec, int hd, int n)
    {
        var baseTheta = spec.RopeTheta;
        var s = spec.RopeScaling;
        if (s?.Kind == RopeScalingKind.Dynamic)
        {
            var original = s.OriginalMaxPositionEmbeddings ?? spec.MaxPositionEmbeddings;
            if (n > original)
                baseTheta *= Math.Pow(s.Factor * n / original - (s.Factor - 1), hd / (hd - 2.0));
        }
        var result = new double[hd / 2];
        for (var i = 0; i < hd / 2; i++)
        {
            var f = 1.0 / Math.Pow(baseTheta, 2.0 * i / hd);
            if (s?.Kind == RopeScalingKind.Linear) f /= s.Factor;
            if (s?.Kind == RopeScalingKind.Llama3)
            {
                var context = (double)s.OriginalMaxPositionEmbeddings!.Value;
                var wavelength = 2 * Math.PI / f;
                if (wavelength > context / s.LowFreqFactor) f /= s.Factor;
                else if (wavelength >= context / s.HighFreqFactor)
                {
                    var t = (context / wavelength - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                    f = (1 - t) * f / s.Factor + t * f;
                }
            }
            result[i] = f;
        }
        return result;
    }

    /// <summary>Rotates pairs (i, i + d_head/2) of every head of a row at position <paramref name="p"/>.</summary>
    public static double[] Rope(double[] row, int p, double[] freqs, int hd)
    {
        var half = hd / 2;
        var result = (double[])row.Clone();
        for (var head = 0; head < row.Length / hd; head++)
            for (var i = 0; i < half; i++)
            {
                double a = row[head * hd + i], b = row[head * hd + half + i], angle = p * freqs[i];
                result[head * hd + i] = a * Math.Cos(angle) - b * Math.Sin(angle);
                result[head * hd + half + i] = b * Math.Cos(angle) + a * Math.Sin(angle);
            }
        return result;
    }

    /// <summary>W_down (silu(W_gate x) ⊙ W_up x) with the three projections under <paramref name="prefix"/>.</summary>
    public static double[] SwiGlu(IReadOnlyDictionary<string, double[]> hf, string prefix, double[] x, int mlp, int d, List<double[]>? post = null)
    {
        var gate = Linear(x, hf[prefix + "gate_proj.weight"], mlp, null);
        var up = Linear(x, hf[prefix + "up_proj.weight"], mlp, null);
        var hidden = gate.Select((g, i) => g / (1 + Math.Exp(-g)) * up[i]).ToArray();
        post?.Add(hidden); // hook_post, [d_mlp]
        return Linear(hidden, hf[prefix + "down_proj.weight"], d, null);
    }

    /// <summary>w ⊙ x / √(mean(x²) + ε), or x / √(mean(x²) + ε) without a weight.</summary>
    public static double[] Norm(double[] x, double[]? w, double eps)
    {
        var rms = Math.Sqrt(x.Sum(e => e * e) / x.Length + eps);
        return x.Select((e, i) => e / rms * (w is null ? 1 : w[i])).ToArray();
    }

    /// <summary>W x (+ b) for an nn.Linear weight W stored [out, in] row-major.</summary>
    public static double[] Linear(double[] x, double[] w, int outDim, double[]? b)
    {
        var y = new double[outDim];
        for (var o = 0; o < outDim; o++)
        {
            var s = b?[o] ?? 0.0;
            for (var i = 0; i < x.Length; i++) s += w[o * x.Length + i] * x[i];
            y[o] = s;
        }
        return y;
    }

    public static double[][] Add(double[][] a, double[][] b) => a.Select((r, p) => r.Select((e, i) => e + b[p][i]).ToArray()).ToArray();

    public static void Record(Dictionary<string, double[]>? hooks, string name, double[][] rows)
    {
        if (hooks is not null) hooks[name] = rows.SelectMany(r => r).ToArray();
    }
}
