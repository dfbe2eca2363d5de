// The dynamics machinery on a Mamba, whose state is a fixed-size memory (convolution window + selective state) rather
// than a cache that grows by a row per token: teacher-forced k-tangent λ1 agrees with the two-trajectory λ1 and does
// not depend on k (MixDeviations re-combines the recurrent state as it does a KV cache), a perturbation of the top
// residual reaches nothing, the depth map's finite-difference tangents agree with exact double-VJP products through the
// scan, and free-running copies diverge as they should.
using TrajectoryLab.Core.Lyapunov;
using TrajectoryLab.Torch.Dynamics;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Models.Families;
using TrajectoryLab.Torch.Sampling;
using Xunit.Abstractions;

namespace TrajectoryLab.Torch.Tests.Dynamics;

public sealed class MambaDynamicsTests(ITestOutputHelper output)
{
    /// <summary>A random 3-block Mamba (d_model 48, d_inner 96, d_state 8) initialised as Mamba initialises.</summary>
    internal static LanguageModel Model(long seed = 3) => LanguageModel.Random(
        MambaFamily.Spec(97, 48, 3, new MambaDesign(StateSize: 8, ConvKernel: 4, Expand: 2, TimeStepRank: 3, ProjectionBias: false)),
        seed, std: 0.25);

    [Fact]
    public void TangentAndTwoTrajectoryLeadingExponentsAgreeAndDoNotDependOnK()
    {
        using var model = Model();
        var text = TeacherForcedDynamicsTests.Text(150);
        var options = new TeacherForcedOptions { Layer = 1, PromptLength = 4, Epsilon = 1e-3, Seed = 1 };
        MaximalExponentResult pair;
        using (var run = TeacherForcedDynamics.Start(model, text, options))
            pair = MaximalExponent.Compute(run, new MaximalExponentOptions(Transient: 25, Steps: 120));
        Assert.True(pair.Succeeded, pair.Breakdown);
        output.WriteLine(FormattableString.Invariant($"pair λ1 = {pair.Exponent:F5}"));
        foreach (var k in new[] { 1, 4 })
        {
            using var run = TeacherForcedDynamics.Start(model, text, options with { Directions = k });
            var spectrum = LyapunovSpectrum.Compute(run, new LyapunovSpectrumOptions(Transient: 25, Steps: 120));
            Assert.True(spectrum.Succeeded, spectrum.Breakdown);
            var exponents = string.Join(", ", spectrum.Exponents.Select(x => FormattableString.Invariant($"{x:F5}")));
            var gap = spectrum.Exponents[0] - pair.Exponent;
            output.WriteLine(FormattableString.Invariant($"QR k = {k}: λ = {exponents}; λ1 − pair = {gap:E2}"));
            Assert.InRange(spectrum.Exponents[0] - pair.Exponent, -1e-3, 1e-3);
        }
    }

    [Fact]
    public void APerturbationOfTheTopResidualIsAReportedBreakdown()
    {
        using var model = Model();
        using var run = TeacherForcedDynamics.Start(model, TeacherForcedDynamicsTests.Text(20),
            new TeacherForcedOptions { Layer = 3, PromptLength = 3, Directions = 2 });
        var result = LyapunovSpectrum.Compute(run, new LyapunovSpectrumOptions(Transient: 0, Steps: 5));
        Assert.False(result.Succeeded);
    }

    [Fact]
    public void DepthFiniteDifferencesAgreeWithDoubleVjpThroughTheScan()
    {
        using var model = Model();
        var text = TeacherForcedDynamicsTests.Text(6);
        var options = new DepthOptions { Directions = 3, Epsilon = 1e-3, Seed = 2 };
        var fd = DepthDynamics.Run(model, text, options);
        var exact = DepthDynamics.Run(model, text, options with { Method = TangentMethod.DoubleVjp });
        var worst = 0.0;
        for (var p = 0; p < text.Length; p++)
        {
            Assert.Equal(exact[p].Entropy, fd[p].Entropy, 1e-4);
            for (var l = 0; l < fd[p].LayerGrowth.Length; l++)
                for (var i = 0; i < 3; i++) worst = Math.Max(worst, Math.Abs(fd[p].LayerGrowth[l][i] - exact[p].LayerGrowth[l][i]));
        }
        output.WriteLine(FormattableString.Invariant($"worst |ln R_ii(FD) − ln R_ii(double VJP)| = {worst:E2}"));
        Assert.InRange(worst, 0, 1e-2);
        Assert.Contains(fd.SelectMany(f => f.LayerGrowth.SelectMany(g => g)), g => Math.Abs(g) > 1e-3); // not the identity
    }

    [Fact]
    public void FreeRunningCopiesStartAtTheirSizeAndShareTheReferenceRandomness()
    {
        using var model = Model();
        var options = new FreeRunningOptions
        {
            Layer = 1, Epsilons = [1e-6, 1e-1], CopiesPerEpsilon = 2, Steps = 20, Seed = 4,
            Sampler = new SamplerOptions { Temperature = 1.0 },
        };
        var result = FreeRunningDynamics.Run(model, TeacherForcedDynamicsTests.Text(5), options);
        Assert.Equal(4, result.Copies.Count);
        Assert.All(result.Copies.Where(c => c.Epsilon == 1e-6), c => Assert.Equal(result.ReferenceTokens, c.Tokens));
        Assert.All(result.Copies.SelectMany(c => c.Distance), d => Assert.True(double.IsFinite(d)));
        var small = result.Copies.Where(c => c.Epsilon == 1e-6).Max(c => c.Distance[^1]);
        var large = result.Copies.Where(c => c.Epsilon == 1e-1).Max(c => c.Distance[^1]);
        output.WriteLine(FormattableString.Invariant($"final distance: ε = 1e-6 → {small:E2}, ε = 1e-1 → {large:E2}"));
        Assert.True(large > small);
    }
}
