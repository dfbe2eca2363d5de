// The entropy monitor against independent computations on the same logits (Core metrics row by row, torch's
// cross-entropy), the n-gram baselines against hand-computed perplexities, the schedule's shape, the byte tokenizer.
using TrajectoryLab.Core.Randomness;
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Torch.Training;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Training;

public sealed class MonitorAndBaselineTests
{
    [Fact]
    public void MonitorNumbersEqualIndependentComputationsOnTheSameLogits()
    {
        const int batch = 3, length = 5, vocab = 7;
        var random = new Random(4);
        var logits = Enumerable.Range(0, batch * length * vocab).Select(_ => (float)(random.NextDouble() * 6 - 3)).ToArray();
        var targets = Enumerable.Range(0, batch * length).Select(_ => (long)random.Next(vocab)).ToArray();

        var m = EntropyMeasurement.Measure(logits, targets, batch, vocab, rho: 0.8, out var entropies);

        var rows = Enumerable.Range(0, batch * length).Select(i =>
            TokenEntropy.OfLogits(logits.AsSpan(i * vocab, vocab).ToArray().Select(v => (double)v).ToArray())).ToArray();
        var h = rows.Select(r => r.Entropy).ToArray();
        var surprisal = Enumerable.Range(0, batch * length).Select(i =>
        {
            var z = logits.AsSpan(i * vocab, vocab).ToArray().Select(v => (double)v).ToArray();
            return rows[i].LogPartition - z[targets[i]];
        }).ToArray();
        Assert.Equal(h, entropies);
        Assert.Equal(surprisal.Average(), m.Loss, 12);
        Assert.Equal(h.Average(), m.MeanEntropy, 12);
        Assert.Equal(EntropyAggregates.Quantile(h, 0.5), m.EntropyP50, 12);
        Assert.Equal(EntropyAggregates.Quantile(h, 0.9), m.EntropyP90, 12);
        Assert.Equal(m.Loss - m.MeanEntropy, m.Excess, 12);
        Assert.Equal(Math.Exp(m.Loss), m.Perplexity, 12);
        var tau = EntropyAggregates.Quantile(h, 0.8);
        var high = Enumerable.Range(0, h.Length).Where(i => h[i] >= tau).ToArray();
        Assert.Equal(tau, m.HighEntropyThreshold, 12);
        Assert.Equal((double)high.Length / h.Length, m.HighEntropyFraction, 12);
        Assert.Equal(high.Sum(i => surprisal[i]) / surprisal.Sum(), m.HighEntropyLossShare, 12);
        Assert.Equal((h[0] + h[5] + h[10]) / 3, m.FirstPositionEntropy, 12);
        Assert.Equal(h.Where((_, i) => i % length != 0).Average(), m.LaterPositionEntropy, 12);

        // The loss is the cross-entropy training minimises, as torch computes it.
        using var scope = NewDisposeScope();
        var torchLoss = nn.functional.cross_entropy(tensor(logits, [batch * length, vocab]), tensor(targets)).item<float>();
        Assert.Equal(torchLoss, m.Loss, 5);
    }

    [Fact]
    public void BaselinePerplexitiesMatchAHandComputation()
    {
        // Stream 0 1 0 1 1 over V = 3, k = 1. Unigram counts: c(0) = 2, c(1) = 3, c(2) = 0, N = 5:
        //   P1 = (c + 1) / 8 → 3/8, 4/8, 1/8.
        // Bigrams 01, 10, 01, 11: c(0·) = 2, c(1·) = 2; P2(1|0) = (2+1)/(2+3) = 3/5, P2(0|1) = (1+1)/5 = 2/5,
        //   P2(1|1) = (1+1)/5 = 2/5, P2(2|1) = 1/5.
        var baseline = new NGramBaseline([0, 1, 0, 1, 1], vocabSize: 3, addK: 1);
        long[] inputs = [0, 1, 1], targets = [1, 1, 2];
        var (unigram, bigram) = baseline.Perplexity(inputs, targets);
        Assert.Equal(Math.Pow(4.0 / 8 * 4.0 / 8 * 1.0 / 8, -1.0 / 3), unigram, 12);
        Assert.Equal(Math.Pow(3.0 / 5 * 2.0 / 5 * 1.0 / 5, -1.0 / 3), bigram, 12);
        // Each distribution sums to one.
        Assert.Equal(1, Enumerable.Range(0, 3).Sum(w => Math.Exp(baseline.UnigramLogProb(w))), 12);
        Assert.Equal(1, Enumerable.Range(0, 3).Sum(w => Math.Exp(baseline.BigramLogProb(2, w))), 12);
    }

    [Fact]
    public void ProbabilityVectorsAreTheHandComputedDistributions()
    {
        // Same stream as above: P1 = 3/8, 4/8, 1/8; P2(· | 0) = 1/5, 3/5, 1/5; P2(· | 1) = 2/5, 2/5, 1/5; P2(· | 2) = 1/3 each
        // (no bigram starts with 2). The vectors are exactly exp of the log-probabilities' arguments (same divisions).
        var baseline = new NGramBaseline([0, 1, 0, 1, 1], vocabSize: 3, addK: 1);
        var p = new double[3];
        baseline.UnigramProbabilities(p);
        Assert.Equal([3.0 / 8, 4.0 / 8, 1.0 / 8], p);
        baseline.BigramProbabilities(0, p);
        Assert.Equal([1.0 / 5, 3.0 / 5, 1.0 / 5], p);
        baseline.BigramProbabilities(1, p);
        Assert.Equal([2.0 / 5, 2.0 / 5, 1.0 / 5], p);
        baseline.BigramProbabilities(2, p);
        Assert.Equal([1.0 / 3, 1.0 / 3, 1.0 / 3], p);
        for (var w = 0; w < 3; w++)
            Assert.Equal(Math.Log(p[w]), baseline.BigramLogProb(2, w));
    }

    [Fact]
    public void ScheduleWarmsUpLinearlyAndDecaysToTheFloor()
    {
        var o = TinyTraining.Config().Optimizer with { LearningRate = 1.0, MinLearningRate = 0.1, WarmupSteps = 10 };
        Assert.Equal(0.1, LearningRateSchedule.At(1, 110, o), 12);
        Assert.Equal(1.0, LearningRateSchedule.At(10, 110, o), 12);
        Assert.Equal(0.55, LearningRateSchedule.At(60, 110, o), 12); // half way through the cosine
        Assert.Equal(0.1, LearningRateSchedule.At(110, 110, o), 12);
        var lrs = Enumerable.Range(10, 101).Select(s => LearningRateSchedule.At(s, 110, o)).ToArray();
        Assert.True(lrs.Zip(lrs.Skip(1)).All(p => p.Second <= p.First));
    }

    [Fact]
    public void WindowsPairEachInputWithTheNextToken()
    {
        int[] stream = [10, 11, 12, 13, 14, 15];
        var (inputs, targets) = Windows.At(stream, [0, 2], 3);
        Assert.Equal([10L, 11, 12, 12, 13, 14], inputs);
        Assert.Equal([11L, 12, 13, 13, 14, 15], targets);
        var random = new SplitMix64(5);
        var (sampled, _) = Windows.Sample(stream, 50, 3, random);
        Assert.All(sampled.Where((_, i) => i % 3 == 0), s => Assert.InRange(s, 10, 12)); // starts 0 … 2 only
        Assert.Throws<ArgumentException>(() => Windows.Positions(stream, 6));
    }

    [Fact]
    public void WindowsCanBeginWithAFixedFirstToken()
    {
        // EosFirst: position 0 holds the BOS, the stream moves one position right, and every target is still the token that
        // follows its input in the stream (the BOS predicts the window's first stream token).
        int[] stream = [10, 11, 12, 13, 14, 15];
        var (inputs, targets) = Windows.At(stream, [0, 2], 3, first: 99);
        Assert.Equal([99L, 10, 11, 99, 12, 13], inputs);
        Assert.Equal([10L, 11, 12, 12, 13, 14], targets);
        var (sampled, _) = Windows.Sample(stream, 20, 3, new SplitMix64(5), first: 99);
        Assert.All(sampled.Where((_, i) => i % 3 == 0), s => Assert.Equal(99, s));
    }
}
