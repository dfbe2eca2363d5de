// Pearson and Spearman correlation with a seeded percentile-bootstrap interval: exact lines, Anscombe's quartet
// (Anscombe 1973, Am. Stat. 27:17, r = 0.816 for all four sets), a hand-computed Spearman ρ, and FsCheck properties.
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using TrajectoryLab.Core.Statistics;

namespace TrajectoryLab.Core.Tests.Statistics;

/// <summary>Paired samples y = slope·x + noise with n ∈ [8, 40] and neither variable constant.</summary>
public sealed record PairedSample(double[] X, double[] Y)
{
    public override string ToString() =>
        $"x = [{string.Join(", ", X.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}] y = [{string.Join(", ", Y.Select(v => v.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}]";
}

public sealed class BootstrapCorrelationTests
{
    private static readonly double[] AnscombeX = [10, 8, 13, 9, 11, 14, 6, 4, 12, 7, 5];
    private static readonly double[] AnscombeY1 = [8.04, 6.95, 7.58, 8.81, 8.33, 9.96, 7.24, 4.26, 10.84, 4.82, 5.68];
    private static readonly double[] AnscombeY2 = [9.14, 8.14, 8.74, 8.77, 9.26, 8.10, 6.13, 3.10, 9.13, 7.26, 4.74];
    private static readonly double[] AnscombeY3 = [7.46, 6.77, 12.74, 7.11, 7.81, 8.84, 6.08, 5.39, 8.15, 6.42, 5.73];
    private static readonly double[] AnscombeX4 = [8, 8, 8, 8, 8, 8, 8, 19, 8, 8, 8];
    private static readonly double[] AnscombeY4 = [6.58, 5.76, 7.71, 8.84, 8.47, 7.04, 5.25, 12.50, 5.56, 7.91, 6.89];

    private static readonly Gen<PairedSample> Paired =
        (from n in Gen.Choose(8, 40)
         from slope in Gen.Choose(-300, 300)
         from noise in Gen.Elements(0.1, 1.0, 10.0)
         from x in Gen.Choose(-1000, 1000).ArrayOf(n)
         from e in Gen.Choose(-1000, 1000).ArrayOf(n)
         select new PairedSample(
             x.Select(v => v / 100.0).ToArray(),
             x.Zip(e, (v, u) => slope / 100.0 * v / 100.0 + noise * u / 1000.0).ToArray()))
        .Where(s => s.X.Distinct().Count() > 1 && s.Y.Distinct().Count() > 1);

    private static readonly Gen<CorrelationMethod> Method = Gen.Elements(CorrelationMethod.Pearson, CorrelationMethod.Spearman);

    [Theory(DisplayName = "Exact lines: r = ±1 and the interval is [±1, ±1] exactly, for both coefficients")]
    [InlineData(CorrelationMethod.Pearson, 3.0)]
    [InlineData(CorrelationMethod.Pearson, -0.5)]
    [InlineData(CorrelationMethod.Spearman, 3.0)]
    [InlineData(CorrelationMethod.Spearman, -0.5)]
    public void PerfectLine(CorrelationMethod method, double slope)
    {
        var x = Enumerable.Range(1, 20).Select(i => (double)i).ToArray();
        var y = x.Select(v => slope * v - 2).ToArray();
        var result = BootstrapCorrelation.Compute(x, y, new BootstrapCorrelationOptions(method, Resamples: 500));
        var sign = Math.Sign(slope);
        Assert.True(result.Succeeded, result.Breakdown);
        Assert.Equal(sign, result.R);
        Assert.Equal(sign, result.Lower);
        Assert.Equal(sign, result.Upper);
        Assert.Equal(20, result.N);
        Assert.Equal(500, result.Resamples + result.DegenerateResamples);
    }

    [Fact(DisplayName = "Anscombe's quartet: r = 0.82 for all four sets (Anscombe 1973), set 1 r = 0.816 to 3 decimals; set 4's resamples are degenerate with probability (10/11)^11")]
    public void Anscombe()
    {
        // Anscombe printed r = 0.82 for every set; to more digits the sets give 0.81642, 0.81624, 0.81629 and 0.81652
        // (Python's statistics.correlation), so only sets 1-3 round to the often-quoted 0.816.
        var sets = new[] { (AnscombeX, AnscombeY1), (AnscombeX, AnscombeY2), (AnscombeX, AnscombeY3), (AnscombeX4, AnscombeY4) };
        var results = sets.Select(s => BootstrapCorrelation.Compute(s.Item1, s.Item2)).ToArray();
        Assert.All(results, result =>
        {
            Assert.True(result.Succeeded, result.Breakdown);
            Assert.Equal(0.82, result.R, 5e-3);
            Assert.True(result.Lower <= result.R && result.R <= result.Upper);
        });
        Assert.Equal(0.816, results[0].R, 5e-4);
        Assert.Equal(0.81642051634484, results[0].R, 1e-12);

        // Set 4: x is 8 except for one 19, so a resample is constant in x exactly when it misses that point:
        // P = (10/11)^11 = 0.3505; with B = 2000 the count's SD is 0.0107·B, and 0.05·B is ≈ 4.7 SD.
        var four = BootstrapCorrelation.Compute(AnscombeX4, AnscombeY4);
        Assert.Equal(Math.Pow(10.0 / 11, 11), (double)four.DegenerateResamples / 2000, 0.05);
        Assert.Equal(2000, four.Resamples + four.DegenerateResamples);
    }

    [Fact(DisplayName = "Spearman by hand: x = 1..5, y = 2 1 4 3 5 gives ρ = 1 − 6·4/(5·24) = 0.8; ties get average ranks")]
    public void SpearmanByHand()
    {
        var result = BootstrapCorrelation.Compute([1, 2, 3, 4, 5], [2, 1, 4, 3, 5], new BootstrapCorrelationOptions(CorrelationMethod.Spearman, Resamples: 200));
        Assert.Equal(0.8, result.R, 1e-12);

        // Ranks of y = 1 1 2 are 1.5 1.5 3: Pearson of (1, 2, 3) and (1.5, 1.5, 3) is √3/2.
        var ties = BootstrapCorrelation.Compute([1, 2, 3], [1, 1, 2], new BootstrapCorrelationOptions(CorrelationMethod.Spearman, Resamples: 200));
        Assert.Equal(Math.Sqrt(3) / 2, ties.R, 1e-12);
    }

    [Fact(DisplayName = "Non-finite pairs are dropped and counted; the coefficient is that of the finite pairs")]
    public void NonFiniteDropped()
    {
        double[] x = [.. AnscombeX, double.NaN, 3, double.PositiveInfinity];
        double[] y = [.. AnscombeY1, 1, double.NegativeInfinity, 2];
        var result = BootstrapCorrelation.Compute(x, y);
        var clean = BootstrapCorrelation.Compute(AnscombeX, AnscombeY1);
        Assert.Equal(3, result.Dropped);
        Assert.Equal(11, result.N);
        Assert.Equal(clean, result with { Dropped = 0 });
    }

    [Fact(DisplayName = "Breakdowns: fewer than 3 pairs, a constant variable (NaN with a reason); bad arguments throw")]
    public void Breakdowns()
    {
        var two = BootstrapCorrelation.Compute([1, 2, double.NaN], [3, 4, 5]);
        Assert.False(two.Succeeded);
        Assert.True(double.IsNaN(two.R) && double.IsNaN(two.Lower) && double.IsNaN(two.Upper));
        Assert.Equal(2, two.N);
        Assert.Equal(1, two.Dropped);

        var constant = BootstrapCorrelation.Compute([1, 2, 3, 4], [5, 5, 5, 5]);
        Assert.Contains("y is constant", constant.Breakdown);
        Assert.True(double.IsNaN(constant.R));

        Assert.Equal("y", Assert.Throws<ArgumentException>(() => BootstrapCorrelation.Compute([1, 2, 3], [1, 2])).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentException>(() => BootstrapCorrelation.Compute([1, 2, 3], [1, 2, 4], new BootstrapCorrelationOptions(Resamples: 0))).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentException>(() => BootstrapCorrelation.Compute([1, 2, 3], [1, 2, 4], new BootstrapCorrelationOptions(Confidence: 1))).ParamName);
    }

    [Fact(DisplayName = "Different seeds give different resamples; a wider confidence gives a wider interval")]
    public void SeedsAndConfidence()
    {
        var a = BootstrapCorrelation.Compute(AnscombeX, AnscombeY1, new BootstrapCorrelationOptions(Seed: 1));
        var b = BootstrapCorrelation.Compute(AnscombeX, AnscombeY1, new BootstrapCorrelationOptions(Seed: 2));
        Assert.NotEqual(a.Lower, b.Lower);
        var wide = BootstrapCorrelation.Compute(AnscombeX, AnscombeY1, new BootstrapCorrelationOptions(Confidence: 0.99, Seed: 1));
        Assert.True(wide.Lower <= a.Lower && a.Upper <= wide.Upper);
    }

    [Property(MaxTest = 100, DisplayName = "Non-degenerate data: the interval contains the estimate; equal seeds give equal results")]
    public Property IntervalContainsEstimateAndIsReproducible() =>
        Prop.ForAll(Paired.ToArbitrary(), Method.ToArbitrary(), Gen.Choose(0, 1000).ToArbitrary(), (sample, method, seed) =>
        {
            var options = new BootstrapCorrelationOptions(method, Resamples: 400, Seed: (ulong)seed);
            var first = BootstrapCorrelation.Compute(sample.X, sample.Y, options);
            var again = BootstrapCorrelation.Compute(sample.X, sample.Y, options);
            return (first.Succeeded && first.Lower <= first.R && first.R <= first.Upper && first == again)
                .Label($"r = {first.R}, [{first.Lower}, {first.Upper}], {first.Breakdown}");
        });

    [Property(MaxTest = 100, DisplayName = "Swapping x and y gives the same r and, with the same seed, the same interval")]
    public Property SwapIsSymmetric() =>
        Prop.ForAll(Paired.ToArbitrary(), Method.ToArbitrary(), (sample, method) =>
        {
            var options = new BootstrapCorrelationOptions(method, Resamples: 200);
            var xy = BootstrapCorrelation.Compute(sample.X, sample.Y, options);
            var yx = BootstrapCorrelation.Compute(sample.Y, sample.X, options);
            return (xy == yx).Label($"{xy} vs {yx}");
        });

    [Property(MaxTest = 100, DisplayName = "Spearman is unchanged by a strictly increasing transform of y (e^y)")]
    public Property SpearmanIsRankInvariant() =>
        Prop.ForAll(Paired.ToArbitrary(), sample =>
        {
            // e^y is strictly increasing in the reals, not in doubles: two y one ulp apart (0.0258 and 0.025800000000000003)
            // can map to one double, which turns two ranks into a tie. Such a sample does not test the property.
            var ey = sample.Y.Select(Math.Exp).ToArray();
            if (ey.Distinct().Count() != sample.Y.Distinct().Count())
                return true.Label("e^y merged two y that differ in the last bit");
            var options = new BootstrapCorrelationOptions(CorrelationMethod.Spearman, Resamples: 100);
            var plain = BootstrapCorrelation.Compute(sample.X, sample.Y, options);
            var transformed = BootstrapCorrelation.Compute(sample.X, ey, options);
            return (plain == transformed).Label($"{plain} vs {transformed}");
        });
}
