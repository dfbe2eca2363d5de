// The logit lens and the tuned lens read at every residual site and position of one text: each site's residual stream
// goes through the model's own head (final norm + unembedding), after the site's translator for the tuned lens, and the
// distribution it gives is compared with the model's final one. Per site × position: entropy of the lens distribution,
// KL(final ‖ lens), whether its top-1 token is the final top-1, the rank the final top-1 token has in it, and the
// surprisal of the text's next token. At the last site the logit lens is the model's logits exactly (recorded as the
// largest absolute difference, which must be 0). References: nostalgebraist (2020), "interpreting GPT: the logit lens";
// Belrose et al. (2023), arXiv:2303.08112 (tuned lens; KL to the final distribution as the measure).
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Torch.Dynamics;
using TrajectoryLab.Torch.Generation;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Lens;

/// <summary>One lens's readings of one text; every array is [site][position] with site s = residual after s blocks.</summary>
/// <param name="Entropy">H of the lens distribution, nats.</param>
/// <param name="KlToFinal">KL(final ‖ lens), nats.</param>
/// <param name="AgreesTop1">The lens's top-1 token is the model's final top-1 token.</param>
/// <param name="RankOfFinalTop1">1-based rank of the final top-1 token in the lens distribution (1 + tokens scored higher).</param>
/// <param name="NextTokenSurprisal">−ln p_lens(x_{t+1}) of the text's next token, [site][position &lt; n − 1].</param>
public sealed record LensMetrics(
    double[][] Entropy,
    double[][] KlToFinal,
    bool[][] AgreesTop1,
    int[][] RankOfFinalTop1,
    double[][] NextTokenSurprisal
);

/// <summary>Both lenses on one text.</summary>
/// <param name="Positions">n, the text's tokens (BOS included).</param>
/// <param name="FinalEntropy">[position] H of the model's own next-token distribution, nats.</param>
/// <param name="Logit">The logit lens.</param>
/// <param name="Tuned">The tuned lens, or null when none was given.</param>
/// <param name="LastSiteMaxDifference">max |logit lens at the last site − the model's logits|; 0 when the lens is exact.</param>
public sealed record LensReading(int Positions, double[] FinalEntropy, LensMetrics Logit, LensMetrics? Tuned, double LastSiteMaxDifference);

/// <summary>Reads both lenses on one text.</summary>
public static class LensPass
{
    /// <summary>Reads <paramref name="tokens"/> (position 0 first, at most the model's context if it has learned positions) in
    /// one cache-free pass.</summary>
    /// <param name="model">The model (not in use by a session).</param>
    /// <param name="tokens">Token ids, at least 2.</param>
    /// <param name="tuned">A tuned lens for this model, or null for the logit lens only.</param>
    /// <exception cref="NonFiniteValueException">A lens or the model produced a non-finite logit (names site and position).</exception>
    public static LensReading Read(LanguageModel model, int[] tokens, TunedLens? tuned = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens.Length, 2);
        var layers = model.Spec.NumLayers;
        if (tuned is not null && (tuned.Sites != layers + 1 || tuned.Width != model.Spec.HiddenSize))
            throw new ArgumentException(
                $"the tuned lens has {tuned.Sites} sites of width {tuned.Width}; "
                    + $"the model needs {layers + 1} of width {model.Spec.HiddenSize}",
                nameof(tuned)
            );
        var n = tokens.Length;
        var vocab = model.Spec.VocabSize;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = tensor(tokens.Select(t => (long)t).ToArray(), [1, n], ScalarType.Int64, model.Model.Device); // [1, n]
        var pass = ResidualCapture.Run(model, ids);
        var final = Rows(pass.Logits); // [n · d_vocab]
        var logFinal = LogProbabilitiesOf(final, n, vocab, "logits", layers + 1);
        var finalTop = Enumerable.Range(0, n).Select(t => ArgMax(final.AsSpan(t * vocab, vocab))).ToArray();
        var finalEntropy = Enumerable.Range(0, n).Select(t => TokenEntropy.Entropy(logFinal.AsSpan(t * vocab, vocab))).ToArray();
        var logit = new Builder(layers + 1, n);
        var tunedBuilder = tuned is null ? null : new Builder(layers + 1, n);
        var lastDifference = double.NaN;
        for (var s = 0; s <= layers; s++)
        {
            var h = pass.Residuals[s]; // [1, n, d_model]
            var lens = Rows(model.Model.Head(h)); // [n · d_vocab]
            if (s == layers)
                lastDifference = MaxDifference(lens, final);
            logit.Fill(s, lens, logFinal, finalTop, tokens, vocab, ResidualSite.HookName(s, layers));
            if (tuned is not null)
            {
                var translated = Rows(model.Model.Head(tuned.Translate(s, h.to_type(ScalarType.Float32)).to_type(h.dtype)));
                tunedBuilder!.Fill(s, translated, logFinal, finalTop, tokens, vocab, ResidualSite.HookName(s, layers) + " (tuned lens)");
            }
        }
        return new LensReading(n, finalEntropy, logit.Build(), tunedBuilder?.Build(), lastDifference);
    }

    /// <summary>[batch = 1, n, d_vocab] logits as a flat double array.</summary>
    private static double[] Rows(Tensor logits)
    {
        using var d = logits.to_type(ScalarType.Float64).cpu().contiguous();
        return d.data<double>().ToArray();
    }

    private static double[] LogProbabilitiesOf(double[] logits, int n, int vocab, string quantity, int site)
    {
        var logProbs = new double[logits.Length];
        for (var t = 0; t < n; t++)
        {
            var breakdown = LogProbabilities.FromLogits(
                logits.AsSpan(t * vocab, vocab),
                logProbs.AsSpan(t * vocab, vocab),
                1.0,
                null,
                out _
            );
            if (breakdown != MetricBreakdown.None)
                throw new NonFiniteValueException(quantity, 0, t, 0, site.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        return logProbs;
    }

    private static int ArgMax(ReadOnlySpan<double> row)
    {
        var best = 0;
        for (var k = 1; k < row.Length; k++)
            if (row[k] > row[best])
                best = k;
        return best;
    }

    private static double MaxDifference(double[] a, double[] b)
    {
        var max = 0.0;
        for (var i = 0; i < a.Length; i++)
            max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }

    /// <summary>Collects one lens's metrics site by site.</summary>
    private sealed class Builder(int sites, int n)
    {
        private readonly double[][] _entropy = new double[sites][];
        private readonly double[][] _kl = new double[sites][];
        private readonly bool[][] _agrees = new bool[sites][];
        private readonly int[][] _rank = new int[sites][];
        private readonly double[][] _surprisal = new double[sites][];

        public void Fill(int s, double[] lens, double[] logFinal, int[] finalTop, int[] tokens, int vocab, string site)
        {
            (_entropy[s], _kl[s], _agrees[s], _rank[s], _surprisal[s]) = (
                new double[n],
                new double[n],
                new bool[n],
                new int[n],
                new double[n - 1]
            );
            // Positions are independent; each worker keeps its own ln p buffer, and each position's sums run in a fixed order.
            var failed = -1;
            Parallel.For(
                0,
                n,
                () => new double[vocab],
                (t, state, logLens) =>
                {
                    var row = lens.AsSpan(t * vocab, vocab);
                    if (LogProbabilities.FromLogits(row, logLens, 1.0, null, out _) != MetricBreakdown.None)
                    {
                        Interlocked.CompareExchange(ref failed, t, -1);
                        return logLens;
                    }
                    var logP = logFinal.AsSpan(t * vocab, vocab);
                    var kl = 0.0;
                    for (var k = 0; k < vocab; k++)
                        if (!double.IsNegativeInfinity(logP[k]))
                            kl += Math.Exp(logP[k]) * (logP[k] - logLens[k]);
                    var top = finalTop[t];
                    var higher = 0;
                    for (var k = 0; k < vocab; k++)
                        if (row[k] > row[top])
                            higher++;
                    _entropy[s][t] = TokenEntropy.Entropy(logLens);
                    _kl[s][t] = Math.Max(kl, 0); // rounding can leave −1e−16 where the two are equal
                    _agrees[s][t] = ArgMax(row) == top;
                    _rank[s][t] = higher + 1;
                    if (t < n - 1)
                        _surprisal[s][t] = -logLens[tokens[t + 1]];
                    return logLens;
                },
                _ => { }
            );
            if (failed >= 0)
                throw new NonFiniteValueException("lens logits", 0, failed, 0, site);
        }

        public LensMetrics Build() => new(_entropy, _kl, _agrees, _rank, _surprisal);
    }
}
