// Published Lyapunov exponents of the known systems at their canonical parameters (docs/science.md).
// Sprott, "Chaos and Time-Series Analysis" (Oxford 2003), Appendix A (Lyapunov exponent table); the logistic
// values are analytic: λ = ln 2 at r = 4, ln|2 − r| on the stable fixed point, ½ ln|4 + 2r − r²| on the 2-cycle.
namespace TrajectoryLab.Experiments.KnownSystems;

/// <summary>Reference exponents (per iteration or per unit time), their test tolerances, and the Kaplan–Yorke dimension.</summary>
/// <param name="Source">Where the values come from.</param>
/// <param name="Exponents">λ1 ≥ λ2 ≥ …</param>
/// <param name="Tolerances">Accepted |measured − reference| per exponent, as in the test suite.</param>
/// <param name="KaplanYorke">D_KY, or NaN where not tabulated.</param>
public sealed record LiteratureExponents(string Source, double[] Exponents, double[] Tolerances, double KaplanYorke)
{
    /// <summary>The reference of <paramref name="options"/>'s system when its parameters are the canonical ones; otherwise null.</summary>
    public static LiteratureExponents? For(KnownSystemSpectrumOptions options) => options.System switch
    {
        KnownSystem.Henon when options.Henon is { A: 1.4, B: 0.3 } =>
            new("Sprott (2003), Hénon a = 1.4, b = 0.3", [0.419217, -1.623190], [0.005, 0.005], 1.258267),
        KnownSystem.Lorenz when options.Lorenz.Sigma == 10 && options.Lorenz.Rho == 28 && Math.Abs(options.Lorenz.Beta - 8.0 / 3.0) < 1e-12 =>
            new("Sprott (2003), Lorenz σ = 10, ρ = 28, β = 8/3", [0.90563, 0, -14.57219], [0.05, 0.05, 0.2], 2.06215),
        KnownSystem.Logistic => Logistic(options.Logistic.R),
        _ => null,
    };

    /// <summary>Analytic exponent of the logistic map where one is known: r = 4, a stable fixed point (1 &lt; r &lt; 3), the stable 2-cycle (3 &lt; r &lt; 1 + √6).</summary>
    public static LiteratureExponents? Logistic(double r) => r switch
    {
        4 => new("analytic: ln 2 at r = 4", [Math.Log(2)], [1e-3], double.NaN),
        > 1 and < 3 => new("analytic: ln|2 − r| on the stable fixed point", [Math.Log(Math.Abs(2 - r))], [1e-3], double.NaN),
        > 3 and < 3.449489742783178 => new("analytic: ½ ln|4 + 2r − r²| on the stable 2-cycle", [0.5 * Math.Log(Math.Abs(4 + 2 * r - r * r))], [1e-3], double.NaN),
        _ => null,
    };
}
