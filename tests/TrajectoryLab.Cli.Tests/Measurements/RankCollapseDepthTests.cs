// rank-collapse-depth's rate fit on hand-made residuals, each with an outcome that can be wrong: a doubly exponential
// collapse r_L = r_0^{3^L} fits rate 3 across depths and per layer; a singly exponential r_L = e^{−aL} does not (its ratio of
// log residuals is (s + 1)/s, near 1); readings at or below the floor are left out; and the measures of an all-equal-rows
// matrix are those of a collapsed stream (residual 0, effective rank 1, cosine 1). Reference: Dong, Cordonnier & Loukas
// (2021), ICML (arXiv:2103.03404).
using MathNet.Numerics.LinearAlgebra;
using TrajectoryLab.Experiments.RankCollapseDepth;

namespace TrajectoryLab.Cli.Tests.Measurements;

public sealed class RankCollapseDepthTests
{
    static SiteReading Site(double r) => new(r, 1, 1, null);

    /// <summary>One "pure attention" model per depth whose site s has residual <paramref name="residual"/>(s).</summary>
    static RankCollapseDepthResult Result(int[] depths, Func<int, double> residual) =>
        new(
            ["pure attention"],
            depths,
            [42],
            [
                .. depths.Select(l => new DepthReading(
                    "pure attention",
                    l,
                    42,
                    [.. Enumerable.Range(0, l + 1).Select(s => Site(residual(s)))]
                )),
            ]
        );

    [Fact]
    public void ADoublyExponentialCollapseFitsRateThree()
    {
        var result = Result([1, 2, 3], s => Math.Pow(0.9, Math.Pow(3, s))); // 0.9, 0.73, 0.39, 0.058
        var rates = RankCollapseDepthReport.FitRates(result, "pure attention", 1e-5);
        Assert.Equal(3, rates.AcrossDepths, 1e-9);
        Assert.Equal(3, rates.AcrossDepthsPoints);
        Assert.Equal(3, rates.PerLayer, 1e-9);
        Assert.Equal(2, rates.PerLayerPoints); // sites 1 → 2 and 2 → 3
    }

    [Fact]
    public void ASinglyExponentialCollapseFitsARateNearOne()
    {
        var result = Result([2, 4, 8, 16], s => Math.Exp(-0.5 * s));
        var rates = RankCollapseDepthReport.FitRates(result, "pure attention", 1e-5);
        Assert.InRange(rates.AcrossDepths, 1.0, 1.3); // ln(−ln r) = ln(0.5 L) grows like ln L
        Assert.Equal(Math.Exp(Slope()), rates.AcrossDepths, 1e-9);
        Assert.Equal(4, rates.AcrossDepthsPoints);
        var ratios = Enumerable.Range(1, 15).Select(s => (s + 1.0) / s).Order().ToArray(); // ln r_{s+1} / ln r_s
        Assert.Equal(ratios[7], rates.PerLayer, 1e-9);

        static double Slope()
        {
            double[] x = [2, 4, 8, 16];
            var y = x.Select(l => Math.Log(0.5 * l)).ToArray();
            var (mx, my) = (x.Average(), y.Average());
            return x.Select((l, i) => (l - mx) * (y[i] - my)).Sum() / x.Sum(l => (l - mx) * (l - mx));
        }
    }

    [Fact]
    public void ReadingsAtTheFloorAreLeftOutAndTooFewGiveNaN()
    {
        var result = Result([1, 8], s => s == 0 ? 0.9 : 1e-7);
        var rates = RankCollapseDepthReport.FitRates(result, "pure attention", 1e-5);
        Assert.Equal(0, rates.AcrossDepthsPoints);
        Assert.True(double.IsNaN(rates.AcrossDepths));
        Assert.Equal(0, rates.PerLayerPoints);
        Assert.True(double.IsNaN(rates.PerLayer));
    }

    [Fact]
    public void EqualRowsMeasureAsACollapsedStream()
    {
        var x = Matrix<double>.Build.Dense(6, 4, (_, j) => j + 1.0); // every token row (1, 2, 3, 4)
        var reading = RankCollapseDepthExperiment.Measure(x);
        Assert.Equal(0, reading.Residual);
        Assert.Equal(1, reading.EffectiveRank, 1e-9);
        Assert.Equal(1, reading.Cosine, 1e-12);
        Assert.Null(reading.Breakdown);
    }
}
