// Why a metric could not be computed. Breakdown is a result (NaN + this reason), never an exception.
// Reference: ChaosTools.jl convention "breakdown returns NaN with a warning".

namespace TrajectoryLab.Core.Metrics;

/// <summary>The reason a metric value is NaN; <see cref="None"/> when the value is valid.</summary>
public enum MetricBreakdown
{
    /// <summary>The value is valid.</summary>
    None = 0,

    /// <summary>An input entry that counts (inside the mask) was NaN, or a probability was negative.</summary>
    NaNInput,

    /// <summary>A logit inside the mask was +∞, so the distribution is not defined by a softmax.</summary>
    PositiveInfinity,

    /// <summary>No token has positive probability: the mask is empty or every allowed logit is −∞.</summary>
    EmptySupport,

    /// <summary>Nothing to measure: a zero matrix (no singular-value spectrum), a zero row, a recurrence plot with no recurrence.</summary>
    ZeroInput,

    /// <summary>The input is too short for the metric (e.g. fewer tokens than the n-gram order).</summary>
    TooShort,
}

/// <summary>A scalar metric value with its breakdown reason.</summary>
/// <param name="Value">The value; NaN when <paramref name="Breakdown"/> is not <see cref="MetricBreakdown.None"/>.</param>
/// <param name="Breakdown">Why the value is NaN; <see cref="MetricBreakdown.None"/> when valid.</param>
public readonly record struct MetricValue(double Value, MetricBreakdown Breakdown)
{
    /// <summary>A valid value.</summary>
    public static MetricValue Of(double value) => new(value, MetricBreakdown.None);

    /// <summary>A NaN value with its reason.</summary>
    public static MetricValue Failed(MetricBreakdown reason) => new(double.NaN, reason);
}
