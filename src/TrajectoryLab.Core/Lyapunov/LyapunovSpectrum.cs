// Lyapunov spectrum by tangent propagation and periodic QR re-orthonormalisation.
// Benettin, Galgani, Giorgilli, Strelcyn (1980), Meccanica 15:9-30 and 21-30; Shimada & Nagashima (1979),
// Prog. Theor. Phys. 61:1605. Defaults: Transient = 1000 steps, Steps = 100000, QrInterval = 1 step, MaxCheckpoints = 2000.
using TrajectoryLab.Core.Dynamics;

namespace TrajectoryLab.Core.Lyapunov;

/// <summary>Parameters of <see cref="LyapunovSpectrum"/>. Counts are in steps; the number of exponents k is the tangent dynamics' <see
/// cref="ITangentDynamics.K"/>.</summary>
/// <param name="Transient">Steps run first (re-orthonormalising, nothing recorded) so the frame aligns with the Lyapunov vectors. Default
/// 1000.</param>
/// <param name="Steps">Steps measured after the transient; the last incomplete interval is dropped. Default 100000.</param>
/// <param name="QrInterval">Steps between QR re-orthonormalisations; shorter is more accurate (tangents stay well conditioned). Default
/// 1.</param>
/// <param name="MaxCheckpoints">Most points kept on the convergence curve (log-spaced). Default 2000.</param>
public sealed record LyapunovSpectrumOptions(int Transient = 1000, int Steps = 100_000, int QrInterval = 1, int MaxCheckpoints = 2000);

/// <summary>Outcome of <see cref="LyapunovSpectrum.Compute"/>.</summary>
/// <param name="Exponents">λ_1 ≥ … ≥ λ_k per unit time, in the order QR produces them; all NaN on breakdown.</param>
/// <param name="Time">Time measured after the transient (up to the breakdown, if any).</param>
/// <param name="Convergence">Running estimates (k values) at log-spaced QR steps.</param>
/// <param name="LocalExponents">LocalExponents[i][m]: finite-time exponent of direction i over QR interval m.</param>
/// <param name="Breakdown">Why the run stopped (a direction's growth was zero, infinite or NaN); null on success.</param>
public sealed record LyapunovSpectrumResult(
    double[] Exponents,
    double Time,
    IReadOnlyList<RunningEstimate> Convergence,
    double[][] LocalExponents,
    string? Breakdown
)
{
    /// <summary>True when the run completed without breakdown.</summary>
    public bool Succeeded => Breakdown is null;
}

/// <summary>The k leading Lyapunov exponents by Benettin's QR method.</summary>
public static class LyapunovSpectrum
{
    /// <summary>Measures the spectrum of the k directions carried by <paramref name="tangents"/>.</summary>
    /// <remarks>
    /// Every <c>QrInterval</c> steps the tangent frame is factored Q = Q' R; λ_i = Σ ln|R_ii| / (M · n · Δt) over M intervals of
    /// n steps. Σ_{i≤j} λ_i is the growth rate of j-dimensional volumes, so with k = Dimension the sum of the exponents is the
    /// mean of ln|det J| per unit time.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range (negative transient, interval &lt; 1, steps &lt;
    /// interval).</exception>
    public static LyapunovSpectrumResult Compute(ITangentDynamics tangents, LyapunovSpectrumOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tangents);
        options ??= new LyapunovSpectrumOptions();
        var outcome = Renormalisation.Run(
            tangents.K,
            tangents.TimeStep,
            tangents.Step,
            tangents.Reorthonormalise,
            "tangent direction",
            options.Transient,
            options.Steps,
            options.QrInterval,
            options.MaxCheckpoints
        );
        return new LyapunovSpectrumResult(outcome.Exponents, outcome.Time, outcome.Convergence, outcome.LocalExponents, outcome.Breakdown);
    }
}
