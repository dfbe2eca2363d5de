// Oracles and FsCheck invariants of the rank family and token uniformity.

using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MathNet.Numerics.LinearAlgebra;
using TrajectoryLab.Core.Metrics;

namespace TrajectoryLab.Core.Tests.Metrics;

public class RankMeasuresTests
{
    private static readonly MatrixBuilder<double> M = Matrix<double>.Build;

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(17)]
    public void Identity_has_every_rank_equal_to_n(int n)
    {
        var r = RankMeasures.Compute(M.DenseIdentity(n));

        Assert.Equal(n, r.EffectiveRank, 1e-12);
        Assert.Equal(n, r.StableRank, 1e-12);
        Assert.Equal(n, r.ParticipationRatio, 1e-12);
        Assert.Equal(n, r.NumericalRank);
    }

    [Fact]
    public void Zero_and_NaN_matrices_are_reported()
    {
        Assert.Equal(MetricBreakdown.ZeroInput, RankMeasures.Compute(M.Dense(3, 2)).Breakdown);
        Assert.Equal(MetricBreakdown.NaNInput, RankMeasures.Compute(M.Dense(2, 2, [1, double.NaN, 0, 1])).Breakdown);
        Assert.Equal(MetricBreakdown.ZeroInput, TokenUniformity.Ratio(M.Dense(3, 2)).Breakdown);
        Assert.Equal(MetricBreakdown.TooShort, TokenUniformity.MeanPairwiseCosine(M.Dense(1, 2, 1.0)).Breakdown);
    }

    [Fact]
    public void Known_token_uniformity_and_cosine()
    {
        var x = M.DenseOfRowArrays([1.0, 0.0], [0.0, 1.0]); // res = ±(1/2, −1/2): ‖res‖_1 = 1, ‖res‖_∞ = 1; ‖X‖_1 = ‖X‖_∞ = 1

        Assert.Equal(1.0, TokenUniformity.Ratio(x).Value, 1e-15);
        Assert.Equal(0.0, TokenUniformity.MeanPairwiseCosine(x).Value, 1e-15);
        Assert.Equal(-1.0, TokenUniformity.MeanPairwiseCosine(M.DenseOfRowArrays([1.0, 2.0], [-2.0, -4.0])).Value, 1e-15);
    }

    [Property(MaxTest = 100)]
    public Property Any_rank_one_matrix_has_effective_rank_1() =>
        Prop.ForAll(MetricsGen.Matrix.ToArbitrary(), MetricsGen.Matrix.ToArbitrary(), (a, b) =>
        {
            var u = a.Column(0);
            var v = b.Row(0);
            var r = RankMeasures.Compute(u.OuterProduct(v));
            return u.L2Norm() <= 1e-3 || v.L2Norm() <= 1e-3
                || (Math.Abs(r.EffectiveRank - 1) <= 1e-12 && r.NumericalRank == 1 && Math.Abs(r.StableRank - 1) <= 1e-12);
        });

    [Property(MaxTest = 200)]
    public Property Ranks_are_ordered_1_erank_rank_min_n_d() =>
        Prop.ForAll(MetricsGen.Matrix.ToArbitrary(), x =>
        {
            var r = RankMeasures.Compute(x);
            return r.Breakdown == MetricBreakdown.ZeroInput
                || (1 - 1e-12 <= r.EffectiveRank && r.EffectiveRank <= r.NumericalRank + 1e-12
                    && r.StableRank <= r.NumericalRank + 1e-12 && r.ParticipationRatio <= r.NumericalRank + 1e-12
                    && r.NumericalRank <= Math.Min(x.RowCount, x.ColumnCount));
        });

    [Property(MaxTest = 100)]
    public Property Rank_measures_are_invariant_to_scaling_and_orthogonal_feature_transforms() =>
        Prop.ForAll(
            (from x in MetricsGen.Matrix
             from q in MetricsGen.Orthogonal(x.ColumnCount)
             from c in Gen.Elements(-1e3, -2.5, 0.01, 7.0)
             select (x, q, c)).ToArbitrary(),
            t =>
            {
                var r = RankMeasures.Compute(t.x);
                var scaled = RankMeasures.Compute(t.c * t.x);
                var rotated = RankMeasures.Compute(t.x * t.q);
                var cosine = TokenUniformity.MeanPairwiseCosine(t.x);
                bool Close(double a, double b) => (double.IsNaN(a) && double.IsNaN(b)) || Math.Abs(a - b) <= 1e-9 * Math.Max(1, Math.Abs(a));
                // Near-degenerate singular values may fall either side of the tolerance; ranks then agree only when well separated.
                return r.Breakdown != MetricBreakdown.None
                    || (new[] { scaled, rotated }.All(o => Close(r.EffectiveRank, o.EffectiveRank) && Close(r.StableRank, o.StableRank)
                            && Close(r.ParticipationRatio, o.ParticipationRatio) && r.NumericalRank == o.NumericalRank)
                        && Close(TokenUniformity.Ratio(t.x).Value, TokenUniformity.Ratio(t.c * t.x).Value)
                        && Close(cosine.Value, TokenUniformity.MeanPairwiseCosine(t.c * t.x).Value)
                        && Close(cosine.Value, TokenUniformity.MeanPairwiseCosine(t.x * t.q).Value));
            });

    [Property(MaxTest = 200)]
    public Property Token_uniformity_is_zero_exactly_when_all_rows_are_equal() =>
        Prop.ForAll(MetricsGen.Matrix.ToArbitrary(), Gen.Elements(true, false).ToArbitrary(), (x, equalRows) =>
        {
            var y = equalRows ? M.Dense(x.RowCount, x.ColumnCount, (_, j) => x[0, j]) : x;
            var ratio = TokenUniformity.Ratio(y);
            var allEqual = Enumerable.Range(0, y.RowCount).All(i => y.Row(i).Equals(y.Row(0)));
            return ratio.Breakdown == MetricBreakdown.ZeroInput || (ratio.Value == 0) == allEqual;
        });
}
