// Per-row random streams: uniform on [0, 1), a function of (seed, stream, step) only, distinct across streams and seeds.
using TrajectoryLab.Torch.Sampling;

namespace TrajectoryLab.Torch.Tests.Generation;

public sealed class RandomStreamsTests
{
    [Fact]
    public void DrawsAreUniformOnTheUnitInterval()
    {
        const int n = 100_000;
        var u = Enumerable.Range(0, n).Select(s => RandomStreams.Uniform(seed: 5, streamId: 3, step: s)).ToArray();
        Assert.All(u, x => Assert.InRange(x, 0, Math.BitDecrement(1.0)));
        // Five standard errors: of the mean √(1/12/n) ≈ 0.0009, of the variance √((1/80 − 1/144)/n) ≈ 0.00024.
        Assert.InRange(u.Average(), 0.5 - 0.0046, 0.5 + 0.0046);
        Assert.InRange(u.Average(x => (x - 0.5) * (x - 0.5)), 1.0 / 12 - 0.0012, 1.0 / 12 + 0.0012);
        var bins = new int[10];
        foreach (var x in u) bins[(int)(x * 10)]++;
        var chiSquare = bins.Sum(c => Math.Pow(c - n / 10.0, 2) / (n / 10.0));
        Assert.True(chiSquare < 9 + 5 * Math.Sqrt(18), $"chi-square {chiSquare}");
    }

    [Fact]
    public void AStreamIsAFunctionOfSeedStreamAndStepOnly()
    {
        var streams = new long[] { 4, 9, 4, 0 };
        for (var step = 0; step < 50; step++)
        {
            var u = RandomStreams.Uniforms(seed: 17, streams, step);
            Assert.Equal(u[0], u[2]);
            Assert.NotEqual(u[0], u[1]);
            Assert.Equal(RandomStreams.Uniform(17, 0, step), u[3]);
            Assert.NotEqual(RandomStreams.Uniform(18, 4, step), u[0]);
        }
    }

    [Fact]
    public void NeighbouringStreamsAreUncorrelated()
    {
        const int n = 20_000;
        var a = Enumerable.Range(0, n).Select(s => RandomStreams.Uniform(1, 0, s) - 0.5).ToArray();
        var b = Enumerable.Range(0, n).Select(s => RandomStreams.Uniform(1, 1, s) - 0.5).ToArray();
        var correlation = a.Zip(b, (x, y) => x * y).Sum() / Math.Sqrt(a.Sum(x => x * x) * b.Sum(y => y * y));
        Assert.InRange(correlation, -0.03, 0.03); // sd ≈ 1/√n ≈ 0.007
    }
}
