// repetition-attractors: where generation falls into loops and how firmly it is held there. (a) A batched sweep over
// prompts × decoding strategies × temperatures: the fraction of generations that end in a loop, period and onset,
// seq-rep-4, Holtzman's repetition %, the entropy early-warning lead time, and a basin map. (b) Self-reinforcement: the
// probability of repeating a sentence once more after n copies in the context. (c) Recurrence plots and RQA of top-residual
// trajectories. (d) The smallest residual perturbation, per layer, that escapes a greedy loop. Trained vs random init.
// The measurement drives the models (and quantifies the recurrence of the hidden states it does not keep);
// RepetitionAttractorsReport renders.
// References: Holtzman et al. (2020), ICLR ("The Curious Case of Neural Text Degeneration"); Xu et al. (2022), NeurIPS
// ("Learning to Break the Loop"); Welleck et al. (2020), ICLR (seq-rep-n); Marwan et al. (2007), Phys. Rep. 438:237 (RQA);
// Scheffer et al. (2009), Nature 461:53 (early-warning signals).
using static TrajectoryLab.Experiments.RepetitionAttractors.RepetitionAttractorsMeasures;

namespace TrajectoryLab.Experiments.RepetitionAttractors;

/// <summary>Runs the loop sweep, the self-reinforcement test, the recurrence analysis and the escape search.</summary>
/// <param name="paths">The project paths (to find the model).</param>
public sealed class RepetitionAttractorsExperiment(ProjectPaths paths) : Experiment<RepetitionAttractorsOptions, RepetitionAttractorsResult>
{
    /// <inheritdoc/>
    public override string Kind => "repetition-attractors";

    /// <inheritdoc/>
    public override RepetitionAttractorsResult Measure(RepetitionAttractorsOptions o, IMeasureContext run)
    {
        using var loaded = run.Phase("load", () => ModelPair.Load(o.Model, paths)); // the models are freed when Measure returns
        var (models, tokenizer, folder) = loaded;
        var spec = models[0].Model.Spec;
        if (o.EscapeLayers.Any(l => l > spec.NumLayers))
            throw new InvalidOperationException($"escapeLayers must lie in 0 … {spec.NumLayers} (the model has {spec.NumLayers} blocks)");
        var prompts = PromptSource.Of(o.Prompts, o.PromptIds, tokenizer);
        var labels = models.Select(m => m.Label).ToArray();

        var generations = run.Phase("sweep", () => models.SelectMany(m => Sweep(m.Label, m.Model, prompts, o, run.Cancellation)).ToList());
        var reinforcement = run.Phase("self-reinforcement", () =>
            models
                .SelectMany(m => o.Sentences.Select((text, i) => SelfReinforcement(m.Label, m.Model, tokenizer, i, text, o.Repetitions)))
                .ToList()
        );
        var escapes = run.Phase("escape", () =>
            o.EscapeLayers.Length == 0
                ? []
                : models
                    .SelectMany(m =>
                        generations
                            .Where(g => g.Model == m.Label && g.Strategy == "greedy" && g.Cycle.IsLoop)
                            .Take(o.EscapeLoops)
                            .SelectMany((g, i) => RepetitionAttractorsEscape.Search(m.Model, g, i, o, run.Cancellation))
                    )
                    .ToList()
        );
        var (recurrences, examples) = run.Phase("recurrence", () =>
        {
            var chosen = RecurrenceExamples(generations, labels);
            var plots = new Dictionary<int, bool[][]>(); // generation index → [Steps][Steps] R_ij, only for the examples
            var measured = generations
                .Select(
                    (g, i) =>
                    {
                        run.Cancellation.ThrowIfCancellationRequested();
                        var (plot, rqa, threshold) = Recurrence(g.States, o.RecurrenceQuantile);
                        if (chosen.Any(c => c.Index == i))
                            plots[i] = Rows(plot);
                        return (Threshold: threshold, Rqa: rqa);
                    }
                )
                .ToArray();
            return (measured, chosen.Select(c => new RecurrenceExample(c.Model, c.Kind, c.Index, plots[c.Index])).ToList());
        });

        var sweep = generations
            .Select(
                (g, i) =>
                    new SweepGeneration(
                        g.Model,
                        g.Prompt,
                        g.Strategy,
                        g.Temperature,
                        g.Tokens,
                        [.. g.Tokens.Select(tokenizer.TokenText)],
                        tokenizer.Decode(g.Tokens),
                        g.Entropy,
                        g.Cycle,
                        recurrences[i].Threshold,
                        recurrences[i].Rqa
                    )
            )
            .ToList();
        return new RepetitionAttractorsResult(
            ModelFacts.Of(o.Model.Name, folder, models[0].Model),
            labels,
            prompts.Length,
            sweep,
            reinforcement,
            examples,
            escapes
        );
    }

    /// <inheritdoc/>
    public override void Report(RepetitionAttractorsOptions o, RepetitionAttractorsResult result, RunContext run) =>
        RepetitionAttractorsReport.Render(o, result, run);
}
