// Ensemble-averaged divergence of many perturbed pairs, followed without renormalisation (finite-size growth).
// Kantz (1994), Phys. Lett. A 185:77 (averaged log-divergence curve); Aurell, Boffetta, Crisanti, Paladin, Vulpiani
// (1997), J. Phys. A 30:1 (finite-size exponents). Defaults: Steps = 100, fit [0, 20].
using TrajectoryLab.Core.Dynamics;

namespace TrajectoryLab.Core.Lyapunov;

/// <summary>Parameters of <see cref="EnsembleDivergence"/>. Counts are in steps.</summary>
/// <param name="Steps">Steps followed (the curve has Steps + 1 points, t = 0 included). Default 100.</param>
/// <param name="FitStart">First index of the scaling region. Default 0.</param>
/// <param name="FitEnd">Last index of the scaling region (inclusive), before saturation. Default 20.</param>
public sealed record EnsembleDivergenceOptions(int Steps = 100, int FitStart = 0, int FitEnd = 20);

/// <summary>Outcome of <see cref="EnsembleDivergence.Compute"/>.</summary>
/// <param name="Exponent">Slope of ⟨ln d⟩ against t over the scaling region; NaN on breakdown.</param>
/// <param name="Time">t_n = n·Δt, n = 0..Steps.</param>
/// <param name="MeanLogDistance">⟨ln d(t)⟩ over the pairs whose distance is positive and finite.</param>
/// <param name="LogMeanDistance">ln ⟨d(t)⟩ over the pairs whose distance is finite (dominated by the fastest pairs).</param>
/// <param name="Pairs">Number of pairs with positive, finite distance at each t (pairs that merged exactly drop out).</param>
/// <param name="Fit">Least-squares line through ⟨ln d⟩ over [FitStart, FitEnd].</param>
/// <param name="Breakdown">Why no exponent could be fitted; null on success.</param>
public sealed record EnsembleDivergenceResult(
    double Exponent,
    double[] Time,
    double[] MeanLogDistance,
    double[] LogMeanDistance,
    int[] Pairs,
    LineFit Fit,
    string? Breakdown
)
{
    /// <summary>True when the fit succeeded.</summary>
    public bool Succeeded => Breakdown is null;
}

/// <summary>Mean log-distance of an ensemble of perturbed pairs over time, and its growth rate.</summary>
public static class EnsembleDivergence
{
    /// <summary>Steps every pair <c>Steps</c> times without renormalising and records the ensemble curves.</summary>
    /// <remarks>
    /// In the linear regime ⟨ln d(t)⟩ ≈ ⟨ln d(0)⟩ + λ1 t, so the slope over the scaling region estimates λ1; past it the curve
    /// saturates at the attractor size (or, for a language model, the token-level distance). The gap ln⟨d⟩ − ⟨ln d⟩ measures
    /// the spread of finite-time growth across the ensemble. All pairs must share one time step.
    /// </remarks>
    /// <exception cref="ArgumentException">No pairs, different time steps, or a fit range outside [0, Steps].</exception>
    public static EnsembleDivergenceResult Compute(IReadOnlyList<IPerturbedPair> pairs, EnsembleDivergenceOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        options ??= new EnsembleDivergenceOptions();
        if (pairs.Count == 0)
            throw new ArgumentException("The ensemble is empty.", nameof(pairs));
        var dt = pairs[0].TimeStep;
        if (pairs.Any(p => p.TimeStep != dt))
            throw new ArgumentException("All pairs must have the same time step.", nameof(pairs));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.Steps, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.FitEnd, options.Steps, nameof(options));

        var n = options.Steps + 1;
        var meanLog = new double[n]; // (Steps + 1,)
        var logMean = new double[n]; // (Steps + 1,)
        var counts = new int[n]; // (Steps + 1,)
        for (var t = 0; t < n; t++)
        {
            if (t > 0)
                foreach (var pair in pairs)
                    pair.Step();
            var distances = pairs.Select(p => p.Distance()).ToArray();
            var positive = distances.Where(d => d > 0 && double.IsFinite(d)).ToArray();
            var finite = distances.Where(double.IsFinite).ToArray();
            counts[t] = positive.Length;
            meanLog[t] = positive.Length > 0 ? positive.Average(Math.Log) : double.NaN;
            logMean[t] = finite.Length > 0 ? Math.Log(finite.Average()) : double.NaN;
        }

        var time = Enumerable.Range(0, n).Select(t => t * dt).ToArray();
        var (fit, breakdown) = LineFit.Over(time, meanLog, options.FitStart, options.FitEnd);
        return new EnsembleDivergenceResult(fit.Slope, time, meanLog, logMean, counts, fit, breakdown);
    }
}
