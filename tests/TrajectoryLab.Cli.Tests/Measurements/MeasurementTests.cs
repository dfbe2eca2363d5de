// The experiments' measurement pieces on tiny models and hand-made inputs, each with an outcome that can be wrong:
// the loop-escape bisection brackets a threshold that really separates staying from escaping; the key–value probe
// scores a context the model can only answer by copying; butterfly's log curve is the mean of log10 of what it is given;
// texts come out of TextSource as the choice says.
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Experiments.AttentionDilution;
using TrajectoryLab.Experiments.Butterfly;
using TrajectoryLab.Experiments.RepetitionAttractors;
using TrajectoryLab.Torch.Dynamics;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Cli.Tests.Measurements;

public sealed class MeasurementTests
{
    static readonly ModelSpec Tiny = ModelSpec.Llama(61, 32, 64, 2, 4, numKvHeads: 2, context: 128);

    [Fact]
    public void InLoopAcceptsEveryPhaseOfTheCycleAndNothingElse()
    {
        int[] cycle = [4, 5, 6];
        Assert.True(RepetitionAttractorsEscape.InLoop([1, 4, 5, 6], cycle));
        Assert.True(RepetitionAttractorsEscape.InLoop([9, 6, 4, 5], cycle)); // another phase
        Assert.False(RepetitionAttractorsEscape.InLoop([4, 5, 6, 7], cycle));
        Assert.False(RepetitionAttractorsEscape.InLoop([6, 5, 4], cycle)); // reversed is not the loop
    }

    [Fact]
    public void TheEscapeBisectionBracketsAThresholdThatSeparatesStayingFromEscaping()
    {
        // A greedy continuation of a random-init model (N(0, 0.02²)) falls into a loop quickly; take the first seed whose does.
        int[] prompt = [1, 2, 3];
        LanguageModel? model = null;
        var tokens = new List<int>();
        var cycle = default(Cycle);
        for (var seed = 1; seed <= 8 && !cycle.IsLoop; seed++)
        {
            model?.Dispose();
            model = LanguageModel.Random(Tiny, seed);
            using var session = model.StartSession(new GenerationOptions { MaxNewTokens = 96 });
            tokens = [session.Prefill([prompt]).Tokens[0]];
            while (tokens.Count < 96) tokens.Add(session.Step().Tokens[0]);
            cycle = CycleDetector.Detect([.. tokens], 3);
        }
        using var lm = model!;
        Assert.True(cycle.IsLoop, "no random model's greedy continuation looped");
        var g = new Generation("random", 0, "greedy", 0, prompt, [.. tokens], new double[tokens.Count], [], cycle);
        var o = new RepetitionAttractorsOptions { EscapeLayers = [1], EscapeDirections = 2, EscapeMinEpsilon = 1e-4, EscapeMaxEpsilon = 10, EscapeGridPerDecade = 1, EscapeBisections = 4 };

        var thresholds = RepetitionAttractorsEscape.Search(lm, g, 0, o, CancellationToken.None);

        Assert.Equal(2, thresholds.Count);
        Assert.All(thresholds, t => Assert.True(t.ReferenceStays, "greedy: the unperturbed row repeats its loop"));
        var loop = tokens[cycle.Onset..(cycle.Onset + cycle.Period)].ToArray();
        var context = prompt.Concat(tokens.Take(cycle.Onset + cycle.Period)).ToArray();
        bool Stays(int direction, double epsilon)
        {
            var run = FreeRunningDynamics.Run(lm, context, new FreeRunningOptions
            {
                Layer = 1, Epsilons = [epsilon], CopiesPerEpsilon = 2, Steps = 2 * cycle.Period, Seed = o.Seed + 1,
            });
            return RepetitionAttractorsEscape.InLoop(run.Copies[direction].Tokens, loop);
        }
        Assert.Contains(thresholds, t => double.IsFinite(t.Epsilon) && double.IsFinite(t.Lower)); // something to check
        foreach (var t in thresholds.Where(t => double.IsFinite(t.Epsilon) && double.IsFinite(t.Lower)))
        {
            Assert.True(t.Lower < t.Epsilon);
            Assert.True(Stays(t.Direction, t.Lower), $"direction {t.Direction} should stay at its lower bracket ε = {t.Lower}");
            Assert.False(Stays(t.Direction, t.Epsilon), $"direction {t.Direction} should escape at ε* = {t.Epsilon}");
        }
    }

    [Fact]
    public void LogCurveIsTheMeanOfLog10OverFinitePositiveDistances()
    {
        CopyTrace Copy(params double[] relative) => new("m", 0, 0, 1e-3, 0, relative, null, new double[relative.Length - 1], new double[relative.Length - 1]);
        var (mean, count) = ButterflyMeasures.LogCurve([Copy(1e-3, 1e-2, double.NaN), Copy(1e-5, 0, 1e-1)]);
        Assert.Equal(-4, mean[0], 1e-12); // (−3 − 5) / 2
        Assert.Equal(-2, mean[1], 1e-12); // a zero distance is left out
        Assert.Equal(-1, mean[2], 1e-12); // so is a NaN
        Assert.Equal([2, 1, 1], count);
    }

    [Fact]
    public void TheRetrievalProbeScoresOneQueryPerPositionAndTrial()
    {
        using var model = LanguageModel.Random(ModelSpec.Llama(4096, 32, 64, 2, 4, context: 256), 3);
        var tokenizer = HfTokenizer.Load(Path.Combine(Environment.GetEnvironmentVariable("TRAJECTORYLAB_ROOT")!, "models", "brown-small"));
        var o = new RetrievalProbeOptions { Pairs = 3, Trials = 2 };
        var scores = KeyValueProbe.Run(model, tokenizer, o, seed: 1, CancellationToken.None);
        Assert.Equal(6, scores.Count);
        Assert.Equal([1, 1, 2, 2, 3, 3], scores.Select(s => s.Position).Order());
        Assert.All(scores, s => Assert.InRange(s.Share, 0, 1));
        Assert.All(scores, s => Assert.True(!s.TopOverall || s.TopAmongValues, "first over the vocabulary implies first among the values"));
        // The contexts are drawn from the seed alone: the same scores again, for any model state.
        Assert.Equal(scores, KeyValueProbe.Run(model, tokenizer, o, seed: 1, CancellationToken.None));
        Assert.NotEqual(scores.Select(s => s.Tokens), KeyValueProbe.Run(model, tokenizer, o, seed: 2, CancellationToken.None).Select(s => s.Tokens));
    }

    [Fact]
    public void FrequencyRanksAndTheirLogBins()
    {
        var ranks = TrajectoryLab.Experiments.EntropyProfile.EntropyByRank.FrequencyRanks([[7, 7, 3, 9], [3, 7, 5]]); // 7 ×3, 3 ×2, then 5 and 9 once
        Assert.Equal(1, ranks[7]);
        Assert.Equal(2, ranks[3]);
        Assert.Equal(3, ranks[5]); // a tie goes to the smaller id
        Assert.Equal(4, ranks[9]);

        var (edges, bin) = TrajectoryLab.Experiments.EntropyProfile.EntropyByRank.LogBins(distinct: 999, requested: 3);
        Assert.Equal([1, 10, 100, 1000], edges.Select(e => Math.Round(e, 9)));
        Assert.Equal([0, 0, 1, 1, 2, 2], new[] { 1, 9, 10, 99, 100, 999 }.Select(bin));
        Assert.Single(TrajectoryLab.Experiments.EntropyProfile.EntropyByRank.LogBins(distinct: 1, requested: 10).Edges[1..]); // one token: one bin
    }

    [Fact]
    public void TextSourceGivesIdsVerbatimAndTextsAfterBos()
    {
        var tokenizer = HfTokenizer.Load(Path.Combine(Environment.GetEnvironmentVariable("TRAJECTORYLAB_ROOT")!, "models", "brown-small"));
        var paths = ProjectPaths.Discover();
        var ids = TextSource.Load(new TextChoice { Ids = [[5, 6, 7, 8], [9]], Tokens = 3 }, tokenizer, paths);
        Assert.Equal(["ids 1", "ids 2"], ids.Select(t => t.Name));
        Assert.Equal([5, 6, 7], ids[0].Tokens); // cut to Tokens, nothing prepended
        var texts = TextSource.Load(new TextChoice { Texts = ["The jury said it.", "x"], Tokens = 4 }, tokenizer, paths);
        Assert.Equal(tokenizer.BosId, texts[0].Tokens[0]);
        Assert.Equal(4, texts[0].Tokens.Length);
        Assert.Equal(tokenizer.Encode("The jury said it.").Take(3), texts[0].Tokens[1..]);
    }
}
