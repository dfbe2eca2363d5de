// The distribution of finite-time exponents and the Kaplan-Yorke dimension.
using TrajectoryLab.Core.Lyapunov;
using TrajectoryLab.Core.Systems;
using Xunit.Abstractions;

namespace TrajectoryLab.Core.Tests.Lyapunov;

public sealed class FiniteTimeExponentsTests(ITestOutputHelper output)
{
    [Fact(DisplayName = "Hénon FTLE over 10-step windows: mean equals λ1 within 1e-12 of the spectrum, P05 < P50 < P95, histogram holds every window")]
    public void HenonDistribution()
    {
        var spectrum = Run.Spectrum(Run.Settled(new HenonMap()), k: 2, steps: 20_000);
        var ftle = FiniteTimeExponents.Compute(spectrum.LocalExponents[0], new FiniteTimeOptions(Window: 10, Bins: 20));
        output.WriteLine($"Hénon FTLE(10): mean {ftle.Mean:F6}, std {ftle.StandardDeviation:F6}, P05 {ftle.P05:F6}, P50 {ftle.P50:F6}, P95 {ftle.P95:F6}");
        Assert.Null(ftle.Breakdown);
        Assert.Equal(2000, ftle.Exponents.Length);
        Assert.Equal(spectrum.Exponents[0], ftle.Mean, 1e-12); // 20000 is a whole number of windows
        Assert.True(ftle.P05 < ftle.P50 && ftle.P50 < ftle.P95);
        Assert.True(ftle.StandardDeviation > 0);
        Assert.Equal(20, ftle.Histogram.Count);
        Assert.Equal(2000, ftle.Histogram.Sum(b => b.Count));
    }

    [Fact(DisplayName = "Uniformly hyperbolic diag(1.1, 0.8): every window exponent is ln 1.1 (std 0 within 1e-12), all 40 windows binned")]
    public void ConstantGrowth()
    {
        var spectrum = Run.Spectrum(LinearMap.Diagonal(1.1, 0.8), k: 1, steps: 1000);
        var ftle = FiniteTimeExponents.Compute(spectrum.LocalExponents[0], new FiniteTimeOptions(Window: 25));
        Assert.Equal(Math.Log(1.1), ftle.P50, 1e-9);
        Assert.Equal(0, ftle.StandardDeviation, 1e-12);
        Assert.Equal(40, ftle.Histogram.Sum(b => b.Count));
    }

    [Fact(DisplayName = "Non-finite local exponents give NaN statistics with a reason")]
    public void NonFinite()
    {
        var ftle = FiniteTimeExponents.Compute([1.0, double.NegativeInfinity, 1.0, 1.0], new FiniteTimeOptions(Window: 2));
        Assert.NotNull(ftle.Breakdown);
        Assert.True(double.IsNaN(ftle.Mean));
    }

    [Theory(DisplayName = "Kaplan–Yorke dimension (exact to 1e-6 from the tabulated spectra)")]
    [InlineData(new[] { 0.419217, -1.623190 }, 1.258267)]
    [InlineData(new[] { 0.90563, 0.0, -14.57219 }, 2.062148)]
    [InlineData(new[] { -0.1, -0.2 }, 0.0)]
    [InlineData(new[] { 0.1, 0.2 }, 2.0)]
    [InlineData(new[] { -14.57219, 0.90563, 0.0 }, 2.062148)] // order does not matter
    public void KaplanYorkeDimension(double[] exponents, double expected) =>
        Assert.Equal(expected, KaplanYorke.Dimension(exponents), 1e-6);
}
