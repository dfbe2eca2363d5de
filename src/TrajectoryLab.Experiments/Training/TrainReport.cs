// The report of train-lm: the data and the model, validation perplexity against the n-gram baselines, the curves of
// loss and entropy over the steps (TrainingFigures), the continuations, and the steps, monitor and perplexity tables,
// all from the saved result (no model is loaded).
using System.Globalization;
using TrajectoryLab.Reporting.Reports;
using TrajectoryLab.Torch.Training;

namespace TrajectoryLab.Experiments.Training;

/// <summary>One optimizer step (a row of steps.csv).</summary>
public sealed record StepRow(int Step, double LearningRate, double Loss, double GradNorm);

/// <summary>The entropy statistics of one probe batch at one step (a row of monitor.csv), in nats.</summary>
public sealed record MonitorRow(
    int Step,
    string Split,
    double Loss,
    double Perplexity,
    double MeanEntropy,
    [property: Column("entropy_p50")] double EntropyP50,
    [property: Column("entropy_p90")] double EntropyP90,
    double Excess,
    double HighEntropyThreshold,
    double HighEntropyFraction,
    double HighEntropyLossShare,
    double FirstPositionEntropy,
    double LaterPositionEntropy
)
{
    /// <summary>The row of <paramref name="e"/>, measured on <paramref name="split"/> at <paramref name="step"/>.</summary>
    public static MonitorRow Of(int step, string split, EntropyMeasurement e) =>
        new(
            step,
            split,
            e.Loss,
            e.Perplexity,
            e.MeanEntropy,
            e.EntropyP50,
            e.EntropyP90,
            e.Excess,
            e.HighEntropyThreshold,
            e.HighEntropyFraction,
            e.HighEntropyLossShare,
            e.FirstPositionEntropy,
            e.LaterPositionEntropy
        );
}

/// <summary>One scorer's validation perplexity (a row of perplexity.csv).</summary>
public sealed record PerplexityRow(string Model, long Tokens, double Perplexity);

/// <summary>Renders a <see cref="TrainResult"/>.</summary>
public static class TrainReport
{
    /// <summary>Writes the tables, figures, sections and headlines of <paramref name="result"/>.</summary>
    public static void Render(TrainOptions o, TrainResult result, RunContext run)
    {
        var ppl = result.Perplexity;
        var data = result.Data;
        WriteTables(result, run);
        var msPerStep = result.SessionSteps > 0 ? 1000 * result.TrainSeconds / result.SessionSteps : double.NaN;
        var last = result.Monitor[^1];
        run.Headline("validation perplexity (model)", ppl.Model);
        run.Headline("validation perplexity (bigram)", ppl.Bigram);
        run.Headline("validation perplexity (unigram)", ppl.Unigram);
        run.Headline("validation loss (nats/token)", Math.Log(ppl.Model));
        run.Headline("mean token entropy, validation (nats)", last.Validation.MeanEntropy);
        run.Headline("steps", result.Step);
        run.Headline("ms per step", msPerStep, "not measured: no step was run (the checkpoint had reached the last step)");

        var report = run.Report;
        report.Lead(
            string.Create(
                CultureInfo.InvariantCulture,
                $"{Describe(o.Model)}; {result.Parameters:N0} parameters) "
                    + $"trained for {o.Steps} steps of {o.BatchSize} × {o.Model.Context} tokens on {data.Corpus}, "
                    + $"byte-level BPE tokens learned from the training split (vocabulary {data.Vocabulary}). "
                    + $"AdamW (β = {o.Optimizer.Beta1}, {o.Optimizer.Beta2}; weight decay {o.Optimizer.WeightDecay} on matrices), "
                    + $"{o.Optimizer.WarmupSteps} warm-up steps to {o.Optimizer.LearningRate}, "
                    + $"cosine decay to {o.Optimizer.MinLearningRate}, gradients clipped at norm {o.Optimizer.GradClip}. "
                    + $"Entropy is measured every {o.Monitor.Every} steps on fixed batches of {o.Monitor.Batch} training "
                    + $"and {o.Monitor.Batch} validation windows."
            )
        );
        report.Section("Data");
        report.Numbers([
            new KeyValue("documents (train / validation)", $"{data.TrainDocuments} / {data.ValidationDocuments}"),
            KeyValue.Of("words", data.Words),
            KeyValue.Of("characters", data.Characters),
            new KeyValue("tokens (train / validation)", $"{data.TrainTokens} / {data.ValidationTokens}"),
            new KeyValue(
                "tokenizer",
                $"byte-level BPE, {data.Vocabulary} ids (target {o.Tokenizer.VocabSize}), <|endoftext|> between documents"
            ),
        ]);
        if (result.Step < o.Steps)
            report.Paragraph(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"Paused after step {result.Step} of {o.Steps} (stopAfter); continue with --set resume={result.WorkFolder}."
                )
            );
        if (result.ResumedFrom is { } from)
            report.Paragraph(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"Resumed from the checkpoint at step {from} in {result.WorkFolder}; the curves include the steps before it, and the "
                        + $"checkpoints stay there."
                )
            );

        report.Section(
            "Validation perplexity against n-gram baselines",
            string.Create(
                CultureInfo.InvariantCulture,
                $"All three score the same {ppl.Tokens:N0} validation targets (consecutive windows of {o.Model.Context} tokens); "
                    + $"the baselines are add-k smoothed (k = {o.AddK}) on the training tokens."
            )
        );
        report.Numbers([
            KeyValue.Of("model", ppl.Model),
            KeyValue.Of("bigram", ppl.Bigram),
            KeyValue.Of("unigram", ppl.Unigram),
            new KeyValue("model below bigram", ppl.Model < ppl.Bigram ? "yes" : "no"),
        ]);
        foreach (var figure in TrainingFigures.All(result, o.Monitor.HighEntropyQuantile))
            report.Figure(run.Figure(figure.Figure), figure.Caption);

        if (result.Samples.Count > 0)
        {
            report.Section(
                "Continuations",
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"Up to {o.Samples.Tokens} tokens after each prompt: greedy, then sampled at T = {o.Samples.Temperature}."
                )
            );
            foreach (var s in result.Samples)
                report.Add(new Preformatted($"prompt:  {s.Prompt}\ngreedy:  {s.Prompt}{s.Greedy}\nsampled: {s.Prompt}{s.Sampled}"));
        }
    }

    /// <summary>"A 6-layer Llama (d_model 256, 8 heads, SwiGLU 768, context 256" or the Mamba equivalent; the caller closes
    /// the parenthesis.</summary>
    static string Describe(ModelOptions m) =>
        m.Architecture == "mamba"
            ? string.Create(
                CultureInfo.InvariantCulture,
                $"A {m.Layers}-layer Mamba-1 (d_model {m.Dim}, d_inner {m.Expand * m.Dim}, d_state {m.StateSize}, d_conv {m.ConvKernel}, "
                    + $"trained on windows of {m.Context}"
            )
            : string.Create(
                CultureInfo.InvariantCulture,
                $"A {m.Layers}-layer Llama (d_model {m.Dim}, {m.Heads} heads, SwiGLU {m.Hidden}, context {m.Context}"
            );

    static void WriteTables(TrainResult result, RunContext run)
    {
        run.Table("steps", result.Steps.Select(s => new StepRow(s.Step, s.LearningRate, s.Loss, s.GradNorm)));
        run.Table(
            "monitor",
            result.Monitor.SelectMany(m =>
                new[] { MonitorRow.Of(m.Step, "train", m.Train), MonitorRow.Of(m.Step, "validation", m.Validation) }
            )
        );
        var ppl = result.Perplexity;
        run.Table(
            "perplexity",
            [
                new PerplexityRow("model", ppl.Tokens, ppl.Model),
                new PerplexityRow("bigram", ppl.Tokens, ppl.Bigram),
                new PerplexityRow("unigram", ppl.Tokens, ppl.Unigram),
            ]
        );
    }
}
