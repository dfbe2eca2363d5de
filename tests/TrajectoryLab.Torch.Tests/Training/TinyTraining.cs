// A tiny training configuration and corpus for the training tests: a 2-layer model on a few hundred bytes of
// English, trained for tens of steps in well under a second per step.
using TrajectoryLab.Torch.Training;

namespace TrajectoryLab.Torch.Tests.Training;

/// <summary>Training tests share the thread setting and the CPU; they run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrainingCollection
{
    public const string Name = "training";
}

internal static class TinyTraining
{
    public static TrainingConfig Config(int steps = 40) => new(
        Model: new ModelShape(Dim: 32, Layers: 2, Heads: 4, KvHeads: 2, Hidden: 64, Context: 32, TieEmbeddings: true),
        Optimizer: new OptimizerSettings(LearningRate: 1e-2, MinLearningRate: 1e-3, WarmupSteps: 5, WeightDecay: 0.1,
            Beta1: 0.9, Beta2: 0.95, Eps: 1e-8, GradClip: 1.0),
        Steps: steps, BatchSize: 8, MonitorEvery: 10, MonitorBatch: 4, HighEntropyQuantile: 0.8,
        CheckpointEvery: 10, KeepCheckpoints: 2, AddK: 0.5, Threads: 1, Seed: 11);

    /// <summary>The same run with a 2-layer Mamba (d_model 32, d_inner 64, d_state 8) in place of the Llama.</summary>
    public static TrainingConfig MambaConfig(int steps = 40) => Config(steps) with
    {
        Model = new ModelShape(Dim: 32, Layers: 2, Heads: 1, KvHeads: 1, Hidden: 0, Context: 32, TieEmbeddings: true,
            Architecture: "mamba", StateSize: 8, ConvKernel: 4, Expand: 2, TimeStepRank: 0),
    };

    static readonly string[] Sentences =
    [
        "The cat sat on the mat and the dog sat on the log.",
        "A quick brown fox jumps over the lazy dog near the river bank.",
        "She sells sea shells by the sea shore every summer morning.",
        "The jury said the election was conducted with care and the city was praised.",
        "It was a bright cold day in April and the clocks were striking thirteen.",
        "The rain in Spain stays mainly in the plain, the teacher said again.",
    ];

    /// <summary>Training and validation streams of a 300-id BPE learned from the training documents: different documents
    /// from the same sentences. The tokenizer is trained once into a folder shared by the tests (training is deterministic).</summary>
    public static TrainingData Data()
    {
        var docs = Enumerable.Range(0, 12)
            .Select(d => string.Join(" ", Enumerable.Range(0, 6).Select(i => Sentences[(d * 5 + i * 7) % Sentences.Length])))
            .ToArray();
        return TrainingData.Encode(TrainingTokenizer.TrainOrLoad(docs[..10], 300, TokenizerFolder.Value), docs[..10], docs[10..]);
    }

    private static readonly Lazy<string> TokenizerFolder = new(() => Directory.CreateTempSubdirectory("tlab-tiny-tokenizer-").FullName);
}
