// Benettin's two-trajectory λ1 (StatePair + MaximalExponent) must agree with the QR spectrum's λ1.
using TrajectoryLab.Core.Dynamics;
using TrajectoryLab.Core.Lyapunov;
using TrajectoryLab.Core.Systems;
using Xunit.Abstractions;

namespace TrajectoryLab.Core.Tests.Lyapunov;

public sealed class TwoTrajectoryAgreementTests(ITestOutputHelper output)
{
    [Fact(DisplayName = "Hénon: two-trajectory λ1 within 0.01 of the spectrum's λ1 and within 0.005 of 0.419217")]
    public void Henon()
    {
        var henon = Run.Settled(new HenonMap());
        var pair = Run.Maximal(henon, steps: 100_000);
        var spectrum = Run.Spectrum(henon, k: 1, steps: 100_000);
        output.WriteLine($"Hénon two-trajectory λ1 = {pair.Exponent:F6}, spectrum λ1 = {spectrum.Exponents[0]:F6}");
        Assert.True(pair.Succeeded, pair.Breakdown);
        Assert.Equal(spectrum.Exponents[0], pair.Exponent, 0.01);
        Assert.Equal(new HenonMap().Literature!.Exponents[0], pair.Exponent, new HenonMap().Literature!.Tolerances[0]);
        Assert.Equal(100_000, pair.IntervalExponents.Length);
        Assert.Equal(pair.Exponent, pair.IntervalExponents.Average(), 1e-9);
        Assert.InRange(pair.Convergence.Count, 2, 2000);
        Assert.Equal(pair.Exponent, pair.Convergence[^1].Values[0], 1e-12);
    }

    [Fact(DisplayName = "Lorenz: two-trajectory λ1 (renormalised every 0.1) within 0.05 of the spectrum's λ1 and of 0.90563")]
    public void Lorenz()
    {
        var lorenz = Run.Settled(new LorenzSystem());
        var pair = Run.Maximal(lorenz, steps: 50_000, every: 10);
        var spectrum = Run.Spectrum(lorenz, k: 1, steps: 50_000, qrInterval: 10);
        output.WriteLine($"Lorenz two-trajectory λ1 = {pair.Exponent:F6}, spectrum λ1 = {spectrum.Exponents[0]:F6}");
        Assert.True(pair.Succeeded, pair.Breakdown);
        Assert.Equal(spectrum.Exponents[0], pair.Exponent, 0.05);
        Assert.Equal(new LorenzSystem().Literature!.Exponents[0], pair.Exponent, new LorenzSystem().Literature!.Tolerances[0]);
        Assert.Equal(500.0, pair.Time, 1e-9);
    }

    [Fact(DisplayName = "Ensemble-averaged divergence of 20 Hénon pairs (ε = 1e-10) grows at λ1 within 0.1 over 15 steps")]
    public void EnsembleHenon()
    {
        // ⟨ln d⟩ is the average of finite-time growth over 15 steps and 20 starts: a coarser estimate, hence 0.1.
        var henon = Run.Settled(new HenonMap());
        var pairs = Enumerable.Range(0, 20).Select(s => (IPerturbedPair)new StatePair(Run.Settled(henon, 37 * s), 1e-10, s)).ToList();
        var result = EnsembleDivergence.Compute(pairs, new EnsembleDivergenceOptions(Steps: 40, FitStart: 0, FitEnd: 15));
        output.WriteLine($"Hénon ensemble λ1 = {result.Exponent:F6}, R² = {result.Fit.RSquared:F4}, ⟨ln d⟩ = {Run.Format(result.MeanLogDistance)}");
        Assert.True(result.Succeeded, result.Breakdown);
        Assert.Equal(new HenonMap().Literature!.Exponents[0], result.Exponent, 0.1);
        Assert.True(result.LogMeanDistance.Zip(result.MeanLogDistance).All(p => p.First >= p.Second - 1e-12)); // Jensen
    }
}
