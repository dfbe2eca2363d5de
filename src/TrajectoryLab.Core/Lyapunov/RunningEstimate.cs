// One point of a convergence curve: the exponent estimates accumulated up to a given time.
namespace TrajectoryLab.Core.Lyapunov;

/// <summary>The running exponent estimates after <paramref name="Time"/> units of time (one value per direction).</summary>
/// <param name="Time">Time measured since the end of the transient.</param>
/// <param name="Values">Running estimates, one per direction: (1/t) Σ ln(growth) over the intervals so far.</param>
public sealed record RunningEstimate(double Time, double[] Values);
