// The finite-size Lyapunov exponent (Aurell et al. 1996, 1997): exponential growth (exact up to the sampling bound),
// saturation, and the logistic map at r = 4 (λ(δ) = ln 2 for δ well below the attractor size).
using TrajectoryLab.Core.Dynamics;
using TrajectoryLab.Core.Lyapunov;
using TrajectoryLab.Core.Systems;
using Xunit.Abstractions;

namespace TrajectoryLab.Core.Tests.Lyapunov;

public sealed class FiniteSizeExponentTests(ITestOutputHelper output)
{
    /// <summary>d(t_k) = d0 e^{λ k Δt}, capped at <paramref name="saturation"/>, for k = 0..steps.</summary>
    private static double[] Exponential(double d0, double lambda, double dt, int steps, double saturation = double.PositiveInfinity) =>
        Enumerable.Range(0, steps + 1).Select(k => Math.Min(d0 * Math.Exp(lambda * k * dt), saturation)).ToArray();

    [Fact(DisplayName = "One exponential pair: every λ(δ) within the sampling bound ln r / (ln r / λ ± Δt) of λ")]
    public void ExponentialSinglePair()
    {
        const double lambda = 0.3, dt = 0.01;
        var ratio = Math.Sqrt(2);
        var result = FiniteSizeExponent.Compute([Exponential(1e-8, lambda, dt, 10_000)], dt, new FiniteSizeOptions(3e-8, ratio, 10));

        // A crossing time is the first sample at or after the continuous one, so one growth time τ = T_{n+1} − T_n is
        // within Δt of ln r / λ (= 1.155 here): λ(δ) ∈ [ln r / (ln r/λ + Δt), ln r / (ln r/λ − Δt)], about λ ± 0.9 %.
        var exact = Math.Log(ratio) / lambda;
        double low = Math.Log(ratio) / (exact + dt), high = Math.Log(ratio) / (exact - dt);
        Assert.Equal(10, result.Scales.Count);
        Assert.All(result.Scales, s =>
        {
            Assert.True(s.Succeeded, s.Breakdown);
            Assert.InRange(s.Exponent, low, high);
            Assert.Equal(1, s.Used);
            Assert.True(double.IsNaN(s.StandardError)); // one pair: no spread
        });
        Assert.Equal(3e-8 * Math.Pow(ratio, 9), result.Scales[^1].Delta, 1e-20);
    }

    [Fact(DisplayName = "Exponential pairs with evenly spread sampling phases: ⟨τ⟩ within Δt/N of ln r/λ even at Δt = ln r/(2.8 λ)")]
    public void ExponentialPhaseAveraging()
    {
        const double lambda = 1.0, dt = 0.25;
        const int pairs = 100;

        // Pair j starts at d0 e^{λΔt j/N}: the fractional sample offsets of its crossings are j/N shifted, and Hermite's
        // identity Σ_j ⌈u − j/N⌉ = ⌈N u⌉ gives a mean crossing index ⌈N u⌉/N, so |⟨τ⟩ − ln r/λ| < Δt/N = 0.0025 while
        // one pair alone can be off by Δt = 36 % of ln 2.
        var curves = Enumerable.Range(0, pairs).Select(j => Exponential(1e-6 * Math.Exp(lambda * dt * j / pairs), lambda, dt, 80)).ToArray();
        var result = FiniteSizeExponent.Compute(curves, dt, new FiniteSizeOptions(1e-5, 2, 8));
        var exact = Math.Log(2) / lambda;
        Assert.All(result.Scales, s =>
        {
            Assert.Equal(pairs, s.Used);
            Assert.InRange(s.MeanTime, exact - dt / pairs, exact + dt / pairs);
            Assert.InRange(s.Exponent, Math.Log(2) / (exact + dt / pairs), Math.Log(2) / (exact - dt / pairs));
        });
    }

    [Fact(DisplayName = "A pair saturating at S: no crossings above S, a breakdown at the scale whose next threshold lies above S")]
    public void Saturation()
    {
        const double saturation = 3e-3; // between δ_11 = 2.048e-3 and δ_12 = 4.096e-3
        var result = FiniteSizeExponent.Compute([Exponential(1e-7, 0.5, 0.1, 400, saturation)], 0.1, new FiniteSizeOptions(1e-6, 2, 15));

        Assert.All(result.Scales.Take(11), s => Assert.True(s.Succeeded, s.Breakdown));
        var edge = result.Scales[11];
        Assert.Equal(1, edge.Reached);
        Assert.Equal(0, edge.Used);
        Assert.True(double.IsNaN(edge.Exponent));
        Assert.Contains("went on to reach", edge.Breakdown);
        Assert.All(result.Scales.Skip(12), s =>
        {
            Assert.Equal(0, s.Reached);
            Assert.True(double.IsNaN(s.Exponent));
            Assert.Contains("No pair crossed", s.Breakdown);
        });
    }

    [Fact(DisplayName = "Logistic map r = 4, 1000 pairs from 1e-13: λ(δ) = ln 2 within 0.2 (≈ 5 SE) at each δ in [1e-10, 2e-5], within 0.01 over the whole range; λ(0.45) < ln 2 − 0.2")]
    public void LogisticMap()
    {
        var rng = new Random(0);
        var pairs = Enumerable.Range(0, 1000)
            .Select(j => (IPerturbedPair)new StatePair(Run.Settled(new LogisticMap(4, 0.05 + 0.9 * rng.NextDouble()), 100), 1e-13, j))
            .ToList();
        var curves = FiniteSizeExponent.Record(pairs, 60);
        var ln2 = Math.Log(2);

        // r = √2 and a stretching of 2 per step: τ is 0 or 1 step, so each scale's SE is ≈ 0.035 (checked ≤ 0.05) and a
        // tolerance of 0.2 is ≈ 5 SE for each of the 36 scales.
        var scales = FiniteSizeExponent.Compute(curves, 1, new FiniteSizeOptions(1e-10, Math.Sqrt(2), 36)).Scales;
        output.WriteLine(string.Join(Environment.NewLine, scales.Select(s => FormattableString.Invariant($"δ = {s.Delta:E2}: λ = {s.Exponent:F4} ± {s.StandardError:F4} ({s.Used} pairs)"))));
        Assert.All(scales, s =>
        {
            Assert.True(s.Used >= 990, $"{s.Used} pairs used");
            Assert.True(s.StandardError <= 0.05, $"SE {s.StandardError}");
            Assert.InRange(s.Exponent, ln2 - 0.2, ln2 + 0.2);
        });

        // One scale spanning 2^18 (1e-10 → 2.6e-5): τ is the sum of the 36 growth times above, ≈ 26 steps, whose spread over
        // pairs is a step or two, so the SE is ≈ 0.0014; 0.01 is ≈ 7 SE and also covers the ≤ 1-step sampling error per pair.
        var whole = FiniteSizeExponent.Compute(curves, 1, new FiniteSizeOptions(1e-10, Math.Pow(2, 18), 1)).Scales[0];
        output.WriteLine(FormattableString.Invariant($"whole range: λ = {whole.Exponent:F5} ± {whole.StandardError:F5}"));
        Assert.True(whole.StandardError < 0.003);
        Assert.Equal(ln2, whole.Exponent, 0.01);

        // Near the attractor size (|x' − x| ≤ 1) growth slows: the finite-size signature. λ(0.45) ≈ 0.3 with an SE of ≈ 0.03,
        // well outside the band ln 2 ± 0.2 that every small scale meets.
        var large = FiniteSizeExponent.Compute(curves, 1, new FiniteSizeOptions(0.45, Math.Sqrt(2), 1)).Scales[0];
        Assert.True(large.Exponent < ln2 - 0.2, $"λ(0.45) = {large.Exponent}");
    }

    [Fact(DisplayName = "Pairs starting above a threshold are left out there; non-finite samples truncate a curve; ⟨T⟩ = 0 is a breakdown")]
    public void EdgeCases()
    {
        var result = FiniteSizeExponent.Compute(
            [Exponential(1e-6, 1, 0.1, 100), Exponential(5e-6, 1, 0.1, 100), [1e-6, 2e-6, double.NaN, 1.0]],
            0.1, new FiniteSizeOptions(2e-6, 2, 4));
        Assert.Equal(3, result.Pairs);
        Assert.Equal(1, result.Truncated);
        Assert.Equal(1, result.Scales[0].StartedAbove); // 5e-6 ≥ 2e-6 and 4e-6
        Assert.Equal(2, result.Scales[0].Reached);      // the first curve and the truncated one (2e-6 at k = 1)
        Assert.Equal(1, result.Scales[0].Used);         // the truncated curve never reaches 4e-6
        Assert.Equal(0, result.Scales[2].StartedAbove); // 8e-6 > 5e-6
        Assert.Equal(2, result.Scales[2].Used);

        var jump = FiniteSizeExponent.Compute([[1e-9, 1.0], [1e-9, 1e-9, 1.0]], 1, new FiniteSizeOptions(1e-6, 2, 3));
        Assert.All(jump.Scales, s =>
        {
            Assert.Equal(0, s.MeanTime);
            Assert.True(double.IsNaN(s.Exponent));
            Assert.Contains("same sample", s.Breakdown);
        });
    }

    [Fact(DisplayName = "Bad arguments throw ArgumentException naming the parameter")]
    public void Arguments()
    {
        double[][] curves = [[1e-9, 1e-3]];
        Assert.Equal("curves", Assert.Throws<ArgumentException>(() => FiniteSizeExponent.Compute([], 1, new FiniteSizeOptions(1e-6))).ParamName);
        Assert.Equal("timeStep", Assert.Throws<ArgumentException>(() => FiniteSizeExponent.Compute(curves, 0, new FiniteSizeOptions(1e-6))).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentException>(() => FiniteSizeExponent.Compute(curves, 1, new FiniteSizeOptions(-1e-6))).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentException>(() => FiniteSizeExponent.Compute(curves, 1, new FiniteSizeOptions(1e-6, 1.0))).ParamName);
        Assert.Equal("options", Assert.Throws<ArgumentException>(() => FiniteSizeExponent.Compute(curves, 1, new FiniteSizeOptions(1e-6, 2, 0))).ParamName);
        Assert.Equal("steps", Assert.Throws<ArgumentException>(() => FiniteSizeExponent.Record([new StatePair(new LogisticMap(4))], -1)).ParamName);
    }
}
