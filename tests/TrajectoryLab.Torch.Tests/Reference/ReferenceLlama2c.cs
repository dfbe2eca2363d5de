// An independent double-precision forward of a llama2.c checkpoint written from run.c's equations (Karpathy 2023,
// github.com/karpathy/llama2.c): one token at a time with a key/value cache, RMSNorm (ε = 1e-5), rotary embeddings on
// interleaved pairs (x[2i], x[2i+1]) with θ = 10000 (Su et al. 2021), grouped-query attention, SwiGLU w2(silu(w1 x) ⊙ w3 x).
// No TorchSharp and no permutation: the oracle for the loader's interleaved-to-half-split conversion.
using TrajectoryLab.Torch.Tests.Checkpoints;

namespace TrajectoryLab.Torch.Tests.Reference;

/// <summary>Reference forward over a <see cref="Llama2cFile"/>'s raw arrays ([out, in] linear weights).</summary>
internal sealed class ReferenceLlama2c(Llama2cFile file)
{
    private readonly int _hs = file.Dim / file.Heads;
    private readonly int _kvDim = file.KvHeads * (file.Dim / file.Heads);

    /// <summary>Logits [pos][vocab] for <paramref name="tokens"/> from position 0.</summary>
    public double[][] Forward(int[] tokens)
    {
        int dim = file.Dim, layers = file.Layers, n = tokens.Length;
        var keys = new double[layers, n][];   // [layer, pos][kv_dim]
        var values = new double[layers, n][]; // [layer, pos][kv_dim]
        var logits = new double[n][];
        for (var pos = 0; pos < n; pos++)
        {
            var x = Slice("token_embedding_table", tokens[pos], dim); // [dim]
            for (var l = 0; l < layers; l++)
            {
                var xb = RmsNorm(x, Slice("rms_att_weight", l, dim));
                var q = MatVec("wq", l, dim, dim, xb);
                var k = MatVec("wk", l, _kvDim, dim, xb);
                var v = MatVec("wv", l, _kvDim, dim, xb);
                RotateInterleaved(q, pos);
                RotateInterleaved(k, pos);
                keys[l, pos] = k;
                values[l, pos] = v;
                var attended = new double[dim];
                for (var h = 0; h < file.Heads; h++)
                {
                    var kvOffset = h / (file.Heads / file.KvHeads) * _hs;
                    var scores = new double[pos + 1];
                    for (var t = 0; t <= pos; t++)
                    {
                        for (var i = 0; i < _hs; i++) scores[t] += q[h * _hs + i] * keys[l, t][kvOffset + i];
                        scores[t] /= Math.Sqrt(_hs);
                    }
                    var max = scores.Max();
                    var sum = scores.Sum(s => Math.Exp(s - max));
                    for (var t = 0; t <= pos; t++)
                        for (var i = 0; i < _hs; i++) attended[h * _hs + i] += Math.Exp(scores[t] - max) / sum * values[l, t][kvOffset + i];
                }
                Accumulate(x, MatVec("wo", l, dim, dim, attended));
                xb = RmsNorm(x, Slice("rms_ffn_weight", l, dim));
                var gate = MatVec("w1", l, file.HiddenDim, dim, xb);
                var up = MatVec("w3", l, file.HiddenDim, dim, xb);
                var hidden = gate.Select((g, i) => g / (1 + Math.Exp(-g)) * up[i]).ToArray();
                Accumulate(x, MatVec("w2", l, dim, file.HiddenDim, hidden));
            }
            var final = RmsNorm(x, Slice("rms_final_weight", 0, dim));
            logits[pos] = MatVec(file.Shared ? "token_embedding_table" : "wcls", 0, file.Vocab, dim, final);
        }
        return logits;
    }

    /// <summary>Rotates pairs (v[2i], v[2i+1]) by pos · 10000^(-(2i mod head_size)/head_size), as run.c does.</summary>
    private void RotateInterleaved(double[] v, int pos)
    {
        for (var i = 0; i < v.Length; i += 2)
        {
            var angle = pos * Math.Pow(10000, -(double)(i % _hs) / _hs);
            double a = v[i], b = v[i + 1];
            v[i] = a * Math.Cos(angle) - b * Math.Sin(angle);
            v[i + 1] = a * Math.Sin(angle) + b * Math.Cos(angle);
        }
    }

    /// <summary>Row <paramref name="row"/> (or layer slice) of length <paramref name="length"/> of an array, as doubles.</summary>
    private double[] Slice(string array, int row, int length) =>
        file.Arrays[array].AsSpan(row * length, length).ToArray().Select(f => (double)f).ToArray();

    /// <summary>W x for layer <paramref name="layer"/>'s [rows, cols] slice of <paramref name="array"/>.</summary>
    private double[] MatVec(string array, int layer, int rows, int cols, double[] x)
    {
        var w = file.Arrays[array].AsSpan(layer * rows * cols, rows * cols);
        var y = new double[rows];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < cols; c++) y[r] += w[r * cols + c] * x[c];
        return y;
    }

    private static double[] RmsNorm(double[] x, double[] w)
    {
        var scale = 1 / Math.Sqrt(x.Sum(e => e * e) / x.Length + 1e-5);
        return x.Select((e, i) => e * scale * w[i]).ToArray();
    }

    private static void Accumulate(double[] x, double[] delta)
    {
        for (var i = 0; i < x.Length; i++) x[i] += delta[i];
    }
}
