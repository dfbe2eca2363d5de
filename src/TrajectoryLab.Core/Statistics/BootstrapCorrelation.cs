// Pearson or Spearman correlation of paired samples with a percentile-bootstrap confidence interval.
// Efron, Tibshirani (1993), "An Introduction to the Bootstrap", Chapman & Hall, ch. 13 (the percentile interval);
// Spearman (1904), Am. J. Psychol. 15:72.
// Coefficients by MathNet.Numerics (Correlation.Pearson / Correlation.Spearman, ties given their average rank).
// Resampling is driven by SplitMix64 (Steele, Lea, Flood 2014, OOPSLA "Fast splittable pseudorandom number generators"),
// so an interval depends only on the data, the options and the seed (not on the runtime's System.Random).
// Defaults: Method = Pearson, Resamples = 2000, Confidence = 0.95, Seed = 0.
using System.Globalization;
using MathNet.Numerics.Statistics;
using TrajectoryLab.Core.Randomness;

namespace TrajectoryLab.Core.Statistics;

/// <summary>Which correlation coefficient <see cref="BootstrapCorrelation"/> measures.</summary>
public enum CorrelationMethod
{
    /// <summary>Pearson's product-moment r: linear association.</summary>
    Pearson = 0,

    /// <summary>Spearman's ρ: Pearson's r of the ranks (ties get their average rank); monotone association.</summary>
    Spearman,
}

/// <summary>Parameters of <see cref="BootstrapCorrelation"/>.</summary>
/// <param name="Method">The coefficient. Default Pearson.</param>
/// <param name="Resamples">Bootstrap resamples B. Default 2000 (Efron and Tibshirani 1993 advise B of 1000 or more for percentile
/// intervals, far more than for a standard error).</param>
/// <param name="Confidence">Coverage 1 − α of the interval, in (0, 1). Default 0.95.</param>
/// <param name="Seed">Seed of the resampling stream; equal seeds give equal intervals. Default 0.</param>
public sealed record BootstrapCorrelationOptions(
    CorrelationMethod Method = CorrelationMethod.Pearson,
    int Resamples = 2000,
    double Confidence = 0.95,
    ulong Seed = 0
);

/// <summary>A correlation coefficient with its percentile-bootstrap interval; NaN values come with a <paramref
/// name="Breakdown"/>.</summary>
/// <param name="Method">The coefficient measured.</param>
/// <param name="R">The coefficient of the <paramref name="N"/> finite pairs, in [−1, 1] (exactly ±1 for an exact line); NaN on
/// breakdown.</param>
/// <param name="Lower">The α/2 quantile of the bootstrap coefficients (α = 1 − <paramref name="Confidence"/>); NaN on breakdown.</param>
/// <param name="Upper">The 1 − α/2 quantile of the bootstrap coefficients; NaN on breakdown.</param>
/// <param name="Confidence">The coverage 1 − α asked for.</param>
/// <param name="N">Pairs used: those with both values finite.</param>
/// <param name="Dropped">Pairs left out because x or y was NaN or ±∞.</param>
/// <param name="Resamples">Bootstrap coefficients the interval was taken from.</param>
/// <param name="DegenerateResamples">Resamples left out because a variable was constant in them (their coefficient is undefined).</param>
/// <param name="Breakdown">Why a value is NaN; null on success.</param>
public sealed record BootstrapCorrelationResult(
    CorrelationMethod Method,
    double R,
    double Lower,
    double Upper,
    double Confidence,
    int N,
    int Dropped,
    int Resamples,
    int DegenerateResamples,
    string? Breakdown
)
{
    /// <summary>True when the coefficient and its interval were measured.</summary>
    public bool Succeeded => Breakdown is null;
}

/// <summary>Correlation of paired samples with a seeded percentile-bootstrap confidence interval.</summary>
public static class BootstrapCorrelation
{
    /// <summary>Measures the correlation of (x_i, y_i) and its percentile-bootstrap interval.</summary>
    /// <param name="x">First variable.</param>
    /// <param name="y">Second variable, paired with <paramref name="x"/> by index.</param>
    /// <param name="options">Method, resamples, confidence and seed; defaults when null.</param>
    /// <remarks>
    /// Pairs with a non-finite member are dropped. Each of the B resamples draws N pair indices uniformly with replacement
    /// (the pairs stay together) and computes the coefficient; resamples in which x or y is constant are left out and
    /// counted. The interval is [q(α/2), q(1 − α/2)] of the remaining coefficients, quantiles by definition R-7 (as numpy;
    /// Efron and Tibshirani's order statistic B·α up to interpolation). A coefficient within 1e-12 of ±1 (or beyond it) is set to ±1:
    /// rounding alone leaves an exact line a few ulps short of ±1.
    /// The percentile interval is transformation-respecting but not bias-corrected; for strongly skewed bootstrap
    /// distributions (|r| near 1, small N) its coverage is below nominal (Efron and Tibshirani 1993, ch. 14). Cost O(B · N)
    /// for Pearson, O(B · N log N) for Spearman.
    /// Breakdowns: fewer than 3 finite pairs, a constant variable, or every resample degenerate (R is kept then).
    /// </remarks>
    /// <exception cref="ArgumentException">x and y differ in length, Resamples &lt; 1, or Confidence is not in (0, 1).</exception>
    public static BootstrapCorrelationResult Compute(
        IReadOnlyList<double> x,
        IReadOnlyList<double> y,
        BootstrapCorrelationOptions? options = null
    )
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(y);
        options ??= new BootstrapCorrelationOptions();
        if (x.Count != y.Count)
            throw new ArgumentException($"x has {x.Count} values but y has {y.Count}; the samples must be paired.", nameof(y));
        if (options.Resamples < 1)
            throw new ArgumentException($"Resamples must be at least 1 (got {options.Resamples}).", nameof(options));
        if (!(options.Confidence > 0 && options.Confidence < 1))
            throw new ArgumentException(
                $"Confidence must be in (0, 1) (got {options.Confidence.ToString(CultureInfo.InvariantCulture)}).",
                nameof(options)
            );

        var keep = Enumerable.Range(0, x.Count).Where(i => double.IsFinite(x[i]) && double.IsFinite(y[i])).ToArray();
        var xs = keep.Select(i => x[i]).ToArray(); // (n,)
        var ys = keep.Select(i => y[i]).ToArray(); // (n,)
        var n = xs.Length;
        var dropped = x.Count - n;
        BootstrapCorrelationResult Failed(string reason, double r = double.NaN, int degenerate = 0) =>
            new(options.Method, r, double.NaN, double.NaN, options.Confidence, n, dropped, 0, degenerate, reason);

        if (n < 3)
            return Failed($"{n} finite pairs ({dropped} dropped): a correlation needs at least 3.");
        if (IsConstant(xs))
            return Failed($"x is constant ({xs[0].ToString("R", CultureInfo.InvariantCulture)}) over the {n} finite pairs.");
        if (IsConstant(ys))
            return Failed($"y is constant ({ys[0].ToString("R", CultureInfo.InvariantCulture)}) over the {n} finite pairs.");
        var estimate = Coefficient(xs, ys, options.Method);
        if (double.IsNaN(estimate))
            return Failed("The coefficient is not finite (the variances underflow).");

        var rng = new SplitMix64(options.Seed);
        var bx = new double[n]; // (n,) resampled x
        var by = new double[n]; // (n,) resampled y
        var coefficients = new List<double>(options.Resamples);
        var degenerate = 0;
        for (var b = 0; b < options.Resamples; b++)
        {
            for (var k = 0; k < n; k++)
            {
                var i = rng.NextIndex(n);
                bx[k] = xs[i];
                by[k] = ys[i];
            }

            var r = IsConstant(bx) || IsConstant(by) ? double.NaN : Coefficient(bx, by, options.Method);
            if (double.IsNaN(r))
                degenerate++;
            else
                coefficients.Add(r);
        }

        if (coefficients.Count == 0)
            return Failed($"All {options.Resamples} resamples were degenerate (a variable constant in each).", estimate, degenerate);

        var sorted = coefficients.ToArray();
        Array.Sort(sorted);
        var alpha = 1 - options.Confidence;
        return new BootstrapCorrelationResult(
            options.Method,
            estimate,
            Sample.QuantileOfSorted(sorted, alpha / 2),
            Sample.QuantileOfSorted(sorted, 1 - alpha / 2),
            options.Confidence,
            n,
            dropped,
            sorted.Length,
            degenerate,
            null
        );
    }

    /// <summary>The coefficient, with |r| within <see cref="UnitSnap"/> of 1 set to ±1; NaN when it is not finite.</summary>
    private static double Coefficient(double[] x, double[] y, CorrelationMethod method)
    {
        var r = method switch
        {
            CorrelationMethod.Pearson => Correlation.Pearson(x, y),
            CorrelationMethod.Spearman => Correlation.Spearman(x, y),
            _ => throw new ArgumentOutOfRangeException(nameof(method), method, "Unknown correlation method."),
        };
        if (!double.IsFinite(r))
            return double.NaN;
        return 1 - Math.Abs(r) <= UnitSnap ? Math.Sign(r) : r;
    }

    /// <summary>
    /// Rounding in the moment sums leaves an exact line (or, for Spearman, equal ranks) a few ulps short of ±1, and by
    /// different amounts in different resamples; a coefficient this close to ±1 is not resolvable from such rounding.
    /// </summary>
    private const double UnitSnap = 1e-12;

    private static bool IsConstant(double[] values)
    {
        for (var i = 1; i < values.Length; i++)
            if (values[i] != values[0])
                return false;
        return true;
    }
}
