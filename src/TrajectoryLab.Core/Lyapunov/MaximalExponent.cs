// Maximal Lyapunov exponent by the two-trajectory method with renormalisation.
// Benettin, Galgani, Strelcyn (1976), Phys. Rev. A 14:2338; Benettin et al. (1980), Meccanica 15:9-30.
// Defaults: Transient = 1000 steps, Steps = 100000, RenormaliseEvery = 1 step, MaxCheckpoints = 2000.
using System.Globalization;
using TrajectoryLab.Core.Dynamics;

namespace TrajectoryLab.Core.Lyapunov;

/// <summary>Parameters of <see cref="MaximalExponent"/>. Counts are in steps of the pair.</summary>
/// <param name="Transient">Steps run first (renormalising, nothing recorded) so the separation aligns with the most unstable direction.
/// Default 1000.</param>
/// <param name="Steps">Steps measured after the transient; the last incomplete interval is dropped. Default 100000.</param>
/// <param name="RenormaliseEvery">Steps between renormalisations; keep the separation small (linear regime) over one interval. Default
/// 1.</param>
/// <param name="MaxCheckpoints">Most points kept on the convergence curve (log-spaced). Default 2000.</param>
public sealed record MaximalExponentOptions(int Transient = 1000, int Steps = 100_000, int RenormaliseEvery = 1, int MaxCheckpoints = 2000);

/// <summary>Outcome of <see cref="MaximalExponent.Compute"/>.</summary>
/// <param name="Exponent">λ1 per unit time; NaN on breakdown.</param>
/// <param name="Time">Time measured after the transient (up to the breakdown, if any).</param>
/// <param name="Convergence">Running estimate (one value) at log-spaced renormalisations.</param>
/// <param name="IntervalExponents">Finite-time exponent ln(d/d0)/(interval·Δt) of every renormalisation interval.</param>
/// <param name="Breakdown">Why the run stopped (separation collapsed to zero, overflowed or became NaN); null on success.</param>
public sealed record MaximalExponentResult(
    double Exponent,
    double Time,
    IReadOnlyList<RunningEstimate> Convergence,
    double[] IntervalExponents,
    string? Breakdown
)
{
    /// <summary>True when the run completed without breakdown.</summary>
    public bool Succeeded => Breakdown is null;
}

/// <summary>Benettin's two-trajectory estimate of the maximal Lyapunov exponent.</summary>
public static class MaximalExponent
{
    /// <summary>Measures λ1 on <paramref name="pair"/>, whose current separation d0 is the renormalisation size.</summary>
    /// <remarks>
    /// Every <c>RenormaliseEvery</c> steps the separation d is measured and the companion moved back to distance d0 along
    /// the same direction. λ1 = Σ ln(d_m/d0) / (M · n · Δt) over M intervals of n steps. The result is unbiased only while
    /// d stays in the linear regime: choose d0 (the pair's ε) and the interval so that d0 e^{λ1 n Δt} stays small.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (negative transient, interval &lt; 1, steps &lt;
    /// interval).</exception>
    public static MaximalExponentResult Compute(IPerturbedPair pair, MaximalExponentOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(pair);
        options ??= new MaximalExponentOptions();
        var d0 = pair.Distance();
        if (!(d0 > 0) || !double.IsFinite(d0))
            return new MaximalExponentResult(
                double.NaN,
                0,
                [],
                [],
                string.Create(CultureInfo.InvariantCulture, $"The initial separation is {d0}; it must be positive and finite.")
            );

        var outcome = Renormalisation.Run(
            1,
            pair.TimeStep,
            pair.Step,
            () => [Renormalise(pair, d0)],
            "separation",
            options.Transient,
            options.Steps,
            options.RenormaliseEvery,
            options.MaxCheckpoints
        );
        return new MaximalExponentResult(
            outcome.Exponents[0],
            outcome.Time,
            outcome.Convergence,
            outcome.LocalExponents[0],
            outcome.Breakdown
        );
    }

    /// <summary>Returns the growth d/d0 since the last renormalisation and moves the companion back to distance d0 (unless d is
    /// degenerate).</summary>
    private static double Renormalise(IPerturbedPair pair, double d0)
    {
        var growth = pair.Distance() / d0;
        if (growth > 0 && double.IsFinite(growth))
            pair.Rescale(1 / growth);
        return growth;
    }
}
