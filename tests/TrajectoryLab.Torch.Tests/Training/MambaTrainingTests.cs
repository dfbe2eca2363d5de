// The trainer with a Mamba: it learns, a killed and resumed run equals an uninterrupted one bit for bit (the scan kernel
// sums in a fixed order whatever the thread schedule), and the saved folder loads back as a Mamba whose inference path
// (the libtorch loop) gives the logits the training kernel gave.
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Training;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Training;

[Collection(TrainingCollection.Name)]
public sealed class MambaTrainingTests
{
    [Fact]
    public void LossFallsAndTheModelBeatsTheUnigram()
    {
        using var folder = new TempFolder();
        using var session = TrainingSession.Open(TinyTraining.MambaConfig(60), TinyTraining.Data(), folder.Path, resume: false);
        session.Train(60);
        var (first, last) = (session.Monitor[0], session.Monitor[^1]);
        Assert.True(last.Validation.Loss < first.Validation.Loss - 1.5, $"validation loss {first.Validation.Loss} → {last.Validation.Loss}");
        var ppl = session.EvaluateValidation(0);
        Assert.True(ppl.Model < ppl.Unigram, $"model {ppl.Model} vs unigram {ppl.Unigram}");
    }

    [Fact]
    public void ResumingAfterAKillEqualsAnUninterruptedRun()
    {
        using var straightFolder = new TempFolder();
        using var killedFolder = new TempFolder();
        var config = TinyTraining.MambaConfig(20) with { Threads = 2 };
        using var straight = TrainingSession.Open(config, TinyTraining.Data(), straightFolder.Path, resume: false);
        straight.Train(20);
        using (var killed = TrainingSession.Open(config, TinyTraining.Data(), killedFolder.Path, resume: false))
            killed.Train(10);
        using var resumed = TrainingSession.Open(config, TinyTraining.Data(), killedFolder.Path, resume: true);
        resumed.Train(20);
        Assert.Equal(straight.Steps, resumed.Steps);
        var (a, b) = (straight.WeightsSnapshot(), resumed.WeightsSnapshot());
        foreach (var (name, w) in a)
            Assert.Equal(w, b[name]);
    }

    [Fact]
    public void TheSavedMambaGivesTheTrainingLogitsOnItsInferencePath()
    {
        using var folder = new TempFolder();
        using var session = TrainingSession.Open(TinyTraining.MambaConfig(10), TinyTraining.Data(), folder.Path, resume: false);
        session.Train(10);
        var modelFolder = Path.Combine(folder.Path, "model");
        session.SaveModel(modelFolder);
        using var loaded = HfModelFolder.Load(modelFolder);
        Assert.Equal("mamba", loaded.Spec.ModelType);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = randint(0, loaded.Spec.VocabSize, [2, 24], generator: new Generator(5)); // [batch, pos]
        loaded.train();
        var kernel = loaded.call(ids, null, 0); // [batch, pos, vocab]
        loaded.eval();
        var loop = loaded.call(ids, null, 0);
        var error = kernel.sub(loop).abs().max().item<float>();
        Assert.True(error <= 1e-4 * (1 + loop.abs().max().item<float>()), $"max |Δ logits| {error}");
    }
}
