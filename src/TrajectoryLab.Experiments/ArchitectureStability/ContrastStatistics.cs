// The numbers architecture-stability reports, computed from the raw measurements with their intervals: t-intervals over
// texts for means, percentile bootstrap over samples for the memory half-life and the median divergence step, Wilson
// intervals for accuracies and fractions.
// References: Efron & Tibshirani (1993) (bootstrap); Wilson (1927), JASA 22:209 (binomial interval).
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Core.Statistics;

namespace TrajectoryLab.Experiments.ArchitectureStability;

/// <summary>Statistics of one model's measurements.</summary>
public static class ContrastStatistics
{
    /// <summary>Mean λ_i over texts with its 95 % t-interval, for i = 0 … k − 1 (cells that broke down left out).</summary>
    public static MeanInterval[] Spectrum(IEnumerable<SpectrumCell> cells)
    {
        var ok = cells.Where(c => c.Breakdown is null).ToArray();
        var k = ok.Length == 0 ? 0 : ok.Min(c => c.Exponents.Length);
        return [.. Enumerable.Range(0, k).Select(i => Sample.MeanWithInterval(ok.Select(c => c.Exponents[i])))];
    }

    /// <summary>The distance at which the mean KL first falls to half its value at the first distance, interpolated
    /// linearly in ln d; NaN when it never does within the measured distances.</summary>
    /// <param name="distances">Ascending distances.</param>
    /// <param name="samples">KL curves over those distances.</param>
    public static double HalfLife(int[] distances, IReadOnlyList<double[]> samples)
    {
        var mean = Enumerable.Range(0, distances.Length).Select(j => samples.Average(s => s[j])).ToArray();
        var half = mean[0] / 2;
        if (!(half > 0))
            return double.NaN;
        for (var j = 1; j < mean.Length; j++)
            if (mean[j] <= half)
            {
                double x0 = Math.Log(Math.Max(distances[j - 1], 0.5)),
                    x1 = Math.Log(Math.Max(distances[j], 0.5));
                var f = (mean[j - 1] - half) / (mean[j - 1] - mean[j]);
                return Math.Exp(x0 + f * (x1 - x0));
            }
        return double.NaN;
    }

    /// <summary>The upper median of the first divergence steps of the copies whose tokens parted, with its bootstrap
    /// interval over copies (a copy that did not part counts as never, so it is resampled but contributes no step).</summary>
    public static Interval MedianDivergence(IReadOnlyList<ButterflyCopy> copies, int resamples, ulong seed)
    {
        static double Median(IReadOnlyList<ButterflyCopy> c)
        {
            var steps = c.Where(x => x.FirstDivergence is not null).Select(x => (double)x.FirstDivergence!.Value).ToArray();
            return steps.Length == 0 ? double.NaN : Sample.Median(steps);
        }
        return copies.Count == 0
            ? new Interval(double.NaN, double.NaN, double.NaN, 0)
            : BootstrapInterval.Of(copies, Median, resamples, seed);
    }

    /// <summary>The 95 % Wilson interval of a proportion <paramref name="successes"/> / <paramref name="trials"/>.</summary>
    public static (double P, double Lower, double Upper) Wilson(int successes, int trials)
    {
        if (trials == 0)
            return (double.NaN, double.NaN, double.NaN);
        const double z = 1.959963984540054;
        double n = trials,
            p = successes / n;
        var centre = (p + z * z / (2 * n)) / (1 + z * z / n);
        var half = z / (1 + z * z / n) * Math.Sqrt(p * (1 - p) / n + z * z / (4 * n * n));
        return (p, centre - half, centre + half);
    }

    /// <summary>Per text, mean of <paramref name="values"/> at positions at or past <paramref name="context"/> minus the mean
    /// before it; the mean difference over texts with its t-interval.</summary>
    public static MeanInterval PastMinusWithin(IEnumerable<double[]> values, int context) =>
        Sample.MeanWithInterval(values.Where(v => v.Length > context).Select(v => v[context..].Average() - v[..context].Average()));

    /// <summary>Window means over texts: x = window centre, mean and t-interval bounds per window.</summary>
    public static (double[] X, double[] Mean, double[] Lower, double[] Upper) Windows(IReadOnlyList<double[]> values, int window)
    {
        var length = values.Min(v => v.Length);
        var count = length / window;
        var (x, mean, lower, upper) = (new double[count], new double[count], new double[count], new double[count]);
        for (var w = 0; w < count; w++)
        {
            var m = Sample.MeanWithInterval(values.Select(v => v.AsSpan(w * window, window).ToArray().Average()));
            (x[w], mean[w], lower[w], upper[w]) = (w * window + window / 2.0, m.Mean, m.Lower, m.Upper);
        }
        return (x, mean, lower, upper);
    }

    /// <summary>KL(p ‖ q) in nats of the softmaxes of two float32 logit rows: Core's <see cref="CrossEntropy.Compute(ReadOnlySpan{double},
    /// ReadOnlySpan{double}, EntropyOptions?)"/> on the rows widened to float64.</summary>
    /// <param name="p">Logits of p.</param>
    /// <param name="q">Logits of q, the same length.</param>
    /// <exception cref="ArgumentException">A row holds a NaN or an infinity (the model's logits are checked finite).</exception>
    public static double Kl(ReadOnlySpan<float> p, ReadOnlySpan<float> q)
    {
        var split = CrossEntropy.Compute(Widen(p), Widen(q));
        if (split.Breakdown != MetricBreakdown.None)
            throw new ArgumentException($"KL of logits that are not finite ({split.Breakdown})");
        return Math.Max(split.Kl, 0); // rounding can leave −1e−16 where p = q
    }

    /// <summary>ln softmax of a float32 logit row in float64: Core's <see cref="LogProbabilities.FromLogits"/>.</summary>
    /// <param name="logits">The row.</param>
    /// <param name="result">Its log-probabilities, the same length.</param>
    /// <exception cref="ArgumentException">The row holds a NaN or an infinity.</exception>
    public static void LogSoftmax(ReadOnlySpan<float> logits, Span<double> result)
    {
        var breakdown = LogProbabilities.FromLogits(Widen(logits), result, 1.0, null, out _);
        if (breakdown != MetricBreakdown.None)
            throw new ArgumentException($"log-softmax of logits that are not finite ({breakdown})");
    }

    private static double[] Widen(ReadOnlySpan<float> row)
    {
        var wide = new double[row.Length];
        for (var i = 0; i < row.Length; i++)
            wide[i] = row[i];
        return wide;
    }
}
