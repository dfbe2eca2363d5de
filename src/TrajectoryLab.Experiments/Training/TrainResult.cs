// What train-lm measured: the corpus and its split, the tokens and tokenizer, the model's size, every optimizer step,
// every monitor point (entropy statistics on fixed training and validation batches), the per-token entropy snapshots,
// the probe and final n-gram baselines, the final validation perplexity, wall time and the continuations of the saved
// model. The model folder and the checkpoints are artefacts written into the run (or resumed) folder as it trains.
using TrajectoryLab.Torch.Training;

namespace TrajectoryLab.Experiments.Training;

/// <summary>A training run.</summary>
/// <param name="Data">The corpus, its split and its tokens.</param>
/// <param name="Parameters">Trainable weights of the model.</param>
/// <param name="Step">Optimizer steps taken by the end of this run (below the options' steps when paused by stopAfter).</param>
/// <param name="ResumedFrom">The checkpoint step this run resumed from, or null for a fresh start.</param>
/// <param name="WorkFolder">The folder holding the tokenizer and checkpoints (the resumed run's folder, or this run's).</param>
/// <param name="TrainSeconds">Wall time of this run's training steps, s.</param>
/// <param name="SessionSteps">Optimizer steps taken in this run (after the checkpoint when resumed).</param>
/// <param name="Steps">Every optimizer step, the ones before a resumed checkpoint included.</param>
/// <param name="Monitor">Every monitor point.</param>
/// <param name="Snapshots">Per-position entropies on the validation probe at a few steps, by step.</param>
/// <param name="ProbeUnigramPerplexity">Unigram perplexity on the fixed validation monitoring batch.</param>
/// <param name="ProbeBigramPerplexity">Bigram perplexity on the same batch.</param>
/// <param name="Perplexity">Validation perplexity of the model and the baselines on the same targets at the end.</param>
/// <param name="Samples">Continuations of the options' prompts by the saved model.</param>
public sealed record TrainResult(
    TrainingDataFacts Data,
    long Parameters,
    int Step,
    int? ResumedFrom,
    string WorkFolder,
    double TrainSeconds,
    int SessionSteps,
    IReadOnlyList<StepRecord> Steps,
    IReadOnlyList<MonitorPoint> Monitor,
    IReadOnlyList<EntropySnapshot> Snapshots,
    double ProbeUnigramPerplexity,
    double ProbeBigramPerplexity,
    PerplexityComparison Perplexity,
    IReadOnlyList<TrainSample> Samples
);

/// <summary>The corpus, its split by document and its tokens.</summary>
/// <param name="Corpus">The corpus's name.</param>
/// <param name="Words">Words in the whole corpus.</param>
/// <param name="Characters">Characters in the whole corpus.</param>
/// <param name="TrainDocuments">Documents in the training split.</param>
/// <param name="ValidationDocuments">Documents in the validation split.</param>
/// <param name="TrainTokens">Tokens of the training split.</param>
/// <param name="ValidationTokens">Tokens of the validation split.</param>
/// <param name="Vocabulary">Ids of the trained tokenizer.</param>
public sealed record TrainingDataFacts(
    string Corpus,
    long Words,
    long Characters,
    int TrainDocuments,
    int ValidationDocuments,
    int TrainTokens,
    int ValidationTokens,
    int Vocabulary
);

/// <summary>The entropies H_t (nats) of every position of the validation probe at one step.</summary>
/// <param name="Step">Optimizer steps before the measurement.</param>
/// <param name="Entropies">[batch · length] H_t, row-major.</param>
public sealed record EntropySnapshot(int Step, double[] Entropies);

/// <summary>One prompt's continuations.</summary>
/// <param name="Prompt">The prompt.</param>
/// <param name="Greedy">Its greedy continuation (the text after the prompt).</param>
/// <param name="Sampled">Its continuation sampled at the options' temperature.</param>
public sealed record TrainSample(string Prompt, string Greedy, string Sampled);
