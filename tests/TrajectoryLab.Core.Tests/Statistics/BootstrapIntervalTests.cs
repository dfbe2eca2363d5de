// The percentile bootstrap: its interval for a mean of normal draws agrees with the t-interval (both ≈ ±1.96 σ/√n for
// large n), it is deterministic for a seed, covers the true mean at about its nominal rate, and refuses bad input.
using TrajectoryLab.Core.Randomness;
using TrajectoryLab.Core.Statistics;

namespace TrajectoryLab.Core.Tests.Statistics;

public sealed class BootstrapIntervalTests
{
    static double[] Normal(int n, ulong seed)
    {
        var random = new SplitMix64(seed);
        return [.. Enumerable.Range(0, n).Select(_ =>
            Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()))];
    }

    [Fact]
    public void MeanIntervalMatchesTheTInterval()
    {
        var x = Normal(400, 3);
        var boot = BootstrapInterval.Of(x, s => s.Average(), 4000, 9);
        var t = Sample.MeanWithInterval(x);
        Assert.Equal(t.Mean, boot.Value, 12);
        // Half-widths ≈ 1.96 σ/√400 ≈ 0.098; the bootstrap's Monte Carlo error at 4000 resamples is a few percent of that.
        Assert.InRange(boot.Lower, t.Lower - 0.01, t.Lower + 0.01);
        Assert.InRange(boot.Upper, t.Upper - 0.01, t.Upper + 0.01);
        Assert.Equal(4000, boot.Resamples);
    }

    [Fact]
    public void SameSeedSameInterval() =>
        Assert.Equal(BootstrapInterval.Of(Normal(50, 1), s => s.Max(), 200, 5), BootstrapInterval.Of(Normal(50, 1), s => s.Max(), 200, 5));

    [Fact]
    public void CoversTheTrueMeanAtAboutTheNominalRate()
    {
        // 200 samples of n = 60: a 95 % interval should miss about 10; binomial(200, 0.05) is above 20 with p < 0.001 — and the
        // percentile interval of a mean undercovers slightly at this n, so the bound allows 22.
        var misses = Enumerable.Range(0, 200).Count(i =>
        {
            var b = BootstrapInterval.Of(Normal(60, (ulong)(100 + i)), s => s.Average(), 400, (ulong)i);
            return b.Lower > 0 || b.Upper < 0;
        });
        Assert.InRange(misses, 2, 22);
    }

    [Fact]
    public void ANonFiniteStatisticIsLeftOutAndCounted()
    {
        var b = BootstrapInterval.Of([1.0, 2.0], s => s.Count(v => v == 1.0) == 2 ? double.NaN : s.Average(), 500, 2);
        Assert.InRange(b.Resamples, 300, 420); // P(both draws are 1) = 1/4
        Assert.Equal(1.5, b.Value);
    }

    [Fact]
    public void BadInputIsRefused()
    {
        Assert.Throws<ArgumentException>(() => BootstrapInterval.Of(Array.Empty<double>(), s => 0));
        Assert.Throws<ArgumentException>(() => BootstrapInterval.Of([1.0], s => 0, resamples: 0));
        Assert.Throws<ArgumentException>(() => BootstrapInterval.Of([1.0], s => 0, confidence: 1));
    }
}
