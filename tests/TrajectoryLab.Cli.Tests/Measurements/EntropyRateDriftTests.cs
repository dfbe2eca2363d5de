// entropy-rate-drift's lookahead decoding on a tiny random Llama, each check with an outcome that can be wrong: the
// batched lookahead (k + 1 rows per text, CopyRows between passes) gives the candidates, their log-probabilities and
// lookahead entropies that one fresh session per prefix and candidate gives; the calibrated sampler at α = 0 is ancestral
// sampling (its surprisal is the model's, exactly, and its entropy the model's); Ranking.TopIndices (the candidates) orders by probability, ties by id.
// References: Braverman et al. (2020), "Calibration, Entropy Rates, and Memory in Language Models", ICML (arXiv:1906.05664).
using TrajectoryLab.Core.Statistics;
using TrajectoryLab.Experiments.EntropyRateDrift;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Cli.Tests.Measurements;

public sealed class EntropyRateDriftTests
{
    static LanguageModel Tiny() => LanguageModel.Random(ModelSpec.Llama(50, 32, 64, 2, 4, context: 64), seed: 3, std: 0.3);

    static float[] NextLogProbs(LanguageModel model, int[] prefix)
    {
        using var session = model.StartSession(new GenerationOptions { MaxNewTokens = 1, Outputs = StepOutputs.LogProbs });
        return session.Prefill([prefix]).LogProbs![0];
    }

    [Fact]
    public void BatchedLookaheadMatchesOneSessionPerPrefixAndCandidate()
    {
        using var model = Tiny();
        var random = new Random(2);
        int[][] texts = [.. Enumerable.Range(0, 2).Select(_ => Enumerable.Range(0, 9).Select(_ => random.Next(50)).ToArray())];
        const int k = 3;
        var positions = LookaheadDecoding.TeacherForced(model, texts, k, CancellationToken.None);
        for (var g = 0; g < texts.Length; g++)
        {
            Assert.Equal(texts[g].Length - 1, positions[g].Count);
            for (var t = 1; t < texts[g].Length; t++)
            {
                var x = positions[g][t - 1];
                var lp = NextLogProbs(model, texts[g][..t]);
                var top = Ranking.TopIndices(lp, k);
                Assert.Equal(Array.IndexOf(top, texts[g][t]), x.Target);
                Assert.Equal(lp[texts[g][t]], x.TargetLogProb, 1e-5);
                for (var j = 0; j < k; j++)
                {
                    Assert.Equal(lp[top[j]], x.CandidateLogProbs[j], 1e-5);
                    var h = LookaheadDecoding.Entropy(NextLogProbs(model, [.. texts[g][..t], top[j]]), "reference");
                    Assert.Equal(h, x.LookaheadEntropies[j], 1e-4);
                }
            }
        }
    }

    [Fact]
    public void CalibratedSamplingAtAlphaZeroIsAncestralSampling()
    {
        using var model = Tiny();
        var generations = LookaheadDecoding.Calibrated(
            model,
            [
                [1, 2, 3],
                [4, 5, 6],
            ],
            12,
            4,
            0,
            7,
            CancellationToken.None
        );
        foreach (var g in generations)
        {
            Assert.Equal(g.ModelSurprisal, g.Surprisal); // exact: p̂_0 is p̂
            for (var t = 0; t < g.Entropy.Length; t++)
                Assert.Equal(g.ModelEntropy[t], g.Entropy[t], 1e-5);
        }
        // and with α ≠ 0 the sampled distribution is another one
        var shifted = LookaheadDecoding.Calibrated(
            model,
            [
                [1, 2, 3],
                [4, 5, 6],
            ],
            12,
            4,
            2,
            7,
            CancellationToken.None
        );
        Assert.Contains(shifted, g => !g.Surprisal.SequenceEqual(g.ModelSurprisal));
    }

    [Fact]
    public void PreflightRefusesAnAlphaGridWithoutZeroAndACalibrationOfOneGeneration()
    {
        var paths = TrajectoryLab.Experiments.ProjectPaths.Discover();
        Assert.Equal(
            "alphas",
            new EntropyRateDriftOptions { Alphas = [0.5, 1] }
                .Check(paths)
                ?.Key
        );
        Assert.Equal(
            "calibratedGenerations",
            new EntropyRateDriftOptions { CalibratedGenerations = 1 }
                .Check(paths)
                ?.Key
        );
        Assert.Null(new EntropyRateDriftOptions().Check(paths)); // the defaults on the default model
    }

    [Fact]
    public void TopOrdersByProbabilityThenById()
    {
        float[] lp = [-3, -1, -2, -1, -5];
        Assert.Equal([1, 3, 2], Ranking.TopIndices(lp, 3));
        Assert.Empty(Ranking.TopIndices(lp, 0));
    }
}
