// Sampling oracles: greedy = argmax; T → 0, top-k = 1 equal greedy; top-p keeps the smallest prefix with mass ≥ p; min-p
// keeps p ≥ min_p · p_max; the CTRL penalty lowers repeated tokens; the whole order matches a plain double transcription;
// empirical frequencies match the truncated distribution (chi-square); inverse CDF never picks a zero-probability token.
using TrajectoryLab.Torch.Sampling;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Generation;

public sealed class SamplerTests
{
    private const int Vocab = 61;

    /// <summary>[rows][Vocab] logits of spread 3, reproducible.</summary>
    private static double[][] RandomLogits(int rows, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, rows).Select(_ => Enumerable.Range(0, Vocab).Select(_ => 3 * (random.NextDouble() * 2 - 1)).ToArray())];
    }

    private static Tensor AsTensor(double[][] rows) =>
        tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length], ScalarType.Float64); // [rows, d_vocab]

    /// <summary>Tokens chosen for each row with <paramref name="options"/> and uniforms of streams 0…rows−1 at step 0.</summary>
    private static int[] Choose(double[][] logits, SamplerOptions options, long seed = 1, int[][]? context = null)
    {
        using var scope = NewDisposeScope();
        using var sampler = new TokenSampler(Enumerable.Repeat(options, logits.Length).ToArray(), Vocab, CPU);
        if (context is not null) sampler.Observe(tensor(context.SelectMany(c => c.Select(t => (long)t)).ToArray(), [context.Length, context[0].Length]));
        var streams = Enumerable.Range(0, logits.Length).Select(i => (long)i).ToArray();
        return [.. sampler.Choose(AsTensor(logits), RandomStreams.Uniforms(seed, streams, 0)).data<long>().ToArray().Select(t => (int)t)];
    }

    /// <summary>The sampler's distribution per row, [rows][Vocab].</summary>
    private static double[][] Distribution(double[][] logits, SamplerOptions options, int[][]? context = null, int candidates = 256)
    {
        using var scope = NewDisposeScope();
        using var sampler = new TokenSampler(Enumerable.Repeat(options, logits.Length).ToArray(), Vocab, CPU, candidates);
        if (context is not null) sampler.Observe(tensor(context.SelectMany(c => c.Select(t => (long)t)).ToArray(), [context.Length, context[0].Length]));
        var flat = sampler.Distribution(AsTensor(logits)).data<double>().ToArray();
        return [.. Enumerable.Range(0, logits.Length).Select(r => flat.AsSpan(r * Vocab, Vocab).ToArray())];
    }

    private static int[] ArgMaxes(double[][] logits) => [.. logits.Select(r => SamplerReference.ArgMax(r))];

    [Fact]
    public void GreedyIsArgmax()
    {
        var logits = RandomLogits(32, seed: 1);
        Assert.Equal(ArgMaxes(logits), Choose(logits, SamplerOptions.Greedy));
    }

    [Theory]
    [InlineData(1e-6, 0, 1.0)]
    [InlineData(1.0, 1, 1.0)]
    [InlineData(1.5, 0, 1e-9)]
    [InlineData(1.5, 0, 1.0, 1.0)]
    public void DegenerateSettingsEqualGreedy(double temperature, int topK, double topP, double minP = 0)
    {
        var logits = RandomLogits(64, seed: 2);
        var options = new SamplerOptions { Temperature = temperature, TopK = topK, TopP = topP, MinP = minP };
        foreach (var seed in new long[] { 1, 2, 3 })
            Assert.Equal(ArgMaxes(logits), Choose(logits, options, seed));
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void TopPKeepsTheSmallestPrefixWithMassAtLeastP(double p)
    {
        var logits = RandomLogits(8, seed: 3);
        var plain = Distribution(logits, new SamplerOptions());
        var truncated = Distribution(logits, new SamplerOptions { TopP = p });
        for (var r = 0; r < logits.Length; r++)
        {
            var order = Enumerable.Range(0, Vocab).OrderByDescending(k => plain[r][k]).ToArray();
            var size = 1;
            while (order.Take(size).Sum(k => plain[r][k]) < p) size++;
            var kept = order.Take(size).ToHashSet();
            var keptMass = kept.Sum(k => plain[r][k]);
            Assert.True(keptMass >= p && keptMass - plain[r][order[size - 1]] < p);
            for (var k = 0; k < Vocab; k++)
                Assert.Equal(kept.Contains(k) ? plain[r][k] / keptMass : 0, truncated[r][k], 12);
        }
    }

    [Theory]
    [InlineData(0.05)]
    [InlineData(0.3)]
    public void MinPKeepsTokensAtLeastMinPTimesTheMostProbable(double minP)
    {
        var logits = RandomLogits(8, seed: 4);
        var plain = Distribution(logits, new SamplerOptions { Temperature = 0.7 });
        var truncated = Distribution(logits, new SamplerOptions { Temperature = 0.7, MinP = minP });
        for (var r = 0; r < logits.Length; r++)
        {
            var floor = minP * plain[r].Max();
            var keptMass = plain[r].Where(x => x >= floor).Sum();
            for (var k = 0; k < Vocab; k++)
                Assert.Equal(plain[r][k] >= floor ? plain[r][k] / keptMass : 0, truncated[r][k], 12);
        }
    }

    [Fact]
    public void RepetitionPenaltyLowersRepeatedTokensAndOnlyThem()
    {
        var logits = RandomLogits(4, seed: 5);
        int[][] context = [[0, 1, 2, 3], [10, 11, 10, 10], [5, 6, 7, 8], [60, 59, 58, 57]];
        var options = new SamplerOptions { RepetitionPenalty = 1.3 };
        var plain = Distribution(logits, new SamplerOptions());
        var penalised = Distribution(logits, options, context);
        for (var r = 0; r < logits.Length; r++)
        {
            var seen = context[r].ToHashSet();
            for (var k = 0; k < Vocab; k++)
            {
                // Relative to an unseen token u, a seen token's odds fall by exp(z − z/θ) or exp(zθ − z) > 1.
                var u = Enumerable.Range(0, Vocab).First(j => !seen.Contains(j));
                var before = plain[r][k] / plain[r][u];
                var after = penalised[r][k] / penalised[r][u];
                if (seen.Contains(k)) Assert.True(after < before);
                else Assert.Equal(before, after, 9);
            }
        }
    }

    private static readonly SamplerOptions[] MixedOptions =
    [
        new SamplerOptions { Temperature = 0.8, TopK = 7 },
        new SamplerOptions { Temperature = 1.3, TopP = 0.7 },
        new SamplerOptions { TopK = 20, TopP = 0.6, MinP = 0.1 },
        new SamplerOptions { Temperature = 0.5, TopK = 30, TopP = 0.95, MinP = 0.02, RepetitionPenalty = 1.5 },
        new SamplerOptions { RepetitionPenalty = 0.8 },
        new SamplerOptions { Temperature = 0.3, TopP = 0.8, MinP = 0.05 },
    ];

    public static TheoryData<SamplerOptions> Mixed => new(MixedOptions);

    public static TheoryData<SamplerOptions, int> MixedWithCandidates()
    {
        var data = new TheoryData<SamplerOptions, int>();
        foreach (var options in MixedOptions)
            foreach (var candidates in new[] { 8, 20, Vocab })
                data.Add(options, candidates);
        return data;
    }

    /// <summary>With few candidates most rows fit and some fall back to the full sort; the result must not change.</summary>
    [Theory]
    [MemberData(nameof(MixedWithCandidates))]
    public void DistributionMatchesThePlainTranscription(SamplerOptions options, int candidates)
    {
        var logits = RandomLogits(6, seed: 6);
        var context = TinyContext(6);
        var actual = Distribution(logits, options, context, candidates);
        for (var r = 0; r < logits.Length; r++)
        {
            var expected = SamplerReference.Distribution(logits[r], options, context[r].ToHashSet());
            for (var k = 0; k < Vocab; k++) Assert.Equal(expected[k], actual[r][k], 12);
        }
    }

    [Theory]
    [InlineData(4)]
    [InlineData(Vocab)]
    public void TiesInProbabilityAreRankedByLowerId(int candidates)
    {
        // Tokens 50, 7, 30, 3 share the top logit, token 9 is next: top-2 keeps 3 and 7; top-4 keeps all four tied.
        var row = new double[Vocab];
        foreach (var k in new[] { 50, 7, 30, 3 }) row[k] = 2;
        row[9] = 1.5;
        var top2 = Distribution([row], new SamplerOptions { TopK = 2 }, candidates: candidates)[0];
        Assert.Equal([3, 7], Enumerable.Range(0, Vocab).Where(k => top2[k] > 0));
        var top4 = Distribution([row], new SamplerOptions { TopK = 4, TopP = 0.99 }, candidates: candidates)[0];
        Assert.Equal([3, 7, 30, 50], Enumerable.Range(0, Vocab).Where(k => top4[k] > 0));
    }

    private static int[][] TinyContext(int rows) => [.. Enumerable.Range(0, rows).Select(r => new[] { r, 2 * r + 1, 3 * r + 2 })];

    [Theory]
    [MemberData(nameof(Mixed))]
    public void EmpiricalFrequenciesMatchTheTruncatedDistribution(SamplerOptions options)
    {
        const int draws = 20_000;
        var row = RandomLogits(1, seed: 7)[0];
        var logits = Enumerable.Repeat(row, draws).ToArray();
        var context = Enumerable.Repeat(new[] { 3, 4, 5 }, draws).ToArray();
        var expected = SamplerReference.Distribution(row, options, context[0].ToHashSet());
        var counts = new int[Vocab];
        foreach (var t in Choose(logits, options, seed: 11, context)) counts[t]++;

        var support = Enumerable.Range(0, Vocab).Where(k => expected[k] > 0).ToArray();
        Assert.All(Enumerable.Range(0, Vocab).Except(support), k => Assert.Equal(0, counts[k]));
        var chiSquare = support.Sum(k => Math.Pow(counts[k] - draws * expected[k], 2) / (draws * expected[k]));
        var df = support.Length - 1;
        // Mean df, sd √(2df): df + 5√(2df) + 5 is far in the tail (and covers df = 0).
        Assert.True(chiSquare < df + 5 * Math.Sqrt(2 * df) + 5, $"chi-square {chiSquare} with {df} degrees of freedom");
    }

    [Fact]
    public void InverseCdfNeverPicksAZeroProbabilityToken()
    {
        using var scope = NewDisposeScope();
        // Mass only on tokens 2 and 5 of 8; u = 0 and u just below 1 must land on them.
        var probs = tensor(new double[] { 0, 0, 0.25, 0, 0, 0.75, 0, 0, 0, 0, 0.25, 0, 0, 0.75, 0, 0 }, [2, 8]); // [2, 8]
        foreach (var u in new[] { 0.0, 0.25, 1 - Math.Pow(2, -53) })
        {
            var picks = TokenSampler.InverseCdf(probs, tensor(new[] { u, u }, [2, 1])).data<long>().ToArray();
            Assert.Equal(u < 0.25 ? 2 : 5, picks[0]);
            Assert.Equal(u < 0.25 ? 2 : 5, picks[1]);
        }
    }

    [Fact]
    public void InvalidOptionsAreRejectedWithTheParameterName()
    {
        foreach (var (options, name) in new[]
                 {
                     (new SamplerOptions { Temperature = -1 }, "Temperature"), (new SamplerOptions { TopK = -2 }, "TopK"),
                     (new SamplerOptions { TopP = 0 }, "TopP"), (new SamplerOptions { MinP = 1.5 }, "MinP"),
                     (new SamplerOptions { RepetitionPenalty = 0 }, "RepetitionPenalty"),
                 })
        {
            Assert.Equal(name, options.FindProblem()?.Name);
            var error = Assert.Throws<ArgumentException>(() => new TokenSampler([options], Vocab, CPU));
            Assert.Contains(name, error.Message);
        }
        Assert.Null(new SamplerOptions().FindProblem());
    }
}
