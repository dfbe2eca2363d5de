// Equal-width histogram of a sample over [min, max]: the binning shared by the Core distributions (finite-time
// exponents, and any caller that wants the same bins). Bins are [Lower, Upper) except the last, which is closed, so
// every finite value is counted once. Defaults: none (the caller chooses the bin count).

using TrajectoryLab.Core.Lyapunov;

namespace TrajectoryLab.Core.Statistics;

/// <summary>Equal-width histograms returned as <see cref="HistogramBin"/> lists.</summary>
public static class Histogram
{
    /// <summary>Counts the finite values of <paramref name="values"/> in <paramref name="bins"/> equal-width bins over [min,
    /// max].</summary>
    /// <param name="values">The sample, in any order; NaN and ±∞ are not counted.</param>
    /// <param name="bins">Number of bins, at least 1.</param>
    /// <returns>
    /// <paramref name="bins"/> bins whose counts sum to the number of finite values; a single bin [v, v] when every finite value
    /// equals v; no bins when there is no finite value.
    /// </returns>
    /// <remarks>
    /// Value v goes to bin ⌊(v − min) / w⌋ with w = (max − min) / bins, clamped to the last bin (which holds max). Bin b is
    /// [min + b·w, min + (b + 1)·w), and the upper edge of the last bin is max itself rather than min + bins·w.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="bins"/> is below 1.</exception>
    public static HistogramBin[] EqualWidth(IEnumerable<double> values, int bins)
    {
        ArgumentNullException.ThrowIfNull(values);
        ArgumentOutOfRangeException.ThrowIfLessThan(bins, 1);
        var finite = values.Where(double.IsFinite).ToArray(); // (n,)
        if (finite.Length == 0)
            return [];
        double min = finite.Min(),
            max = finite.Max();
        if (max == min)
            return [new HistogramBin(min, max, finite.Length)];
        var width = (max - min) / bins;
        var counts = new int[bins]; // (bins,)
        foreach (var v in finite)
            counts[Math.Min((int)((v - min) / width), bins - 1)]++;
        return Enumerable
            .Range(0, bins)
            .Select(b => new HistogramBin(min + b * width, b == bins - 1 ? max : min + (b + 1) * width, counts[b]))
            .ToArray();
    }
}
