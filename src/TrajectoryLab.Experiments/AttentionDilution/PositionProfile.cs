// Running means over texts of quantities indexed by query position (texts may differ in length), and the range and
// window means of the resulting per-position means for the report. No science here; the references are those of
// attention-dilution: Zhai et al. (2023), ICML; Press et al. (2022), ICLR (extrapolation past the training length).
namespace TrajectoryLab.Experiments.AttentionDilution;

/// <summary>A mean over texts at every position, NaN entries skipped.</summary>
/// <param name="length">The longest position count to hold.</param>
public sealed class PositionProfile(int length)
{
    private readonly double[] _sum = new double[length];
    private readonly int[] _count = new int[length];

    /// <summary>Positions held.</summary>
    public int Length => _sum.Length;

    /// <summary>Adds <paramref name="value"/> at <paramref name="position"/> unless it is NaN or infinite.</summary>
    /// <param name="position">The position.</param>
    /// <param name="value">The value.</param>
    public void Add(int position, double value)
    {
        if (!double.IsFinite(value))
            return;
        _sum[position] += value;
        _count[position]++;
    }

    /// <summary>The mean at <paramref name="position"/> (NaN when nothing was added there).</summary>
    /// <param name="position">The position.</param>
    public double Mean(int position) => _count[position] == 0 ? double.NaN : _sum[position] / _count[position];

    /// <summary>[position] the mean at every position (NaN where nothing was added).</summary>
    public double[] Means() => [.. Enumerable.Range(0, Length).Select(Mean)];
}

/// <summary>Range and window means of per-position means (NaN entries skipped).</summary>
public static class PositionMeans
{
    /// <summary>The mean over positions [<paramref name="from"/>, <paramref name="to"/>) of <paramref name="means"/>
    /// (NaN skipped; NaN when nothing is left).</summary>
    /// <param name="means">[position] per-position means.</param>
    /// <param name="from">First position.</param>
    /// <param name="to">One past the last position.</param>
    public static double RangeMean(this double[] means, int from, int to)
    {
        var values = Enumerable
            .Range(from, Math.Max(0, Math.Min(to, means.Length) - from))
            .Select(t => means[t])
            .Where(double.IsFinite)
            .ToArray();
        return values.Length == 0 ? double.NaN : values.Average();
    }

    /// <summary>Window centres and window means of width <paramref name="window"/> (windows with no value dropped).</summary>
    /// <param name="means">[position] per-position means.</param>
    /// <param name="window">Positions per window.</param>
    public static (double[] X, double[] Y) Windows(this double[] means, int window)
    {
        var length = means.Length;
        var points = Enumerable
            .Range(0, (length + window - 1) / window)
            .Select(w =>
                (
                    X: w * window + (Math.Min(length, (w + 1) * window) - w * window - 1) / 2.0,
                    Y: means.RangeMean(w * window, (w + 1) * window)
                )
            )
            .Where(p => double.IsFinite(p.Y))
            .ToArray();
        return ([.. points.Select(p => p.X)], [.. points.Select(p => p.Y)]);
    }
}
