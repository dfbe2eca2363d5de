// End-to-end behaviour of the trainer on a tiny model: loss and entropy fall, two runs with one seed agree exactly, a
// run killed after k steps and resumed equals an uninterrupted one bit for bit, and the saved folder loads back.
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Training;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Training;

[Collection(TrainingCollection.Name)]
public sealed class TrainingSessionTests
{
    [Fact]
    public void LossAndEntropyFall()
    {
        using var folder = new TempFolder();
        var data = TinyTraining.Data();
        using var session = TrainingSession.Open(TinyTraining.Config(80), data, folder.Path, resume: false);
        session.Train(80);
        var (first, last) = (session.Monitor[0], session.Monitor[^1]);
        Assert.Equal([0, 10, 20, 30, 40, 50, 60, 70, 80], session.Monitor.Select(m => m.Step));
        var lnV = Math.Log(data.Tokenizer.Tokenizer.VocabularySize);
        Assert.InRange(first.Validation.MeanEntropy, lnV - 0.05, lnV); // near-uniform at initialisation
        Assert.True(last.Train.Loss < first.Train.Loss - 2, $"train loss {first.Train.Loss} → {last.Train.Loss}");
        Assert.True(last.Validation.Loss < first.Validation.Loss - 2, $"validation loss {first.Validation.Loss} → {last.Validation.Loss}");
        Assert.True(last.Validation.MeanEntropy < first.Validation.MeanEntropy - 2);
        Assert.Equal(80, session.Steps.Count);
        Assert.Equal([0, 10, 80], session.EntropySnapshots.Keys.Order());
        var ppl = session.EvaluateValidation(0);
        Assert.True(ppl.Model < ppl.Unigram, $"model {ppl.Model} vs unigram {ppl.Unigram}");
        Assert.True(ppl.Bigram < ppl.Unigram);
    }

    [Fact]
    public void ResumingAfterAKillEqualsAnUninterruptedRun()
    {
        using var straightFolder = new TempFolder();
        using var killedFolder = new TempFolder();
        const int k = 20;
        var config = TinyTraining.Config(2 * k);
        using var straight = TrainingSession.Open(config, TinyTraining.Data(), straightFolder.Path, resume: false);
        straight.Train(2 * k);

        using (var killed = TrainingSession.Open(config, TinyTraining.Data(), killedFolder.Path, resume: false))
            killed.Train(k); // the process "dies" here: only the checkpoint at step k survives
        using var resumed = TrainingSession.Open(config, TinyTraining.Data(), killedFolder.Path, resume: true);
        Assert.Equal(k, resumed.ResumedFrom);
        resumed.Train(2 * k);

        Assert.Equal(straight.Steps, resumed.Steps);
        Assert.Equal(straight.Monitor, resumed.Monitor);
        AssertSameWeights(straight, resumed);
    }

    [Fact]
    public void TwoRunsWithOneSeedAreIdenticalAndAnotherSeedIsNot()
    {
        using var a = new TempFolder();
        using var b = new TempFolder();
        using var c = new TempFolder();
        using var first = TrainingSession.Open(TinyTraining.Config(15), TinyTraining.Data(), a.Path, resume: false);
        using var second = TrainingSession.Open(TinyTraining.Config(15), TinyTraining.Data(), b.Path, resume: false);
        using var other = TrainingSession.Open(TinyTraining.Config(15) with { Seed = 12 }, TinyTraining.Data(), c.Path, resume: false);
        foreach (var s in new[] { first, second, other }) s.Train(15);
        Assert.Equal(first.Steps, second.Steps);
        Assert.Equal(first.Monitor, second.Monitor);
        AssertSameWeights(first, second);
        Assert.NotEqual(first.Steps.Select(s => s.Loss), other.Steps.Select(s => s.Loss));
    }

    [Fact]
    public void ResumingWithAnotherConfigurationNamesTheChangedKeys()
    {
        using var folder = new TempFolder();
        using (var run = TrainingSession.Open(TinyTraining.Config(10), TinyTraining.Data(), folder.Path, resume: false)) run.Train(10);
        var changed = TinyTraining.Config(10) with { BatchSize = 4, Optimizer = TinyTraining.Config().Optimizer with { LearningRate = 1e-3 } };
        var e = Assert.Throws<InvalidOperationException>(() => TrainingSession.Open(changed, TinyTraining.Data(), folder.Path, resume: true));
        Assert.Contains("batchSize", e.Message);
        Assert.Contains("optimizer.learningRate", e.Message);
    }

    [Fact]
    public void TheSavedModelFolderLoadsBackWithTheSameWeightsAndTokenizer()
    {
        using var folder = new TempFolder();
        using var session = TrainingSession.Open(TinyTraining.Config(30), TinyTraining.Data(), folder.Path, resume: false);
        session.Train(30);
        var modelFolder = Path.Combine(folder.Path, "model");
        session.SaveModel(modelFolder);
        Assert.True(File.Exists(Path.Combine(modelFolder, "tokenizer.json")));
        using var loaded = HfModelFolder.Load(modelFolder);
        var expected = session.WeightsSnapshot();
        foreach (var (name, p) in loaded.named_parameters())
        {
            using var scope = NewDisposeScope();
            Assert.Equal(expected[name], p.detach().contiguous().data<float>().ToArray());
        }

        var tokenizer = TrajectoryLab.Torch.Tokenizers.HfTokenizer.Load(modelFolder); // the ids the model was trained on
        const string text = "The cat sat on the mat.";
        Assert.Equal(TinyTraining.Data().Tokenizer.Tokenizer.Encode(text), tokenizer.Encode(text));
    }

    static void AssertSameWeights(TrainingSession a, TrainingSession b)
    {
        var (x, y) = (a.WeightsSnapshot(), b.WeightsSnapshot());
        Assert.Equal(x.Keys.Order(), y.Keys.Order());
        foreach (var name in x.Keys) Assert.True(x[name].SequenceEqual(y[name]), $"weights of {name} differ");
    }
}
