// The ridge probe: separable classes are read perfectly, a feature that carries nothing gives chance, the penalty
// shrinks towards the class frequencies, and malformed input is refused.
using TrajectoryLab.Core.Randomness;
using TrajectoryLab.Core.Statistics;

namespace TrajectoryLab.Core.Tests.Statistics;

public sealed class RidgeProbeTests
{
    [Fact]
    public void ClassesPlacedAtDistinctCornersAreReadExactly()
    {
        var random = new SplitMix64(4);
        var labels = Enumerable.Range(0, 300).Select(i => i % 3).ToArray();
        // class c sits at 5·e_c plus noise of size 0.1 in 6 dimensions
        var features = labels.Select(c => Enumerable.Range(0, 6).Select(j => (j == c ? 5.0 : 0) + 0.1 * (random.NextDouble() - 0.5)).ToArray()).ToArray();
        var probe = RidgeProbe.Fit(features, labels, 3, 1e-3);
        Assert.Equal(1.0, probe.Accuracy(features, labels));
    }

    [Fact]
    public void NoiseFeaturesGiveChanceOnHeldOutData()
    {
        var random = new SplitMix64(5);
        double[][] Draw(int n) => [.. Enumerable.Range(0, n).Select(_ => Enumerable.Range(0, 8).Select(_ => random.NextDouble()).ToArray())];
        int[] Labels(int n) => [.. Enumerable.Range(0, n).Select(_ => random.NextInt(4))];
        var probe = RidgeProbe.Fit(Draw(2000), Labels(2000), 4, 1.0);
        var accuracy = probe.Accuracy(Draw(4000), Labels(4000));
        Assert.InRange(accuracy, 0.25 - 0.035, 0.25 + 0.035); // chance 1/4; 3.5 binomial standard errors at n = 4000 ≈ 0.024
    }

    [Fact]
    public void AHugePenaltyPredictsTheMostFrequentClass()
    {
        var labels = new[] { 0, 1, 1, 1, 2, 1 };
        var features = labels.Select((c, i) => new[] { (double)c, i * 0.1 }).ToArray();
        var probe = RidgeProbe.Fit(features, labels, 3, 1e12);
        Assert.All(features, f => Assert.Equal(1, probe.Predict(f)));
    }

    [Fact]
    public void BadInputIsRefused()
    {
        Assert.Throws<ArgumentException>(() => RidgeProbe.Fit([], [], 2, 1));
        Assert.Throws<ArgumentException>(() => RidgeProbe.Fit([[1.0], [1.0, 2.0]], [0, 1], 2, 1));
        Assert.Throws<ArgumentException>(() => RidgeProbe.Fit([[1.0]], [2], 2, 1));
        Assert.Throws<ArgumentException>(() => RidgeProbe.Fit([[1.0]], [0], 2, -1));
    }
}
