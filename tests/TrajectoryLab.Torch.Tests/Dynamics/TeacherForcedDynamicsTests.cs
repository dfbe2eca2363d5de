// Teacher-forced language-model dynamics measured by Core's Benettin algorithms: the k-tangent (QR) λ1 agrees with the
// two-trajectory λ1, leading exponents do not depend on k, identical seeds give identical numbers, and a model whose
// observed state cannot feel the perturbation reports a breakdown instead of crashing.
using TrajectoryLab.Core.Lyapunov;
using TrajectoryLab.Torch.Dynamics;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Tests.Generation;
using TrajectoryLab.Torch.Tests.Models;
using Xunit.Abstractions;

namespace TrajectoryLab.Torch.Tests.Dynamics;

public sealed class TeacherForcedDynamicsTests(ITestOutputHelper output)
{
    internal static LanguageModel Model(long seed = 3) => LanguageModel.Random(
        ModelSpec.Llama(97, 48, 96, 3, 4, numKvHeads: 2, context: 256), seed, std: 0.25);

    internal static int[] Text(int length, long seed = 5)
    {
        var random = new Random((int)seed);
        return [.. Enumerable.Range(0, length).Select(_ => random.Next(97))];
    }

    [Fact]
    public void TangentAndTwoTrajectoryLeadingExponentsAgreeAndDoNotDependOnK()
    {
        using var model = Model();
        var text = Text(150);
        var options = new TeacherForcedOptions { Layer = 1, PromptLength = 4, Epsilon = 1e-3, Seed = 1 };
        MaximalExponentResult pair;
        using (var run = TeacherForcedDynamics.Start(model, text, options))
            pair = MaximalExponent.Compute(run, new MaximalExponentOptions(Transient: 25, Steps: 120));
        var spectra = new Dictionary<int, LyapunovSpectrumResult>();
        foreach (var k in new[] { 1, 4, 8 })
        {
            using var run = TeacherForcedDynamics.Start(model, text, options with { Directions = k });
            spectra[k] = LyapunovSpectrum.Compute(run, new LyapunovSpectrumOptions(Transient: 25, Steps: 120));
        }
        // One seed: the first of the k random directions is the same for every k (the frame is the QR of a Gaussian
        // matrix filled column by column), and Gram–Schmidt only normalises the first direction, so in exact arithmetic
        // λ1 of every k equals the two-trajectory λ1. What is left is float32 rounding in batches of different sizes:
        // tolerance 1e-3 per step, against local exponents that swing by ~1 from step to step.
        output.WriteLine(FormattableString.Invariant($"pair λ1 = {pair.Exponent:F5} (local exponents' standard deviation {MathNet.Numerics.Statistics.Statistics.StandardDeviation(pair.IntervalExponents):F3})"));
        foreach (var (k, s) in spectra)
        {
            Assert.True(s.Succeeded, s.Breakdown);
            output.WriteLine(FormattableString.Invariant($"QR k = {k}: λ = {string.Join(", ", s.Exponents.Select(x => x.ToString("F5", System.Globalization.CultureInfo.InvariantCulture)))}; λ1 − pair = {s.Exponents[0] - pair.Exponent:E2}"));
            Assert.InRange(s.Exponents[0] - pair.Exponent, -1e-3, 1e-3);
        }
    }

    [Fact]
    public void IdenticalSeedsGiveIdenticalExponents()
    {
        using var model = Model();
        var text = Text(40);
        var options = new TeacherForcedOptions { Layer = 1, PromptLength = 3, Directions = 3, Seed = 4 };
        double[] Measure()
        {
            using var run = TeacherForcedDynamics.Start(model, text, options);
            return LyapunovSpectrum.Compute(run, new LyapunovSpectrumOptions(Transient: 5, Steps: 30)).Exponents;
        }
        Assert.Equal(Measure(), Measure());
    }

    [Fact]
    public void APerturbationTheObservedStateCannotFeelIsAReportedBreakdown()
    {
        using var model = Model();
        var text = Text(20);
        // The top residual is read by the head only, never cached: perturbing it reaches no later position.
        using (var run = TeacherForcedDynamics.Start(model, text, new TeacherForcedOptions { Layer = 3, PromptLength = 3, Directions = 2 }))
        {
            var result = LyapunovSpectrum.Compute(run, new LyapunovSpectrumOptions(Transient: 0, Steps: 5));
            Assert.False(result.Succeeded);
            Assert.All(result.Exponents, e => Assert.True(double.IsNaN(e) || double.IsNegativeInfinity(e)));
        }
        // Residual branches scaled to zero: h at every site is the token's embedding, blind to the cache.
        ZeroResidualBranches(model);
        using (var run = TeacherForcedDynamics.Start(model, text, new TeacherForcedOptions { Layer = 0, PromptLength = 3 }))
        {
            var result = MaximalExponent.Compute(run, new MaximalExponentOptions(Transient: 0, Steps: 5));
            Assert.False(result.Succeeded);
            Assert.NotNull(result.Breakdown);
        }
    }

    /// <summary>W_O and W_out set to 0: every block adds nothing, h_{l+1} = h_l.</summary>
    internal static void ZeroResidualBranches(LanguageModel model)
    {
        using var noGrad = TorchSharp.torch.no_grad();
        foreach (var (name, p) in model.Model.named_parameters())
            if (name.EndsWith(ParameterNames.WO, StringComparison.Ordinal) || name.EndsWith(ParameterNames.WOut, StringComparison.Ordinal)) p.zero_();
    }
}
