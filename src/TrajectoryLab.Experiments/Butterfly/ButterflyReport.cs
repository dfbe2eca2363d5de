// The report of butterfly, from its result alone: the hidden-state divergence of the copies (geometric mean of d_t/||h_t||),
// the first step their tokens part, the token edit distance over time, the finite-size Lyapunov exponent λ(δ), the
// reference's entropy against the local growth rate before the tokens part, trained against random init, the numerical
// breakdowns, the layer sweep, and the references' tokens. Every number is read off the measured distances and tokens.
// References: Lorenz (1963), J. Atmos. Sci. 20:130; Aurell et al. (1997), J. Phys. A 30:1 (FSLE);
// Benettin et al. (1980), Meccanica 15:9; Levenshtein (1966) (edit distance).
using System.Globalization;
using TrajectoryLab.Core.Lyapunov;
using TrajectoryLab.Core.Statistics;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using static TrajectoryLab.Experiments.Shared.ReportText;
using static TrajectoryLab.Reporting.Figures.SeriesColors;
using static TrajectoryLab.Reporting.Tables.TextTable;

namespace TrajectoryLab.Experiments.Butterfly;

/// <summary>One step of one copy (a row of distances.csv).</summary>
public sealed record DistanceRow(string Model, double Temperature, int Prompt, double Epsilon, int Copy, int Step, double RelativeDistance);

/// <summary>One step of one model × temperature × ε ensemble (a row of divergence.csv).</summary>
public sealed record DivergenceRow(
    string Model,
    double Temperature,
    double Epsilon,
    int Step,
    [property: Column("mean_log10_relative_distance")] double MeanLog10RelativeDistance,
    double GeometricMean,
    int CopiesFinite
);

/// <summary>One copy's first differing step, −1 when none (a row of first-divergence.csv).</summary>
public sealed record FirstDivergenceRow(string Model, double Temperature, double Epsilon, int Prompt, int Copy, int FirstDivergence);

/// <summary>One model × temperature × ε ensemble's divergence counts (a row of first-divergence-summary.csv).</summary>
public sealed record FirstDivergenceSummaryRow(
    string Model,
    double Temperature,
    double Epsilon,
    int Copies,
    int Diverged,
    int NeverDiverged,
    double MedianFirstDivergence,
    double MeanFirstDivergence,
    int BrokeDownBeforeDiverging
);

/// <summary>One step of one ensemble's mean normalised edit distance (a row of edit-distance.csv).</summary>
public sealed record EditDistanceRow(string Model, double Temperature, double Epsilon, int Step, double MeanNormalisedEditDistance);

/// <summary>One scale of the finite-size exponent of a model × temperature (a row of fsle.csv); breakdown "" when measured.</summary>
public sealed record FsleRow(
    string Model,
    double Temperature,
    double Delta,
    double Exponent,
    double StandardError,
    double MeanTime,
    int Reached,
    int Used,
    int StartedAbove,
    string Breakdown
);

/// <summary>One local growth rate before the tokens part (a row of growth-vs-entropy.csv).</summary>
public sealed record GrowthRow(
    string Model,
    double Temperature,
    double Epsilon,
    int Prompt,
    int Copy,
    int Step,
    double EntropyNats,
    double LogGrowth
);

/// <summary>One (model, layer) cell of the layer sweep (a row of layer-sweep.csv).</summary>
public sealed record LayerSweepRow(
    string Model,
    int Layer,
    int Copies,
    int Diverged,
    double MedianFirstDivergence,
    double MeanLogGrowthPerToken
);

/// <summary>One generated token of a reference (a row of references.csv).</summary>
public sealed record ReferenceRow(
    string Model,
    double Temperature,
    int Prompt,
    int Step,
    int TokenId,
    string Token,
    double EntropyNats,
    double NormObserved
);

/// <summary>Renders a <see cref="ButterflyResult"/>.</summary>
public static class ButterflyReport
{
    /// <summary>Writes the tables, figures, sections and headlines of <paramref name="result"/>.</summary>
    /// <param name="o">The options the result was measured with.</param>
    /// <param name="result">The measurement.</param>
    /// <param name="run">The run folder to render into.</param>
    public static void Render(ButterflyOptions o, ButterflyResult result, RunContext run)
    {
        var spec = result.Model;
        var labels = result.Labels;
        var copies = result.Runs.SelectMany(ButterflyMeasures.Traces).ToList();
        var twin = labels.Length > 1 ? " and its random-init twin (same architecture, N(0, 0.02²) weights)" : "";
        var observed = o.ObservedLayer is { } ol ? $"h_{ol}" : $"the top of the stack (h_{spec.Layers})";
        run.Report.Lead(
            string.Create(
                CultureInfo.InvariantCulture,
                $"Butterfly effect of free-running generation by {spec.Name} ({spec.Path}; "
                    + $"{spec.Layers} layers, d_model {spec.Width}){twin}. "
                    + $"For each of {result.Prompts} prompt(s), "
                    + $"h_{o.Layer} at the last prompt position is perturbed by ε·||h||·v along {o.CopiesPerEpsilon} "
                    + $"random orthonormal directions v per "
                    + $"ε ∈ {{{string.Join(", ", o.Epsilons.Select(e => F(e)))}}}; "
                    + $"then the reference and every copy generate {o.Steps} tokens on their own "
                    + $"({string.Join(", ", o.Temperatures.Select(Temperature))}; "
                    + $"sampled rows share one random stream, so they differ only through their logits). "
                    + $"Recorded at every step: the distance d_t = ||h'_t − h_t|| at {observed} of the newest position, "
                    + $"relative to ||h_t|| of the reference, and every row's tokens. "
                    + $"No renormalisation: past the first differing token the copies follow their own text."
            )
        );
        Analyse(o, run, labels, copies);
        LayerSweep(o, run, labels, spec.Layers, result);
        run.Table(
            "references",
            result.Runs.SelectMany(r =>
                Enumerable
                    .Range(0, o.Steps)
                    .Select(s => new ReferenceRow(
                        r.Model,
                        r.Temperature,
                        r.Prompt,
                        s,
                        r.ReferenceTokens[s],
                        r.ReferenceTexts[s],
                        r.ReferenceEntropy[s],
                        r.ReferenceNorm[s]
                    ))
            )
        );
    }

    static void Analyse(ButterflyOptions o, RunContext run, string[] labels, List<CopyTrace> copies)
    {
        var report = run.Report;
        var byModel = labels.ToDictionary(l => l, l => (IReadOnlyList<CopyTrace>)copies.Where(c => c.Model == l).ToArray());
        double minEps = o.Epsilons.Min(),
            maxEps = o.Epsilons.Max(),
            t0 = o.Temperatures[0];
        IReadOnlyList<CopyTrace> Group(string m, double t, double e) => [.. byModel[m].Where(c => c.Temperature == t && c.Epsilon == e)];

        // (a) hidden-state divergence
        run.Table(
            "distances",
            copies.SelectMany(c => c.Relative.Select((d, s) => new DistanceRow(c.Model, c.Temperature, c.Prompt, c.Epsilon, c.Copy, s, d)))
        );
        var curves = new List<DivergenceRow>();
        foreach (var m in labels)
        foreach (var t in o.Temperatures)
        foreach (var e in o.Epsilons)
        {
            var (mean, count) = ButterflyMeasures.LogCurve(Group(m, t, e));
            curves.AddRange(mean.Select((v, s) => new DivergenceRow(m, t, e, s, v, Math.Pow(10, v), count[s])));
        }
        run.Table("divergence", curves);
        report.Section(
            "Hidden-state divergence",
            "The geometric mean over prompts and copies of d_t/||h_t|| (the mean of log10), per ε and temperature. "
                + "A straight rise on this log axis is exponential growth; the plateau is saturation, "
                + "where the copies are as far from the reference as unrelated states."
        );
        foreach (var m in labels)
        {
            foreach (var t in new[] { t0, o.Temperatures[^1] }.Distinct())
            {
                var (mean, _) = ButterflyMeasures.LogCurve(Group(m, t, minEps));
                var tenfold = Array.FindIndex(mean, v => v >= mean[0] + 1);
                var reading =
                    tenfold > 0
                        ? $"it first exceeds ten times its start at step {F(tenfold)} "
                            + $"(mean growth {F((mean[tenfold] - mean[0]) * Math.Log(10) / tenfold, "F3")} nats per token to there)."
                        : "it never grows tenfold "
                            + $"(net rate ln(d_end/d_0)/steps = {F((mean[^1] - mean[0]) * Math.Log(10) / o.Steps, "F3")} nats per token).";
                report.Paragraph(
                    $"{m}, {Temperature(t)}, ε = {F(minEps)}: "
                        + $"the distance starts at {F(Math.Pow(10, mean[0]), "G3")} of ||h|| "
                        + $"and ends at {F(Math.Pow(10, mean[^1]), "G3")} after {F(o.Steps)} tokens; {reading}"
                );
            }
            report.Figure(run.Figure(ButterflyFigures.Divergence(m, byModel[m], o)));
        }

        // (b) first token divergence
        run.Table(
            "first-divergence",
            copies.Select(c => new FirstDivergenceRow(c.Model, c.Temperature, c.Epsilon, c.Prompt, c.Copy, c.FirstDivergence ?? -1))
        );
        var summary = new List<FirstDivergenceSummaryRow>();
        foreach (var m in labels)
        foreach (var t in o.Temperatures)
        foreach (var e in o.Epsilons)
        {
            var g = Group(m, t, e);
            var steps = g.Where(c => c.FirstDivergence is not null).Select(c => (double)c.FirstDivergence!.Value).ToArray();
            var broken = g.Count(c => c.FirstDivergence is null && c.BreakdownStep is not null);
            summary.Add(
                new(
                    m,
                    t,
                    e,
                    g.Count,
                    steps.Length,
                    g.Count - steps.Length - broken,
                    Sample.Median(steps),
                    steps.Length > 0 ? steps.Average() : double.NaN,
                    broken
                )
            );
        }
        run.Table("first-divergence-summary", summary);
        report.Section(
            "When the tokens part",
            "The first generated step whose token differs from the reference's, over prompts and copies; "
                + $"copies that never differ within {F(o.Steps)} steps are not in the histogram "
                + "and are counted in the subtitle and the table "
                + "(median over the copies that diverged)."
        );
        report.Add(
            new Preformatted(
                Table(
                    ["model", "decoding", "ε", "diverged", "never", "median step"],
                    summary.Select(r =>
                        (IReadOnlyList<string>)
                            [
                                r.Model,
                                Temperature(r.Temperature),
                                F(r.Epsilon),
                                $"{F(r.Diverged)}/{F(r.Copies)}",
                                F(r.NeverDiverged),
                                Dash(r.MedianFirstDivergence),
                            ]
                    )
                )
            )
        );
        foreach (var m in labels)
            for (var ti = 0; ti < o.Temperatures.Length; ti++)
                report.Figure(run.Figure(ButterflyFigures.FirstDivergence(m, ti, byModel[m], o)));

        // (c) token edit distance
        run.Table(
            "edit-distance",
            labels.SelectMany(m =>
                o.Temperatures.SelectMany(t =>
                    o.Epsilons.SelectMany(e =>
                        ButterflyMeasures.MeanEdit(Group(m, t, e)).Select((v, s) => new EditDistanceRow(m, t, e, s, v))
                    )
                )
            )
        );
        report.Section(
            "Token edit distance",
            "Levenshtein distance between the reference's and the copy's first s + 1 tokens, divided by s + 1 "
                + "(0: same text; near 1: unrelated text), averaged over prompts and copies."
        );
        foreach (var m in labels)
        {
            foreach (var t in new[] { t0, o.Temperatures[^1] }.Distinct())
            {
                double small = ButterflyMeasures.MeanEdit(Group(m, t, minEps))[^1];
                double large = ButterflyMeasures.MeanEdit(Group(m, t, maxEps))[^1];
                report.Paragraph(
                    $"{m}, {Temperature(t)}: after {F(o.Steps)} tokens "
                        + $"the normalised edit distance is {F(small, "F3")} for ε = {F(minEps)} "
                        + $"and {F(large, "F3")} for ε = {F(maxEps)}."
                );
            }
            report.Figure(run.Figure(ButterflyFigures.Edit(m, byModel[m], o)));
        }

        // (d) finite-size Lyapunov exponent
        var thresholds = ButterflyMeasures.Thresholds(o.Fsle, copies);
        var fsle = thresholds is null
            ? []
            : labels
                .SelectMany(m =>
                    o.Temperatures.Select(t =>
                        (
                            Model: m,
                            Temperature: t,
                            Result: FiniteSizeExponent.Compute(
                                [.. byModel[m].Where(c => c.Temperature == t).Select(c => c.Relative)],
                                1,
                                thresholds
                            )
                        )
                    )
                )
                .ToList();
        run.Table(
            "fsle",
            fsle.SelectMany(f =>
                f.Result.Scales.Select(s => new FsleRow(
                    f.Model,
                    f.Temperature,
                    s.Delta,
                    s.Exponent,
                    s.StandardError,
                    s.MeanTime,
                    s.Reached,
                    s.Used,
                    s.StartedAbove,
                    s.Breakdown ?? ""
                ))
            )
        );
        report.Section(
            "Finite-size Lyapunov exponent",
            thresholds is null
                ? "Not measured: no copy has a finite, positive distance."
                : "λ(δ) = ln r / ⟨T(rδ) − T(δ)⟩ on the relative distance, "
                    + $"thresholds δ_n = {F(thresholds.Delta0, "G3")}·{F(thresholds.Ratio, "G4")}ⁿ, "
                    + $"n < {F(thresholds.Count)}, one token per time unit, pooled over prompts and ε. "
                    + "At small δ it is the leading exponent of the generation map while the tokens agree; "
                    + "a copy whose token flips jumps several thresholds "
                    + "in one step, which reads as a large λ; near saturation λ falls to zero."
        );
        foreach (var f in fsle)
        {
            var grew = byModel[f.Model]
                .Where(c => c.Temperature == f.Temperature)
                .Count(c => c.Relative.Skip(1).Any(d => d >= 2 * c.Relative[0]));
            report.Paragraph(
                $"{f.Model}, {Temperature(f.Temperature)}: "
                    + $"{F(grew)} of {F(f.Result.Pairs)} copies ever reach twice their initial distance."
            );
        }
        foreach (var f in fsle.Where(f => f.Temperature == t0))
        {
            var first = f.Result.Scales.FirstOrDefault(s => s.Succeeded);
            var peak = f.Result.Scales.Where(s => s.Succeeded).MaxBy(s => s.Exponent);
            report.Paragraph(
                first is null || peak is null
                    ? $"{f.Model}, {Temperature(t0)}: no scale measured ({f.Result.Scales[0].Breakdown})"
                    : $"{f.Model}, {Temperature(t0)}: λ = {F(first.Exponent, "F3")} ± {F(first.StandardError, "F3")} nats/token "
                        + $"at the smallest measured δ = {F(first.Delta, "G3")} ({F(first.Used)} copies); "
                        + $"largest λ {F(peak.Exponent, "F3")} at δ = {F(peak.Delta, "G3")}; "
                        + $"{F(f.Result.Scales.Count(s => !s.Succeeded))} of {F(f.Result.Scales.Count)} scales not measured."
            );
        }
        if (fsle.Count > 0)
            report.Figure(run.Figure(ButterflyFigures.Fsle(fsle, o)));

        // (e) entropy against local growth before divergence
        var growth = labels.ToDictionary(
            m => m,
            m => byModel[m].SelectMany(c => ButterflyMeasures.Growth(c).Select(g => (Point: g, c.Epsilon, Copy: c))).ToList()
        );
        run.Table(
            "growth-vs-entropy",
            growth.Values.SelectMany(v =>
                v.Select(g => new GrowthRow(
                    g.Copy.Model,
                    g.Copy.Temperature,
                    g.Epsilon,
                    g.Copy.Prompt,
                    g.Copy.Copy,
                    g.Point.Step,
                    g.Point.Entropy,
                    g.Point.Growth
                ))
            )
        );
        var correlation = labels.ToDictionary(
            m => m,
            m =>
                BootstrapCorrelation.Compute(
                    [.. growth[m].Select(g => g.Point.Entropy)],
                    [.. growth[m].Select(g => g.Point.Growth)],
                    new BootstrapCorrelationOptions(CorrelationMethod.Spearman, o.BootstrapResamples, 0.95, (ulong)o.Seed)
                )
        );
        report.Section(
            "Entropy and local growth",
            "Every step t at which a copy still agrees with the reference token for token "
                + "(t before its first divergence): the reference's next-token entropy H_t against ln(d_{t+1}/d_t), "
                + "over all prompts, ε and temperatures. "
                + "The bootstrap resamples points as if independent; copies of one prompt share their H_t, "
                + "so the interval is narrower than an interval over prompts would be."
        );
        foreach (var m in labels)
        {
            var c = correlation[m];
            report.Paragraph(
                $"{m}: Spearman {Correlation(c)}; mean ln(d_{{t+1}}/d_t) "
                    + $"{F(growth[m].Select(g => g.Point.Growth).DefaultIfEmpty(double.NaN).Average(), "F3")} nats per token "
                    + $"over {F(growth[m].Count)} steps."
            );
            report.Figure(run.Figure(ButterflyFigures.Growth(m, [.. growth[m].Select(g => (g.Point, g.Epsilon))], Correlation(c))));
        }

        Compare(
            o,
            run,
            labels,
            summary,
            (m, t) =>
                byModel[m].Where(c => c.Temperature == t && c.FirstDivergence is not null).Select(c => (double)c.FirstDivergence!.Value),
            fsle,
            correlation,
            growth.ToDictionary(g => g.Key, g => g.Value.Select(p => p.Point.Growth).ToArray())
        );
        Breakdown(run, copies, fsle);
    }

    static string Dash(double v) => double.IsFinite(v) ? F(v, "G3") : "—";

    static void Compare(
        ButterflyOptions o,
        RunContext run,
        string[] labels,
        List<FirstDivergenceSummaryRow> summary,
        Func<string, double, IEnumerable<double>> copies,
        List<(string Model, double Temperature, FiniteSizeResult Result)> fsle,
        Dictionary<string, BootstrapCorrelationResult> correlation,
        Dictionary<string, double[]> growth
    )
    {
        var t0 = o.Temperatures[0];
        var rows = new List<IReadOnlyList<string>>();
        string Diverged(string m, double? t)
        {
            var rows = summary.Where(r => r.Model == m && (t is null || r.Temperature == t)).ToList();
            var broken = rows.Sum(r => r.BrokeDownBeforeDiverging);
            return $"{F(rows.Sum(r => r.Diverged))}/{F(rows.Sum(r => r.Copies))}"
                + (broken > 0 ? $" (breakdown: {F(broken)} copies overflowed before their tokens parted)" : "");
        }
        foreach (var t in o.Temperatures)
        {
            rows.Add([$"copies whose tokens diverged, all ε, {Temperature(t)}", .. labels.Select(m => Diverged(m, t))]);
            rows.Add([
                $"median first divergence of those, {Temperature(t)} (token)",
                .. labels.Select(m => Dash(Sample.Median(copies(m, t)))),
            ]);
        }
        var first = labels
            .Select(m =>
                fsle.Where(f => f.Model == m && f.Temperature == t0)
                    .Select(f => f.Result.Scales.FirstOrDefault(s => s.Succeeded))
                    .FirstOrDefault()
            )
            .ToArray();
        rows.Add([
            $"FSLE at the smallest measured δ, {Temperature(t0)} (nats/token)",
            .. first.Select(s => s is null ? "—" : $"{F(s.Exponent, "F3")} (δ = {F(s.Delta, "G3")})"),
        ]);
        rows.Add([
            "mean ln(d_{t+1}/d_t) before divergence (nats/token)",
            .. labels.Select(m => F(growth[m].DefaultIfEmpty(double.NaN).Average(), "F3")),
        ]);
        rows.Add([
            "Spearman ρ(H_t, growth) [95% CI]",
            .. labels.Select(m =>
                correlation[m] is { Succeeded: true } c ? $"{F(c.R, "F3")} [{F(c.Lower, "F3")}, {F(c.Upper, "F3")}]" : "—"
            ),
        ]);
        run.Report.Section(
            "Trained against random init",
            labels.Length > 1 ? "The numbers above side by side." : "Only the trained model was measured (model.compareRandom = false)."
        );
        run.Report.Add(new Preformatted(Table(["measure", .. labels], rows)));

        for (var i = 0; i < labels.Length; i++)
        {
            var m = labels[i];
            run.Headline($"{m}: copies whose tokens diverged", Diverged(m, null));
            run.Headline(
                $"{m}: mean ln(d_(t+1)/d_t) before divergence (nats/token)",
                growth[m].DefaultIfEmpty(double.NaN).Average(),
                "not measured: no copy kept the reference's tokens with a finite, positive distance for two steps"
            );
            run.Headline($"{m}: Spearman ρ(entropy, growth)", correlation[m].R, $"not measured: {correlation[m].Breakdown}");
        }
    }

    static void Breakdown(RunContext run, List<CopyTrace> copies, List<(string Model, double Temperature, FiniteSizeResult Result)> fsle)
    {
        var nonFinite = copies.Where(c => !c.Finite || c.BreakdownStep is not null).ToArray();
        var zero = copies.Count(c => c.Relative[0] == 0);
        var where =
            nonFinite.Length > 0
                ? $" ({string.Join(", ", nonFinite.GroupBy(c => c.Model).Select(g => $"{g.Key}: {F(g.Count())}"))}); "
                    + "they enter the curves and the FSLE only up to it"
                : "";
        run.Report.Section(
            "Numerical breakdown",
            $"{F(nonFinite.Length)} of {F(copies.Count)} copies recorded a non-finite distance{where}; "
                + $"{F(zero)} copies start at distance 0 (the perturbation was lost to rounding). "
                + $"FSLE scales not measured: {F(fsle.Sum(f => f.Result.Scales.Count(s => !s.Succeeded)))} "
                + $"of {F(fsle.Sum(f => f.Result.Scales.Count))} "
                + "(reasons in fsle.csv)."
        );
    }

    static void LayerSweep(ButterflyOptions o, RunContext run, string[] labels, int layers, ButterflyResult result)
    {
        if (o.LayerSweep.Length == 0)
            return;
        var cells = ButterflyMeasures.LayerCells(result.LayerSweep, result.Prompts, o.Steps);
        run.Table(
            "layer-sweep",
            cells.Select(c => new LayerSweepRow(c.Model, c.Layer, c.Copies, c.Diverged, c.MedianFirst, c.MeanLogGrowth))
        );
        var report = run.Report;
        report.Section(
            "Which layer is most sensitive",
            $"ε = {F(o.LayerSweepEpsilon)} at h_l of the last prompt position, {Temperature(o.LayerSweepTemperature)}, "
                + $"{F(o.CopiesPerEpsilon)} copies per prompt, {F(o.Steps)} tokens; "
                + "the fraction of copies whose tokens part from the reference's, "
                + "and the median first differing step of those. "
                + $"The top residual (l = {F(layers)}) is read by the head only: "
                + "a copy perturbed there can part at the perturbed position's token "
                + "and nowhere else through the state the later positions read (the key–value cache, or a Mamba's recurrent state). "
                + "If such copies part later all the same, that is the method's noise floor: rows of one batch agree to float32 rounding "
                + "(about 6e-7·||h|| in the tests), not bit for bit, "
                + "because the matrix kernels are not batch-invariant, and sampling turns a near-tie into a different token."
        );
        report.Figure(
            run.Figure(
                new Figure(
                    "layer-sweep",
                    "Copies whose tokens part, by perturbed layer",
                    new Axis("perturbed layer l (h after l blocks)"),
                    new Axis("fraction of copies diverged") { Min = 0, Max = 1 }
                )
                {
                    Series =
                    [
                        .. labels.Select(
                            (m, i) =>
                                new LineSeries(
                                    m,
                                    [.. cells.Where(c => c.Model == m).Select(c => (double)c.Layer)],
                                    [.. cells.Where(c => c.Model == m).Select(c => c.Diverged / (double)c.Copies)]
                                )
                                {
                                    Markers = true,
                                    Color = Palette[i % Palette.Length],
                                }
                        ),
                    ],
                }
            )
        );
        report.Add(
            new Preformatted(
                Table(
                    ["model", "layer", "diverged", "median first step", "mean ln(d_end/d_0) per token"],
                    cells.Select(c =>
                        (IReadOnlyList<string>)
                            [
                                c.Model,
                                F(c.Layer),
                                $"{F(c.Diverged)}/{F(c.Copies)}",
                                double.IsFinite(c.MedianFirst) ? F(c.MedianFirst) : "—",
                                F(c.MeanLogGrowth, "F3"),
                            ]
                    )
                )
            )
        );
        foreach (var m in labels)
        {
            var most = cells.Where(c => c.Model == m).MaxBy(c => c.Diverged / (double)c.Copies)!;
            report.Paragraph(
                $"{m}: most copies part when the perturbation is at layer {F(most.Layer)} " + $"({F(most.Diverged)}/{F(most.Copies)})."
            );
        }
    }
}
