// Aggregates of a per-position metric over a batch or a sequence: mean and quantiles (P50, P90).
// Quantiles are Core.Statistics.Sample's (Hyndman & Fan 1996, definition 7; numpy's default).

namespace TrajectoryLab.Core.Metrics;

/// <summary>Mean and quantiles of the finite values of a series; NaN entries are counted, not used.</summary>
/// <param name="Mean">Arithmetic mean of the finite values.</param>
/// <param name="P50">Median.</param>
/// <param name="P90">90th percentile.</param>
/// <param name="Count">Number of finite values used.</param>
/// <param name="NaNCount">Number of NaN values left out (rows that broke down).</param>
public sealed record AggregateSummary(double Mean, double P50, double P90, int Count, int NaNCount);

/// <summary>Mean and quantiles over a batch or sequence.</summary>
public static class EntropyAggregates
{
    /// <summary>Mean, P50 and P90 of the non-NaN values; all NaN (and Count 0) when none is left.</summary>
    public static AggregateSummary Summarize(ReadOnlySpan<double> values)
    {
        var sorted = SortedFinite(values);
        return new AggregateSummary(
            sorted.Length == 0 ? double.NaN : sorted.Average(),
            QuantileOfSorted(sorted, 0.5),
            QuantileOfSorted(sorted, 0.9),
            sorted.Length,
            values.Length - sorted.Length
        );
    }

    /// <summary>The q-quantile of the non-NaN values, 0 ≤ q ≤ 1; NaN when none is left.</summary>
    /// <remarks>Hyndman–Fan type 7: h = (n − 1) q, Q = x_(⌊h⌋) + (h − ⌊h⌋)(x_(⌊h⌋+1) − x_(⌊h⌋)) on sorted x (0-based).</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="q"/> outside [0, 1].</exception>
    public static double Quantile(ReadOnlySpan<double> values, double q) => QuantileOfSorted(SortedFinite(values), q);

    private static double[] SortedFinite(ReadOnlySpan<double> values) => Statistics.Sample.Sorted(values.ToArray());

    private static double QuantileOfSorted(double[] sorted, double q) => Statistics.Sample.QuantileOfSorted(sorted, q);
}
