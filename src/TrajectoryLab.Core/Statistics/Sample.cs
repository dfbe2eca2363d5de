// One statistics vocabulary for every experiment: quantiles by a single stated definition, the median, and the mean with
// a Student-t interval. Quantiles are Hyndman & Fan (1996) definition 7 (numpy's default, R's type 7): with the n values
// sorted x_0 ≤ … ≤ x_{n−1} and h = (n − 1) q, Q(q) = x_⌊h⌋ + (h − ⌊h⌋)(x_⌊h⌋+1 − x_⌊h⌋). NaN values are left out (and
// counted where a summary reports them); ±∞ are order statistics like any other (a search that never succeeded is +∞).
// References: Hyndman & Fan (1996), Am. Stat. 50:361; Student (1908).
using MathNet.Numerics.Distributions;

namespace TrajectoryLab.Core.Statistics;

/// <summary>A mean with its two-sided Student-t confidence interval.</summary>
/// <param name="Mean">Arithmetic mean of the finite values (NaN when there are none).</param>
/// <param name="Lower">Lower end of the interval (NaN for fewer than 2 values).</param>
/// <param name="Upper">Upper end.</param>
/// <param name="StandardError">s / √n (NaN for fewer than 2 values).</param>
/// <param name="Count">Finite values used.</param>
public readonly record struct MeanInterval(double Mean, double Lower, double Upper, double StandardError, int Count);

/// <summary>Quantiles, median and mean of samples.</summary>
public static class Sample
{
    /// <summary>The q-quantile (definition 7) of the non-NaN values; NaN when none is left.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="q"/> outside [0, 1].</exception>
    public static double Quantile(IEnumerable<double> values, double q) => QuantileOfSorted(Sorted(values), q);

    /// <summary>The median (the 0.5-quantile, definition 7) of the non-NaN values; NaN when none is left.</summary>
    public static double Median(IEnumerable<double> values) => QuantileOfSorted(Sorted(values), 0.5);

    /// <summary>The q-quantile (definition 7) of values already sorted ascending, with no NaN.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="q"/> outside [0, 1].</exception>
    public static double QuantileOfSorted(IReadOnlyList<double> sorted, double q)
    {
        if (!(q >= 0 && q <= 1))
            throw new ArgumentOutOfRangeException(nameof(q), q, "Quantile level must be in [0, 1].");
        if (sorted.Count == 0)
            return double.NaN;
        var h = (sorted.Count - 1) * q;
        var lo = (int)Math.Floor(h);
        if (h == lo || sorted[lo] == sorted[lo + 1])
            return sorted[lo]; // an order statistic; also keeps ∞ − ∞ out
        return sorted[lo] + (h - lo) * (sorted[lo + 1] - sorted[lo]);
    }

    /// <summary>The mean of the finite values of <paramref name="values"/> with its two-sided <paramref name="confidence"/>
    /// Student-t interval, mean ± t_{(1+c)/2, n−1} · s/√n.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="confidence"/> outside (0, 1).</exception>
    public static MeanInterval MeanWithInterval(IEnumerable<double> values, double confidence = 0.95)
    {
        if (!(confidence > 0 && confidence < 1))
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "Confidence must be in (0, 1).");
        var finite = values.Where(double.IsFinite).ToArray();
        var n = finite.Length;
        if (n == 0)
            return new MeanInterval(double.NaN, double.NaN, double.NaN, double.NaN, 0);
        var mean = finite.Average();
        if (n == 1)
            return new MeanInterval(mean, double.NaN, double.NaN, double.NaN, 1);
        var variance = finite.Sum(v => (v - mean) * (v - mean)) / (n - 1);
        var se = Math.Sqrt(variance / n);
        var t = StudentT.InvCDF(0, 1, n - 1, (1 + confidence) / 2);
        return new MeanInterval(mean, mean - t * se, mean + t * se, se, n);
    }

    /// <summary>The non-NaN values, sorted ascending.</summary>
    public static double[] Sorted(IEnumerable<double> values)
    {
        var kept = values.Where(v => !double.IsNaN(v)).ToArray();
        Array.Sort(kept);
        return kept;
    }
}
