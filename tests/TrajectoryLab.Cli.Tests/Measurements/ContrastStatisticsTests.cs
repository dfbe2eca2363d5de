// The statistics architecture-stability reports, on cases worked by hand: the memory half-life's interpolation in ln d,
// the Wilson interval, the KL divergence of two softmaxes (and its invariance to a logit shift, FsCheck), the
// past-minus-within difference and the median divergence step.
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using TrajectoryLab.Experiments.ArchitectureStability;

namespace TrajectoryLab.Cli.Tests.Measurements;

public sealed class ContrastStatisticsTests
{
    [Fact]
    public void HalfLifeIsWhereTheMeanFirstHalvesInterpolatedInLnD()
    {
        Assert.Equal(4, ContrastStatistics.HalfLife([1, 2, 4, 8], [[1, 0.75, 0.5, 0.25]]), 12);
        // halfway between 0.6 at d = 2 and 0.4 at d = 4, in ln d: 2·√2; the mean of two samples is the curve read
        Assert.Equal(2 * Math.Sqrt(2), ContrastStatistics.HalfLife([1, 2, 4], [[1.2, 0.5, 0.3], [0.8, 0.7, 0.5]]), 12);
        Assert.True(double.IsNaN(ContrastStatistics.HalfLife([1, 2], [[1, 0.9]]))); // never halves
        Assert.True(double.IsNaN(ContrastStatistics.HalfLife([1, 2], [[0, 0]]))); // nothing to halve
    }

    [Fact]
    public void WilsonIntervalOfEightInTen()
    {
        var (p, lo, hi) = ContrastStatistics.Wilson(8, 10);
        Assert.Equal(0.8, p);
        Assert.Equal(0.4902, lo, 4); // Wilson (1927); e.g. Newcombe (1998), Stat. Med. 17:857, method 3
        Assert.Equal(0.9433, hi, 4);
        Assert.True(double.IsNaN(ContrastStatistics.Wilson(0, 0).P));
    }

    [Fact]
    public void KlOfAWorkedPair()
    {
        // p = softmax(0, ln 3) = (1/4, 3/4), q = (1/2, 1/2): KL = ¼ ln ½ + ¾ ln 3/2
        var expected = 0.25 * Math.Log(0.5) + 0.75 * Math.Log(1.5);
        Assert.Equal(expected, ContrastStatistics.Kl([0f, (float)Math.Log(3)], [0f, 0f]), 6);
        Assert.Equal(0, ContrastStatistics.Kl([1f, 2f, 3f], [1f, 2f, 3f]));
    }

    [Property(MaxTest = 200)]
    public Property KlIsNonNegativeAndBlindToAShift() =>
        Prop.ForAll(
            Gen.ArrayOf(Gen.Choose(-2000, 2000).Select(i => i / 100f), 6).ToArbitrary(),
            Gen.ArrayOf(Gen.Choose(-2000, 2000).Select(i => i / 100f), 6).ToArbitrary(),
            Gen.Choose(-64, 64).ToArbitrary(),
            (p, q, shift) =>
            {
                // z + shift rounds in float32 (ulp ≤ 7.6e-6 below 84), and ∂KL/∂z_i = p_i (ln p_i/q_i − KL) sums to at most
                // 2 (40 + KL) for logits within ±20: the shifted KL may differ by 1.2e-3 (1 + KL) at worst.
                var kl = ContrastStatistics.Kl(p, q);
                var shifted = ContrastStatistics.Kl([.. p.Select(z => z + shift)], q);
                return (kl >= 0 && Math.Abs(kl - shifted) <= 1.5e-3 * (1 + kl)).Label($"{kl} vs {shifted}");
            }
        );

    [Fact]
    public void PastMinusWithinAveragesPerTextDifferences()
    {
        var d = ContrastStatistics.PastMinusWithin([[1, 1, 3, 3], [0, 2, 2, 4]], 2);
        Assert.Equal(2, d.Mean, 12); // (3 − 1) and (3 − 1)
        Assert.Equal(2, d.Count);
    }

    [Fact]
    public void MedianDivergenceIsOverTheCopiesThatParted()
    {
        ButterflyCopy Copy(int? first) => new("m", 1, 0.01, 0, 0, first, false);
        var m = ContrastStatistics.MedianDivergence([Copy(1), Copy(2), Copy(3), Copy(null)], 200, 1);
        Assert.Equal(2, m.Value);
        Assert.InRange(m.Lower, 1, 2);
        Assert.InRange(m.Upper, 2, 3);
        Assert.True(double.IsNaN(ContrastStatistics.MedianDivergence([Copy(null)], 50, 1).Value));
    }
}
