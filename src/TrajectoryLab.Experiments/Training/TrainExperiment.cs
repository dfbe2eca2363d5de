// train-lm: trains a Llama-architecture model (Touvron et al. 2023) on a corpus (the Brown corpus, Francis & Kučera
// 1964/1979, by default) with AdamW (Loshchilov & Hutter 2019), watching next-token entropy fall on fixed training and
// validation batches; writes an HF model folder, the curves, and validation perplexity against unigram and bigram
// baselines on the same windows. `--set resume=<run folder>` continues a killed or paused (stopAfter) run from its newest
// checkpoint in that folder; the new run folder gets the report and the model.
using System.Globalization;
using TrajectoryLab.Experiments;
using TrajectoryLab.Core.Corpus;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Sampling;
using TrajectoryLab.Torch.Tokenizers;
using TrajectoryLab.Torch.Training;

namespace TrajectoryLab.Experiments.Training;

/// <summary>Trains a small language model and reports how its entropy evolved.</summary>
public sealed class TrainExperiment(ProjectPaths paths) : Experiment<TrainOptions>
{
    public override string Kind => "train-lm";

    protected override void Run(TrainOptions o, RunContext run)
    {
        var corpus = run.Phase("corpus", () => CorpusSource.Load(o.Corpus.Source, paths.Root));
        var split = DocumentSplit.ByDocument(corpus, o.Corpus.ValidationFraction, o.Seed);
        var resume = o.Resume.Length > 0;
        var workFolder = resume ? Path.GetFullPath(o.Resume) : run.Folder;
        var tokenizer = run.Phase("tokenizer", () => TrainingTokenizer.TrainOrLoad(split.Train.Select(d => d.Text), o.Tokenizer.VocabSize, Path.Combine(workFolder, "tokenizer")));
        var data = run.Phase("tokenize", () => TrainingData.Encode(tokenizer, split.Train.Select(d => d.Text), split.Validation.Select(d => d.Text)));
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
            return o.Samples.Prompts.Select((p, i) => (Prompt: p,
                Greedy: Continue(p, SamplerOptions.Greedy, i),
                Sampled: Continue(p, new SamplerOptions { Temperature = o.Samples.Temperature }, i))).ToList();
        });

        WriteTables(session, ppl, run);
        var sessionSteps = session.Step - startStep;
        var msPerStep = sessionSteps > 0 ? 1000 * trainSeconds / sessionSteps : double.NaN;
        var last = session.Monitor[^1];
        run.Headline("validation perplexity (model)", ppl.Model);
        run.Headline("validation perplexity (bigram)", ppl.Bigram);
        run.Headline("validation perplexity (unigram)", ppl.Unigram);
        run.Headline("validation loss (nats/token)", Math.Log(ppl.Model));
        run.Headline("mean token entropy, validation (nats)", last.Validation.MeanEntropy);
        run.Headline("steps", session.Step);
        run.Headline("ms per step", msPerStep, "not measured: no step was run (the checkpoint had reached the last step)");

        var report = run.Report;
        report.Lead(string.Create(CultureInfo.InvariantCulture,
            $"A {o.Model.Layers}-layer Llama (d_model {o.Model.Dim}, {o.Model.Heads} heads, SwiGLU {o.Model.Hidden}, context {o.Model.Context}; " +
            $"{session.ParameterCount:N0} parameters) trained for {o.Steps} steps of {o.BatchSize} × {o.Model.Context} tokens on {corpus.Name}, " +
            $"byte-level BPE tokens learned from the training split (vocabulary {data.Tokenizer.Tokenizer.VocabularySize}). AdamW (β = {o.Optimizer.Beta1}, {o.Optimizer.Beta2}; weight decay " +
            $"{o.Optimizer.WeightDecay} on matrices), {o.Optimizer.WarmupSteps} warm-up steps to {o.Optimizer.LearningRate}, cosine decay to " +
            $"{o.Optimizer.MinLearningRate}, gradients clipped at norm {o.Optimizer.GradClip}. Entropy is measured every {o.Monitor.Every} steps " +
            $"on fixed batches of {o.Monitor.Batch} training and {o.Monitor.Batch} validation windows."));
        report.Section("Data");
        report.Numbers(
        [
            new KeyValue("documents (train / validation)", $"{split.Train.Count} / {split.Validation.Count}"),
            KeyValue.Of("words", corpus.Words),
            KeyValue.Of("characters", corpus.Characters),
            new KeyValue("tokens (train / validation)", $"{data.Train.Length} / {data.Validation.Length}"),
            new KeyValue("tokenizer", $"byte-level BPE, {data.Tokenizer.Tokenizer.VocabularySize} ids (target {o.Tokenizer.VocabSize}), <|endoftext|> between documents"),
        ]);
        if (session.Step < o.Steps)
            report.Paragraph(string.Create(CultureInfo.InvariantCulture,
                $"Paused after step {session.Step} of {o.Steps} (stopAfter); continue with --set resume={workFolder}."));
        if (session.ResumedFrom is { } from)
            report.Paragraph(string.Create(CultureInfo.InvariantCulture,
                $"Resumed from the checkpoint at step {from} in {workFolder}; the curves include the steps before it, and the checkpoints stay there."));

        report.Section("Validation perplexity against n-gram baselines",
            string.Create(CultureInfo.InvariantCulture, $"All three score the same {ppl.Tokens:N0} validation targets (consecutive windows of " +
            $"{o.Model.Context} tokens); the baselines are add-k smoothed (k = {o.AddK}) on the training tokens."));
        report.Numbers(
        [
            KeyValue.Of("model", ppl.Model),
            KeyValue.Of("bigram", ppl.Bigram),
            KeyValue.Of("unigram", ppl.Unigram),
            new KeyValue("model below bigram", ppl.Model < ppl.Bigram ? "yes" : "no"),
        ]);
        foreach (var figure in TrainingFigures.All(session, o.Monitor.HighEntropyQuantile))
            report.Figure(run.Figure(figure.Figure), figure.Caption);

        if (samples.Count > 0)
        {
            report.Section("Continuations", string.Create(CultureInfo.InvariantCulture,
                $"Up to {o.Samples.Tokens} tokens after each prompt: greedy, then sampled at T = {o.Samples.Temperature}."));
            foreach (var (prompt, greedy, sampled) in samples)
                report.Add(new Preformatted($"prompt:  {prompt}\ngreedy:  {prompt}{greedy}\nsampled: {prompt}{sampled}"));
        }
    }

    static void WriteTables(TrainingSession session, PerplexityComparison ppl, RunContext run)
    {
        run.Table("steps", ["step", "learning_rate", "loss", "grad_norm"],
            session.Steps.Select(s => new object[] { s.Step, s.LearningRate, s.Loss, s.GradNorm }));
        string[] metrics = ["loss", "perplexity", "mean_entropy", "entropy_p50", "entropy_p90", "excess", "high_entropy_threshold",
            "high_entropy_fraction", "high_entropy_loss_share", "first_position_entropy", "later_position_entropy"];
        run.Table("monitor", ["step", "split", .. metrics], session.Monitor.SelectMany(m => new[]
        {
            Row(m.Step, "train", m.Train),
            Row(m.Step, "validation", m.Validation),
        }));
        run.Table("perplexity", ["model", "tokens", "perplexity"],
        [
            ["model", ppl.Tokens, ppl.Model], ["bigram", ppl.Tokens, ppl.Bigram], ["unigram", ppl.Tokens, ppl.Unigram],
        ]);
    }

    static object[] Row(int step, string split, EntropyMeasurement e) =>
    [
        step, split, e.Loss, e.Perplexity, e.MeanEntropy, e.EntropyP50, e.EntropyP90, e.Excess, e.HighEntropyThreshold,
        e.HighEntropyFraction, e.HighEntropyLossShare, e.FirstPositionEntropy, e.LaterPositionEntropy,
    ];
}
