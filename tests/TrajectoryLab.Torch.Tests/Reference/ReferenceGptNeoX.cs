// An independent, deliberately plain GPT-NeoX forward pass in double precision (no TorchSharp, no production module),
// written from the equations of Black et al. 2022 (arXiv:2204.06745) over the Hugging Face tensors as transformers'
// modeling_gpt_neox.py stores and reads them: nn.Linear weights [out, in]; query_key_value's output rows grouped per head
// as [q_h | k_h | v_h] (its output is viewed as [n_heads, 3·d_head]); LayerNorm with bias; rotary embeddings on the
// first R = int(d_head · rotary_pct) features of each head, pairing feature i with i + R/2, with inverse frequencies
// base^(−2i/R) (linear scaling divides them; dynamic scaling raises the base with the sequence length); the parallel
// residual x + attn(ln1 x) + mlp(ln2 x) or the sequential pre-norm block; exact or tanh GELU; embed_out or the tied
// embed_in as the head. The oracle the TorchSharp model and its weight map (with its per-head reordering) are checked
// against.
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Torch.Tests.Reference;

/// <summary>Reference forward of one sequence; weights by Hugging Face name, row-major, in Hugging Face's layout.</summary>
internal sealed class ReferenceGptNeoX(ModelSpec spec, IReadOnlyDictionary<string, double[]> hf)
{
    private readonly int _d = spec.HiddenSize;
    private readonly int _hd = spec.HeadDim;
    private readonly int _rotary = spec.Block.RotaryDims ?? spec.HeadDim;

    /// <summary>Logits [pos][vocab] for <paramref name="tokens"/> from position 0; activations by hook name into
    /// <paramref name="hooks"/> when given (row-major flattening of [pos, ...] or [heads, pos, pos]).</summary>
    public double[][] Forward(int[] tokens, Dictionary<string, double[]>? hooks = null)
    {
        var embedIn = hf["gpt_neox.embed_in.weight"]; // [vocab, d_model]
        var x = tokens.Select(t => embedIn.AsSpan(t * _d, _d).ToArray()).ToArray(); // [pos][d_model]
        Record(hooks, HookNames.Embed, x);
        var parallel = spec.Block.Residual == ResidualLayout.Parallel;
        for (var l = 0; l < spec.NumLayers; l++)
        {
            string P(string leaf) => $"gpt_neox.layers.{l}.{leaf}";
            Record(hooks, HookNames.ResidPre(l), x);
            Record(hooks, HookNames.Ln1Normalized(l), x.Select(Normalize).ToArray());
            var h = x.Select(r => Affine(Normalize(r), hf[P("input_layernorm.weight")], hf[P("input_layernorm.bias")])).ToArray();
            var attnOut = AttentionOf(h, l, hooks);
            Record(hooks, HookNames.AttnOut(l), attnOut);
            var mid = Add(x, attnOut);
            Record(hooks, HookNames.ResidMid(l), mid);
            var mlpIn = parallel ? x : mid; // parallel: the MLP reads the block's input, not x + attn
            Record(hooks, HookNames.Ln2Normalized(l), mlpIn.Select(Normalize).ToArray());
            var post = mlpIn.Select(r =>
            {
                var normed = Affine(Normalize(r), hf[P("post_attention_layernorm.weight")], hf[P("post_attention_layernorm.bias")]);
                return Linear(normed, hf[P("mlp.dense_h_to_4h.weight")], hf[P("mlp.dense_h_to_4h.bias")]).Select(Gelu).ToArray();
            }).ToArray(); // [pos][d_mlp]
            Record(hooks, HookNames.MlpPost(l), post);
            var mlpOut = post.Select(hidden => Linear(hidden, hf[P("mlp.dense_4h_to_h.weight")], hf[P("mlp.dense_4h_to_h.bias")])).ToArray();
            Record(hooks, HookNames.MlpOut(l), mlpOut);
            x = parallel ? Add(Add(mlpOut, attnOut), x) : Add(mlpOut, mid); // as transformers sums them
            Record(hooks, HookNames.ResidPost(l), x);
        }
        Record(hooks, HookNames.FinalNormalized, x.Select(Normalize).ToArray());
        var (finalW, finalB) = (hf["gpt_neox.final_layer_norm.weight"], hf["gpt_neox.final_layer_norm.bias"]);
        var final = x.Select(r => Affine(Normalize(r), finalW, finalB)).ToArray();
        var head = spec.TieWordEmbeddings ? embedIn : hf["embed_out.weight"]; // [vocab, d_model] either way
        var logits = final.Select(r => Linear(r, head, null)).ToArray();
        Record(hooks, HookNames.Logits, logits);
        return logits;
    }

    private double[][] AttentionOf(double[][] h, int l, Dictionary<string, double[]>? hooks)
    {
        string P(string leaf) => $"gpt_neox.layers.{l}.{leaf}";
        int n = h.Length, heads = spec.NumHeads;
        var qkvBias = spec.QkvBias ? hf[P("attention.query_key_value.bias")] : null;
        // [pos][heads · 3 · d_head]: head h's q, k and v at rows 3·h·d_head + (0, 1, 2)·d_head
        var fused = h.Select(r => Linear(r, hf[P("attention.query_key_value.weight")], qkvBias)).ToArray();
        double[] Part(int p, int head, int which) => fused[p].AsSpan((3 * head + which) * _hd, _hd).ToArray();
        var freqs = InverseFrequencies(n);

        var pattern = new double[heads * n * n];
        var z = Enumerable.Range(0, n).Select(_ => new double[_d]).ToArray();
        for (var head = 0; head < heads; head++)
        {
            var q = Enumerable.Range(0, n).Select(p => Rope(Part(p, head, 0), p, freqs)).ToArray();
            var k = Enumerable.Range(0, n).Select(p => Rope(Part(p, head, 1), p, freqs)).ToArray();
            var v = Enumerable.Range(0, n).Select(p => Part(p, head, 2)).ToArray();
            for (var i = 0; i < n; i++)
            {
                var scores = new double[i + 1];
                for (var j = 0; j <= i; j++) scores[j] = Dot(q[i], k[j]) / Math.Sqrt(_hd);
                var max = scores.Max();
                var exp = scores.Select(s => Math.Exp(s - max)).ToArray();
                var sum = exp.Sum();
                for (var j = 0; j <= i; j++)
                {
                    var a = exp[j] / sum;
                    pattern[(head * n + i) * n + j] = a;
                    for (var e = 0; e < _hd; e++) z[i][head * _hd + e] += a * v[j][e];
                }
            }
        }
        if (hooks is not null) hooks[HookNames.AttnPattern(l)] = pattern;
        return z.Select(r => Linear(r, hf[P("attention.dense.weight")], spec.OutputBias ? hf[P("attention.dense.bias")] : null)).ToArray();
    }

    /// <summary>The R/2 inverse frequencies base^(−2i/R) for a sequence of <paramref name="n"/> tokens: divided by the
    /// factor under linear scaling; under dynamic scaling, once n exceeds the original context L, the base becomes
    /// base·(factor·n/L − (factor − 1))^(R/(R−2)).</summary>
    private double[] InverseFrequencies(int n)
    {
        var baseTheta = spec.RopeTheta;
        var s = spec.RopeScaling;
        if (s?.Kind == RopeScalingKind.Dynamic)
        {
            var original = s.OriginalMaxPositionEmbeddings ?? spec.MaxPositionEmbeddings;
            if (n > original)
                baseTheta *= Math.Pow(s.Factor * n / original - (s.Factor - 1), _rotary / (_rotary - 2.0));
        }
        var result = new double[_rotary / 2];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = 1.0 / Math.Pow(baseTheta, 2.0 * i / _rotary);
            if (s?.Kind == RopeScalingKind.Linear) result[i] /= s.Factor;
        }
        return result;
    }

    /// <summary>Rotates pairs (i, i + R/2), i &lt; R/2, of one head at position <paramref name="p"/>; features from R on pass.</summary>
    private double[] Rope(double[] head, int p, double[] freqs)
    {
        var half = _rotary / 2;
        var result = (double[])head.Clone();
        for (var i = 0; i < half; i++)
        {
            double a = head[i], b = head[half + i], angle = p * freqs[i];
            result[i] = a * Math.Cos(angle) - b * Math.Sin(angle);
            result[half + i] = b * Math.Cos(angle) + a * Math.Sin(angle);
        }
        return result;
    }

    /// <summary>(x − mean) / sqrt(var + ε) with the biased variance.</summary>
    private double[] Normalize(double[] x)
    {
        var mean = x.Average();
        var variance = x.Sum(e => (e - mean) * (e - mean)) / x.Length;
        return x.Select(e => (e - mean) / Math.Sqrt(variance + spec.RmsNormEps)).ToArray();
    }

    private static double[] Affine(double[] x, double[] w, double[] b) => x.Select((e, i) => e * w[i] + b[i]).ToArray();

    /// <summary>Exact GELU u/2 · (1 + erf(u/√2)), or the tanh approximation for gelu_new.</summary>
    private double Gelu(double u) => spec.Block.Mlp == MlpKind.GeluExact
        ? 0.5 * u * (1 + Erf(u / Math.Sqrt(2)))
        : 0.5 * u * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (u + 0.044715 * u * u * u)));

    /// <summary>erf by its Maclaurin series for |x| &lt; 3 (terms shrink below 1e-17 well before 100), else by the
    /// continued fraction of erfc; double precision either way.</summary>
    private static double Erf(double x)
    {
        var ax = Math.Abs(x);
        double result;
        if (ax < 3)
        {
            // erf x = 2/√π Σ (−1)^k x^(2k+1) / (k! (2k+1))
            double sum = 0, term = ax;
            for (var k = 0; k < 100; k++)
            {
                sum += term / (2 * k + 1);
                term *= -ax * ax / (k + 1);
            }
            result = 2 / Math.Sqrt(Math.PI) * sum;
        }
        else
        {
            // erfc x = e^(−x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …)))), evaluated from the tail
            var fraction = 0.0;
            for (var k = 60; k >= 1; k--) fraction = k / 2.0 / (ax + fraction);
            result = 1 - Math.Exp(-ax * ax) / Math.Sqrt(Math.PI) / (ax + fraction);
        }
        return Math.Sign(x) * result;
    }

    /// <summary>nn.Linear: y = W x + b with W stored [out, in].</summary>
    private static double[] Linear(double[] x, double[] w, double[]? b)
    {
        var y = b is null ? new double[w.Length / x.Length] : (double[])b.Clone();
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
