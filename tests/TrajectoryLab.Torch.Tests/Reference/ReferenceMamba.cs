// An independent, deliberately plain Mamba-1 forward pass in double precision (no TorchSharp), written from the
// equations of Gu & Dao (2023), "Mamba: Linear-Time Sequence Modeling with Selective State Spaces" (arXiv:2312.00752,
// §3, Algorithm 2), over the Hugging Face tensors as transformers' MambaForCausalLM stores them (nn.Linear weights
// [out, in]; conv1d [d_inner, 1, d_conv]; in_proj rows x then z; x_proj rows Δ, B, C): RMSNorm, in_proj, causal
// depthwise convolution, SiLU, selection, softplus (with PyTorch's threshold 20), the zero-order-hold recurrence
// s_t = exp(Δ A) s_{t−1} + Δ B u, y = C·s + D u, the SiLU gate and out_proj. The oracle DecoderModel's Mamba blocks and
// the Mamba weight map are checked against.
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Torch.Tests.Reference;

/// <summary>Reference forward of one sequence; weights by Hugging Face name, row-major.</summary>
internal sealed class ReferenceMamba(ModelSpec spec, IReadOnlyDictionary<string, double[]> hf)
{
    private readonly int _d = spec.HiddenSize;
    private readonly int _di = spec.IntermediateSize;
    private readonly MambaDesign _m = spec.Block.Mamba!;

    /// <summary>Logits [pos][vocab] for <paramref name="tokens"/> from position 0; activations by hook name into
    /// <paramref name="hooks"/> when given (row-major flattening of [pos, ...]).</summary>
    public double[][] Forward(int[] tokens, Dictionary<string, double[]>? hooks = null)
    {
        var embedding = hf["backbone.embeddings.weight"];                                   // [vocab, d_model]
        var x = tokens.Select(t => embedding.AsSpan(t * _d, _d).ToArray()).ToArray();     // [pos][d_model]
        Record(hooks, HookNames.Embed, x);
        for (var l = 0; l < spec.NumLayers; l++)
        {
            Record(hooks, HookNames.ResidPre(l), x);
            var normalized = x.Select(Normalize).ToArray();
            Record(hooks, HookNames.Ln1Normalized(l), normalized);
            var h = normalized.Select(r => Scale(r, hf[$"backbone.layers.{l}.norm.weight"])).ToArray();
            var mixed = Mixer(h, l, hooks);
            Record(hooks, HookNames.MixerOut(l), mixed);
            x = x.Select((r, p) => r.Select((e, i) => e + mixed[p][i]).ToArray()).ToArray();
            Record(hooks, HookNames.ResidPost(l), x);
        }
        var final = x.Select(Normalize).ToArray();
        Record(hooks, HookNames.FinalNormalized, final);
        final = final.Select(r => Scale(r, hf["backbone.norm_f.weight"])).ToArray();
        var head = spec.TieWordEmbeddings ? embedding : hf["lm_head.weight"];              // [vocab, d_model] either way
        var logits = final.Select(r => Linear(r, head, null, spec.VocabSize)).ToArray();
        Record(hooks, HookNames.Logits, logits);
        return logits;
    }

    /// <summary>The mixer over the whole sequence from the empty state.</summary>
    private double[][] Mixer(double[][] h, int l, Dictionary<string, double[]>? hooks)
    {
        string H(string leaf) => $"backbone.layers.{l}.mixer.{leaf}";
        double[]? Maybe(string leaf) => hf.TryGetValue(H(leaf), out var v) ? v : null;
        int n = h.Length, k = _m.ConvKernel, states = _m.StateSize, rank = _m.TimeStepRank;

        var projected = h.Select(r => Linear(r, hf[H("in_proj.weight")], Maybe("in_proj.bias"), 2 * _di)).ToArray(); // [pos][2·d_inner]
        Record(hooks, HookNames.MambaInProj(l), projected);

        // Causal depthwise convolution: HF pads d_conv − 1 zeros on the left and keeps the first pos outputs, so tap j
        // multiplies the input d_conv − 1 − j positions back.
        var weight = hf[H("conv1d.weight")];                                             // [d_inner, 1, d_conv]
        var convBias = Maybe("conv1d.bias");
        var u = new double[n][];
        for (var t = 0; t < n; t++)
        {
            u[t] = new double[_di];
            for (var c = 0; c < _di; c++)
            {
                var sum = convBias?[c] ?? 0;
                for (var j = 0; j < k; j++)
                {
                    var source = t - (k - 1) + j;
                    if (source >= 0) sum += weight[c * k + j] * projected[source][c];
                }
                u[t][c] = Silu(sum);
            }
        }
        Record(hooks, HookNames.MambaConv(l), u);

        var selection = u.Select(r => Linear(r, hf[H("x_proj.weight")], null, rank + 2 * states)).ToArray(); // [pos][R + 2N]
        var b = selection.Select(r => r[rank..(rank + states)]).ToArray();
        var cRead = selection.Select(r => r[(rank + states)..]).ToArray();
        Record(hooks, HookNames.MambaB(l), b);
        Record(hooks, HookNames.MambaC(l), cRead);
        var delta = selection                                                            // [pos][d_inner]
            .Select(r => Linear(r[..rank], hf[H("dt_proj.weight")], hf[H("dt_proj.bias")], _di).Select(Softplus).ToArray())
            .ToArray();
        Record(hooks, HookNames.MambaDelta(l), delta);

        var aLog = hf[H("A_log")];                                                       // [d_inner, N]
        var dSkip = hf[H("D")];                                                          // [d_inner]
        var s = new double[_di * states];
        var stateRecord = new double[n * _di * states];
        var y = new double[n][];
        for (var t = 0; t < n; t++)
        {
            y[t] = new double[_di];
            for (var c = 0; c < _di; c++)
            {
                var readout = 0.0;
                for (var i = 0; i < states; i++)
                {
                    var a = -Math.Exp(aLog[c * states + i]);
                    var at = c * states + i;
                    s[at] = Math.Exp(delta[t][c] * a) * s[at] + delta[t][c] * b[t][i] * u[t][c];
                    readout += s[at] * cRead[t][i];
                }
                y[t][c] = readout + dSkip[c] * u[t][c];
            }
            Array.Copy(s, 0, stateRecord, t * _di * states, _di * states);
        }
        if (hooks is not null) hooks[HookNames.MambaSsmState(l)] = stateRecord;
        Record(hooks, HookNames.MambaY(l), y);

        var gated = y.Select((r, t) => r.Select((e, c) => e * Silu(projected[t][_di + c])).ToArray()).ToArray();
        return gated.Select(r => Linear(r, hf[H("out_proj.weight")], Maybe("out_proj.bias"), _d)).ToArray();
    }

    /// <summary>x / sqrt(mean(x²) + ε).</summary>
    private double[] Normalize(double[] x)
    {
        var meanSquare = x.Sum(e => e * e) / x.Length;
        return x.Select(e => e / Math.Sqrt(meanSquare + spec.RmsNormEps)).ToArray();
    }

    private static double[] Scale(double[] x, double[] w) => x.Select((e, i) => e * w[i]).ToArray();

    /// <summary>nn.Linear: W x + b with W stored [out, in].</summary>
    private static double[] Linear(double[] x, double[] w, double[]? b, int outputs)
    {
        var y = new double[outputs];
        for (var o = 0; o < outputs; o++)
        {
            var sum = b?[o] ?? 0;
            for (var i = 0; i < x.Length; i++) sum += w[o * x.Length + i] * x[i];
            y[o] = sum;
        }
        return y;
    }

    private static double Silu(double v) => v / (1 + Math.Exp(-v));

    /// <summary>PyTorch's softplus (β = 1, threshold 20): log(1 + eˣ), or x above the threshold.</summary>
    private static double Softplus(double v) => v > 20 ? v : Math.Log(1 + Math.Exp(v));

    private static void Record(Dictionary<string, double[]>? hooks, string name, double[][] rows)
    {
        if (hooks is not null) hooks[name] = rows.SelectMany(r => r).ToArray();
    }
}
