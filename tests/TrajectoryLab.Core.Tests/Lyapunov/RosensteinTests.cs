// Rosenstein's data-driven λ1 on series whose exponent is known (docs/science.md).
using TrajectoryLab.Core.Dynamics;
using TrajectoryLab.Core.Lyapunov;
using TrajectoryLab.Core.Systems;
using Xunit.Abstractions;

namespace TrajectoryLab.Core.Tests.Lyapunov;

public sealed class RosensteinTests(ITestOutputHelper output)
{
    private static double[] Series(IDynamicalSystem system, int length, int component = 0)
    {
        var series = new double[length];
        for (var n = 0; n < length; n++)
        {
            series[n] = system.State[component];
            system.Step();
        }
        return series;
    }

    [Fact(DisplayName = "Hénon x series (3000 samples, m = 2, τ = 1): λ1 within 0.02 of 0.419217 over the scaling region [0, 8]")]
    public void Henon()
    {
        // Finite-sample estimator: neighbours start ~1e-3 apart and saturate near i ≈ 15, so the fit stops at 8.
        var series = Series(Run.Settled(new HenonMap()), 3000);
        var result = Rosenstein.Compute(series, new RosensteinOptions(EmbeddingDimension: 2, Delay: 1, TheilerWindow: 10, Horizon: 20, FitStart: 0, FitEnd: 8));
        output.WriteLine($"Hénon Rosenstein λ1 = {result.Exponent:F6}, R² = {result.Fit.RSquared:F4}, d(i) = {Run.Format(result.Divergence)}");
        Assert.True(result.Succeeded, result.Breakdown);
        Assert.Equal(new HenonMap().Literature!.Exponents[0], result.Exponent, 0.02); // a data-driven estimate: its own, wider tolerance
        Assert.Equal(21, result.Divergence.Length);
        Assert.True(result.Divergence[^1] > result.Divergence[0]);
    }

    [Fact(DisplayName = "Logistic r = 4 series (3000 samples, m = 1): λ1 within 0.02 of ln 2 over [0, 6]")]
    public void LogisticR4()
    {
        var series = Series(Run.Settled(new LogisticMap(4)), 3000);
        var result = Rosenstein.Compute(series, new RosensteinOptions(EmbeddingDimension: 1, TheilerWindow: 10, Horizon: 15, FitStart: 0, FitEnd: 6));
        output.WriteLine($"logistic r=4 Rosenstein λ1 = {result.Exponent:F6}, R² = {result.Fit.RSquared:F4}, d(i) = {Run.Format(result.Divergence)}");
        Assert.True(result.Succeeded, result.Breakdown);
        Assert.Equal(Math.Log(2), result.Exponent, 0.02);
    }

    [Fact(DisplayName = "A constant series has no positive neighbour distances: NaN with a reason, no exception")]
    public void ConstantSeries()
    {
        var result = Rosenstein.Compute(Enumerable.Repeat(1.0, 200).ToArray());
        Assert.False(result.Succeeded);
        Assert.True(double.IsNaN(result.Exponent));
        Assert.All(result.Pairs, c => Assert.Equal(0, c));
    }

    [Fact(DisplayName = "A series too short for the embedding and horizon is a bad argument")]
    public void TooShort() =>
        Assert.Throws<ArgumentException>(() => Rosenstein.Compute(new double[20], new RosensteinOptions(Horizon: 15)));
}
