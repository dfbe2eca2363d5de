// The entropy rate of a model's own generations as a function of the position t in them: in buckets of positions, the
// mean surprisal −ln p̂(x_t | x_<t) of the sampled tokens and the mean entropy H_t = H(p̂(· | x_<t)) of the distribution
// they were drawn from. When x_t is drawn from p̂(· | x_<t) the two have the same expectation at every t: d_t = −ln p̂(x_t)
// − H_t is a martingale difference (E[d_t | x_<t] = 0), so the d_t are uncorrelated and their mean's standard error is
// √(Σ d_t²) / n even within one sequence; the surprisal and entropy means get the standard error of the per-sequence
// bucket means (sequences are independent, tokens within one are not).
// References: Braverman et al. (2020), "Calibration, Entropy Rates, and Memory in Language Models", ICML
// (arXiv:1906.05664), the entropy rate of generations and its growth with t ("entropy rate amplification");
// Cover & Thomas (2006), Elements of Information Theory, §4.2 (entropy rate of a Markov chain).
namespace TrajectoryLab.Core.Metrics;

/// <summary>One bucket of positions [Start, End) of the generations.</summary>
/// <param name="Start">First position (0 = the first generated token).</param>
/// <param name="End">One past the last position.</param>
/// <param name="Surprisal">Mean −ln p̂(x_t), nats.</param>
/// <param name="SurprisalSe">Its standard error over sequences.</param>
/// <param name="Entropy">Mean H_t, nats.</param>
/// <param name="EntropySe">Its standard error over sequences.</param>
/// <param name="DifferenceZ">Mean (surprisal − entropy) over its martingale standard error.</param>
/// <param name="Sequences">Sequences with a token in the bucket.</param>
/// <param name="Tokens">Tokens in the bucket.</param>
public sealed record RateBucket(
    int Start,
    int End,
    double Surprisal,
    double SurprisalSe,
    double Entropy,
    double EntropySe,
    double DifferenceZ,
    int Sequences,
    int Tokens
);

/// <summary>Entropy-rate estimates by position bucket.</summary>
public static class EntropyRate
{
    /// <summary>Buckets of <paramref name="width"/> positions over sequences of per-token surprisals and entropies.</summary>
    /// <param name="surprisal">[sequences][t] −ln p̂(x_t), nats.</param>
    /// <param name="entropy">[sequences][t] H_t, nats (same lengths).</param>
    /// <param name="width">Positions per bucket.</param>
    /// <exception cref="ArgumentException">Fewer than 2 sequences, lengths that differ, a bad width, or a non-finite value
    /// (naming the sequence and position).</exception>
    public static RateBucket[] ByBucket(IReadOnlyList<double[]> surprisal, IReadOnlyList<double[]> entropy, int width)
    {
        if (width < 1)
            throw new ArgumentException($"bucket width must be ≥ 1, is {width}");
        if (surprisal.Count < 2 || surprisal.Count != entropy.Count)
            throw new ArgumentException($"need ≥ 2 sequences of surprisals and as many of entropies ({surprisal.Count}, {entropy.Count})");
        for (var s = 0; s < surprisal.Count; s++)
        {
            if (surprisal[s].Length != entropy[s].Length)
                throw new ArgumentException($"sequence {s}: {surprisal[s].Length} surprisals but {entropy[s].Length} entropies");
            for (var t = 0; t < surprisal[s].Length; t++)
                if (!double.IsFinite(surprisal[s][t]) || !double.IsFinite(entropy[s][t]))
                    throw new ArgumentException($"sequence {s}, position {t}: surprisal {surprisal[s][t]}, entropy {entropy[s][t]}");
        }
        var length = surprisal.Max(s => s.Length);
        var buckets = new List<RateBucket>();
        for (var start = 0; start < length; start += width)
        {
            var end = Math.Min(length, start + width);
            var (sMeans, hMeans) = (new List<double>(), new List<double>());
            double d2 = 0,
                dSum = 0;
            var tokens = 0;
            for (var q = 0; q < surprisal.Count; q++)
            {
                var n = Math.Min(end, surprisal[q].Length) - start;
                if (n <= 0)
                    continue;
                double s = 0,
                    h = 0;
                for (var t = start; t < start + n; t++)
                {
                    s += surprisal[q][t];
                    h += entropy[q][t];
                    var d = surprisal[q][t] - entropy[q][t];
                    dSum += d;
                    d2 += d * d;
                }
                sMeans.Add(s / n);
                hMeans.Add(h / n);
                tokens += n;
            }
            var dz = d2 > 0 ? dSum / tokens / (Math.Sqrt(d2) / tokens) : 0;
            buckets.Add(new RateBucket(start, end, Mean(sMeans), Se(sMeans), Mean(hMeans), Se(hMeans), dz, sMeans.Count, tokens));
        }
        return [.. buckets];
    }

    /// <summary>Mean of <paramref name="values"/> (0 when empty).</summary>
    public static double Mean(IReadOnlyList<double> values) => values.Count == 0 ? 0 : values.Average();

    /// <summary>Standard error of the mean (0 below 2 values).</summary>
    public static double Se(IReadOnlyList<double> values)
    {
        if (values.Count < 2)
            return 0;
        var m = values.Average();
        return Math.Sqrt(values.Sum(v => (v - m) * (v - m)) / (values.Count - 1) / values.Count);
    }
}
