// FsCheck properties of the entropy family: bounds, equality cases, the identities of docs/science.md, limits in T.

using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using TrajectoryLab.Core.Metrics;

namespace TrajectoryLab.Core.Tests.Metrics;

public class EntropyPropertyTests
{
    private static TokenStatistics Stats(MaskedLogits c, Truncation? truncation = null) =>
        TokenEntropy.OfLogits(c.Logits, new EntropyOptions(c.Temperature, VocabularyMask.FromAllowed(c.Allowed), truncation));

    private static double[] LogProbs(MaskedLogits c)
    {
        var lp = new double[c.Logits.Length];
        LogProbabilities.FromLogits(c.Logits, lp, c.Temperature, VocabularyMask.FromAllowed(c.Allowed), out _);
        return lp;
    }

    [Property(MaxTest = 200)]
    public Property Entropy_lies_between_0_and_ln_of_the_masked_vocabulary() =>
        Prop.ForAll(MetricsGen.Masked.ToArbitrary(), c =>
        {
            var s = Stats(c);
            return s.Breakdown == MetricBreakdown.None && s.Entropy >= 0 && s.Entropy <= Math.Log(c.AllowedCount) + 1e-12;
        });

    [Property(MaxTest = 100)]
    public Property Uniform_on_the_mask_reaches_the_upper_bound_and_one_hot_the_lower() =>
        Prop.ForAll(MetricsGen.Masked.ToArbitrary(), c =>
        {
            var uniform = Stats(c with { Logits = Enumerable.Repeat(c.Logits[0], c.Logits.Length).ToArray() });
            var hot = Array.IndexOf(c.Allowed, true);
            var oneHot = Stats(c with { Logits = c.Logits.Select((z, k) => k == hot ? z : double.NegativeInfinity).ToArray() });
            return Math.Abs(uniform.Entropy - Math.Log(c.AllowedCount)) < 1e-12 && oneHot.Entropy == 0;
        });

    [Property(MaxTest = 200)]
    public Property Entropy_is_log_partition_minus_beta_mean_logit() =>
        Prop.ForAll(MetricsGen.Masked.ToArbitrary(), c =>
        {
            var s = Stats(c);
            return Math.Abs(s.Entropy - (s.LogPartition - s.MeanLogit / c.Temperature)) <= 1e-10 * Math.Max(1, Math.Abs(s.LogPartition));
        });

    [Property(MaxTest = 200)]
    public Property Varentropy_is_logit_variance_over_T_squared() =>
        Prop.ForAll(MetricsGen.Masked.ToArbitrary(), c =>
        {
            var s = Stats(c);
            return s.Varentropy >= 0 && Math.Abs(s.Varentropy - s.LogitVariance / (c.Temperature * c.Temperature)) <= 1e-9 * Math.Max(1, s.Varentropy);
        });

    [Property(MaxTest = 100)]
    public Property Temperature_derivative_matches_a_central_difference() =>
        Prop.ForAll(MetricsGen.Smooth.ToArbitrary(), c =>
        {
            var h = 1e-5 * c.Temperature;
            var numeric = (Stats(c with { Temperature = c.Temperature + h }).Entropy
                - Stats(c with { Temperature = c.Temperature - h }).Entropy) / (2 * h);
            var analytic = EntropyDerivatives.WithRespectToTemperature(c.Logits, c.Temperature);
            return analytic >= 0 && Math.Abs(analytic - numeric) <= 1e-5 * Math.Max(1, analytic);
        });

    [Property(MaxTest = 100)]
    public Property Logit_gradient_matches_a_central_difference() =>
        Prop.ForAll(MetricsGen.Smooth.ToArbitrary(), c =>
        {
            var gradient = new double[c.Logits.Length];
            EntropyDerivatives.WithRespectToLogits(c.Logits, c.Temperature, gradient);
            const double step = 1e-5;
            return Enumerable.Range(0, c.Logits.Length).All(k =>
            {
                var up = c.Logits.Select((z, j) => j == k ? z + step : z).ToArray();
                var down = c.Logits.Select((z, j) => j == k ? z - step : z).ToArray();
                var numeric = (Stats(c with { Logits = up }).Entropy - Stats(c with { Logits = down }).Entropy) / (2 * step);
                return Math.Abs(gradient[k] - numeric) <= 1e-6;
            }) && Math.Abs(gradient.Sum()) <= 1e-12;
        });

    [Property(MaxTest = 200)]
    public Property Kl_to_uniform_is_ln_V_minus_H_and_expected_surprisal_is_H() =>
        Prop.ForAll(MetricsGen.Masked.ToArbitrary(), c =>
        {
            var s = Stats(c);
            var lp = LogProbs(c);
            var support = Enumerable.Range(0, lp.Length).Where(k => !double.IsNegativeInfinity(lp[k])).ToArray();
            var klDirect = support.Sum(k => Math.Exp(lp[k]) * (lp[k] + Math.Log(c.AllowedCount)));
            var expectedSurprisal = support.Sum(k => Math.Exp(lp[k]) * TokenEntropy.Surprisal(lp, k));
            return Math.Abs(klDirect - s.KlToUniform) <= 1e-12 && Math.Abs(expectedSurprisal - s.Entropy) <= 1e-12;
        });

    [Property(MaxTest = 200)]
    public Property Cross_entropy_is_entropy_plus_kl() =>
        Prop.ForAll(
            (from q in MetricsGen.Logits
             from units in Gen.Choose(-1000, 1000).ArrayOf(q.Logits.Length)
             select (q, p: units.Select(u => u / 100.0).ToArray())).ToArbitrary(),
            pair =>
            {
                var split = CrossEntropy.Compute(pair.q.Logits, pair.p, new EntropyOptions(pair.q.Temperature));
                return split.Kl >= -1e-12 && Math.Abs(split.CrossEntropy - (split.Entropy + split.Kl)) <= 1e-10 * Math.Max(1, split.CrossEntropy);
            });

    [Property(MaxTest = 200)]
    public Property Entropy_is_non_decreasing_in_temperature() =>
        Prop.ForAll(MetricsGen.Masked.ToArbitrary(), MetricsGen.Temperature.ToArbitrary(), (c, other) =>
        {
            var (low, high) = (Math.Min(c.Temperature, other), Math.Max(c.Temperature, other));
            return Stats(c with { Temperature = low }).Entropy <= Stats(c with { Temperature = high }).Entropy + 1e-12;
        });

    [Property(MaxTest = 200)]
    public Property Entropy_tends_to_ln_of_ties_as_T_to_0_and_to_ln_V_as_T_to_infinity() =>
        Prop.ForAll(MetricsGen.Masked.ToArbitrary(), c =>
        {
            var allowed = c.Logits.Where((_, k) => c.Allowed[k]).ToArray();
            var ties = allowed.Count(z => z == allowed.Max()); // logits are on a grid, so distinct maxima differ by ≥ 1e-3
            var cold = Stats(c with { Temperature = 1e-6 }).Entropy;
            var hot = Stats(c with { Temperature = 1e12 }).Entropy;
            return Math.Abs(cold - Math.Log(ties)) <= 1e-9 && Math.Abs(hot - Math.Log(c.AllowedCount)) <= 1e-9;
        });

    [Property(MaxTest = 200)]
    public Property Truncated_entropy_is_bounded_by_the_kept_tokens() =>
        Prop.ForAll(MetricsGen.Masked.ToArbitrary(), Gen.Choose(1, 10).ToArbitrary(), Gen.Choose(1, 100).ToArbitrary(), (c, k, percent) =>
        {
            var full = Stats(c);
            var topK = Stats(c, Truncation.TopK(k));
            var topP = Stats(c, Truncation.TopP(percent / 100.0));
            var minP = Stats(c, Truncation.MinP(percent / 100.0));
            return topK.Support == Math.Min(k, full.Support)
                && new[] { topK, topP, minP }.All(s => s.Entropy >= 0 && s.Entropy <= Math.Log(s.Support) + 1e-12 && s.Support <= full.Support);
        });
}
