// Everything that determines a training run's numbers: model shape, optimizer and schedule, batches, monitoring and
// checkpoint intervals, threads and seed. A resumed run must have the same configuration as the run it continues.
namespace TrajectoryLab.Torch.Training;

/// <summary>Shape of the model being trained: a Llama transformer (Touvron et al. 2023) or a Mamba-1 state-space model
/// (Gu &amp; Dao 2023).</summary>
/// <param name="Dim">d_model.</param>
/// <param name="Layers">Transformer or Mamba blocks.</param>
/// <param name="Heads">Query heads (d_head = Dim / Heads); Llama only.</param>
/// <param name="KvHeads">Key/value heads (grouped-query attention when below Heads); Llama only.</param>
/// <param name="Hidden">d_mlp of the SwiGLU layer; Llama only (Mamba's inner width is Expand · Dim).</param>
/// <param name="Context">Training window length in tokens (Llama's max_position_embeddings; Mamba has no position limit).</param>
/// <param name="TieEmbeddings">The output head reuses the embedding matrix.</param>
/// <param name="Architecture"><c>llama</c> or <c>mamba</c>.</param>
/// <param name="StateSize">Mamba's d_state, N.</param>
/// <param name="ConvKernel">Mamba's causal convolution width, d_conv.</param>
/// <param name="Expand">Mamba's d_inner / d_model.</param>
/// <param name="TimeStepRank">Mamba's dt_rank; 0 for ⌈Dim / 16⌉ (the paper's default).</param>
public sealed record ModelShape(
    int Dim,
    int Layers,
    int Heads,
    int KvHeads,
    int Hidden,
    int Context,
    bool TieEmbeddings,
    string Architecture = "llama",
    int StateSize = 16,
    int ConvKernel = 4,
    int Expand = 2,
    int TimeStepRank = 0
)
{
    /// <summary>Whether this is a Mamba model.</summary>
    public bool IsMamba => Architecture == "mamba";

    /// <summary>Mamba's dt_rank with the default resolved.</summary>
    public int ResolvedTimeStepRank => TimeStepRank > 0 ? TimeStepRank : (Dim + 15) / 16;
}

/// <summary>AdamW (Loshchilov &amp; Hutter 2019) with linear warm-up and cosine decay to a floor, and gradient clipping.</summary>
/// <param name="LearningRate">Peak learning rate, reached after <paramref name="WarmupSteps"/>.</param>
/// <param name="MinLearningRate">Floor the cosine decays to at the last step.</param>
/// <param name="WarmupSteps">Steps of linear warm-up from LearningRate / WarmupSteps.</param>
/// <param name="WeightDecay">Decoupled weight decay, applied to matrices only (not to norm weights).</param>
/// <param name="Beta1">First-moment decay.</param>
/// <param name="Beta2">Second-moment decay.</param>
/// <param name="Eps">Denominator epsilon.</param>
/// <param name="GradClip">Maximum global L2 norm of the gradient; 0 disables clipping.</param>
public sealed record OptimizerSettings(
    double LearningRate,
    double MinLearningRate,
    int WarmupSteps,
    double WeightDecay,
    double Beta1,
    double Beta2,
    double Eps,
    double GradClip
);

/// <summary>A training run.</summary>
/// <param name="Model">Model shape.</param>
/// <param name="Optimizer">Optimizer and schedule.</param>
/// <param name="Steps">Optimizer steps of the whole run (the schedule's length).</param>
/// <param name="BatchSize">Windows per step.</param>
/// <param name="MonitorEvery">Steps between entropy measurements (step 0 and the last step are always measured).</param>
/// <param name="MonitorBatch">Windows in each fixed monitoring batch (training and validation).</param>
/// <param name="HighEntropyQuantile">ρ of the batch-quantile threshold τ_ρ for high-entropy positions.</param>
/// <param name="CheckpointEvery">Steps between checkpoints (the last step is always checkpointed).</param>
/// <param name="KeepCheckpoints">Checkpoints kept on disk (older ones are deleted).</param>
/// <param name="AddK">k of the add-k smoothed unigram and bigram baselines.</param>
/// <param name="Threads">torch.set_num_threads; results are bit-identical for a given thread count.</param>
/// <param name="Seed">Seed of the initial weights, the batch sampler and the monitoring batches.</param>
/// <param name="Device">Where the model trains: <c>cpu</c> (default), <c>cuda</c> or <c>cuda:N</c>. Weights and AdamW moments stay
/// float32 on every device (the master weights of mixed-precision training; Micikevicius et al. 2018).</param>
/// <param name="EosFirst">Every window (training, monitoring, evaluation) begins with the end-of-text id as a BOS at
/// position 0 (<see cref="Windows.At"/>); false (default) reads windows at random offsets of the packed stream.</param>
public sealed record TrainingConfig(
    ModelShape Model,
    OptimizerSettings Optimizer,
    int Steps,
    int BatchSize,
    int MonitorEvery,
    int MonitorBatch,
    double HighEntropyQuantile,
    int CheckpointEvery,
    int KeepCheckpoints,
    double AddK,
    int Threads,
    int Seed,
    string Device = "cpu",
    bool EosFirst = false
);
