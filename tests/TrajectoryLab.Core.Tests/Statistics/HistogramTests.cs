// The shared equal-width histogram (also behind FiniteTimeExponents): bin edges and counts by hand.
using TrajectoryLab.Core.Lyapunov;
using TrajectoryLab.Core.Statistics;

namespace TrajectoryLab.Core.Tests.Statistics;

public sealed class HistogramTests
{
    [Fact(DisplayName = "0..4 in 2 bins: [0, 2) holds 0 and 1, the closed last bin [2, 4] holds 2, 3, 4; order does not matter")]
    public void EqualWidth()
    {
        Assert.Equal([new HistogramBin(0, 2, 2), new HistogramBin(2, 4, 3)], Histogram.EqualWidth([3, 0, 4, 1, 2], 2));
        Assert.Equal([new HistogramBin(0, 1, 1), new HistogramBin(1, 2, 0), new HistogramBin(2, 3, 0), new HistogramBin(3, 4, 1)], Histogram.EqualWidth([4, 0], 4));
    }

    [Fact(DisplayName = "Non-finite values are not counted; equal values make one bin [v, v]; no finite value gives no bins")]
    public void Edges()
    {
        Assert.Equal([new HistogramBin(0, 1, 1), new HistogramBin(1, 2, 2)], Histogram.EqualWidth([0, double.NaN, 2, 1.5, double.PositiveInfinity], 2));
        Assert.Equal([new HistogramBin(7, 7, 3)], Histogram.EqualWidth([7, 7, 7], 5));
        Assert.Empty(Histogram.EqualWidth([double.NaN], 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => Histogram.EqualWidth([1.0], 0));
    }
}
