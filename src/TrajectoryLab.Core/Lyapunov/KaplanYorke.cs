// Kaplan-Yorke (Lyapunov) dimension of an attractor from its Lyapunov spectrum.
// Kaplan & Yorke (1979), Lecture Notes in Mathematics 730:204-227. Hénon: 1.258267; Lorenz: 2.06215 (Sprott).
namespace TrajectoryLab.Core.Lyapunov;

/// <summary>The Kaplan–Yorke dimension D_KY.</summary>
public static class KaplanYorke
{
    /// <summary>D_KY of a spectrum (any order; it is sorted descending first).</summary>
    /// <remarks>
    /// With λ_1 ≥ … ≥ λ_n and j the largest index with S_j = Σ_{i≤j} λ_i ≥ 0: D_KY = j + S_j / |λ_{j+1}|.
    /// D_KY = 0 when λ_1 &lt; 0, and n when every partial sum is non-negative. NaN when an exponent is NaN.
    /// </remarks>
    /// <exception cref="ArgumentException">The spectrum is empty.</exception>
    public static double Dimension(IReadOnlyList<double> exponents)
    {
        ArgumentNullException.ThrowIfNull(exponents);
        if (exponents.Count == 0)
            throw new ArgumentException("The spectrum is empty.", nameof(exponents));
        if (exponents.Any(double.IsNaN))
            return double.NaN;
        var sorted = exponents.OrderByDescending(v => v).ToArray();
        var sum = 0.0;
        for (var j = 0; j < sorted.Length; j++)
        {
            if (sum + sorted[j] < 0)
                return j + sum / Math.Abs(sorted[j]);
            sum += sorted[j];
        }
        return sorted.Length;
    }
}
