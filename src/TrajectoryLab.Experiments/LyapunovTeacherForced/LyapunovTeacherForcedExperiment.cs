// lyapunov-teacher-forced: the Lyapunov spectrum of the teacher-forced generation map (TeacherForcedDynamics) on
// validation texts, for each perturbed layer, for the trained model and its random-init twin side by side — measured by
// the same Core code (LyapunovSpectrum, MaximalExponent, FiniteTimeExponents) that reproduces Hénon's and Lorenz's
// exponents. Also: the two-trajectory λ1 as a cross-check of the tangent λ1, a sweep over ε showing where float32
// rounding (too small) and nonlinearity (too large) bias λ1, and each step's local exponent against the entropy of the
// distribution that predicted the token the step reads ("does uncertainty amplify perturbations?").
// References: Benettin et al. (1980), Meccanica 15:9; Grassberger, Badii, Politi (1988), J. Stat. Phys. 51:135 (FTLE);
// Efron & Tibshirani (1993) (bootstrap); docs/dynamics.md.
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using TrajectoryLab.Experiments;
using TrajectoryLab.Core.Lyapunov;
using TrajectoryLab.Core.Statistics;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using TrajectoryLab.Torch.Dynamics;
using TrajectoryLab.Torch.Generation;

namespace TrajectoryLab.Experiments.LyapunovTeacherForced;

/// <summary>Options of <c>lyapunov-teacher-forced</c>.</summary>
public sealed class LyapunovTeacherForcedOptions : ExperimentOptions, IPreflight
{
    /// <summary>The model and its random-init twin.</summary>
    public ModelChoice Model { get; set; } = new();
    /// <summary>The texts read (teacher-forced).</summary>
    public TextChoice Text { get; set; } = new();
    /// <summary>Residual sites perturbed (h after this many blocks); observed at the top.</summary>
    [MinLength(1), EachInRange(0, 10_000)] public int[] Layers { get; set; } = [0, 2, 4];
    /// <summary>Tangent directions k (exponents measured).</summary>
    [Range(1, 4096)] public int Directions { get; set; } = 16;
    /// <summary>Perturbation size relative to ||h||.</summary>
    [Range(1e-12, 1.0)] public double Epsilon { get; set; } = 1e-3;
    /// <summary>Tokens read before the perturbation lands (on the last of them).</summary>
    [Range(1, 100_000)] public int PromptLength { get; set; } = 8;
    /// <summary>Steps re-orthonormalised but not counted, so the frame aligns with the growing directions.</summary>
    [Range(0, 100_000)] public int Transient { get; set; } = 16;
    /// <summary>Steps between QR re-orthonormalisations of the spectrum (1 = every step; larger is cheaper while the
    /// tangents stay in the linear regime over the interval).</summary>
    [Range(1, 10_000)] public int QrInterval { get; set; } = 1;
    /// <summary>Steps per window of the finite-time exponent distribution.</summary>
    [Range(1, 10_000)] public int FtleWindow { get; set; } = 8;
    /// <summary>Read each model's own greedy continuation of the text's first promptLength tokens (a trajectory the
    /// model generated) instead of the text itself.</summary>
    public bool SelfGenerated { get; set; }
    /// <summary>ε values of the sweep (two-trajectory λ1 at the first layer of <see cref="Layers"/>, trained model).</summary>
    [EachInRange(1e-12, 1.0)] public double[] EpsilonSweep { get; set; } = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 3e-1];

    /// <inheritdoc/>
    public (string Key, string Problem)? Check(ProjectPaths paths) => Model.Check(paths, out var model) ?? Text.Check(model!);
}

/// <summary>Spectra, λ1 cross-checks, FTLE distributions, ε sweep and the entropy–exponent scatter.</summary>
public sealed class LyapunovTeacherForcedExperiment(ProjectPaths paths) : Experiment<LyapunovTeacherForcedOptions>
{
    public override string Kind => "lyapunov-teacher-forced";

    /// <summary>One (model, layer, text) measurement.</summary>
    private sealed record Cell(string Model, int Layer, string Text, LyapunovSpectrumResult Spectrum, MaximalExponentResult Pair, double[] Entropy);

    protected override void Run(LyapunovTeacherForcedOptions o, RunContext run)
    {
        using var loaded = run.Phase("load", () => ModelPair.Load(o.Model, paths)); // the models are freed when Run returns
        var (models, tokenizer, folder) = loaded;
        var texts = run.Phase("texts", () => TextSource.Load(o.Text, tokenizer, paths));
        var spec = models[0].Model.Spec;
        if (o.Layers.Any(l => l < 0 || l >= spec.NumLayers))
            throw new ArgumentException($"layers: each perturbed site must be in 0 … {spec.NumLayers - 1} (the top residual {spec.NumLayers} is observed; perturbing it reaches nothing)");
        var usable = texts.Where(t => t.Tokens.Length > o.PromptLength + o.Transient + 1).ToList();
        if (usable.Count == 0)
            throw new ArgumentException($"text: no text is longer than promptLength + transient + 1 = {o.PromptLength + o.Transient + 1} tokens");

        var cells = new List<Cell>();
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
        Write(run, o, cells, sweep, models.Select(m => m.Label).ToArray(), usable, folder, spec);
    }

    private static Cell Measure(MeasuredModel m, int layer, TokenizedText text, LyapunovTeacherForcedOptions o)
    {
        var steps = text.Tokens.Length - o.PromptLength - o.Transient;
        var options = new TeacherForcedOptions { Layer = layer, Directions = Math.Min(o.Directions, m.Model.Spec.HiddenSize), Epsilon = o.Epsilon, PromptLength = o.PromptLength, Seed = o.Seed };
        LyapunovSpectrumResult spectrum;
        double[] entropy;
        using (var run = TeacherForcedDynamics.Start(m.Model, text.Tokens, options))
        {
            spectrum = LyapunovSpectrum.Compute(run, new LyapunovSpectrumOptions(o.Transient, steps - steps % o.QrInterval, o.QrInterval, 400));
            entropy = [.. run.ReferenceEntropy];
        }
        MaximalExponentResult pair;
        using (var run = TeacherForcedDynamics.Start(m.Model, text.Tokens, options with { Directions = 1 }))
            pair = MaximalExponent.Compute(run, new MaximalExponentOptions(o.Transient, steps, 1, 400));
        return new Cell(m.Label, layer, text.Name, spectrum, pair, entropy);
    }

    /// <summary>The model's greedy continuation of the first <paramref name="prompt"/> tokens, as long as the text.</summary>
    private static TokenizedText Greedy(MeasuredModel m, TokenizedText text, int prompt)
    {
        using var session = m.Model.StartSession(new GenerationOptions { MaxNewTokens = text.Tokens.Length - prompt });
        var tokens = new List<int>(text.Tokens[..prompt]) { session.Prefill([text.Tokens[..prompt]]).Tokens[0] };
        while (tokens.Count < text.Tokens.Length) tokens.Add(session.Step().Tokens[0]);
        return new TokenizedText($"{text.Name} (greedy, {m.Label})", [.. tokens]);
    }

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(double.IsFinite).Order().ToArray();
        return sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2];
    }

    /// <summary>One colour per perturbed layer, shared by the trained (solid) and random-init (dashed) lines.</summary>
    private static string LayerColor(LyapunovTeacherForcedOptions o, int layer) =>
        Palette[Array.IndexOf(o.Layers, layer) % Palette.Length];

    private static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];

    private static (double Epsilon, double Lambda)[] Sweep(MeasuredModel m, int layer, TokenizedText text, LyapunovTeacherForcedOptions o) =>
        [.. o.EpsilonSweep.Select(eps =>
        {
            using var run = TeacherForcedDynamics.Start(m.Model, text.Tokens, new TeacherForcedOptions { Layer = layer, Epsilon = eps, PromptLength = o.PromptLength, Seed = o.Seed });
            return (eps, MaximalExponent.Compute(run, new MaximalExponentOptions(o.Transient, text.Tokens.Length - o.PromptLength - o.Transient, 1, 100)).Exponent);
        })];

    private static void Write(RunContext run, LyapunovTeacherForcedOptions o, List<Cell> cells, (double Epsilon, double Lambda)[] sweep,
        string[] labels, List<TokenizedText> texts, string folder, Torch.Models.ModelSpec spec)
    {
        string F(double x) => x.ToString("F4", CultureInfo.InvariantCulture);
        run.Table("spectrum", ["model", "layer", "text", "index", "exponent"],
            cells.SelectMany(c => c.Spectrum.Exponents.Select((e, i) => new object[] { c.Model, c.Layer, c.Text, i + 1, e })));
        run.Table("lambda1", ["model", "layer", "text", "tangent_lambda1", "two_trajectory_lambda1", "breakdown"],
            cells.Select(c => new object[] { c.Model, c.Layer, c.Text, c.Spectrum.Exponents[0], c.Pair.Exponent, c.Spectrum.Breakdown ?? c.Pair.Breakdown ?? "" }));
        run.Table("epsilon-sweep", ["epsilon", "two_trajectory_lambda1"], sweep.Select(s => new object[] { s.Epsilon, s.Lambda }));

        // Entropy against the local exponent of the step that reads the token it predicted (step s reads position P−1+s).
        // With a QR interval of q steps, interval m reads tokens transient + m·q + 1 … transient + (m + 1)·q: its entropy is
        // the mean over the distributions that predicted them.
        var q = o.QrInterval;
        var local = cells.SelectMany(c => c.Spectrum.LocalExponents[0].Select((l, m) =>
            (c.Model, c.Layer, Lambda: l, Entropy: c.Entropy.Skip(o.Transient + m * q).Take(q).Average()))).ToList();
        run.Table("local-exponents", ["model", "layer", "local_lambda1", "entropy_nats"], local.Select(x => new object[] { x.Model, x.Layer, x.Lambda, x.Entropy }));

        var report = run.Report;
        report.Lead(string.Create(CultureInfo.InvariantCulture,
            $"Teacher-forced generation as a map on the KV cache of {o.Model.Name} ({folder}: {spec.NumLayers} layers, d_model {spec.HiddenSize}) " +
            $"{(labels.Length > 1 ? "and the same architecture with random weights " : "")}on {texts.Count} text(s) of up to {o.Text.Tokens} tokens. " +
            $"{(o.SelfGenerated ? $"Each model reads its own greedy continuation of the texts' first {o.PromptLength} tokens. " : "")}" +
            $"The residual stream after l blocks is perturbed at position {o.PromptLength - 1} by ε = {o.Epsilon:G3}·||h||; the top residual is observed. " +
            $"k = {o.Directions} tangents ride as batch rows, re-orthonormalised every step (QR of the observed deviations, the whole cache re-combined); " +
            $"{o.Transient} transient steps, then every remaining token. Exponents are per token, natural log."));

        report.Section("Spectra", "Mean over texts of each exponent; λ_i < 0 means perturbations along that direction die out token by token. " +
            "The observed map is time-varying and has memory (the cache), so finite-text spectra need not come out ordered; a step in which one " +
            "direction is stretched a hundredfold against the first (attention snapping onto the perturbed position) marks the trailing exponents as unreliable.");
        var spectrumSeries = new List<FigureSeries>();
        var summary = new List<KeyValue>();
        foreach (var label in labels)
            foreach (var layer in o.Layers)
            {
                var group = cells.Where(c => c.Model == label && c.Layer == layer && c.Spectrum.Succeeded).ToList();
                if (group.Count == 0)
                {
                    var reason = "breakdown: " + cells.First(c => c.Model == label && c.Layer == layer).Spectrum.Breakdown;
                    summary.Add(new KeyValue($"{label}, layer {layer}", reason));
                    if (layer == o.Layers[0]) run.Headline($"lambda1 {label} (layer {layer})", double.NaN, reason);
                    continue;
                }
                var k = group[0].Spectrum.Exponents.Length;
                var mean = Enumerable.Range(0, k).Select(i => group.Average(c => c.Spectrum.Exponents[i])).ToArray();
                spectrumSeries.Add(new LineSeries($"{label}, layer {layer}", [.. Enumerable.Range(1, k).Select(i => (double)i)], mean) { Markers = true, Dashed = label != labels[0], Color = LayerColor(o, layer) });
                // Conditioning of the observed frame: the largest |ln(R_kk / R_11)| of one step. When the last direction
                // once barely shows in the observation (R_kk ≪ R_11), R⁻¹ blows its cache deviation up out of the linear
                // regime and the next steps measure that blow-up: its exponent is an artefact of the observation.
                var ratios = group.SelectMany(c => c.Spectrum.LocalExponents[k - 1].Zip(c.Spectrum.LocalExponents[0], (last, first) => (last - first) * o.QrInterval)).Where(double.IsFinite).ToArray();
                var worst = ratios.Length == 0 ? double.NaN : ratios.Max(Math.Abs);
                var trusted = worst < Math.Log(100); // a hundredfold split between the first and last direction within one step
                summary.Add(new KeyValue($"{label}, layer {layer}", $"λ1 = {F(mean[0])}, λ{k} = {F(mean[^1])}, Σλ = {F(mean.Sum())}; largest |ln(R_kk/R_11)| in one step = {worst.ToString("F2", CultureInfo.InvariantCulture)}" +
                    (trusted ? "" : " — the trailing directions are beyond what the observation resolves: read λ1 only")));
                if (layer == o.Layers[0]) run.Headline($"lambda1 {label} (layer {layer})", mean[0]);
            }
        report.Figure(run.Figure(new Figure("spectrum", "Lyapunov spectrum of the teacher-forced map", new Axis("index i"), new Axis("λ_i (per token)")) { Series = spectrumSeries }));
        report.Numbers(summary);

        report.Section("Tangent λ1 against the two-trajectory λ1",
            "Two independent estimates of the same number from Core's algorithms: QR of k tangents and Benettin's renormalised pair (same first direction).");
        report.Checks([.. cells.Where(c => c.Spectrum.Succeeded && c.Pair.Succeeded).Select(c =>
            new Comparison($"{c.Model}, layer {c.Layer}, {c.Text}", c.Spectrum.Exponents[0], c.Pair.Exponent, 1e-3))]);

        report.Section("Convergence", "Running λ1 estimate over the measured steps (first text).");
        report.Figure(run.Figure(new Figure("convergence", "λ1 running estimate", new Axis("tokens after the transient"), new Axis("λ1 estimate"))
        {
            Series = [.. cells.Where(c => c.Text == cells.First(f => f.Model == c.Model).Text && c.Spectrum.Convergence.Count > 0).Select(c =>
                new LineSeries($"{c.Model}, layer {c.Layer}", [.. c.Spectrum.Convergence.Select(r => r.Time)], [.. c.Spectrum.Convergence.Select(r => r.Values[0])]) { Dashed = c.Model != labels[0], Color = LayerColor(o, c.Layer) })],
        }));

        report.Section("Finite-time exponents", string.Create(CultureInfo.InvariantCulture,
            $"λ1 over windows of {o.FtleWindow} tokens, all texts and layers pooled per model."));
        var ftle = new List<FigureSeries>();
        foreach (var label in labels)
        {
            var windows = cells.Where(c => c.Model == label && c.Spectrum.Succeeded)
                .SelectMany(c => FiniteTimeExponents.Compute(c.Spectrum.LocalExponents[0], new FiniteTimeOptions(o.FtleWindow, 30)).Exponents).ToArray();
            if (windows.Length == 0) continue;
            ftle.Add(HistogramSeries.FromValues(label, windows, 30));
            var sorted = windows.Order().ToArray();
            report.Paragraph(string.Create(CultureInfo.InvariantCulture,
                $"{label}: {windows.Length} windows, median {F(sorted[sorted.Length / 2])}, 5–95% [{F(sorted[(int)(0.05 * (sorted.Length - 1))])}, {F(sorted[(int)(0.95 * (sorted.Length - 1))])}], fraction > 0: {windows.Count(w => w > 0) / (double)windows.Length:F3}."));
        }
        report.Figure(run.Figure(new Figure("ftle", "Distribution of finite-time λ1", new Axis($"λ1 over {o.FtleWindow} tokens"), new Axis("windows")) { Series = ftle }));

        report.Section("Does uncertainty amplify perturbations?",
            "Each step's local λ1 against the entropy of the distribution that predicted the token the step reads; Spearman ρ with a 95% bootstrap interval.");
        var scatter = new List<FigureSeries>();
        var correlations = new List<KeyValue>();
        foreach (var label in labels)
        {
            var points = local.Where(x => x.Model == label && double.IsFinite(x.Lambda)).ToList();
            if (points.Count < 3) continue;
            scatter.Add(new ScatterSeries(label, [.. points.Select(p => p.Entropy)], [.. points.Select(p => p.Lambda)]) { MarkerSize = 2 });
            var r = BootstrapCorrelation.Compute([.. points.Select(p => p.Entropy)], [.. points.Select(p => p.Lambda)],
                new BootstrapCorrelationOptions(CorrelationMethod.Spearman, 2000, 0.95, (ulong)o.Seed));
            correlations.Add(new KeyValue(label, r.Succeeded
                ? string.Create(CultureInfo.InvariantCulture, $"ρ = {r.R:F3}, 95% CI [{r.Lower:F3}, {r.Upper:F3}], n = {r.N}")
                : $"no correlation: {r.Breakdown}"));
            if (r.Succeeded) run.Headline($"spearman entropy vs local lambda1, {label}", r.R);
        }
        report.Figure(run.Figure(new Figure("entropy-vs-local-exponent", "Local λ1 against next-token entropy", new Axis("H (nats) of the distribution over the token read"), new Axis("local λ1")) { Series = scatter }));
        report.Numbers(correlations);

        report.Section("Choosing ε", string.Create(CultureInfo.InvariantCulture,
            $"Two-trajectory λ1 of the {labels[0]} model at layer {o.Layers[0]} on the first text for each ε. float32 has ~7 digits: below ~1e-5 the " +
            $"deviation is mostly rounding of the stored rows; above ~1e-1 it leaves the linear regime. The run used ε = {o.Epsilon:G3}."));
        var finiteSweep = sweep.Where(s => double.IsFinite(s.Lambda)).ToArray();
        report.Figure(run.Figure(new Figure("epsilon-sweep", "λ1 against the perturbation size", new Axis("ε (relative to ||h||)") { Log = true }, new Axis("λ1"))
        {
            Series =
            [
                new LineSeries("two-trajectory λ1", [.. finiteSweep.Select(s => s.Epsilon)], [.. finiteSweep.Select(s => s.Lambda)]) { Markers = true },
                new ReferenceLine($"ε used ({o.Epsilon:G3})", ReferenceOrientation.Vertical, o.Epsilon),
            ],
        }));
        var atChosen = sweep.OrderBy(s => Math.Abs(Math.Log(s.Epsilon / o.Epsilon))).First();
        var flat = finiteSweep.Where(s => Math.Abs(s.Lambda - atChosen.Lambda) <= 0.1 * Math.Abs(atChosen.Lambda) + 1e-3).Select(s => s.Epsilon).ToArray();
        if (flat.Length > 0)
            report.Paragraph(string.Create(CultureInfo.InvariantCulture,
                $"λ1 stays within 10% (+1e-3) of its value at ε = {atChosen.Epsilon:G3} for ε in [{flat.Min():G3}, {flat.Max():G3}] of the values tried: the linear regime this run measured."));
        report.Numbers([.. sweep.Select(s => new KeyValue(string.Create(CultureInfo.InvariantCulture, $"ε = {s.Epsilon:G3}"),
            double.IsFinite(s.Lambda) ? string.Create(CultureInfo.InvariantCulture, $"λ1 = {s.Lambda:F4} ({s.Lambda - atChosen.Lambda:+0.0000;-0.0000} from ε = {atChosen.Epsilon:G3})") : "breakdown"))]);
    }
}
