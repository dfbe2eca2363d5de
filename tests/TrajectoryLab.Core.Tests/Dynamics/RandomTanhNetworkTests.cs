// The random tanh network x → g W tanh(x): its structured tangent map equals the dense Jacobian product; a column's product
// is bit-identical alone or inside a block (one summation order in every kernel); the step is g W tanh(x); W is seeded,
// N(0, 1/N) and shared by WithGain; and two exact oracles for its exponents: at the stable fixed point 0 (g ρ(W) < 1)
// λ1 = ln(g ρ(W)), and the full spectrum sums to the orbit mean of ln|det J| (J = g W diag(tanh′)).
// References: Benettin et al. (1980), Meccanica 15:9-30 (QR spectrum; Σλ = mean ln|det J|); Molgedey, Schuchhardt &
// Schuster (1992), PRL 69:3717.
using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using TrajectoryLab.Core.Dynamics;
using TrajectoryLab.Core.Lyapunov;
using TrajectoryLab.Core.Systems;
using Xunit.Abstractions;

namespace TrajectoryLab.Core.Tests.Dynamics;

public sealed class RandomTanhNetworkTests(ITestOutputHelper output)
{
    static RandomTanhNetwork Settled(int units, double gain, int seed, int steps = 20)
    {
        var network = new RandomTanhNetwork(units, gain, seed);
        for (var n = 0; n < steps; n++)
            network.Step();
        return network;
    }

    static Matrix<double> Jacobian(RandomTanhNetwork network)
    {
        var x = network.State;
        var slope = x.Select(v => 1 - Math.Tanh(v) * Math.Tanh(v)).ToArray();
        return network.Gain * network.Weights * Matrix<double>.Build.DenseOfDiagonalArray(slope);
    }

    [Theory(DisplayName = "StepWithTangents equals g W diag(tanh′(x)) Q from the dense matrices within 1e-13 (37 units)")]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(8)]
    [InlineData(37)]
    public void StructuredTangentsEqualTheDenseJacobian(int k)
    {
        var network = Settled(37, 1.7, 5);
        var q = Matrix<double>.Build.Random(37, k, new Normal(0, 1, new Random(k)));
        var expected = Jacobian(network) * q;
        network.StepWithTangents(q);
        for (var r = 0; r < 37; r++)
        for (var c = 0; c < k; c++)
            Assert.Equal(expected[r, c], q[r, c], 1e-13 * Math.Max(1, Math.Abs(expected[r, c])));
    }

    [Fact(DisplayName = "A tangent's product is bit-identical alone and inside a block of 6 columns")]
    public void AColumnAloneEqualsItsColumnInABlock()
    {
        var network = Settled(41, 2.0, 1);
        var block = Matrix<double>.Build.Random(41, 6, new Normal(0, 1, new Random(3)));
        var alone = block.SubMatrix(0, 41, 3, 1);
        network.Clone().StepWithTangents(block);
        network.Clone().StepWithTangents(alone);
        Assert.Equal(alone.Column(0).ToArray(), block.Column(3).ToArray());
    }

    [Fact(DisplayName = "Step is g W tanh(x) within 1e-13")]
    public void StepIsTheMap()
    {
        var network = Settled(23, 2.5, 7);
        var x = Vector<double>.Build.DenseOfArray(network.State);
        var expected = network.Gain * (network.Weights * x.Map(Math.Tanh));
        network.Step();
        for (var i = 0; i < 23; i++)
            Assert.Equal(expected[i], network.State[i], 1e-13);
    }

    [Fact(DisplayName = "W is seeded and N(0, 1/N): same seed same network, N·var(W) within 1 % of 1, |mean| < 2e-4 (N = 1000)")]
    public void WeightsAreSeededGaussians()
    {
        var a = new RandomTanhNetwork(1000, 2, 11);
        var b = new RandomTanhNetwork(1000, 2, 11);
        Assert.Equal(a.State, b.State);
        var w = a.Weights;
        Assert.True(w.Equals(b.Weights));
        Assert.False(w.Equals(new RandomTanhNetwork(1000, 2, 12).Weights));
        var values = w.AsColumnMajorArray()!;
        var mean = values.Average();
        var variance = values.Sum(v => (v - mean) * (v - mean)) / (values.Length - 1);
        Assert.True(Math.Abs(mean) < 2e-4, $"mean {mean}"); // 6 standard errors of 1e6 draws
        Assert.Equal(1, 1000 * variance, 0.01); // 7 standard errors (√(2/1e6))
    }

    [Fact(DisplayName = "WithGain keeps W and the state and changes only g")]
    public void WithGainSharesTheNetwork()
    {
        var network = Settled(17, 2.0, 4);
        var other = network.WithGain(0.5);
        Assert.Equal(0.5, other.Gain);
        Assert.Equal(network.State, other.State);
        Assert.True(network.Weights.Equals(other.Weights));
        other.Step();
        Assert.NotEqual(network.State, other.State);
    }

    [Theory(DisplayName = "At the fixed point 0 (g ρ(W) < 1) λ1 = ln(g ρ(W)) (QR and two trajectories, N = 60, g = 0.7)")]
    [InlineData(0, 1e-4)] // leading pair 0.18 ± 1.06i: the estimate oscillates and converges like 1/T
    [InlineData(6, 1e-12)] // leading eigenvalue real (−1.0067): converges to rounding
    public void BelowTheTransitionTheExponentIsTheSpectralRadius(int seed, double tolerance)
    {
        // J = g W at x = 0, so the exponent is the log-modulus of W's leading eigenvalue. With T = 20000 the errors measured
        // over seeds 0-7 were ≤ 1.1e-5 for a complex leading pair and ≤ 1.3e-14 for a real one.
        var network = new RandomTanhNetwork(60, 0.7, seed);
        var rho = network.Weights.Evd().EigenValues.Max(e => e.Magnitude);
        var expected = Math.Log(0.7 * rho);
        var qr = LyapunovSpectrum.Compute(new TangentBundle(network, 1, 1), new LyapunovSpectrumOptions(500, 20_000, 10, 1));
        var pair = MaximalExponent.Compute(new StatePair(network, 1e-8, 1), new MaximalExponentOptions(500, 20_000, 10, 1));
        output.WriteLine($"ρ(W) = {rho:F6}: ln(g ρ) = {expected:F9}, QR {qr.Exponents[0]:F9}, two trajectories {pair.Exponent:F9}");
        Assert.True(expected < 0);
        Assert.Equal(expected, qr.Exponents[0], tolerance);
        Assert.Equal(expected, pair.Exponent, tolerance);
    }

    [Fact(DisplayName = "The full spectrum (k = N = 30, g = 2) sums to the orbit mean of ln|det J| within 1e-9")]
    public void FullSpectrumSumsToTheVolumeRate()
    {
        const int transient = 200,
            steps = 2000;
        var network = new RandomTanhNetwork(30, 2.0, 1);
        var spectrum = LyapunovSpectrum.Compute(new TangentBundle(network, 30, 0), new LyapunovSpectrumOptions(transient, steps, 1, 1));
        var orbit = (RandomTanhNetwork)network.Clone();
        var logDetW = orbit.LogAbsDeterminantOfWeights();
        Assert.Equal(Math.Log(Math.Abs(network.Weights.Determinant())), logDetW, 1e-10);
        for (var n = 0; n < transient; n++)
            orbit.Step();
        var sum = 0.0;
        for (var n = 0; n < steps; n++)
        {
            sum += orbit.LogAbsDeterminant(orbit.State, logDetW);
            orbit.Step();
        }
        output.WriteLine($"Σλ = {spectrum.Exponents.Sum():F12}, mean ln|det J| = {sum / steps:F12}, λ1 = {spectrum.Exponents[0]:F6}");
        Assert.True(spectrum.Succeeded, spectrum.Breakdown);
        Assert.Equal(sum / steps, spectrum.Exponents.Sum(), 1e-9);
    }

    [Theory(DisplayName = "λ1 of single networks of N = 1000 (seeds 0-2, not those the tolerance was measured on) is within 0.01 of the mean field")]
    [InlineData(1.8)]
    [InlineData(2.0)]
    [InlineData(3.0)]
    public void MeanFieldHoldsWithinTheMeasuredTolerance(double g)
    {
        // The tolerance (RandomTanhNetwork.MeanFieldTolerance) comes from the spread of 25 other networks (seeds 42-46,
        // 100-119) in random-network-chaos; the run lengths are that experiment's (300 + 1500 steps, renormalised every 10).
        var expected = new MeanFieldChaos().MaximalExponent(g);
        var tolerance = RandomTanhNetwork.MeanFieldTolerance(1000, g);
        Assert.Equal(0.01, tolerance);
        for (var seed = 0; seed < 3; seed++)
        {
            var network = new RandomTanhNetwork(1000, g, seed);
            var qr = LyapunovSpectrum.Compute(new TangentBundle(network, 1, seed), new LyapunovSpectrumOptions(300, 1500, 10, 1));
            output.WriteLine($"g = {g}, seed {seed}: λ1 = {qr.Exponents[0]:F5}, mean field {expected:F5}");
            Assert.Equal(expected, qr.Exponents[0], tolerance);
            Assert.Equal(tolerance, network.Literature!.Tolerances[0]);
        }
    }

    [Fact(DisplayName = "The mean-field λ1 is its reference only for N ≥ 1000 and g ≥ 1.8")]
    public void LiteratureOnlyWhereTheMeanFieldHolds()
    {
        Assert.Null(new RandomTanhNetwork(200, 2.0, 0).Literature);
        Assert.Null(new RandomTanhNetwork(1000, 1.5, 0).Literature);
        var reference = new RandomTanhNetwork(1000, 2.0, 0).Literature!;
        Assert.Equal(new MeanFieldChaos().MaximalExponent(2.0), reference.Exponents[0], 1e-15);
        Assert.True(double.IsNaN(new RandomTanhNetwork(10, 2.0, 0).VolumeRate));
    }
}
