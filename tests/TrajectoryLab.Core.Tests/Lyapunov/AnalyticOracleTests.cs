// Exponents of systems whose spectrum is known in closed form or tabulated (docs/science.md; Sprott's table).
using TrajectoryLab.Core.Lyapunov;
using TrajectoryLab.Core.Systems;
using Xunit.Abstractions;

namespace TrajectoryLab.Core.Tests.Lyapunov;

public sealed class AnalyticOracleTests(ITestOutputHelper output)
{
    [Theory(DisplayName = "Logistic map exponent equals its analytic value within rtol 1e-3")]
    [InlineData(4.0, 0.693147)]   // ln 2
    [InlineData(2.5, -0.693147)]  // ln|2 − r| (stable fixed point)
    [InlineData(3.2, -0.916291)]  // ½ ln|4 + 2r − r²| (period-2 cycle)
    public void Logistic(double r, double expected)
    {
        // r = 4 is conjugate to the tent map, so the orbit sum of ln|f'| telescopes: the error is O(1/N), not O(1/√N).
        var result = Run.Spectrum(new LogisticMap(r), k: 1, steps: 100_000);
        output.WriteLine($"logistic r={r}: λ = {Run.Format(result.Exponents)} (expected {expected})");
        Assert.True(result.Succeeded, result.Breakdown);
        Assert.Equal(expected, result.Exponents[0], Math.Abs(expected) * 1e-3);
    }

    [Fact(DisplayName = "Hénon: λ1 within 0.005 of 0.419217, λ2 within 0.005 of −1.623190, λ1 + λ2 = ln 0.3 within 1e-6, D_KY within 0.005 of 1.258267")]
    public void Henon()
    {
        var henon = new HenonMap();
        var result = Run.Spectrum(Run.Settled(henon), k: 2, steps: 100_000);
        var ky = KaplanYorke.Dimension(result.Exponents);
        output.WriteLine($"Hénon: λ = {Run.Format(result.Exponents)}, sum = {result.Exponents.Sum():F9}, D_KY = {ky:F6}");
        Assert.True(result.Succeeded, result.Breakdown);
        var literature = henon.Literature!; // the values the experiments compare with, from the system itself
        Assert.Equal([0.419217, -1.623190], literature.Exponents); // Sprott (2003)
        Assert.Equal(literature.Exponents[0], result.Exponents[0], literature.Tolerances[0]);
        Assert.Equal(literature.Exponents[1], result.Exponents[1], literature.Tolerances[1]);
        Assert.Equal(Math.Log(0.3), henon.VolumeRate, 1e-15);
        Assert.Equal(henon.VolumeRate, result.Exponents.Sum(), 1e-6); // det J = −b at every point
        Assert.Equal(literature.KaplanYorke, ky, 0.005);
    }

    [Fact(DisplayName = "Lorenz: λ1 within 0.05 of 0.90563, λ2 within 0.05 of 0, λ3 within 0.2 of −14.57219, sum −13.6667 within 1e-3, D_KY within 0.01 of 2.06215")]
    public void Lorenz()
    {
        // T = 500 time units (dt = 0.01, QR every 0.1); the sum is the exact trace −(σ + 1 + β) up to the RK4 error.
        var lorenz = new LorenzSystem();
        var result = Run.Spectrum(Run.Settled(lorenz), k: 3, steps: 50_000, qrInterval: 10);
        var ky = KaplanYorke.Dimension(result.Exponents);
        output.WriteLine($"Lorenz: λ = {Run.Format(result.Exponents)}, sum = {result.Exponents.Sum():F6}, D_KY = {ky:F6}");
        Assert.True(result.Succeeded, result.Breakdown);
        var literature = lorenz.Literature!;
        Assert.Equal([0.90563, 0, -14.57219], literature.Exponents); // Sprott (2003)
        for (var i = 0; i < 3; i++) Assert.Equal(literature.Exponents[i], result.Exponents[i], literature.Tolerances[i]);
        Assert.Equal(-(10 + 1 + 8.0 / 3.0), lorenz.VolumeRate, 1e-12);
        Assert.Equal(lorenz.VolumeRate, result.Exponents.Sum(), 1e-3);
        Assert.Equal(literature.KaplanYorke, ky, 0.01);
    }

    [Fact(DisplayName = "Linear diag(1.1, 0.8) gives ln 1.1 and ln 0.8 within 1e-9")]
    public void LinearDiagonal()
    {
        var result = Run.Spectrum(LinearMap.Diagonal(1.1, 0.8), k: 2, steps: 10_000);
        output.WriteLine($"diag(1.1, 0.8): λ = {Run.Format(result.Exponents)}");
        Assert.True(result.Succeeded, result.Breakdown);
        Assert.Equal(Math.Log(1.1), result.Exponents[0], 1e-9);
        Assert.Equal(Math.Log(0.8), result.Exponents[1], 1e-9);
    }
}
