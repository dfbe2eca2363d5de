// QR re-orthonormalisation of k deviation vectors (Benettin et al. 1980, Meccanica 15:9; Shimada & Nagashima 1979):
// D (columns δ_1 … δ_k) = Q R, thin Householder QR in double precision with R_ii ≥ 0. R_ii is the growth of the i-th Gram–Schmidt
// direction; D R⁻¹ = Q is the re-orthonormalised frame, which a batch reaches by re-combining its rows' deviations with
// R⁻¹ (PerturbedBatch.Mix). Where only R is needed (the teacher-forced spectrum step, whose frame is k deviations of
// every observed site: 16 × 1536 in the bench), Triangle runs the same Householder reflections without forming Q, in
// SIMD dot products and updates (System.Numerics.Tensors): MathNet's managed thin QR, which forms Q, took 1.6–1.8 ms of a
// 12 ms spectrum step on the default model (AVX2 machine), Triangle about a tenth of that (docs/performance.md).
// Reference: Golub & Van Loan, Matrix Computations (4th ed.), §5.2.2 (Householder QR).
using System.Numerics.Tensors;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

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
        var d = Matrix<double>.Build.DenseOfColumnArrays(deviations); // [d, k]
        var qr = d.QR(QRMethod.Thin);
        var k = deviations.Length;
        // Householder leaves the signs of R's diagonal arbitrary; making it positive keeps every direction pointing the
        // way its deviation did (with k = 1, re-orthonormalising is then exactly renormalising).
        var signs = Vector<double>.Build.Dense(k, i => qr.R[i, i] < 0 ? -1 : 1);
        var q = qr.Q * Matrix<double>.Build.DiagonalOfDiagonalVector(signs); // [d, k]
        var r = Matrix<double>.Build.DiagonalOfDiagonalVector(signs) * qr.R; // [k, k], R_ii ≥ 0
        var growth = Enumerable.Range(0, k).Select(i => r[i, i]).ToArray();
        double[,]? inverse = growth.All(g => g > 0 && double.IsFinite(g)) ? UpperInverse(r) : null;
        return new DeviationQr([.. Enumerable.Range(0, k).Select(i => q.Column(i).ToArray())], growth, inverse);
    }

    /// <summary>R of the frame whose vectors are <paramref name="deviations"/> ([k][d], k ≤ d) with R_ii ≥ 0, and R⁻¹:
    /// what <see cref="Factor"/> gives without Q (the same reflections; equal to rounding).</summary>
    /// <returns>Growth: R_ii; RInverse: R⁻¹, or null when some R_ii is zero or not finite (a breakdown).</returns>
    public static (double[] Growth, double[,]? RInverse) Triangle(double[][] deviations)
    {
        var k = deviations.Length;
        if (k == 0 || deviations.Any(v => v.Length != deviations[0].Length) || deviations[0].Length < k)
            throw new ArgumentException("expected k ≤ d deviations of one length d", nameof(deviations));
        var columns = deviations.Select(v => (double[])v.Clone()).ToArray(); // reflected in place; column j ends as v_j
        var r = new double[k, k];
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
            var scale = -1 / (alpha * x[0]);
            r[j, j] = alpha;
            for (var c = j + 1; c < k; c++)
            {
                var y = columns[c].AsSpan(j);
                var s = TensorPrimitives.Dot<double>(x, y) * scale;
                TensorPrimitives.MultiplyAdd(x, -s, y, y);
                r[j, c] = y[0];
            }
        }
        for (var i = 0; i < k; i++)
            if (r[i, i] < 0)
                for (var c = i; c < k; c++)
                    r[i, c] = -r[i, c];
        var growth = Enumerable.Range(0, k).Select(i => r[i, i]).ToArray();
        var inverse = growth.All(g => g > 0 && double.IsFinite(g)) ? UpperInverse(Matrix<double>.Build.DenseOfArray(r)) : null;
        return (growth, inverse);
    }

    /// <summary>R⁻¹ of an upper-triangular R by back substitution: exactly upper triangular, so direction i is re-combined
    /// from directions ≤ i only (a general inverse leaves rounding below the diagonal that would leak later, possibly
    /// large, deviations into earlier directions).</summary>
    private static double[,] UpperInverse(Matrix<double> r)
    {
        var k = r.RowCount;
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
