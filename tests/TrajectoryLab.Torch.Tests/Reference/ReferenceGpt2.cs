// An independent, deliberately plain GPT-2 forward pass in double precision (no TorchSharp), written from the equations
// of Radford et al. 2019 over the Hugging Face tensors as transformers stores them (Conv1D weights [in, out]; c_attn
// holds q, k and v side by side): learned positions, LayerNorm, causal multi-head attention, GELU (tanh) MLP.
// The oracle DecoderModel and its Hugging Face mapping are checked against.
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Torch.Tests.Reference;

/// <summary>Reference forward of one sequence; weights by Hugging Face name (with the <c>transformer.</c> prefix), row-major.</summary>
internal sealed class ReferenceGpt2(ModelSpec spec, IReadOnlyDictionary<string, double[]> hf)
{
    private readonly int _d = spec.HiddenSize;
    private readonly int _hd = spec.HeadDim;

    /// <summary>Logits [pos][vocab] for <paramref name="tokens"/> from position 0; activations by hook name into
    /// <paramref name="hooks"/> when given (row-major flattening of [pos, ...] or [heads, pos, pos]).</summary>
    public double[][] Forward(int[] tokens, Dictionary<string, double[]>? hooks = null)
    {
        var wte = hf["transformer.wte.weight"];
        var wpe = hf["transformer.wpe.weight"];
        var tokenEmbed = tokens.Select(t => wte.AsSpan(t * _d, _d).ToArray()).ToArray();              // [pos][d_model]
        var posEmbed = tokens.Select((_, p) => wpe.AsSpan(p * _d, _d).ToArray()).ToArray();           // [pos][d_model]
        Record(hooks, HookNames.Embed, tokenEmbed);
        Record(hooks, HookNames.PosEmbed, posEmbed);
        var x = Add(tokenEmbed, posEmbed);
        for (var l = 0; l < spec.NumLayers; l++)
        {
            string H(string leaf) => $"transformer.h.{l}.{leaf}";
            Record(hooks, HookNames.ResidPre(l), x);
            Record(hooks, HookNames.Ln1Normalized(l), x.Select(Normalize).ToArray());
            var h = x.Select(r => Affine(Normalize(r), hf[H("ln_1.weight")], hf[H("ln_1.bias")])).ToArray();
            var attnOut = AttentionOf(h, l, hooks);
            Record(hooks, HookNames.AttnOut(l), attnOut);
            x = Add(x, attnOut);
            Record(hooks, HookNames.ResidMid(l), x);
            Record(hooks, HookNames.Ln2Normalized(l), x.Select(Normalize).ToArray());
            h = x.Select(r => Affine(Normalize(r), hf[H("ln_2.weight")], hf[H("ln_2.bias")])).ToArray();
            var post = h.Select(r => Conv1D(r, hf[H("mlp.c_fc.weight")], hf[H("mlp.c_fc.bias")]).Select(GeluTanh).ToArray()).ToArray();
            Record(hooks, HookNames.MlpPost(l), post); // [pos][d_mlp]
            var mlpOut = post.Select(hidden => Conv1D(hidden, hf[H("mlp.c_proj.weight")], hf[H("mlp.c_proj.bias")])).ToArray();
            Record(hooks, HookNames.MlpOut(l), mlpOut);
            x = Add(x, mlpOut);
            Record(hooks, HookNames.ResidPost(l), x);
        }
        Record(hooks, HookNames.FinalNormalized, x.Select(Normalize).ToArray());
        var final = x.Select(r => Affine(Normalize(r), hf["transformer.ln_f.weight"], hf["transformer.ln_f.bias"])).ToArray();
        var head = spec.TieWordEmbeddings ? wte : hf["lm_head.weight"]; // [vocab, d_model] either way
        var logits = final.Select(r => Enumerable.Range(0, spec.VocabSize).Select(v => Dot(r, head.AsSpan(v * _d, _d))).ToArray()).ToArray();
        Record(hooks, HookNames.Logits, logits);
        return logits;
    }

    private double[][] AttentionOf(double[][] h, int l, Dictionary<string, double[]>? hooks)
    {
        var weight = hf[$"transformer.h.{l}.attn.c_attn.weight"]; // [d_model, 3·d_model]
        var bias = hf[$"transformer.h.{l}.attn.c_attn.bias"];     // [3·d_model]
        int n = h.Length, heads = spec.NumHeads;
        var qkv = h.Select(r => Conv1D(r, weight, bias)).ToArray(); // [pos][q | k | v]

        var pattern = new double[heads * n * n];
        var z = Enumerable.Range(0, n).Select(_ => new double[_d]).ToArray();
        for (var head = 0; head < heads; head++)
            for (var i = 0; i < n; i++)
            {
                var scores = new double[i + 1];
                for (var j = 0; j <= i; j++)
                    scores[j] = Dot(qkv[i].AsSpan(head * _hd, _hd), qkv[j].AsSpan(_d + head * _hd, _hd)) / Math.Sqrt(_hd);
                var max = scores.Max();
                var exp = scores.Select(s => Math.Exp(s - max)).ToArray();
                var sum = exp.Sum();
                for (var j = 0; j <= i; j++)
                {
                    var a = exp[j] / sum;
                    pattern[(head * n + i) * n + j] = a;
                    for (var e = 0; e < _hd; e++) z[i][head * _hd + e] += a * qkv[j][2 * _d + head * _hd + e];
                }
            }
        if (hooks is not null) hooks[HookNames.AttnPattern(l)] = pattern;
        return z.Select(r => Conv1D(r, hf[$"transformer.h.{l}.attn.c_proj.weight"], hf[$"transformer.h.{l}.attn.c_proj.bias"])).ToArray();
    }

    /// <summary>(x - mean) / sqrt(var + ε) with the biased variance.</summary>
    private double[] Normalize(double[] x)
    {
        var mean = x.Average();
        var variance = x.Sum(e => (e - mean) * (e - mean)) / x.Length;
        return x.Select(e => (e - mean) / Math.Sqrt(variance + spec.RmsNormEps)).ToArray();
    }

    private static double[] Affine(double[] x, double[] w, double[] b) => x.Select((e, i) => e * w[i] + b[i]).ToArray();

    /// <summary>u/2 · (1 + tanh(√(2/π) (u + 0.044715 u³))).</summary>
    private static double GeluTanh(double u) => 0.5 * u * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (u + 0.044715 * u * u * u)));

    /// <summary>Hugging Face's Conv1D: x W + b with W stored [in, out].</summary>
    private static double[] Conv1D(double[] x, double[] w, double[] b)
    {
        var y = (double[])b.Clone();
        for (var i = 0; i < x.Length; i++)
            for (var o = 0; o < y.Length; o++) y[o] += x[i] * w[i * y.Length + o];
        return y;
    }

    private static double Dot(ReadOnlySpan<double> a, ReadOnlySpan<double> b)
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
