// Analytic oracles and breakdown cases of the token entropy family.

using TrajectoryLab.Core.Metrics;

namespace TrajectoryLab.Core.Tests.Metrics;

public class TokenEntropyTests
{
    [Fact]
    public void Uniform_over_32000_tokens_is_10_373491_nats_and_14_965784_bits()
    {
        var batch = new LogitsBatch(new double[2 * 32000], 32000);

        var nats = TokenEntropy.Compute(batch);
        var bits = TokenEntropy.Compute(batch, new EntropyOptions(Unit: EntropyUnit.Bits));

        Assert.All(nats.Entropy, h => Assert.Equal(10.373491, h, 1e-6));
        Assert.All(bits.Entropy, h => Assert.Equal(14.965784, h, 1e-6));
        Assert.All(nats.Perplexity, p => Assert.Equal(32000, p, 1e-6));
        Assert.All(nats.KlToUniform, kl => Assert.Equal(0, kl, 1e-9));
        Assert.All(nats.Varentropy, v => Assert.Equal(0, v, 1e-18));
        Assert.Equal(0, nats.BadRows);
    }

    [Fact]
    public void One_hot_has_zero_entropy_and_full_kl_to_uniform()
    {
        double[] z = [double.NegativeInfinity, 3.0, double.NegativeInfinity, double.NegativeInfinity];

        var s = TokenEntropy.OfLogits(z);

        Assert.Equal(0.0, s.Entropy);
        Assert.Equal(1, s.Support);
        Assert.Equal(Math.Log(4), s.KlToUniform, 1e-15);
        Assert.Equal(1.0, s.Perplexity);
    }

    [Fact]
    public void Logits_of_magnitude_1e4_give_finite_exact_entropy()
    {
        double[] z = [1e4, 1e4, -1e4, 1e4 - Math.Log(2)]; // p ∝ (1, 1, 0, 1/2)

        var s = TokenEntropy.OfLogits(z);

        var expected = -(2 * 0.4 * Math.Log(0.4) + 0.2 * Math.Log(0.2));
        Assert.Equal(expected, s.Entropy, 1e-12);
        Assert.Equal(MetricBreakdown.None, s.Breakdown);
    }

    [Fact]
    public void Single_token_vocabulary_has_zero_entropy_at_any_temperature()
    {
        foreach (var t in new[] { 1e-3, 1.0, 1e3 })
        {
            var s = TokenEntropy.OfLogits([1234.5], new EntropyOptions(t));
            Assert.Equal(0.0, s.Entropy);
            Assert.Equal(0.0, s.KlToUniform);
        }
    }

    [Theory]
    [InlineData(double.NaN, MetricBreakdown.NaNInput)]
    [InlineData(double.PositiveInfinity, MetricBreakdown.PositiveInfinity)]
    public void Bad_input_is_reported_per_row_not_propagated(double bad, MetricBreakdown expected)
    {
        float[] data = [1f, 2f, 3f, 1f, (float)bad, 3f, 0f, 0f, 0f]; // [3 positions, 3 vocab]

        var r = TokenEntropy.Compute(LogitsBatch.FromFloats(data, 3), observed: [0, 1, 2]);

        Assert.Equal(1, r.BadRows);
        Assert.Equal([MetricBreakdown.None, expected, MetricBreakdown.None], r.Breakdown);
        Assert.True(double.IsNaN(r.Entropy[1]) && double.IsNaN(r.Surprisal![1]));
        Assert.Equal(Math.Log(3), r.Entropy[2], 1e-15);
        Assert.Equal(Math.Log(3), r.Surprisal![2], 1e-15);
    }

    [Fact]
    public void NaN_outside_the_mask_is_ignored_and_empty_support_is_reported()
    {
        double[] z = [double.NaN, 0.0, 0.0];
        Assert.Equal(Math.Log(2), TokenEntropy.OfLogits(z, new EntropyOptions(Mask: VocabularyMask.Excluding(3, 0))).Entropy, 1e-15);

        var empty = TokenEntropy.OfLogits([1.0, 2.0], new EntropyOptions(Mask: VocabularyMask.Excluding(2, 0, 1)));
        Assert.Equal(MetricBreakdown.EmptySupport, empty.Breakdown);
        Assert.True(double.IsNaN(empty.Entropy));

        var allNegativeInfinity = TokenEntropy.OfLogits([double.NegativeInfinity, double.NegativeInfinity]);
        Assert.Equal(MetricBreakdown.EmptySupport, allNegativeInfinity.Breakdown);
    }

    [Fact]
    public void Mask_removes_tokens_and_renormalises()
    {
        double[] z = [5.0, 0.0, 0.0, 0.0];

        var s = TokenEntropy.OfLogits(z, new EntropyOptions(Mask: VocabularyMask.Excluding(4, 0)));

        Assert.Equal(Math.Log(3), s.Entropy, 1e-15);
        Assert.Equal(3, s.VocabularySize);
        Assert.Equal(0.0, s.KlToUniform, 1e-15);
    }

    [Fact]
    public void Probabilities_are_renormalised_and_negative_ones_reported()
    {
        Assert.Equal(Math.Log(2), TokenEntropy.OfProbabilities([2.0, 2.0, 0.0]).Entropy, 1e-15);
        Assert.Equal(MetricBreakdown.NaNInput, TokenEntropy.OfProbabilities([0.5, -0.1, 0.6]).Breakdown);
    }

    [Fact]
    public void Surprisal_of_the_observed_token_is_minus_log_p()
    {
        double[] z = [Math.Log(0.5), Math.Log(0.25), Math.Log(0.25)];

        var r = TokenEntropy.Compute(new LogitsBatch([.. z, .. z], 3), new EntropyOptions(Unit: EntropyUnit.Bits), [0, 2]);

        Assert.Equal([1.0, 2.0], r.Surprisal!.Select(v => Math.Round(v, 12)));
        Assert.Equal(1.5, r.Entropy[0], 1e-12);
        Assert.Equal(0.25, r.Varentropy[0], 1e-12); // Var of (1, 2, 2) bits under (1/2, 1/4, 1/4)
    }

    [Fact]
    public void Truncations_keep_the_expected_tokens()
    {
        double[] z = [Math.Log(0.5), Math.Log(0.3), Math.Log(0.15), Math.Log(0.05)];

        var topK = TokenEntropy.OfLogits(z, new EntropyOptions(Truncation: Truncation.TopK(2)));
        var topP = TokenEntropy.OfLogits(z, new EntropyOptions(Truncation: Truncation.TopP(0.9)));
        var minP = TokenEntropy.OfLogits(z, new EntropyOptions(Truncation: Truncation.MinP(0.2)));

        Assert.Equal(2, topK.Support);
        Assert.Equal(-(0.625 * Math.Log(0.625) + 0.375 * Math.Log(0.375)), topK.Entropy, 1e-12);
        Assert.Equal(3, topP.Support); // 0.5 + 0.3 < 0.9 ≤ 0.5 + 0.3 + 0.15
        Assert.Equal(3, minP.Support); // keep p ≥ 0.2 · 0.5 = 0.1
        Assert.Equal(4, topP.VocabularySize);
    }

    [Fact]
    public void Cross_entropy_of_known_distributions()
    {
        double[] q = [Math.Log(0.5), Math.Log(0.5)];
        double[] p = [Math.Log(0.25), Math.Log(0.75)];

        var split = CrossEntropy.Compute(q, p);

        Assert.Equal(-(0.5 * Math.Log(0.25) + 0.5 * Math.Log(0.75)), split.CrossEntropy, 1e-15);
        Assert.Equal(Math.Log(2), split.Entropy, 1e-15);
        Assert.Equal(split.CrossEntropy - Math.Log(2), split.Kl, 1e-15);
        Assert.Equal(double.PositiveInfinity, CrossEntropy.Compute(q, [0.0, double.NegativeInfinity]).CrossEntropy);
    }

    [Fact]
    public void Shape_errors_name_the_argument()
    {
        Assert.Equal("data", Assert.Throws<ArgumentException>(() => new LogitsBatch(new double[7], 3)).ParamName);
        Assert.Equal("observed", Assert.Throws<ArgumentException>(
            () => TokenEntropy.Compute(new LogitsBatch(new double[6], 3), observed: [1])).ParamName);
        Assert.Equal("mask", Assert.Throws<ArgumentException>(
            () => TokenEntropy.OfLogits([1.0, 2.0], new EntropyOptions(Mask: VocabularyMask.Excluding(3)))).ParamName);
        Assert.Equal("temperature", Assert.Throws<ArgumentOutOfRangeException>(
            () => TokenEntropy.OfLogits([1.0], new EntropyOptions(0.0))).ParamName);
    }
}
