// lyapunov-teacher-forced: the Lyapunov spectrum of the teacher-forced generation map (TeacherForcedDynamics) on
// validation texts, for each perturbed layer, for the trained model and its random-init twin side by side — measured by
// the same Core code (LyapunovSpectrum, MaximalExponent) that reproduces Hénon's and Lorenz's exponents. Also: the
// two-trajectory λ1 as a cross-check of the tangent λ1 and a sweep over ε showing where float32 rounding (too small) and
// nonlinearity (too large) bias λ1. The measurement drives the model; LyapunovTeacherForcedReport renders (FTLE, the
// entropy–exponent correlation, tables, figures).
// References: Benettin et al. (1980), Meccanica 15:9; Grassberger, Badii, Politi (1988), J. Stat. Phys. 51:135 (FTLE);
// Efron & Tibshirani (1993) (bootstrap); docs/dynamics.md.
using TrajectoryLab.Core.Lyapunov;
using TrajectoryLab.Torch.Dynamics;
using TrajectoryLab.Torch.Generation;

namespace TrajectoryLab.Experiments.LyapunovTeacherForced;

/// <summary>Spectra, λ1 cross-checks, FTLE distributions, ε sweep and the entropy–exponent scatter.</summary>
/// <param name="paths">The project paths (to find the model and the texts).</param>
public sealed class LyapunovTeacherForcedExperiment(ProjectPaths paths)
    : Experiment<LyapunovTeacherForcedOptions, LyapunovTeacherForcedResult>
{
    /// <inheritdoc/>
    public override string Kind => "lyapunov-teacher-forced";

    /// <inheritdoc/>
    public override LyapunovTeacherForcedResult Measure(LyapunovTeacherForcedOptions o, IMeasureContext run)
    {
        using var loaded = run.Phase("load", () => ModelPair.Load(o.Model, paths)); // the models are freed when Measure returns
        var (models, tokenizer, folder) = loaded;
        var texts = run.Phase("texts", () => TextSource.Load(o.Text, tokenizer, paths));
        var spec = models[0].Model.Spec;
        if (o.Layers.Any(l => l < 0 || l >= spec.NumLayers))
            throw new ArgumentException(
                $"layers: each perturbed site must be in 0 … {spec.NumLayers - 1} "
                    + $"(the top residual {spec.NumLayers} is observed; perturbing it reaches nothing)"
            );
        var usable = texts.Where(t => t.Tokens.Length > o.PromptLength + o.Transient + 1).ToList();
        if (usable.Count == 0)
            throw new ArgumentException(
                $"text: no text is longer than promptLength + transient + 1 = {o.PromptLength + o.Transient + 1} tokens"
            );

        var cells = new List<TeacherForcedCell>();
        run.Phase("spectra", () =>
        {
            using var progress = run.Progress("spectra", (long)models.Count * o.Layers.Length * usable.Count);
            foreach (var m in models)
            {
                var read = o.SelfGenerated ? [.. usable.Select(t => Greedy(m, t, o.PromptLength))] : usable;
                foreach (var layer in o.Layers)
                foreach (var text in read)
                {
                    run.Cancellation.ThrowIfCancellationRequested();
                    cells.Add(Measure(m, layer, text, o));
                    progress.Advance();
                }
            }
        });
        var sweep = run.Phase("epsilon sweep", () => Sweep(models[0], o.Layers[0], usable[0], o));
        return new LyapunovTeacherForcedResult(
            ModelFacts.Of(o.Model.Name, folder, models[0].Model),
            [.. models.Select(m => m.Label)],
            [.. usable.Select(t => t.Name)],
            cells,
            sweep
        );
    }

    /// <inheritdoc/>
    public override void Report(LyapunovTeacherForcedOptions o, LyapunovTeacherForcedResult result, RunContext run) =>
        LyapunovTeacherForcedReport.Render(o, result, run);

    private static TeacherForcedCell Measure(MeasuredModel m, int layer, TokenizedText text, LyapunovTeacherForcedOptions o)
    {
        var steps = text.Tokens.Length - o.PromptLength - o.Transient;
        var options = new TeacherForcedOptions
        {
            Layer = layer,
            Directions = Math.Min(o.Directions, m.Model.Spec.HiddenSize),
            Epsilon = o.Epsilon,
            PromptLength = o.PromptLength,
            Seed = o.Seed,
        };
        LyapunovSpectrumResult spectrum;
        double[] entropy;
        using (var run = TeacherForcedDynamics.Start(m.Model, text.Tokens, options))
        {
            spectrum = LyapunovSpectrum.Compute(
                run,
                new LyapunovSpectrumOptions(o.Transient, steps - steps % o.QrInterval, o.QrInterval, 400)
            );
            entropy = [.. run.ReferenceEntropy];
        }
        MaximalExponentResult pair;
        using (var run = TeacherForcedDynamics.Start(m.Model, text.Tokens, options with { Directions = 1 }))
            pair = MaximalExponent.Compute(run, new MaximalExponentOptions(o.Transient, steps, 1, 400));
        return new TeacherForcedCell(m.Label, layer, text.Name, spectrum, pair, entropy);
    }

    /// <summary>The model's greedy continuation of the first <paramref name="prompt"/> tokens, as long as the text.</summary>
    private static TokenizedText Greedy(MeasuredModel m, TokenizedText text, int prompt)
    {
        using var session = m.Model.StartSession(new GenerationOptions { MaxNewTokens = text.Tokens.Length - prompt });
        var tokens = new List<int>(text.Tokens[..prompt]) { session.Prefill([text.Tokens[..prompt]]).Tokens[0] };
        while (tokens.Count < text.Tokens.Length)
            tokens.Add(session.Step().Tokens[0]);
        return new TokenizedText($"{text.Name} (greedy, {m.Label})", [.. tokens]);
    }

    private static EpsilonPoint[] Sweep(MeasuredModel m, int layer, TokenizedText text, LyapunovTeacherForcedOptions o) =>
        [
            .. o.EpsilonSweep.Select(eps =>
            {
                using var run = TeacherForcedDynamics.Start(
                    m.Model,
                    text.Tokens,
                    new TeacherForcedOptions
                    {
                        Layer = layer,
                        Epsilon = eps,
                        PromptLength = o.PromptLength,
                        Seed = o.Seed,
                    }
                );
                var steps = text.Tokens.Length - o.PromptLength - o.Transient;
                return new EpsilonPoint(eps, MaximalExponent.Compute(run, new MaximalExponentOptions(o.Transient, steps, 1, 100)).Exponent);
            }),
        ];
}
