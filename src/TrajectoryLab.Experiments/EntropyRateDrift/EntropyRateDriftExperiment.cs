// entropy-rate-drift: Braverman et al.'s entropy rate amplification and its lookahead calibration. (1) The held-out
// cross-entropy of the model (and its random-init twin) on Brown validation text. (2) Pure ancestral samples (T = 1) of
// lengthFactor × the training context from the openings of those texts, batched in one session: the entropy rate of the
// model on its own samples (mean −ln p̂(x_t), and the mean entropy H_t, which has the same expectation) by length bucket,
// against the held-out cross-entropy. (3) The one-parameter calibration p̂_α ∝ p̂ · exp(−α Ĥ), Ĥ the lookahead entropy of
// the k most probable tokens (LookaheadDecoding, LookaheadCalibration), α fitted on the held-out texts, and generations
// from p̂_α* with their entropy rate and loop fraction. EntropyRateDriftReport renders.
// References: Braverman, Chen, Kakade, Narasimhan, Zhang & Zhang (2020), "Calibration, Entropy Rates, and Memory in
// Language Models", ICML, PMLR 119 (arXiv:1906.05664); Holtzman et al. (2020), ICLR (degeneration, loops).
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Experiments.Shared;
using TrajectoryLab.Torch.Generation;

namespace TrajectoryLab.Experiments.EntropyRateDrift;

/// <summary>Measures held-out cross-entropy, the entropy rate of generations by length, and the lookahead calibration.</summary>
/// <param name="paths">The project paths (model, corpus).</param>
public sealed class EntropyRateDriftExperiment(ProjectPaths paths) : Experiment<EntropyRateDriftOptions, EntropyRateDriftResult>
{
    /// <summary>Label of pure ancestral sampling from p̂.</summary>
    public const string Ancestral = "ancestral";

    /// <summary>Label of sampling from the calibrated p̂_α*.</summary>
    public const string Calibrated = "calibrated";

    /// <inheritdoc/>
    public override string Kind => "entropy-rate-drift";

    /// <inheritdoc/>
    public override EntropyRateDriftResult Measure(EntropyRateDriftOptions o, IMeasureContext run)
    {
        using var loaded = run.Phase("load", () => ModelPair.Load(o.Model, paths));
        var (models, tokenizer, folder) = loaded;
        var context = o.Context > 0 ? o.Context : models[0].Model.Spec.MaxPositionEmbeddings;
        var length = o.Generated(context);
        var loadedTexts = run.Phase("texts", () => TextSource.Load(o.Text, tokenizer, paths));
        var common = loadedTexts.Count == 0 ? 0 : loadedTexts.Min(t => t.Tokens.Length);
        if (loadedTexts.Count < o.Prompts || common <= o.PromptTokens)
            throw new ArgumentException(
                $"text: {loadedTexts.Count} texts of at least {common} tokens; need {o.Prompts} longer than promptTokens ({o.PromptTokens})"
            );
        int[][] texts = [.. loadedTexts.Select(t => t.Tokens[..common])]; // one length, so that they share a batch
        int[][] prompts = [.. texts.Take(o.Prompts).Select(t => t[..o.PromptTokens])];
        var sampled = Enumerable.Range(0, o.Prompts * o.Samples).Select(i => i / o.Samples).ToArray(); // prompt of each sample

        var heldOut = new List<HeldOutReading>();
        var generations = new List<GenerationReading>();
        CalibrationReading? calibration = null;
        foreach (var m in models)
        {
            var trained = m.Label == "trained";
            var k = trained ? o.TopK : 0;
            var positions = run.Phase($"held-out ({m.Label})", () =>
            {
                using var progress = run.Progress($"held-out positions ({m.Label})", common - 1);
                return LookaheadDecoding.TeacherForced(m.Model, texts, k, run.Cancellation, () => progress.Advance());
            });
            double[] perText = [.. positions.Select(p => LookaheadCalibration.CrossEntropy(p, 0))];
            var all = positions.SelectMany(p => p).ToList();
            heldOut.Add(new HeldOutReading(m.Label, texts.Length, all.Count, LookaheadCalibration.CrossEntropy(all, 0), perText));

            var ancestral = run.Phase($"ancestral ({m.Label})", () =>
            {
                using var progress = run.Progress($"sampled steps ({m.Label})", length);
                return LookaheadDecoding.Ancestral(m.Model, [.. sampled.Select(p => prompts[p])], length, o.Seed, run.Cancellation, () =>
                    progress.Advance()
                );
            });
            generations.AddRange(ancestral.Select((g, i) => Reading(m.Label, Ancestral, i, sampled[i], g, o.LoopRepeats)));
            if (!trained)
                continue;

            var fit = run.Phase("fit α", () => LookaheadCalibration.Fit(all, o.Alphas));
            if (!(fit.CrossEntropy <= fit.Uncalibrated))
                throw new InvalidOperationException(
                    $"CE(α* = {fit.Alpha}) = {fit.CrossEntropy} exceeds CE(0) = {fit.Uncalibrated}: the grid must hold 0"
                );
            calibration = Calibration(o.TopK, fit, all);
            if (o.CalibratedGenerations == 0)
                continue;
            var calibratedPrompts = Enumerable.Range(0, o.CalibratedGenerations).Select(g => g % o.Prompts).ToArray();
            var calibrated = run.Phase("calibrated", () =>
            {
                using var progress = run.Progress("calibrated steps", length);
                return LookaheadDecoding.Calibrated(
                    m.Model,
                    [.. calibratedPrompts.Select(p => prompts[p])],
                    length,
                    o.TopK,
                    fit.Alpha,
                    o.Seed,
                    run.Cancellation,
                    () => progress.Advance()
                );
            });
            generations.AddRange(calibrated.Select((g, i) => Reading(m.Label, Calibrated, i, calibratedPrompts[i], g, o.LoopRepeats)));
        }
        return new EntropyRateDriftResult(
            ModelFacts.Of(o.Model.Name, folder, models[0].Model),
            [.. models.Select(m => m.Label)],
            context,
            length,
            heldOut,
            generations,
            calibration!
        );
    }

    /// <inheritdoc/>
    public override void Report(EntropyRateDriftOptions o, EntropyRateDriftResult result, RunContext run) =>
        EntropyRateDriftReport.Render(o, result, run);

    private static GenerationReading Reading(string model, string sampler, int index, int prompt, SampledTrajectory g, int repeats)
    {
        var cycle = CycleDetector.Detect(g.Tokens, repeats);
        return new GenerationReading(
            model,
            sampler,
            index,
            prompt,
            g.Tokens,
            g.Surprisal,
            g.Entropy,
            g.ModelSurprisal,
            g.ModelEntropy,
            cycle.IsLoop,
            cycle.IsLoop ? cycle.Period : 0,
            cycle.IsLoop ? cycle.Onset : -1,
            RepetitionMetrics.EndsInRepetition(g.Tokens, 2, repeats)
        );
    }

    /// <summary>The fit with the candidates' coverage and the two sides of its first-order condition at α = 0.</summary>
    private static CalibrationReading Calibration(int k, AlphaFit fit, IReadOnlyList<LookaheadPosition> positions)
    {
        double mass = 0,
            inside = 0,
            text = 0,
            own = 0;
        foreach (var x in positions)
        {
            var mean = LookaheadCalibration.TailEntropy(x.LookaheadEntropies);
            for (var j = 0; j < x.CandidateLogProbs.Length; j++)
            {
                var p = Math.Exp(x.CandidateLogProbs[j]);
                mass += p;
                own += p * (x.LookaheadEntropies[j] - mean);
            }
            if (x.Target >= 0)
            {
                inside++;
                text += x.LookaheadEntropies[x.Target] - mean;
            }
        }
        var n = positions.Count;
        return new CalibrationReading(
            k,
            fit.Grid,
            fit.CrossEntropies,
            fit.Alpha,
            fit.CrossEntropy,
            fit.Uncalibrated,
            fit.AtGridEdge,
            mass / n,
            inside / n,
            text / n,
            own / n
        );
    }
}
