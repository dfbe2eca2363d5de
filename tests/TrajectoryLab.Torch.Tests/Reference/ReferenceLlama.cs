// An independent, deliberately plain Llama forward pass in double precision (no TorchSharp): loops over positions,
// heads and features, written from the equations (RMSNorm, RoPE half-split with linear/dynamic/llama3 scaling,
// grouped-query causal attention, SwiGLU). The oracle the TorchSharp model is checked against.
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Torch.Tests.Reference;

/// <summary>Reference forward of one sequence; weights by canonical name, row-major, linear weights [in, out].</summary>
internal sealed class ReferenceLlama(ModelSpec spec, IReadOnlyDictionary<string, double[]> weights)
{
    private readonly int _d = spec.HiddenSize;
    private readonly int _hd = spec.HeadDim;

    /// <summary>Logits [pos][vocab] for <paramref name="tokens"/> from position 0; activations by hook name into
    /// <paramref name="hooks"/> when given (row-major flattening of [pos, ...] or [heads, pos, pos]).</summary>
    public double[][] Forward(int[] tokens, Dictionary<string, double[]>? hooks = null)
    {
        var n = tokens.Length;
        var embedding = spec.TieWordEmbeddings // tied models keep the one matrix as W_U [d_model, vocab]
            ? Transpose(weights[ParameterNames.UnembedW], _d, spec.VocabSize)
            : weights[ParameterNames.EmbedW];                                                        // [vocab · d_model]
        var x = tokens.Select(t => embedding.AsSpan(t * _d, _d).ToArray()).ToArray(); // [pos][d_model]
        Record(hooks, HookNames.Embed, x);
        for (var l = 0; l < spec.NumLayers; l++)
        {
            string W(string leaf) => ParameterNames.Block(l, leaf);
            Record(hooks, HookNames.ResidPre(l), x);
            var h = x.Select(r => Norm(r, weights[W(ParameterNames.Ln1W)])).ToArray();
            Record(hooks, HookNames.Ln1Normalized(l), x.Select(r => Norm(r, null)).ToArray());
            var attnOut = AttentionOf(h, l, hooks);
            Record(hooks, HookNames.AttnOut(l), attnOut);
            x = Add(x, attnOut);
            Record(hooks, HookNames.ResidMid(l), x);
            h = x.Select(r => Norm(r, weights[W(ParameterNames.Ln2W)])).ToArray();
            Record(hooks, HookNames.Ln2Normalized(l), x.Select(r => Norm(r, null)).ToArray());
            var post = h.Select(r =>
            {
                var gateIn = MatVec(r, weights[W(ParameterNames.WGateIn)], 2 * spec.IntermediateSize); // [gate | up]
                var gate = gateIn[..spec.IntermediateSize];
                var up = gateIn[spec.IntermediateSize..];
                return gate.Select((g, i) => g / (1 + Math.Exp(-g)) * up[i]).ToArray();
            }).ToArray(); // [pos][d_mlp]
            Record(hooks, HookNames.MlpPost(l), post);
            var mlpOut = post.Select(hidden => MatVec(hidden, weights[W(ParameterNames.WOut)], _d)).ToArray();
            Record(hooks, HookNames.MlpOut(l), mlpOut);
            x = Add(x, mlpOut);
            Record(hooks, HookNames.ResidPost(l), x);
        }
        Record(hooks, HookNames.FinalNormalized, x.Select(r => Norm(r, null)).ToArray());
        var final = x.Select(r => Norm(r, weights[ParameterNames.FinalNormW])).ToArray();
        var logits = final.Select(r => MatVec(r, weights[ParameterNames.UnembedW], spec.VocabSize)).ToArray(); // tied or not, the head is W_U
        Record(hooks, HookNames.Logits, logits);
        return logits;
    }

    private double[][] AttentionOf(double[][] h, int l, Dictionary<string, double[]>? hooks)
    {
        string W(string leaf) => ParameterNames.Block(l, leaf);
        double[]? B(string leaf) => weights.TryGetValue(W(leaf), out var b) ? b : null;
        int n = h.Length, heads = spec.NumHeads, kvHeads = spec.NumKvHeads;
        var freqs = InverseFrequencies(n);
        int qWidth = heads * _hd, kvWidth = kvHeads * _hd;
        var qkv = h.Select(r => Bias(MatVec(r, weights[W(ParameterNames.WQkv)], qWidth + 2 * kvWidth), B(ParameterNames.BQkv))).ToArray(); // [pos][q | k | v]
        var q = qkv.Select((r, p) => Rope(r[..qWidth], p, freqs)).ToArray();
        var k = qkv.Select((r, p) => Rope(r[qWidth..(qWidth + kvWidth)], p, freqs)).ToArray();
        var v = qkv.Select(r => r[(qWidth + kvWidth)..]).ToArray();

        var pattern = new double[heads * n * n];
        var z = Enumerable.Range(0, n).Select(_ => new double[heads * _hd]).ToArray();
        for (var head = 0; head < heads; head++)
        {
            var kvHead = head / (heads / kvHeads);
            for (var i = 0; i < n; i++)
            {
                var scores = new double[i + 1];
                for (var j = 0; j <= i; j++)
                    scores[j] = Dot(q[i].AsSpan(head * _hd, _hd), k[j].AsSpan(kvHead * _hd, _hd)) / Math.Sqrt(_hd);
                var max = scores.Max();
                var exp = scores.Select(s => Math.Exp(s - max)).ToArray();
                var sum = exp.Sum();
                for (var j = 0; j <= i; j++)
                {
                    var a = exp[j] / sum;
                    pattern[(head * n + i) * n + j] = a;
                    for (var e = 0; e < _hd; e++) z[i][head * _hd + e] += a * v[j][kvHead * _hd + e];
                }
            }
        }
        if (hooks is not null) hooks[HookNames.AttnPattern(l)] = pattern;
        return z.Select(r => Bias(MatVec(r, weights[W(ParameterNames.WO)], _d), B(ParameterNames.BO))).ToArray();
    }

    /// <summary>Rotary inverse frequencies for a sequence of <paramref name="n"/> tokens, written out per scaling type.</summary>
    private double[] InverseFrequencies(int n)
    {
        var half = _hd / 2;
        var baseTheta = spec.RopeTheta;
        var s = spec.RopeScaling;
        if (s?.Kind == RopeScalingKind.Dynamic)
        {
            var original = s.OriginalMaxPositionEmbeddings ?? spec.MaxPositionEmbeddings;
            if (n > original)
                baseTheta *= Math.Pow(s.Factor * n / original - (s.Factor - 1), _hd / (_hd - 2.0));
        }
        var result = new double[half];
        for (var i = 0; i < half; i++)
        {
            var f = 1.0 / Math.Pow(baseTheta, 2.0 * i / _hd);
            if (s?.Kind == RopeScalingKind.Linear) f /= s.Factor;
            if (s?.Kind == RopeScalingKind.Llama3)
            {
                var lowWavelength = s.OriginalMaxPositionEmbeddings!.Value / s.LowFreqFactor;
                var highWavelength = s.OriginalMaxPositionEmbeddings!.Value / s.HighFreqFactor;
                var wavelength = 2 * Math.PI / f;
                if (wavelength > lowWavelength) f /= s.Factor;
                else if (wavelength >= highWavelength)
                {
                    var t = (s.OriginalMaxPositionEmbeddings!.Value / wavelength - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
                    f = (1 - t) * f / s.Factor + t * f;
                }
            }
            result[i] = f;
        }
        return result;
    }

    /// <summary>Rotates pairs (i, i + d_head/2) of every head of a projected row at position <paramref name="p"/>.</summary>
    private double[] Rope(double[] row, int p, double[] freqs)
    {
        var half = _hd / 2;
        var result = (double[])row.Clone();
        for (var head = 0; head < row.Length / _hd; head++)
            for (var i = 0; i < half; i++)
            {
                double a = row[head * _hd + i], b = row[head * _hd + half + i], angle = p * freqs[i];
                result[head * _hd + i] = a * Math.Cos(angle) - b * Math.Sin(angle);
                result[head * _hd + half + i] = b * Math.Cos(angle) + a * Math.Sin(angle);
            }
        return result;
    }

    /// <summary>w ⊙ x / rms(x), or x / rms(x) without a weight.</summary>
    private double[] Norm(double[] x, double[]? w)
    {
        var rms = Math.Sqrt(x.Sum(e => e * e) / x.Length + spec.RmsNormEps);
        return x.Select((e, i) => e / rms * (w is null ? 1 : w[i])).ToArray();
    }

    private static double[] MatVec(double[] x, double[] w, int outDim)
    {
        var y = new double[outDim];
        for (var i = 0; i < x.Length; i++)
            for (var o = 0; o < outDim; o++) y[o] += x[i] * w[i * outDim + o];
        return y;
    }

    private static double[] Bias(double[] y, double[]? b) => b is null ? y : y.Select((e, i) => e + b[i]).ToArray();

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

    /// <summary>The [cols, rows] transpose of a row-major [rows, cols] matrix.</summary>
    private static double[] Transpose(double[] m, int rows, int cols)
    {
        var t = new double[m.Length];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
        return t;
    }
}
