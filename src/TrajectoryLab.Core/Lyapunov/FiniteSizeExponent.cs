// Finite-size Lyapunov exponent (FSLE) from an ensemble of distance curves: the growth rate of a perturbation of size δ,
// measured by the time it takes to grow from δ to rδ.
// Aurell, Boffetta, Crisanti, Paladin, Vulpiani (1996), Phys. Rev. Lett. 77:1262 ("Growth of noninfinitesimal
// perturbations in turbulence"); (1997), J. Phys. A 30:1 ("Predictability in the large: an extension of the concept of
// Lyapunov exponent"); review: Boffetta, Cencini, Falcioni, Vulpiani (2002), Phys. Rep. 356:367, §3.
// λ(δ) → λ1 as δ → 0; past the linear regime it measures the slower, scale-dependent growth up to saturation.
// Defaults: Ratio = √2, Count = 20 scales.
using System.Globalization;
using TrajectoryLab.Core.Dynamics;

namespace TrajectoryLab.Core.Lyapunov;

/// <summary>Parameters of <see cref="FiniteSizeExponent"/>: the thresholds δ_n = Delta0 · Ratio^n, n = 0..Count.</summary>
/// <param name="Delta0">Smallest threshold δ_0; choose it above the initial distances so that every pair starts below it.</param>
/// <param name="Ratio">Threshold ratio r &gt; 1. Default √2; r = 2 gives the doubling times of Aurell et al.</param>
/// <param name="Count">Number of scales at which λ(δ) is reported (Count + 1 thresholds are crossed). Default 20.</param>
public sealed record FiniteSizeOptions(double Delta0, double Ratio = 1.4142135623730951, int Count = 20);

/// <summary>The finite-size exponent at one scale δ_n; the exponent and its error are NaN on breakdown.</summary>
/// <param name="Delta">The scale δ_n = δ_0 rⁿ.</param>
/// <param name="Exponent">λ(δ_n) = ln r / ⟨T_{n+1} − T_n⟩ per unit time, averaged over the <paramref name="Used"/> pairs.</param>
/// <param name="StandardError">Delta-method standard error λ · s_τ / (√N ⟨τ⟩) of the exponent, from the spread s_τ of the growth times τ
/// over the N used pairs; NaN when N &lt; 2.</param>
/// <param name="MeanTime">⟨τ⟩ = ⟨T_{n+1} − T_n⟩, the mean time to grow from δ_n to δ_{n+1}; NaN when no pair was used.</param>
/// <param name="Reached">Pairs that crossed δ_n from below (started below it and later reached d ≥ δ_n).</param>
/// <param name="Used">Pairs that crossed both δ_n and δ_{n+1} from below: the pairs averaged.</param>
/// <param name="StartedAbove">Pairs whose first distance was already ≥ δ_n: their crossing time is unknown, so they are left out at this
/// scale.</param>
/// <param name="Breakdown">Why <paramref name="Exponent"/> is NaN; null on success.</param>
public sealed record FiniteSizeScale(
    double Delta,
    double Exponent,
    double StandardError,
    double MeanTime,
    int Reached,
    int Used,
    int StartedAbove,
    string? Breakdown
)
{
    /// <summary>True when the exponent at this scale was measured.</summary>
    public bool Succeeded => Breakdown is null;
}

/// <summary>Outcome of <see cref="FiniteSizeExponent.Compute"/>.</summary>
/// <param name="Scales">λ(δ_n) for n = 0..Count − 1, in increasing δ.</param>
/// <param name="Pairs">Number of distance curves given.</param>
/// <param name="Truncated">Curves that held a non-finite distance; each is used only up to its first non-finite sample.</param>
public sealed record FiniteSizeResult(IReadOnlyList<FiniteSizeScale> Scales, int Pairs, int Truncated);

/// <summary>The finite-size Lyapunov exponent λ(δ) of an ensemble of perturbed pairs.</summary>
public static class FiniteSizeExponent
{
    /// <summary>Computes λ(δ_n) from the distance curves d_j(t_k), t_k = k·<paramref name="timeStep"/>, of independent pairs.</summary>
    /// <param name="curves">One distance curve per pair, d_j(t_0), d_j(t_1), …; curves may differ in length (a short curve simply reaches
    /// fewer thresholds).</param>
    /// <param name="timeStep">Δt between samples (1 for a map or a token step).</param>
    /// <param name="options">The thresholds.</param>
    /// <remarks>
    /// For pair j and threshold δ_n, T_n^j = t_k for the first k with d_j(t_k) ≥ δ_n, provided d_j(t_0) &lt; δ_n (a pair that
    /// starts at or above δ_n has no crossing time there). Then λ(δ_n) = ln r / ⟨T_{n+1} − T_n⟩, the mean over the pairs
    /// crossing both thresholds (Aurell et al. 1997: the average of the times, not of their inverses). Crossing
    /// times are sample times, so one growth time is within Δt of the continuous one; when T_{n+1} − T_n is a few Δt only,
    /// the sampling bias averages out over pairs whose phases relative to the sampling grid differ. A pair that saturates
    /// below δ_{n+1} does not count at δ_n: the exponent near saturation describes the pairs that still grow, and
    /// <see cref="FiniteSizeScale.Used"/> says how many did. Cost O(Σ_j length_j + pairs · Count).
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="curves"/> is empty or holds a null curve, <paramref name="timeStep"/> is not
    /// positive and finite, δ_0 is not positive and finite, r is not finite and &gt; 1, or Count &lt; 1.</exception>
    public static FiniteSizeResult Compute(IReadOnlyList<double[]> curves, double timeStep, FiniteSizeOptions options)
    {
        ArgumentNullException.ThrowIfNull(curves);
        ArgumentNullException.ThrowIfNull(options);
        if (curves.Count == 0)
            throw new ArgumentException("There are no distance curves.", nameof(curves));
        if (curves.Any(c => c is null))
            throw new ArgumentException("A distance curve is null.", nameof(curves));
        if (!(timeStep > 0) || !double.IsFinite(timeStep))
            throw new ArgumentException(
                $"The time step must be positive and finite (got {timeStep.ToString(CultureInfo.InvariantCulture)}).",
                nameof(timeStep)
            );
        if (!(options.Delta0 > 0) || !double.IsFinite(options.Delta0))
            throw new ArgumentException(
                $"Delta0 must be positive and finite (got {options.Delta0.ToString(CultureInfo.InvariantCulture)}).",
                nameof(options)
            );
        if (!(options.Ratio > 1) || !double.IsFinite(options.Ratio))
            throw new ArgumentException(
                $"Ratio must be finite and greater than 1 (got {options.Ratio.ToString(CultureInfo.InvariantCulture)}).",
                nameof(options)
            );
        if (options.Count < 1)
            throw new ArgumentException($"Count must be at least 1 (got {options.Count}).", nameof(options));

        // thresholds: (Count + 1,)
        var thresholds = Enumerable.Range(0, options.Count + 1).Select(n => options.Delta0 * Math.Pow(options.Ratio, n)).ToArray();
        var reached = new int[options.Count + 1]; // (Count + 1,) pairs crossing δ_n from below
        var startedAbove = new int[options.Count + 1]; // (Count + 1,)
        var used = new int[options.Count]; // (Count,)
        var sum = new double[options.Count]; // (Count,) Σ τ
        var sumSquares = new double[options.Count]; // (Count,) Σ τ²
        var crossing = new int[options.Count + 1]; // (Count + 1,) sample index of T_n for the current pair, −1 when none
        var truncated = 0;

        foreach (var curve in curves)
        {
            var length = Array.FindIndex(curve, v => !double.IsFinite(v));
            if (length >= 0)
                truncated++;
            else
                length = curve.Length;

            // Thresholds increase, so the first-crossing indices do not decrease: one sweep over the curve.
            var k = 0;
            for (var n = 0; n <= options.Count; n++)
            {
                crossing[n] = -1;
                if (length == 0)
                    continue;
                if (curve[0] >= thresholds[n])
                {
                    startedAbove[n]++;
                    continue;
                }

                while (k < length && curve[k] < thresholds[n])
                    k++;
                if (k == length)
                    continue;
                crossing[n] = k;
                reached[n]++;
            }

            for (var n = 0; n < options.Count; n++)
            {
                if (crossing[n] < 0 || crossing[n + 1] < 0)
                    continue;
                var tau = (crossing[n + 1] - crossing[n]) * timeStep;
                used[n]++;
                sum[n] += tau;
                sumSquares[n] += tau * tau;
            }
        }

        var logRatio = Math.Log(options.Ratio);
        var scales = new FiniteSizeScale[options.Count]; // (Count,)
        for (var n = 0; n < options.Count; n++)
        {
            var delta = thresholds[n];
            string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
            if (used[n] == 0)
            {
                var reason =
                    reached[n] == 0
                        ? $"No pair crossed δ = {F(delta)} from below ({startedAbove[n]} of {curves.Count} started at or above it)."
                        : $"None of the {reached[n]} pairs that crossed δ = {F(delta)} went on to reach rδ = {F(thresholds[n + 1])} "
                            + "(saturation below it, or curves too short).";
                scales[n] = new FiniteSizeScale(delta, double.NaN, double.NaN, double.NaN, reached[n], 0, startedAbove[n], reason);
                continue;
            }

            var mean = sum[n] / used[n];
            if (mean == 0)
            {
                scales[n] = new FiniteSizeScale(
                    delta,
                    double.NaN,
                    double.NaN,
                    0,
                    reached[n],
                    used[n],
                    startedAbove[n],
                    $"Every one of the {used[n]} pairs crossed δ = {F(delta)} and rδ in the same sample: ⟨T⟩ = 0 "
                        + $"(the time step is too coarse for the ratio r = {F(options.Ratio)})."
                );
                continue;
            }

            var exponent = logRatio / mean;
            var error = double.NaN;
            if (used[n] >= 2)
            {
                var variance = Math.Max(0, (sumSquares[n] - used[n] * mean * mean) / (used[n] - 1));
                error = exponent * Math.Sqrt(variance / used[n]) / mean;
            }

            scales[n] = new FiniteSizeScale(delta, exponent, error, mean, reached[n], used[n], startedAbove[n], null);
        }

        return new FiniteSizeResult(scales, curves.Count, truncated);
    }

    /// <summary>Steps every pair <paramref name="steps"/> times without renormalising and records its distance curves.</summary>
    /// <param name="pairs">The ensemble; every pair is advanced in place.</param>
    /// <param name="steps">Steps taken; each curve has steps + 1 samples (t = 0 included).</param>
    /// <returns>d_j(t_k), k = 0..steps, one curve per pair, ready for <see cref="Compute"/> with the pairs' <see
    /// cref="IPerturbedPair.TimeStep"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="pairs"/> is empty or its pairs differ in time step, or <paramref name="steps"/>
    /// is negative.</exception>
    public static double[][] Record(IReadOnlyList<IPerturbedPair> pairs, int steps)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (pairs.Count == 0)
            throw new ArgumentException("The ensemble is empty.", nameof(pairs));
        if (pairs.Any(p => p.TimeStep != pairs[0].TimeStep))
            throw new ArgumentException("All pairs must have the same time step.", nameof(pairs));
        if (steps < 0)
            throw new ArgumentException($"The number of steps must not be negative (got {steps}).", nameof(steps));
        var curves = new double[pairs.Count][]; // (pairs, steps + 1)
        for (var j = 0; j < pairs.Count; j++)
        {
            var curve = new double[steps + 1];
            curve[0] = pairs[j].Distance();
            for (var t = 1; t <= steps; t++)
            {
                pairs[j].Step();
                curve[t] = pairs[j].Distance();
            }

            curves[j] = curve;
        }

        return curves;
    }
}
