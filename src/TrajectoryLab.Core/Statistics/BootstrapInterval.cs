// The percentile bootstrap interval of any statistic of a sample (Efron & Tibshirani 1993, "An Introduction to the
// Bootstrap", ch. 13): resample with replacement, recompute, take the (1 ± c)/2 quantiles. Deterministic for a seed.
using TrajectoryLab.Core.Randomness;

namespace TrajectoryLab.Core.Statistics;

/// <summary>A statistic with its bootstrap interval.</summary>
/// <param name="Value">The statistic of the whole sample.</param>
/// <param name="Lower">Lower percentile bound.</param>
/// <param name="Upper">Upper percentile bound.</param>
/// <param name="Resamples">Resamples whose statistic was finite (the bounds are their quantiles).</param>
public readonly record struct Interval(double Value, double Lower, double Upper, int Resamples);

/// <summary>Percentile bootstrap intervals.</summary>
public static class BootstrapInterval
{
    /// <summary>The statistic of <paramref name="sample"/> and its percentile interval over <paramref name="resamples"/>
    /// resamples; a resample whose statistic is not finite is left out (and not counted).</summary>
    /// <typeparam name="T">Sample element.</typeparam>
    /// <param name="sample">The observations (at least one).</param>
    /// <param name="statistic">The statistic, of any list of observations.</param>
    /// <param name="resamples">Bootstrap resamples (≥ 1).</param>
    /// <param name="seed">Seed of the resampling stream.</param>
    /// <param name="confidence">Two-sided confidence, in (0, 1).</param>
    /// <exception cref="ArgumentException">An empty sample, resamples &lt; 1 or confidence outside (0, 1).</exception>
    public static Interval Of<T>(
        IReadOnlyList<T> sample,
        Func<IReadOnlyList<T>, double> statistic,
        int resamples = 1000,
        ulong seed = 1,
        double confidence = 0.95
    )
    {
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(statistic);
        if (sample.Count == 0)
            throw new ArgumentException("the sample is empty", nameof(sample));
        if (resamples < 1)
            throw new ArgumentException("at least one resample is needed", nameof(resamples));
        if (!(confidence > 0 && confidence < 1))
            throw new ArgumentException($"confidence {confidence} is outside (0, 1)", nameof(confidence));
        var random = new SplitMix64(seed);
        var values = new List<double>(resamples);
        var drawn = new T[sample.Count];
        for (var r = 0; r < resamples; r++)
        {
            for (var i = 0; i < drawn.Length; i++)
                drawn[i] = sample[(int)(random.NextDouble() * sample.Count)];
            var v = statistic(drawn);
            if (double.IsFinite(v))
                values.Add(v);
        }
        var sorted = Sample.Sorted(values);
        var tail = (1 - confidence) / 2;
        return sorted.Length == 0
            ? new Interval(statistic(sample), double.NaN, double.NaN, 0)
            : new Interval(
                statistic(sample),
                Sample.QuantileOfSorted(sorted, tail),
                Sample.QuantileOfSorted(sorted, 1 - tail),
                sorted.Length
            );
    }
}
