// Analytic derivatives of the softmax entropy H(z, T) with respect to temperature and to the logits.
// Derivation: ln p_k = β z_k − ln Z, β = 1/T; dH/dβ = −β Var_p(z); see docs/science.md (entropy identities).

namespace TrajectoryLab.Core.Metrics;

/// <summary>Derivatives of H = −Σ p ln p for p = softmax(z / T) over a mask.</summary>
public static class EntropyDerivatives
{
    /// <summary>dH/dT in nats per unit temperature; NaN when the distribution breaks down.</summary>
    /// <remarks>
    /// H = ln Z − β E_p[z] and dE_p[z]/dβ = Var_p(z) give dH/dβ = −β Var_p(z), hence
    /// dH/dT = Var_p(z) / T³ ≥ 0: entropy never decreases as temperature rises.
    /// </remarks>
    public static double WithRespectToTemperature(ReadOnlySpan<double> logits, double temperature, VocabularyMask? mask = null)
    {
        var s = TokenEntropy.OfLogits(logits, new EntropyOptions(temperature, mask));
        return s.LogitVariance / (temperature * temperature * temperature);
    }

    /// <summary>
    /// Writes the gradient dH/dz_k into <paramref name="gradient"/> (0 outside the support) and returns the breakdown;
    /// on breakdown the gradient is NaN.
    /// </summary>
    /// <remarks>dH/dz_k = −β p_k (ln p_k + H), β = 1/T. The gradient sums to 0 (H is invariant to z → z + c).</remarks>
    /// <exception cref="ArgumentException"><paramref name="gradient"/> is not the length of <paramref name="logits"/>.</exception>
    public static MetricBreakdown WithRespectToLogits(
        ReadOnlySpan<double> logits,
        double temperature,
        Span<double> gradient,
        VocabularyMask? mask = null
    )
    {
        var s = TokenEntropy.OfLogits(logits, new EntropyOptions(temperature, mask), gradient); // gradient holds ln p first
        if (s.Breakdown != MetricBreakdown.None)
        {
            return s.Breakdown;
        }

        var beta = 1.0 / temperature;
        for (var k = 0; k < gradient.Length; k++)
        {
            var lp = gradient[k];
            gradient[k] = double.IsNegativeInfinity(lp) ? 0.0 : -beta * Math.Exp(lp) * (lp + s.Entropy);
        }

        return MetricBreakdown.None;
    }
}
