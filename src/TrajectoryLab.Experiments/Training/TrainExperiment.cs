// train-lm: trains a Llama transformer (Touvron et al. 2023) or a Mamba-1 (Gu & Dao 2023) on a corpus (the Brown
// corpus, Francis & Kučera 1964/1979, by default) with AdamW (Loshchilov & Hutter 2019), watching next-token entropy
// fall on fixed training and validation batches; writes an HF model folder (and checkpoints) into the run folder as it
// trains, evaluates validation perplexity against unigram and bigram baselines on the same windows, and continues
// prompts with the saved model.
// TrainReport renders the curves. `--set resume=<run folder>` continues a killed or paused (stopAfter) run from its newest
// checkpoint in that folder; the new run folder gets the report and the model.
using TrajectoryLab.Core.Corpus;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Sampling;
using TrajectoryLab.Torch.Tokenizers;
using TrajectoryLab.Torch.Training;

namespace TrajectoryLab.Experiments.Training;

/// <summary>Trains a small language model and records how its entropy evolved.</summary>
public sealed class TrainExperiment(ProjectPaths paths) : Experiment<TrainOptions, TrainResult>
{
    /// <inheritdoc/>
    public override string Kind => "train-lm";

    /// <inheritdoc/>
    public override TrainResult Measure(TrainOptions o, IMeasureContext run)
    {
        var corpus = run.Phase("corpus", () => CorpusSource.Load(o.Corpus.Source, paths.Root));
        var split = DocumentSplit.ByDocument(corpus, o.Corpus.ValidationFraction, o.Seed);
        var resume = o.Resume.Length > 0;
        var workFolder = resume ? Path.GetFullPath(o.Resume) : run.Folder;
        var tokenizer = run.Phase("tokenizer", () =>
            TrainingTokenizer.TrainOrLoad(split.Train.Select(d => d.Text), o.Tokenizer.VocabSize, Path.Combine(workFolder, "tokenizer"))
        );
        var data = run.Phase("tokenize", () =>
            TrainingData.Encode(tokenizer, split.Train.Select(d => d.Text), split.Validation.Select(d => d.Text))
        );
        using var session = TrainingSession.Open(o.ToTrainingConfig(), data, workFolder, resume);
        var startStep = session.Step;
        var trainSeconds = run.Phase("train", () =>
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var until = o.StopAfter > 0 ? Math.Min(o.StopAfter, o.Steps) : o.Steps;
            using var progress = run.Progress("training steps", Math.Max(0, until - startStep));
            session.Train(until, run.Cancellation, _ => progress.Advance());
            return clock.Elapsed.TotalSeconds;
        });
        run.Phase("save model", () => session.SaveModel(Path.Combine(run.Folder, "model")));
        var ppl = run.Phase("evaluate", () => session.EvaluateValidation(o.EvaluationTokens));
        // Continuations come from the saved model folder through the shared generation API, as any later experiment loads it.
        var samples = run.Phase("continuations", () =>
        {
            var modelFolder = Path.Combine(run.Folder, "model");
            using var lm = LanguageModel.Load(modelFolder, new TrajectoryLab.Torch.Generation.ModelOptions { Device = o.Device });
            var tokenizer = HfTokenizer.Load(modelFolder);
            string Continue(string prompt, SamplerOptions sampler, int stream) =>
                Continuation.Generate(lm, tokenizer, prompt, sampler, o.Samples.Tokens, o.Seed, stream, run.Cancellation).Text(tokenizer);
            return o
                .Samples.Prompts.Select(
                    (p, i) =>
                        new TrainSample(
                            p,
                            Continue(p, SamplerOptions.Greedy, i),
                            Continue(p, new SamplerOptions { Temperature = o.Samples.Temperature }, i)
                        )
                )
                .ToList();
        });

        var facts = new TrainingDataFacts(
            corpus.Name,
            corpus.Words,
            corpus.Characters,
            split.Train.Count,
            split.Validation.Count,
            data.Train.Length,
            data.Validation.Length,
            data.Tokenizer.Tokenizer.VocabularySize
        );
        var (unigram, bigram) = session.ProbeBaselines;
        return new TrainResult(
            facts,
            session.ParameterCount,
            session.Step,
            session.ResumedFrom,
            workFolder,
            trainSeconds,
            session.Step - startStep,
            [.. session.Steps],
            [.. session.Monitor],
            [.. session.EntropySnapshots.OrderBy(s => s.Key).Select(s => new EntropySnapshot(s.Key, s.Value))],
            unigram,
            bigram,
            ppl,
            samples
        );
    }

    /// <inheritdoc/>
    public override void Report(TrainOptions o, TrainResult result, RunContext run) => TrainReport.Render(o, result, run);
}
