// The mean-field (N → ∞) theory of the random tanh network x_{t+1} = g W tanh(x_t), W_ij ~ N(0, 1/N): the variance of a
// unit's input obeys q_{t+1} = V(q_t) = g² E[tanh(√q z)²] (z ~ N(0, 1)), whose stable fixed point q* is 0 for g ≤ 1 and
// the nonzero root of V(q) = q for g > 1; a small perturbation's squared norm grows by χ1 = g² E[tanh′(√q* z)²] per step,
// so λ1 = ½ ln χ1 (= ln g below 1, where q* = 0 and tanh′(0) = 1). Near g = 1⁺: q* ≈ ε/2 and λ1 ≈ ε²/6 with
// ε = 1 − 1/g² (series of tanh to x⁶), so λ1 has a kink at g = 1 (slope 1 below, 0 above). Expectations by Gauss–Hermite
// quadrature (GaussHermiteRule).
// References: Sompolinsky, Crisanti & Sommers (1988), PRL 61:259 (the continuous-time network); Molgedey, Schuchhardt &
// Schuster (1992), PRL 69:3717 (this discrete-time map, λ1 = ½ ln(g² ⟨tanh′²⟩)); Cessac (1995), J. Phys. I France 5:409
// (mean-field exponents of discrete-time random networks); Poole, Lahiri, Raghu, Sohl-Dickstein & Ganguli (2016),
// "Exponential expressivity in deep neural networks through transient chaos", NeurIPS (the variance map and χ1).
using TrajectoryLab.Core.Statistics;

namespace TrajectoryLab.Core.Systems;

/// <summary>The mean-field prediction at one gain.</summary>
/// <param name="Gain">g.</param>
/// <param name="Variance">q*, the fixed point of the variance map (0 for g ≤ 1).</param>
/// <param name="Chi1">χ1 = g² E[tanh′(√q* z)²], the mean squared stretching of a perturbation per step.</param>
/// <param name="Lambda1">λ1 = ½ ln χ1 per step (natural log).</param>
public sealed record MeanFieldPoint(double Gain, double Variance, double Chi1, double Lambda1);

/// <summary>Mean-field variance map, its fixed point and the predicted maximal exponent of <see cref="RandomTanhNetwork"/>.</summary>
public sealed class MeanFieldChaos
{
    /// <summary>The default quadrature order: with it E[tanh(√q z)²] and E[tanh′(√q z)²] are within 1e-6 of a fine trapezoid
    /// integral for q ≤ 16 (g ≤ 4), and within 1e-10 for q ≤ 4 (GaussHermiteRuleTests).</summary>
    public const int DefaultOrder = 600;

    private readonly GaussHermiteRule rule;

    /// <summary>The theory with an <paramref name="order"/>-point Gauss–Hermite rule.</summary>
    /// <param name="order">Quadrature nodes, 1 ≤ order ≤ <see cref="GaussHermiteRule.MaxOrder"/>.</param>
    public MeanFieldChaos(int order = DefaultOrder) => rule = new GaussHermiteRule(order);

    /// <summary>The variance map V(q) = g² E[tanh(√q z)²], z ~ N(0, 1).</summary>
    /// <param name="gain">g ≥ 0.</param>
    /// <param name="variance">q ≥ 0.</param>
    public double VarianceMap(double gain, double variance)
    {
        var s = Math.Sqrt(variance);
        return gain * gain * rule.Expectation(z => Square(Math.Tanh(s * z)));
    }

    /// <summary>χ1 = g² E[tanh′(√q z)²] = g² E[(1 − tanh²(√q z))²].</summary>
    /// <param name="gain">g ≥ 0.</param>
    /// <param name="variance">q ≥ 0.</param>
    public double Chi1(double gain, double variance)
    {
        var s = Math.Sqrt(variance);
        return gain * gain * rule.Expectation(z => Square(1 - Square(Math.Tanh(s * z))));
    }

    /// <summary>q*: 0 for g ≤ 1, otherwise the nonzero root of V(q) = q, found by bisection on V(q)/q − 1 (decreasing in
    /// q, since V is concave) between (g² − 1)/(8g²) and g² to full double precision.</summary>
    /// <param name="gain">g ≥ 0.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="gain"/> is negative or not finite.</exception>
    public double FixedPoint(double gain)
    {
        if (!(gain >= 0) || !double.IsFinite(gain))
            throw new ArgumentOutOfRangeException(nameof(gain), gain, "g must be finite and ≥ 0.");
        if (gain <= 1)
            return 0;
        var g2 = gain * gain;
        double lo = (g2 - 1) / (8 * g2),
            hi = g2; // V(q)/q − 1 > 0 at lo (V(q)/q ≥ g²(1 − 2q)), < 0 at hi (tanh² < 1)
        while (Excess(gain, lo) <= 0 && lo > double.Epsilon)
            lo /= 2;
        for (var i = 0; i < 200 && hi - lo > 1e-16 * hi; i++)
        {
            var mid = 0.5 * (lo + hi);
            if (Excess(gain, mid) > 0)
                lo = mid;
            else
                hi = mid;
        }
        return 0.5 * (lo + hi);
    }

    /// <summary>The full prediction at <paramref name="gain"/>: q*, χ1 and λ1 = ½ ln χ1 (exactly ln g for g ≤ 1).</summary>
    /// <param name="gain">g &gt; 0.</param>
    public MeanFieldPoint At(double gain)
    {
        var q = FixedPoint(gain);
        var chi = q == 0 ? gain * gain : Chi1(gain, q);
        return new MeanFieldPoint(gain, q, chi, q == 0 ? Math.Log(gain) : 0.5 * Math.Log(chi));
    }

    /// <summary>λ1 predicted at <paramref name="gain"/>.</summary>
    /// <param name="gain">g &gt; 0.</param>
    public double MaximalExponent(double gain) => At(gain).Lambda1;

    private double Excess(double gain, double q) => VarianceMap(gain, q) / q - 1;

    private static double Square(double x) => x * x;
}
