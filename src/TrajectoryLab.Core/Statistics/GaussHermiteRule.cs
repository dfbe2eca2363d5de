// Gauss–Hermite quadrature for expectations over a standard normal variable: E[f(z)] ≈ Σ w_i f(z_i), z ~ N(0, 1), exact
// for polynomials of degree ≤ 2n − 1. MathNet.Numerics 5 has Gauss–Legendre and Gauss–Kronrod rules but no Hermite rule,
// so the nodes come from the Golub–Welsch algorithm: they are the eigenvalues of the symmetric tridiagonal Jacobi matrix
// of the probabilists' Hermite polynomials (zero diagonal, off-diagonal √k), and each weight is the Christoffel number
// w_i = 1 / Σ_{k<n} p_k(z_i)², with p_k the orthonormal polynomials (p_0 = 1, p_1 = z, √(k+1) p_{k+1} = z p_k − √k p_{k−1}),
// which keeps its relative accuracy where the eigenvector form v_0i² underflows.
// References: Golub & Welsch (1969), Math. Comp. 23:221-230; Abramowitz & Stegun (1964) 25.4.46; Gautschi (2004),
// "Orthogonal Polynomials: Computation and Approximation", §3.1.1.
using MathNet.Numerics.LinearAlgebra;

namespace TrajectoryLab.Core.Statistics;

/// <summary>An n-point Gauss–Hermite rule for the standard normal weight e^{−z²/2}/√(2π).</summary>
/// <remarks>
/// Exact (to rounding) for polynomials of degree ≤ 2n − 1. For a function analytic in the strip |Im z| &lt; d the error
/// decays like e^{−2d√n}: tanh(√q z) has poles at Im z = π/(2√q), so large variances q need more nodes (the tests state
/// the accuracy reached for q ≤ 16 at the default order).
/// </remarks>
public sealed class GaussHermiteRule
{
    /// <summary>The largest order accepted (the Jacobi matrix's eigen-decomposition costs O(n³): about a second at 1000).</summary>
    public const int MaxOrder = 1000;

    private readonly double[] nodes; // (n,) ascending
    private readonly double[] weights; // (n,) positive, summing to 1

    /// <summary>Builds the rule with <paramref name="order"/> nodes.</summary>
    /// <param name="order">Number of nodes n, 1 ≤ n ≤ <see cref="MaxOrder"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="order"/> is outside [1, <see cref="MaxOrder"/>].</exception>
    public GaussHermiteRule(int order)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(order, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(order, MaxOrder);
        var jacobi = Matrix<double>.Build.Dense(order, order); // (n, n) symmetric tridiagonal
        for (var k = 1; k < order; k++)
            jacobi[k - 1, k] = jacobi[k, k - 1] = Math.Sqrt(k);
        var eigen = jacobi.Evd(Symmetricity.Symmetric).EigenValues.Select(e => e.Real).Order().ToArray();
        nodes = new double[order];
        for (var i = 0; i < order; i++)
            nodes[i] = 0.5 * (eigen[i] - eigen[order - 1 - i]); // the rule is symmetric: z_i = −z_{n−1−i} exactly
        weights = [.. nodes.Select(z => Weight(z, order))];
    }

    /// <summary>Number of nodes n.</summary>
    public int Order => nodes.Length;

    /// <summary>The nodes z_i, ascending.</summary>
    public IReadOnlyList<double> Nodes => nodes;

    /// <summary>The weights w_i (positive; they sum to 1 up to rounding).</summary>
    public IReadOnlyList<double> Weights => weights;

    /// <summary>E[f(z)] for z ~ N(0, 1), as Σ w_i f(z_i).</summary>
    /// <param name="f">The integrand.</param>
    public double Expectation(Func<double, double> f)
    {
        ArgumentNullException.ThrowIfNull(f);
        var sum = 0.0;
        for (var i = 0; i < nodes.Length; i++)
            sum += weights[i] * f(nodes[i]);
        return sum;
    }

    /// <summary>The Christoffel number 1 / Σ_{k&lt;n} p_k(z)² for the orthonormal Hermite polynomials p_k. At the outer nodes
    /// of a large rule p_k(z) outgrows a double, so the recurrence is rescaled by 2⁻⁴⁰⁰ whenever it passes 2⁴⁰⁰; a weight
    /// below the smallest double is 0, which is what it contributes.</summary>
    private static double Weight(double z, int n)
    {
        double big = Math.ScaleB(1.0, 400),
            small = Math.ScaleB(1.0, -400);
        double previous = 0,
            current = 1,
            sum = 1; // p_{-1}, p_0, Σ p_k², all times 2^(−400 · rescalings)
        var rescalings = 0;
        for (var k = 0; k < n - 1; k++)
        {
            var next = (z * current - Math.Sqrt(k) * previous) / Math.Sqrt(k + 1);
            (previous, current) = (current, next);
            sum += current * current;
            if (Math.Abs(current) > big)
            {
                previous *= small;
                current *= small;
                sum *= small * small;
                rescalings++;
            }
        }
        var weight = 1 / sum;
        for (var r = 0; r < rescalings && weight > 0; r++)
            weight *= small * small;
        return weight;
    }
}
