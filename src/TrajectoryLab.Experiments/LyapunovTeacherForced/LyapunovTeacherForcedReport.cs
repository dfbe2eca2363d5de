// The report of lyapunov-teacher-forced: the spectrum, λ1 and ε-sweep tables, the mean spectra with the conditioning of
// the observed frame, the tangent against the two-trajectory λ1, convergence, finite-time exponents (FiniteTimeExponents),
// each step's local λ1 against the entropy that predicted the token it reads (BootstrapCorrelation, Spearman), and the
// choice of ε. Pure functions of the options and the result.
// References: Benettin et al. (1980), Meccanica 15:9; Grassberger, Badii, Politi (1988), J. Stat. Phys. 51:135 (FTLE);
// Efron & Tibshirani (1993) (bootstrap); docs/dynamics.md.
using System.Globalization;
using TrajectoryLab.Core.Lyapunov;
using TrajectoryLab.Core.Statistics;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;

namespace TrajectoryLab.Experiments.LyapunovTeacherForced;

/// <summary>One exponent of one spectrum (a row of spectrum.csv).</summary>
/// <param name="Model">Model label.</param>
/// <param name="Layer">Perturbed site.</param>
/// <param name="Text">Text name.</param>
/// <param name="Index">i of λ_i, from 1.</param>
/// <param name="Exponent">λ_i per token.</param>
public sealed record SpectrumRow(string Model, int Layer, string Text, int Index, double Exponent);

/// <summary>Both λ1 estimates of one cell (a row of lambda1.csv).</summary>
/// <param name="Model">Model label.</param>
/// <param name="Layer">Perturbed site.</param>
/// <param name="Text">Text name.</param>
/// <param name="TangentLambda1">λ1 of the QR spectrum.</param>
/// <param name="TwoTrajectoryLambda1">λ1 of the renormalised pair.</param>
/// <param name="Breakdown">The spectrum's breakdown, else the pair's, else empty.</param>
public sealed record Lambda1Row(
    string Model,
    int Layer,
    string Text,
    [property: Column("tangent_lambda1")] double TangentLambda1,
    [property: Column("two_trajectory_lambda1")] double TwoTrajectoryLambda1,
    string Breakdown
);

/// <summary>One ε of the sweep (a row of epsilon-sweep.csv).</summary>
/// <param name="Epsilon">Perturbation size relative to ||h||.</param>
/// <param name="TwoTrajectoryLambda1">Two-trajectory λ1 at that ε.</param>
public sealed record EpsilonSweepRow(double Epsilon, [property: Column("two_trajectory_lambda1")] double TwoTrajectoryLambda1);

/// <summary>One QR interval's local λ1 and the mean entropy over the tokens it reads (a row of local-exponents.csv).</summary>
/// <param name="Model">Model label.</param>
/// <param name="Layer">Perturbed site.</param>
/// <param name="LocalLambda1">Local exponent of direction 1 over the interval.</param>
/// <param name="EntropyNats">Mean entropy (nats) of the distributions that predicted the tokens the interval reads.</param>
public sealed record LocalExponentRow(string Model, int Layer, [property: Column("local_lambda1")] double LocalLambda1, double EntropyNats);

/// <summary>Renders a <see cref="LyapunovTeacherForcedResult"/>.</summary>
public static class LyapunovTeacherForcedReport
{
    private static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];

    /// <summary>Writes the tables, figures, sections and headlines of <paramref name="result"/>.</summary>
    /// <param name="o">The options the result was measured with.</param>
    /// <param name="result">The measurement.</param>
    /// <param name="run">The run folder to write into.</param>
    public static void Render(LyapunovTeacherForcedOptions o, LyapunovTeacherForcedResult result, RunContext run)
    {
        static string F(double x) => x.ToString("F4", CultureInfo.InvariantCulture);
        var cells = result.Cells;
        var labels = result.Models;
        var sweep = result.Sweep;
        run.Table(
            "spectrum",
            cells.SelectMany(c => c.Spectrum.Exponents.Select((e, i) => new SpectrumRow(c.Model, c.Layer, c.Text, i + 1, e)))
        );
        run.Table(
            "lambda1",
            cells.Select(c => new Lambda1Row(
                c.Model,
                c.Layer,
                c.Text,
                c.Spectrum.Exponents[0],
                c.Pair.Exponent,
                c.Spectrum.Breakdown ?? c.Pair.Breakdown ?? ""
            ))
        );
        run.Table("epsilon-sweep", sweep.Select(s => new EpsilonSweepRow(s.Epsilon, s.Lambda1)));

        // Entropy against the local exponent of the step that reads the token it predicted (step s reads position P−1+s).
        // With a QR interval of q steps, interval m reads tokens transient + m·q + 1 … transient + (m + 1)·q: its entropy is
        // the mean over the distributions that predicted them.
        var q = o.QrInterval;
        var local = cells
            .SelectMany(c =>
                c.Spectrum.LocalExponents[0]
                    .Select((l, m) => new LocalExponentRow(c.Model, c.Layer, l, c.EntropyNats.Skip(o.Transient + m * q).Take(q).Average()))
            )
            .ToList();
        run.Table("local-exponents", local);

        var report = run.Report;
        var model = result.Model;
        var ownContinuation = o.SelfGenerated
            ? $"Each model reads its own greedy continuation of the texts' first {o.PromptLength} tokens. "
            : "";
        var state = ReportText.GenerationState(model.Architecture);
        var stateIs =
            model.Architecture == "mamba"
                ? "each block's convolution window and selective SSM state, of a fixed size whatever the text's length"
                : "every block's keys and values at every position read so far";
        report.Lead(
            string.Create(
                CultureInfo.InvariantCulture,
                $"Teacher-forced generation as a map on the state of the generation map, the {state} ({stateIs}), of {o.Model.Name} "
                    + $"({model.Path}: {model.Layers} layers, d_model {model.Width}) "
                    + $"{(labels.Length > 1 ? "and the same architecture with random weights " : "")}"
                    + $"on {result.Texts.Length} text(s) of up to {o.Text.Tokens} tokens. "
                    + $"{ownContinuation}"
                    + $"The residual stream after l blocks is perturbed at position {o.PromptLength - 1} by ε = {o.Epsilon:G3}·||h||; "
                    + $"the top residual is observed. "
                    + $"k = {o.Directions} tangents ride as batch rows, re-orthonormalised every step "
                    + $"(QR of the observed deviations, the whole {state} re-combined); "
                    + $"{o.Transient} transient steps, then every remaining token. Exponents are per token, natural log."
            )
        );

        report.Section(
            "Spectra",
            "Mean over texts of each exponent; "
                + "λ_i < 0 means perturbations along that direction die out token by token. "
                + $"The observed map is time-varying and has memory (the {state}), so finite-text spectra need not come out ordered; "
                + "a step in which one "
                + "direction is stretched a hundredfold against the first "
                + (model.Architecture == "mamba" ? "" : "(attention snapping onto the perturbed position) ")
                + "marks the trailing "
                + "exponents as unreliable."
        );
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
                if (layer == o.Layers[0])
                    run.Headline($"lambda1 {label} (layer {layer})", double.NaN, reason);
                continue;
            }
            var k = group[0].Spectrum.Exponents.Length;
            var mean = Enumerable.Range(0, k).Select(i => group.Average(c => c.Spectrum.Exponents[i])).ToArray();
            spectrumSeries.Add(
                new LineSeries($"{label}, layer {layer}", [.. Enumerable.Range(1, k).Select(i => (double)i)], mean)
                {
                    Markers = true,
                    Dashed = label != labels[0],
                    Color = LayerColor(o, layer),
                }
            );
            // Conditioning of the observed frame: the largest |ln(R_kk / R_11)| of one step. When the last direction
            // once barely shows in the observation (R_kk ≪ R_11), R⁻¹ blows its state deviation up out of the linear
            // regime and the next steps measure that blow-up: its exponent is an artefact of the observation.
            var ratios = group
                .SelectMany(c =>
                    c.Spectrum.LocalExponents[k - 1].Zip(c.Spectrum.LocalExponents[0], (last, first) => (last - first) * o.QrInterval)
                )
                .Where(double.IsFinite)
                .ToArray();
            var worst = ratios.Length == 0 ? double.NaN : ratios.Max(Math.Abs);
            var trusted = worst < Math.Log(100); // a hundredfold split between the first and last direction within one step
            summary.Add(
                new KeyValue(
                    $"{label}, layer {layer}",
                    $"λ1 = {F(mean[0])}, λ{k} = {F(mean[^1])}, Σλ = {F(mean.Sum())}; "
                        + $"largest |ln(R_kk/R_11)| in one step = {worst.ToString("F2", CultureInfo.InvariantCulture)}"
                        + (trusted ? "" : " — the trailing directions are beyond what the observation resolves: read λ1 only")
                )
            );
            if (layer == o.Layers[0])
                run.Headline($"lambda1 {label} (layer {layer})", mean[0]);
        }
        report.Figure(
            run.Figure(
                new Figure("spectrum", "Lyapunov spectrum of the teacher-forced map", new Axis("index i"), new Axis("λ_i (per token)"))
                {
                    Series = spectrumSeries,
                }
            )
        );
        report.Numbers(summary);

        report.Section(
            "Tangent λ1 against the two-trajectory λ1",
            "Two independent estimates of the same number from Core's algorithms: QR of k tangents and Benettin's renormalised pair "
                + "(same first direction)."
        );
        report.Checks([
            .. cells
                .Where(c => c.Spectrum.Succeeded && c.Pair.Succeeded)
                .Select(c => new Comparison($"{c.Model}, layer {c.Layer}, {c.Text}", c.Spectrum.Exponents[0], c.Pair.Exponent, 1e-3)),
        ]);

        report.Section("Convergence", "Running λ1 estimate over the measured steps (first text).");
        report.Figure(
            run.Figure(
                new Figure("convergence", "λ1 running estimate", new Axis("tokens after the transient"), new Axis("λ1 estimate"))
                {
                    Series =
                    [
                        .. cells
                            .Where(c => c.Text == cells.First(f => f.Model == c.Model).Text && c.Spectrum.Convergence.Count > 0)
                            .Select(c => new LineSeries(
                                $"{c.Model}, layer {c.Layer}",
                                [.. c.Spectrum.Convergence.Select(r => r.Time)],
                                [.. c.Spectrum.Convergence.Select(r => r.Values[0])]
                            )
                            {
                                Dashed = c.Model != labels[0],
                                Color = LayerColor(o, c.Layer),
                            }),
                    ],
                }
            )
        );

        report.Section(
            "Finite-time exponents",
            string.Create(CultureInfo.InvariantCulture, $"λ1 over windows of {o.FtleWindow} tokens, all texts and layers pooled per model.")
        );
        var ftle = new List<FigureSeries>();
        foreach (var label in labels)
        {
            var windows = cells
                .Where(c => c.Model == label && c.Spectrum.Succeeded)
                .SelectMany(c =>
                    FiniteTimeExponents.Compute(c.Spectrum.LocalExponents[0], new FiniteTimeOptions(o.FtleWindow, 30)).Exponents
                )
                .ToArray();
            if (windows.Length == 0)
                continue;
            ftle.Add(HistogramSeries.FromValues(label, windows, 30));
            var (median, p05, p95) = (Sample.Median(windows), Sample.Quantile(windows, 0.05), Sample.Quantile(windows, 0.95));
            report.Paragraph(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{label}: {windows.Length} windows, median {F(median)}, "
                        + $"5–95% [{F(p05)}, {F(p95)}], "
                        + $"fraction > 0: {windows.Count(w => w > 0) / (double)windows.Length:F3}."
                )
            );
        }
        report.Figure(
            run.Figure(
                new Figure("ftle", "Distribution of finite-time λ1", new Axis($"λ1 over {o.FtleWindow} tokens"), new Axis("windows"))
                {
                    Series = ftle,
                }
            )
        );

        report.Section(
            "Does uncertainty amplify perturbations?",
            "Each step's local λ1 against the entropy of the distribution that predicted the token the step reads; "
                + "Spearman ρ with a 95% bootstrap interval."
        );
        var scatter = new List<FigureSeries>();
        var correlations = new List<KeyValue>();
        foreach (var label in labels)
        {
            var points = local.Where(x => x.Model == label && double.IsFinite(x.LocalLambda1)).ToList();
            if (points.Count < 3)
                continue;
            scatter.Add(
                new ScatterSeries(label, [.. points.Select(p => p.EntropyNats)], [.. points.Select(p => p.LocalLambda1)]) { MarkerSize = 2 }
            );
            var r = BootstrapCorrelation.Compute(
                [.. points.Select(p => p.EntropyNats)],
                [.. points.Select(p => p.LocalLambda1)],
                new BootstrapCorrelationOptions(CorrelationMethod.Spearman, 2000, 0.95, (ulong)o.Seed)
            );
            correlations.Add(
                new KeyValue(
                    label,
                    r.Succeeded
                        ? string.Create(CultureInfo.InvariantCulture, $"ρ = {r.R:F3}, 95% CI [{r.Lower:F3}, {r.Upper:F3}], n = {r.N}")
                        : $"no correlation: {r.Breakdown}"
                )
            );
            if (r.Succeeded)
                run.Headline($"spearman entropy vs local lambda1, {label}", r.R);
        }
        report.Figure(
            run.Figure(
                new Figure(
                    "entropy-vs-local-exponent",
                    "Local λ1 against next-token entropy",
                    new Axis("H (nats) of the distribution over the token read"),
                    new Axis("local λ1")
                )
                {
                    Series = scatter,
                }
            )
        );
        report.Numbers(correlations);

        report.Section(
            "Choosing ε",
            string.Create(
                CultureInfo.InvariantCulture,
                $"Two-trajectory λ1 of the {labels[0]} model at layer {o.Layers[0]} on the first text for each ε. "
                    + $"float32 has ~7 digits: below ~1e-5 the "
                    + $"deviation is mostly rounding of the stored rows; above ~1e-1 it leaves the linear regime. "
                    + $"The run used ε = {o.Epsilon:G3}."
            )
        );
        var finiteSweep = sweep.Where(s => double.IsFinite(s.Lambda1)).ToArray();
        report.Figure(
            run.Figure(
                new Figure(
                    "epsilon-sweep",
                    "λ1 against the perturbation size",
                    new Axis("ε (relative to ||h||)") { Log = true },
                    new Axis("λ1")
                )
                {
                    Series =
                    [
                        new LineSeries(
                            "two-trajectory λ1",
                            [.. finiteSweep.Select(s => s.Epsilon)],
                            [.. finiteSweep.Select(s => s.Lambda1)]
                        )
                        {
                            Markers = true,
                        },
                        new ReferenceLine($"ε used ({o.Epsilon:G3})", ReferenceOrientation.Vertical, o.Epsilon),
                    ],
                }
            )
        );
        var atChosen = sweep.OrderBy(s => Math.Abs(Math.Log(s.Epsilon / o.Epsilon))).First();
        var flat = finiteSweep
            .Where(s => Math.Abs(s.Lambda1 - atChosen.Lambda1) <= 0.1 * Math.Abs(atChosen.Lambda1) + 1e-3)
            .Select(s => s.Epsilon)
            .ToArray();
        if (flat.Length > 0)
            report.Paragraph(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"λ1 stays within 10% (+1e-3) of its value at ε = {atChosen.Epsilon:G3} "
                        + $"for ε in [{flat.Min():G3}, {flat.Max():G3}] of the values tried: "
                        + $"the linear regime this run measured."
                )
            );
        report.Numbers([
            .. sweep.Select(s => new KeyValue(
                string.Create(CultureInfo.InvariantCulture, $"ε = {s.Epsilon:G3}"),
                double.IsFinite(s.Lambda1)
                    ? string.Create(
                        CultureInfo.InvariantCulture,
                        $"λ1 = {s.Lambda1:F4} ({s.Lambda1 - atChosen.Lambda1:+0.0000;-0.0000} from ε = {atChosen.Epsilon:G3})"
                    )
                    : "breakdown"
            )),
        ]);
    }

    /// <summary>One colour per perturbed layer, shared by the trained (solid) and random-init (dashed) lines.</summary>
    private static string LayerColor(LyapunovTeacherForcedOptions o, int layer) => Palette[Array.IndexOf(o.Layers, layer) % Palette.Length];
}
