// Distribution of finite-time Lyapunov exponents over windows of fixed length.
// Grassberger, Badii, Politi (1988), J. Stat. Phys. 51:135 (fluctuations of local exponents); Abarbanel, Brown,
// Kennel (1991), J. Nonlinear Sci. 1:175. Defaults: Window = 10 intervals, Bins = 30.
using MathNet.Numerics.Statistics;

namespace TrajectoryLab.Core.Lyapunov;

/// <summary>Parameters of <see cref="FiniteTimeExponents"/>.</summary>
/// <param name="Window">Intervals per window (non-overlapping); the window time is Window × the interval time. Default 10.</param>
/// <param name="Bins">Histogram bins over [min, max] of the window exponents. Default 30.</param>
public sealed record FiniteTimeOptions(int Window = 10, int Bins = 30);

/// <summary>One histogram bin [Lower, Upper) (the last bin is closed); built by <see
/// cref="TrajectoryLab.Core.Statistics.Histogram.EqualWidth"/>.</summary>
/// <param name="Lower">Lower edge (inclusive).</param>
/// <param name="Upper">Upper edge (exclusive, except for the last bin).</param>
/// <param name="Count">Number of values in the bin.</param>
public sealed record HistogramBin(double Lower, double Upper, int Count);

/// <summary>Distribution of window exponents; statistics are NaN on breakdown.</summary>
/// <param name="Exponents">The exponent of each window, in time order.</param>
/// <param name="Mean">Mean of the window exponents (equals the mean local exponent over the windows used).</param>
/// <param name="StandardDeviation">Sample standard deviation (n − 1); NaN for a single window.</param>
/// <param name="P05">5th percentile (quantile definition R-7, as numpy).</param>
/// <param name="P50">Median.</param>
/// <param name="P95">95th percentile.</param>
/// <param name="Histogram">Equal-width bins over [min, max].</param>
/// <param name="Breakdown">Why no distribution could be formed (non-finite local exponents); null on success.</param>
public sealed record FiniteTimeDistribution(
    double[] Exponents,
    double Mean,
    double StandardDeviation,
    double P05,
    double P50,
    double P95,
    IReadOnlyList<HistogramBin> Histogram,
    string? Breakdown
);

/// <summary>Finite-time exponents from a series of local (per-interval) exponents.</summary>
public static class FiniteTimeExponents
{
    /// <summary>Averages <paramref name="localExponents"/> over consecutive non-overlapping windows and summarises the
    /// distribution.</summary>
    /// <param name="localExponents">Local exponents of equal-length intervals, e.g. <see cref="LyapunovSpectrumResult.LocalExponents"/>[i]
    /// or <see cref="MaximalExponentResult.IntervalExponents"/>.</param>
    /// <param name="options">Window and histogram settings.</param>
    /// <remarks>
    /// The exponent of window w is λ_w = (1/W) Σ_{m in w} λ_m: the growth rate over W·Δt. Its spread shrinks like 1/√W for
    /// a uniformly hyperbolic system; heavy tails mark intermittent or non-hyperbolic dynamics. A trailing partial window is dropped.
    /// </remarks>
    /// <exception cref="ArgumentException">The series is shorter than one window, or an option is below 1.</exception>
    public static FiniteTimeDistribution Compute(IReadOnlyList<double> localExponents, FiniteTimeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(localExponents);
        options ??= new FiniteTimeOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Window, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Bins, 1, nameof(options));
        var count = localExponents.Count / options.Window;
        if (count == 0)
            throw new ArgumentException(
                $"The series ({localExponents.Count} values) is shorter than one window ({options.Window}).",
                nameof(localExponents)
            );

        var windows = new double[count]; // (count,)
        for (var w = 0; w < count; w++)
        {
            var sum = 0.0;
            for (var m = 0; m < options.Window; m++)
                sum += localExponents[w * options.Window + m];
            windows[w] = sum / options.Window;
        }
        if (!windows.All(double.IsFinite))
            return new FiniteTimeDistribution(
                windows,
                double.NaN,
                double.NaN,
                double.NaN,
                double.NaN,
                double.NaN,
                [],
                "The local-exponent series contains non-finite values."
            );

        var sorted = windows.OrderBy(v => v).ToArray();
        double Quantile(double tau) => Statistics.Sample.QuantileOfSorted(sorted, tau);
        return new FiniteTimeDistribution(
            windows,
            windows.Mean(),
            count > 1 ? windows.StandardDeviation() : double.NaN,
            Quantile(0.05),
            Quantile(0.5),
            Quantile(0.95),
            TrajectoryLab.Core.Statistics.Histogram.EqualWidth(sorted, options.Bins),
            null
        );
    }
}
