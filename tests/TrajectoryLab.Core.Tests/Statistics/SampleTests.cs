// The one quantile definition (Hyndman & Fan type 7) against MathNet's independent R-7 implementation and numpy's
// documented values, its order properties, NaN handling, ±∞ as order statistics, and the Student-t mean interval.
using FsCheck;
using FsCheck.Fluent;
using MathNet.Numerics.Statistics;
using TrajectoryLab.Core.Statistics;

namespace TrajectoryLab.Core.Tests.Statistics;

public sealed class SampleTests
{
    static double[] Finite(double[] values) => [.. values.Where(double.IsFinite).Select(v => Math.Clamp(v, -1e12, 1e12))];

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property AgreesWithMathNetR7(double[] raw, NonNegativeInt level)
    {
        var values = Finite(raw);
        var q = level.Get % 101 / 100.0;
        if (values.Length == 0) return double.IsNaN(Sample.Quantile(values, q)).ToProperty();
        var expected = values.QuantileCustom(q, QuantileDefinition.R7);
        var actual = Sample.Quantile(values, q);
        return (Math.Abs(actual - expected) <= 1e-9 * Math.Max(1, Math.Abs(expected))).ToProperty();
    }

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property IsMonotoneBetweenMinAndMaxAndIgnoresOrderAndNaN(NonEmptyArray<NormalFloat> raw, int seed)
    {
        var values = raw.Get.Select(v => v.Get).ToArray();
        var shuffled = values.OrderBy(_ => new Random(seed).Next()).Concat([double.NaN, double.NaN]).ToArray();
        var qs = Enumerable.Range(0, 11).Select(i => Sample.Quantile(shuffled, i / 10.0)).ToArray();
        return (qs[0] == values.Min() && qs[^1] == values.Max() && qs.Zip(qs.Skip(1)).All(p => p.First <= p.Second)
                && Sample.Median(shuffled) == Sample.Quantile(values, 0.5)).ToProperty();
    }

    [Fact]
    public void MatchesNumpysDefault()
    {
        double[] x = [1, 2, 3, 4]; // numpy.quantile(x, [0.25, 0.5, 0.9]) = [1.75, 2.5, 3.7]
        Assert.Equal(1.75, Sample.Quantile(x, 0.25), 1e-12);
        Assert.Equal(2.5, Sample.Median(x), 1e-12);
        Assert.Equal(3.7, Sample.Quantile(x, 0.9), 1e-12);
        Assert.Equal(3, Sample.Median([5, 1, 3]));
        Assert.True(double.IsNaN(Sample.Median([])));
        Assert.True(double.IsNaN(Sample.Median([double.NaN])));
    }

    [Fact]
    public void InfinitiesAreOrderStatistics()
    {
        Assert.Equal(double.PositiveInfinity, Sample.Median([1, double.PositiveInfinity, double.PositiveInfinity]));
        Assert.Equal(double.PositiveInfinity, Sample.Median([double.PositiveInfinity, double.PositiveInfinity]));
        Assert.Equal(2, Sample.Median([1, 2, double.PositiveInfinity]));
    }

    [Fact]
    public void MeanIntervalIsStudentT()
    {
        double[] x = [1, 2, 3, 4, 5]; // mean 3, s = √2.5, se = √0.5, t_{0.975, 4} = 2.776445
        var m = Sample.MeanWithInterval(x);
        Assert.Equal(3, m.Mean, 1e-12);
        Assert.Equal(Math.Sqrt(0.5), m.StandardError, 1e-12);
        Assert.Equal(3 - 2.7764451051977987 * Math.Sqrt(0.5), m.Lower, 1e-9);
        Assert.Equal(3 + 2.7764451051977987 * Math.Sqrt(0.5), m.Upper, 1e-9);
        Assert.Equal(5, m.Count);
        Assert.True(double.IsNaN(Sample.MeanWithInterval([7.0]).Lower));
        Assert.Equal(7, Sample.MeanWithInterval([7.0, double.NaN]).Mean);
    }
}
