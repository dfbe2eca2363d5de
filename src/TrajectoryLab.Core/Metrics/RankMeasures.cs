// Rank measures of a representation matrix X [tokens, features] from its singular values (one SVD):
// effective rank (Roy & Vetterli 2007, "The effective rank: a measure of effective dimensionality", EUSIPCO),
// stable rank (Rudelson & Vershynin 2007), participation ratio (Gao et al. 2017), numerical rank.

using MathNet.Numerics.LinearAlgebra;

namespace TrajectoryLab.Core.Metrics;

/// <summary>Singular-value rank measures of one matrix.</summary>
/// <param name="EffectiveRank">erank = exp(−Σ p_k ln p_k), p_k = s_k / Σ_j s_j over the singular values above tolerance.</param>
/// <param name="StableRank">‖X‖_F² / ‖X‖_2² = Σ s_k² / s_1².</param>
/// <param name="ParticipationRatio">(Σ λ_k)² / Σ λ_k² with λ_k = s_k² the eigenvalues of XᵀX (uncentred; centre the rows first for the
/// covariance version).</param>
/// <param name="NumericalRank">#{k : s_k &gt; tol}, tol = relative tolerance × s_1.</param>
/// <param name="SingularValues">s_1 ≥ s_2 ≥ … ≥ s_min(n,d).</param>
/// <param name="Breakdown">NaN input or a zero matrix; <see cref="MetricBreakdown.None"/> when valid.</param>
/// <remarks>
/// 1 ≤ erank ≤ rank ≤ min(n, d); stable rank and participation ratio also lie in [1, rank]. All are invariant to
/// X → cX (c ≠ 0) and X → XQ (Q orthogonal) since they depend only on normalised singular values.
/// </remarks>
public sealed record RankSummary(
    double EffectiveRank,
    double StableRank,
    double ParticipationRatio,
    int NumericalRank,
    double[] SingularValues,
    MetricBreakdown Breakdown
);

/// <summary>Effective rank, stable rank, participation ratio and numerical rank.</summary>
public static class RankMeasures
{
    private const double MachineEpsilon = 2.220446049250313e-16; // 2^-52

    /// <summary>All rank measures of <paramref name="x"/> [tokens, features] from one SVD.</summary>
    /// <param name="x">The matrix, rows = tokens.</param>
    /// <param name="relativeTolerance">
    /// Singular values at or below relativeTolerance × s_1 count as zero (for the numerical and effective rank).
    /// Default max(n, d) · ε_machine, numpy's matrix_rank default.
    /// </param>
    public static RankSummary Compute(Matrix<double> x, double? relativeTolerance = null)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (x.Enumerate().Any(double.IsNaN))
        {
            return Failed(MetricBreakdown.NaNInput);
        }

        var s = x.Svd(computeVectors: false).S.ToArray(); // [min(n, d)], descending
        if (s.Length == 0 || s[0] == 0)
        {
            return Failed(MetricBreakdown.ZeroInput);
        }

        var tolerance = (relativeTolerance ?? Math.Max(x.RowCount, x.ColumnCount) * MachineEpsilon) * s[0];
        var kept = s.Where(v => v > tolerance).ToArray();
        var sum = kept.Sum();
        var entropy = -kept.Sum(v => v / sum * Math.Log(v / sum));
        var squares = s.Select(v => (v / s[0]) * (v / s[0])).ToArray(); // λ_k / λ_1, scaled to avoid overflow
        return new RankSummary(
            Math.Exp(entropy),
            squares.Sum(),
            squares.Sum() * squares.Sum() / squares.Sum(l => l * l),
            kept.Length,
            s,
            MetricBreakdown.None
        );
    }

    private static RankSummary Failed(MetricBreakdown reason) => new(double.NaN, double.NaN, double.NaN, 0, [], reason);
}
