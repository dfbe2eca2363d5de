// QR re-orthonormalisation of k deviation vectors (Benettin et al. 1980, Meccanica 15:9; Shimada & Nagashima 1979):
// D (columns δ_1 … δ_k) = Q R, thin Householder QR in double precision with R_ii ≥ 0. R_ii is the growth of the i-th Gram–Schmidt
// direction; D R⁻¹ = Q is the re-orthonormalised frame, which a batch reaches by re-combining its rows' deviations with
// R⁻¹ (PerturbedBatch.Mix). The reflections run as SIMD dot products and updates (System.Numerics.Tensors); Q is formed
// only where a caller reads it (the depth map's frame): the teacher-forced spectrum step needs R alone, for k deviations
// of every observed site (16 × 1536 in the bench), where MathNet's managed thin QR, which forms Q, had taken 1.6–1.8 ms of
// a 12 ms step on the default model (AVX2 machine) and R alone takes about a tenth of that (docs/performance.md).
// Reference: Golub & Van Loan, Matrix Computations (4th ed.), §5.2.2 (Householder QR) and §5.1.6 (forming Q backwards).
using System.Numerics.Tensors;

namespace TrajectoryLab.Torch.Dynamics;

/// <summary>One factorisation of a deviation frame.</summary>
/// <param name="Q">[k][d] orthonormal directions.</param>
/// <param name="Growth">R_ii ≥ 0, i = 0 … k − 1.</param>
/// <param name="RInverse">[k, k] R⁻¹, or null when some R_ii is zero or not finite (a breakdown).</param>
internal sealed record DeviationQr(double[][] Q, double[] Growth, double[,]? RInverse)
{
    /// <summary>Factors the frame whose vectors are <paramref name="deviations"/> ([k][d], k ≤ d).</summary>
    public static DeviationQr Factor(double[][] deviations)
    {
        var reflected = Reflect(deviations);
        var (growth, inverse) = Triangle(reflected);
        var k = deviations.Length;
        var d = deviations[0].Length;
        var q = new double[k][];
        for (var c = 0; c < k; c++)
        {
            // Column c of Q = H_0 H_1 … H_{k−1} e_c; H_j leaves rows before j alone, so reflectors after c do nothing to e_c.
            var column = new double[d];
            column[c] = reflected.R[c, c] < 0 ? -1 : 1; // R's row c made non-negative: Q's column c takes the same sign
            for (var j = c; j >= 0; j--)
                reflected.Apply(j, column.AsSpan(j));
            q[c] = column;
        }
        return new DeviationQr(q, growth, inverse);
    }

    /// <summary>R of the frame whose vectors are <paramref name="deviations"/> ([k][d], k ≤ d) with R_ii ≥ 0, and R⁻¹:
    /// <see cref="Factor"/> without forming Q.</summary>
    /// <returns>Growth: R_ii; RInverse: R⁻¹, or null when some R_ii is zero or not finite (a breakdown).</returns>
    public static (double[] Growth, double[,]? RInverse) Triangle(double[][] deviations) => Triangle(Reflect(deviations));

    /// <summary>R with non-negative diagonal, its diagonal and its inverse, from the reflections.</summary>
    private static (double[] Growth, double[,]? RInverse) Triangle(Reflections reflected)
    {
        var k = reflected.R.GetLength(0);
        var r = (double[,])reflected.R.Clone();
        // Householder leaves the signs of R's diagonal arbitrary; making it positive keeps every direction pointing the
        // way its deviation did (with k = 1, re-orthonormalising is then exactly renormalising).
        for (var i = 0; i < k; i++)
            if (r[i, i] < 0)
                for (var c = i; c < k; c++)
                    r[i, c] = -r[i, c];
        var growth = Enumerable.Range(0, k).Select(i => r[i, i]).ToArray();
        var inverse = growth.All(g => g > 0 && double.IsFinite(g)) ? UpperInverse(r) : null;
        return (growth, inverse);
    }

    /// <summary>The Householder vectors of the frame and R as they come (diagonal of either sign).</summary>
    /// <param name="V">Column j holds v_j in rows j … d − 1 (rows before j are the frame's, unused).</param>
    /// <param name="Scales">1 / (v_jᵀv_j / 2) for each reflector, or 0 where column j had nothing to reflect (a zero or
    /// non-finite norm: a breakdown, whose R_jj is that norm).</param>
    /// <param name="R">[k, k] upper triangular.</param>
    private sealed record Reflections(double[][] V, double[] Scales, double[,] R)
    {
        /// <summary>H_j y for the part <paramref name="y"/> of a vector at rows j … d − 1 (H_j = I − scale_j v_j v_jᵀ).</summary>
        public void Apply(int j, Span<double> y)
        {
            if (Scales[j] == 0)
                return;
            ReadOnlySpan<double> v = V[j].AsSpan(j);
            var s = TensorPrimitives.Dot(v, y) * Scales[j];
            TensorPrimitives.MultiplyAdd(v, -s, y, y);
        }
    }

    private static Reflections Reflect(double[][] deviations)
    {
        var k = deviations.Length;
        if (k == 0 || deviations.Any(v => v.Length != deviations[0].Length) || deviations[0].Length < k)
            throw new ArgumentException("expected k ≤ d deviations of one length d", nameof(deviations));
        var columns = deviations.Select(v => (double[])v.Clone()).ToArray(); // reflected in place; column j ends as v_j
        var scales = new double[k];
        var r = new double[k, k];
        var reflected = new Reflections(columns, scales, r);
        for (var j = 0; j < k; j++)
        {
            var x = columns[j].AsSpan(j); // rows j … d − 1 of column j
            var norm = Math.Sqrt(TensorPrimitives.Dot<double>(x, x));
            if (!(norm > 0) || !double.IsFinite(norm))
            {
                r[j, j] = double.IsNaN(norm) ? double.NaN : norm; // a breakdown: nothing to reflect, R⁻¹ will be null
                continue;
            }
            // H = I − v vᵀ / (−α v₀) with v = x − α e₁ and α = −sign(x₀)·||x||, so that v₀ = x₀ − α never cancels.
            var alpha = x[0] >= 0 ? -norm : norm;
            x[0] -= alpha;
            scales[j] = -1 / (alpha * x[0]);
            r[j, j] = alpha;
            for (var c = j + 1; c < k; c++)
            {
                reflected.Apply(j, columns[c].AsSpan(j));
                r[j, c] = columns[c][j];
            }
        }
        return reflected;
    }

    /// <summary>R⁻¹ of an upper-triangular R by back substitution: exactly upper triangular, so direction i is re-combined
    /// from directions ≤ i only (a general inverse leaves rounding below the diagonal that would leak later, possibly
    /// large, deviations into earlier directions).</summary>
    private static double[,] UpperInverse(double[,] r)
    {
        var k = r.GetLength(0);
        var inverse = new double[k, k];
        for (var j = 0; j < k; j++)
        {
            inverse[j, j] = 1 / r[j, j];
            for (var i = j - 1; i >= 0; i--)
            {
                var sum = 0.0;
                for (var m = i + 1; m <= j; m++)
                    sum += r[i, m] * inverse[m, j];
                inverse[i, j] = -sum / r[i, i];
            }
        }
        return inverse;
    }
}
