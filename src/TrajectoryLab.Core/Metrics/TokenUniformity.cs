// How alike the token representations of a layer are: the token-uniformity ratio of Dong, Cordonnier, Loukas
// (2021), "Attention is not all you need: pure attention loses rank doubly exponentially with depth", ICML,
// and the mean pairwise cosine similarity between token rows (e.g. Ethayarajh 2019, anisotropy).

using MathNet.Numerics.LinearAlgebra;

namespace TrajectoryLab.Core.Metrics;

/// <summary>Distance of a token matrix X [tokens, features] from rank-1 "all tokens equal" collapse.</summary>
public static class TokenUniformity
{
    /// <summary>Dong et al. token-uniformity ratio ‖res(X)‖_{1,∞} / ‖X‖_{1,∞}; ZeroInput for X = 0.</summary>
    /// <remarks>
    /// res(X) = X − 1 x̄ᵀ with x̄ the mean token; ‖M‖_{1,∞} = sqrt(‖M‖_1 ‖M‖_∞), ‖M‖_1 the largest column
    /// absolute sum and ‖M‖_∞ the largest row absolute sum. It is 0 exactly when all rows are equal: the mean
    /// is taken of the differences x_i − x_0, which are exactly 0 for equal rows. Invariant to X → cX (c ≠ 0);
    /// not to orthogonal transforms of the features (the 1- and ∞-norms are not rotation invariant).
    /// </remarks>
    public static MetricValue Ratio(Matrix<double> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Enumerate().Any(double.IsNaN))
        {
            return MetricValue.Failed(MetricBreakdown.NaNInput);
        }

        var norm = MixedNorm(x);
        if (norm == 0)
        {
            return MetricValue.Failed(MetricBreakdown.ZeroInput);
        }

        var differences = x - Matrix<double>.Build.Dense(x.RowCount, x.ColumnCount, (_, j) => x[0, j]); // x_i − x_0
        var meanDifference = differences.ColumnSums() / x.RowCount;
        var residual = differences - Matrix<double>.Build.Dense(x.RowCount, x.ColumnCount, (_, j) => meanDifference[j]);
        return MetricValue.Of(MixedNorm(residual) / norm);
    }

    /// <summary>Mean cosine similarity over all pairs i &lt; j of token rows; TooShort for fewer than 2 rows, ZeroInput for a zero
    /// row.</summary>
    /// <remarks>
    /// (2 / (n(n−1))) Σ_{i&lt;j} ⟨x_i, x_j⟩ / (‖x_i‖ ‖x_j‖), computed as (‖Σ_i u_i‖² − n) / (n(n−1)) with u_i = x_i / ‖x_i‖.
    /// Invariant to X → cX and to orthogonal transforms of the features; 1 when all rows are positively parallel.
    /// </remarks>
    public static MetricValue MeanPairwiseCosine(Matrix<double> x)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.RowCount < 2)
        {
            return MetricValue.Failed(MetricBreakdown.TooShort);
        }

        if (x.Enumerate().Any(double.IsNaN))
        {
            return MetricValue.Failed(MetricBreakdown.NaNInput);
        }

        var norms = x.RowNorms(2.0);
        if (norms.Any(n => n == 0))
        {
            return MetricValue.Failed(MetricBreakdown.ZeroInput);
        }

        var unitSum = x.NormalizeRows(2.0).ColumnSums();
        var n = (double)x.RowCount;
        return MetricValue.Of((unitSum.DotProduct(unitSum) - n) / (n * (n - 1)));
    }

    private static double MixedNorm(Matrix<double> m) => Math.Sqrt(m.L1Norm() * m.InfinityNorm());
}
