// The lookahead calibration of Braverman et al. (2020) on hand-made distributions: exactly the model at α = 0, a
// distribution that sums to 1 and matches the explicit full-vocabulary reweighting (candidates × e^{−αĤ}, every other
// token × e^{−αH̄}), its entropy, and the fit of α recovering a known α* from text drawn from p̂_α*, where the first-order
// condition (the calibration of the expected lookahead entropy) holds.
// References: Braverman et al. (2020), ICML (arXiv:1906.05664).
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using TrajectoryLab.Core.Metrics;

namespace TrajectoryLab.Core.Tests.Metrics;

public class LookaheadCalibrationTests
{
    /// <summary>A random distribution over <paramref name="vocab"/> tokens, its top-k and random lookahead entropies.</summary>
    static (double[] P, int[] Top, double[] TopLogP, double[] H) Case(int seed, int vocab, int k)
    {
        var random = new Random(seed);
        var z = Enumerable.Range(0, vocab).Select(_ => 3 * random.NextDouble()).ToArray();
        var max = z.Max();
        var sum = z.Sum(x => Math.Exp(x - max));
        var p = z.Select(x => Math.Exp(x - max) / sum).ToArray();
        var top = Enumerable.Range(0, vocab).OrderByDescending(i => p[i]).Take(k).ToArray();
        return (p, top, [.. top.Select(i => Math.Log(p[i]))], [.. top.Select(_ => 4 * random.NextDouble())]);
    }

    [Property(MaxTest = 200)]
    public Property At_alpha_zero_the_calibrated_model_is_the_model_exactly() =>
        Prop.ForAll(Gen.Choose(0, 100_000).ToArbitrary(), Gen.Choose(1, 20).ToArbitrary(), (seed, k) =>
        {
            var (p, top, lp, h) = Case(seed, 30, k);
            var target = seed % 2 == 0 ? seed % k : -1;
            var position = new LookaheadPosition(
                lp,
                h,
                target,
                target >= 0 ? lp[target] : Math.Log(p.Where((_, i) => !top.Contains(i)).First())
            );
            var (candidates, _) = LookaheadCalibration.Distribution(lp, h, 0);
            return LookaheadCalibration.LogProbability(position, 0) == position.TargetLogProb
                && candidates.Select((q, j) => q == Math.Exp(lp[j])).All(x => x)
                && LookaheadCalibration.LogNormaliser(lp, h, 0) == 0;
        });

    [Theory]
    [InlineData(1, 5, 0.7)]
    [InlineData(2, 12, -1.3)]
    [InlineData(3, 30, 2.5)] // every token a candidate: no other tokens
    [InlineData(4, 1, 4.0)]
    public void TheReweightingRenormalisesAndMatchesTheExplicitOneOverTheWholeVocabulary(int seed, int k, double alpha)
    {
        var (p, top, lp, h) = Case(seed, 30, k);
        var hBar = h.Average();
        var w = p.Select((x, i) => x * Math.Exp(-alpha * (Array.IndexOf(top, i) is var j and >= 0 ? h[j] : hBar))).ToArray();
        var q = w.Select(x => x / w.Sum()).ToArray();
        var (candidates, others) = LookaheadCalibration.Distribution(lp, h, alpha);
        Assert.Equal(1, candidates.Sum() + others, 12);
        for (var j = 0; j < k; j++)
            Assert.Equal(q[top[j]], candidates[j], 12);
        Assert.Equal(q.Where((_, i) => !top.Contains(i)).Sum(), others, 12);
        var rest = Enumerable.Range(0, p.Length).Where(i => !top.Contains(i)).ToArray();
        var entropy = LookaheadCalibration.Entropy(lp, h, alpha, rest.Sum(i => -p[i] * Math.Log(p[i])), rest.Sum(i => p[i]));
        Assert.Equal(-q.Sum(x => x * Math.Log(x)), entropy, 10);
        // the log-probability of a token outside the candidates: p̂'s, rescaled like all of them
        if (rest.Length > 0)
        {
            var position = new LookaheadPosition(lp, h, -1, Math.Log(p[rest[0]]));
            Assert.Equal(Math.Log(q[rest[0]]), LookaheadCalibration.LogProbability(position, alpha), 10);
        }
    }

    /// <summary>Text drawn from p̂_α0 itself: the cross-entropy's minimum is at α0, up to sampling error, and at the fitted
    /// α* the mean lookahead entropy of the text's tokens equals its expectation under p̂_α* (the derivative vanishes).</summary>
    [Fact]
    public void TheFitRecoversAKnownAlphaAndCalibratesTheLookaheadEntropy()
    {
        const double alpha0 = 0.8;
        var random = new Random(5);
        var positions = new List<LookaheadPosition>();
        for (var n = 0; n < 20_000; n++)
        {
            var (p, top, lp, h) = Case(random.Next(), 20, 6);
            var (candidates, _) = LookaheadCalibration.Distribution(lp, h, alpha0);
            var u = random.NextDouble();
            var target = -1;
            for (var j = 0; j < candidates.Length && target < 0; j++)
                if ((u -= candidates[j]) < 0)
                    target = j;
            var rest = Enumerable.Range(0, p.Length).Where(i => !top.Contains(i)).ToArray();
            var other = rest[Math.Min(rest.Length - 1, (int)(random.NextDouble() * rest.Length))]; // any: they share a factor
            positions.Add(new LookaheadPosition(lp, h, target, target >= 0 ? lp[target] : Math.Log(p[other])));
        }
        var fit = LookaheadCalibration.Fit(positions, [-2, -1, -0.5, 0, 0.5, 1, 1.5, 2, 3]);
        Assert.InRange(fit.Alpha, alpha0 - 0.1, alpha0 + 0.1);
        Assert.True(fit.CrossEntropy <= fit.Uncalibrated);
        Assert.True(fit.CrossEntropies.All(ce => fit.CrossEntropy <= ce));
        Assert.False(fit.AtGridEdge);
        // first-order condition: mean Δ of the true tokens = mean E_{p̂_α*}[Δ]
        double observed = 0,
            expected = 0;
        foreach (var x in positions)
        {
            var mean = x.LookaheadEntropies.Average();
            observed += x.Target >= 0 ? x.LookaheadEntropies[x.Target] - mean : 0;
            var (q, _) = LookaheadCalibration.Distribution(x.CandidateLogProbs, x.LookaheadEntropies, fit.Alpha);
            expected += q.Select((qj, j) => qj * (x.LookaheadEntropies[j] - mean)).Sum();
        }
        Assert.Equal(observed / positions.Count, expected / positions.Count, 3);
    }
}

public class EntropyRateTests
{
    static readonly double[][] Chain =
    [
        [0.7, 0.2, 0.1],
        [0.3, 0.3, 0.4],
        [0.1, 0.1, 0.8],
    ];

    /// <summary>The stationary distribution π = πP, by power iteration.</summary>
    static double[] Stationary(double[][] p)
    {
        var pi = new[] { 1.0 / 3, 1.0 / 3, 1.0 / 3 };
        for (var n = 0; n < 10_000; n++)
            pi = [.. Enumerable.Range(0, 3).Select(j => Enumerable.Range(0, 3).Sum(i => pi[i] * p[i][j]))];
        return pi;
    }

    static double H(double[] row) => -row.Sum(x => x * Math.Log(x));

    /// <summary>Sequences of the chain <paramref name="sampler"/>, scored by <paramref name="model"/>: per-token surprisal
    /// and the entropy of the model's row.</summary>
    static (List<double[]> S, List<double[]> E) Run(double[][] sampler, double[][] model, int sequences, int length, int seed)
    {
        var random = new Random(seed);
        var (s, e) = (new List<double[]>(), new List<double[]>());
        for (var q = 0; q < sequences; q++)
        {
            var state = random.Next(3);
            var (sq, eq) = (new double[length], new double[length]);
            for (var t = 0; t < length; t++)
            {
                var u = random.NextDouble();
                var next = 0;
                while (next < 2 && (u -= sampler[state][next]) >= 0)
                    next++;
                sq[t] = -Math.Log(model[state][next]);
                eq[t] = H(model[state]);
                state = next;
            }
            s.Add(sq);
            e.Add(eq);
        }
        return (s, e);
    }

    [Fact]
    public void OnAMarkovChainBothEstimatorsGiveTheClosedFormEntropyRateAndAgree()
    {
        var pi = Stationary(Chain);
        var rate = Enumerable.Range(0, 3).Sum(i => pi[i] * H(Chain[i])); // Cover & Thomas Thm 4.2.4
        var (s, e) = Run(Chain, Chain, 40, 2000, 3);
        var buckets = EntropyRate.ByBucket(s, e, 500);
        Assert.Equal(4, buckets.Length);
        foreach (var b in buckets.Skip(1)) // the first bucket starts from a uniform state, not π
        {
            Assert.InRange(b.Surprisal, rate - 4 * b.SurprisalSe, rate + 4 * b.SurprisalSe);
            Assert.InRange(b.Entropy, rate - 4 * b.EntropySe, rate + 4 * b.EntropySe);
            Assert.InRange(b.DifferenceZ, -4, 4);
            Assert.Equal(40 * 500, b.Tokens);
        }
    }

    [Fact]
    public void ASamplerThatIsNotTheModelIsCaughtByTheDifference()
    {
        double[][] other =
        [
            [0.2, 0.2, 0.6],
            [0.6, 0.2, 0.2],
            [0.4, 0.4, 0.2],
        ];
        var (s, e) = Run(other, Chain, 40, 2000, 4);
        Assert.All(EntropyRate.ByBucket(s, e, 500), b => Assert.True(Math.Abs(b.DifferenceZ) > 4, $"z = {b.DifferenceZ}"));
    }

    [Fact]
    public void ANonFiniteValueNamesItsSequenceAndPosition()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            EntropyRate.ByBucket(
                [
                    [1.0, 2.0],
                    [1.0, double.NaN],
                ],
                [
                    [1.0, 1.0],
                    [1.0, 1.0],
                ],
                1
            )
        );
        Assert.Contains("sequence 1, position 1", e.Message);
    }
}
