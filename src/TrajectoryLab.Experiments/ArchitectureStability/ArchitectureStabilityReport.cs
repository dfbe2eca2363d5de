// Tables, figures, headlines and the report of architecture-stability, rendered from the result; every number in a
// sentence is computed from it (ContrastStatistics), with its interval.
// References: Benettin et al. (1980); Gu & Dao (2023); Alain & Bengio (2016); Efron & Tibshirani (1993).
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using static TrajectoryLab.Experiments.Shared.ReportText;
using static TrajectoryLab.Reporting.Figures.SeriesColors;

namespace TrajectoryLab.Experiments.ArchitectureStability;

/// <summary>One exponent of one model (a row of spectra.csv).</summary>
public sealed record SpectrumRow(string Model, string Text, int Index, double Exponent, double TwoTrajectoryLambda1, string Breakdown);

/// <summary>One substitution's KL at one distance (a row of memory-kl.csv).</summary>
public sealed record MemoryRow(string Model, int Text, int Position, int Distance, double KlNats);

/// <summary>One position of one text's profile (a row of length-profile.csv).</summary>
public sealed record LengthRow(string Model, int Text, int Position, double EntropyNats, double SurprisalNats, double ResidualNorm);

/// <summary>Renders an <see cref="ArchitectureStabilityResult"/>.</summary>
public static class ArchitectureStabilityReport
{
    /// <summary>Writes the tables, figures, headlines and report.</summary>
    /// <param name="o">The options.</param>
    /// <param name="result">What was measured.</param>
    /// <param name="run">The run.</param>
    public static void Render(ArchitectureStabilityOptions o, ArchitectureStabilityResult result, RunContext run)
    {
        Tables(result, run);
        var models = result.Models;
        var report = run.Report;
        var context = o.Length.TrainingContext;
        report.Lead(
            $"{models.Count} models on {F(result.Texts.Count)} Brown validation texts: "
                + string.Join(", ", models.Select(m => $"{m.Label} ({m.Architecture}, {m.Parameters:N0} weights)"))
                + ". Each random-init twin has its trained model's architecture and size. The generation map's state is the "
                + "key–value cache for a transformer (it grows with the context) and the SSM state plus convolution window for "
                + "a Mamba (fixed size); after "
                + $"{F(context)} tokens: "
                + string.Join(", ", models.Where(m => m.Trained).Select(m => $"{m.Label} {m.StateSize:N0} floats"))
                + ". Intervals are 95 %: t over texts for means, percentile bootstrap "
                + $"({F(o.BootstrapResamples)} resamples) for the half-life and medians, Wilson for accuracies."
        );
        report.Numbers(
            [
                .. models.Select(m => new KeyValue(
                    m.Label,
                    $"{m.Architecture}, {m.Facts.Layers} layers, d_model {m.Facts.Width}, "
                        + $"{m.Parameters:N0} weights, state after {context} tokens {m.StateSize:N0} floats"
                )),
            ],
            "Models"
        );

        report.Section(
            "Summary",
            "The four contrasts in one figure: the spectrum of the teacher-forced map, how soon perturbed free-running copies part, "
                + "how long a substituted token is felt, and surprisal past the training length (dashed: random-init twins). "
                + "The sections below give each with its numbers and intervals."
        );
        report.Figure("summary"); // drawn once the sections below have built its panels
        Figure[] panels = [Spectra(o, result, run), Butterfly(o, result, run), Memory(o, result, run), Length(o, result, run)];
        run.Figure(
            new Figure("summary", "Transformer vs state-space model: four contrasts", new Axis(""), new Axis(""))
            {
                Panels = [.. panels.Select(p => p with { Legend = LegendPosition.TopRight })],
                Columns = 2,
                Width = 1500,
                Height = 1050,
            }
        );
    }

    private static Figure Spectra(ArchitectureStabilityOptions o, ArchitectureStabilityResult result, RunContext run)
    {
        var report = run.Report;
        report.Section(
            "Lyapunov spectra of the teacher-forced map",
            $"k = {F(o.Spectrum.Directions)} tangent directions at residual site {F(o.Spectrum.Layer)}, QR every token, "
                + $"{F(o.Spectrum.Transient)} transient tokens after a prompt of {F(o.Spectrum.PromptLength)}, over the first "
                + $"{F(o.Spectrum.Tokens)} tokens of each text; λ per token (nats)."
        );
        var series = new List<FigureSeries>();
        var rows = new List<KeyValue>();
        var convergence = new List<FigureSeries>();
        for (var i = 0; i < result.Models.Count; i++)
        {
            var m = result.Models[i];
            var cells = result.Spectra.Where(c => c.Model == m.Label).ToArray();
            var lambda = ContrastStatistics.Spectrum(cells);
            var broken = cells.Count(c => c.Breakdown is not null);
            var color = Color(i, result);
            if (lambda.Length > 0)
            {
                double[] index = [.. Enumerable.Range(1, lambda.Length).Select(k => (double)k)];
                Curve(
                    series,
                    m,
                    color,
                    index,
                    [.. lambda.Select(l => l.Mean)],
                    [.. lambda.Select(l => l.Lower)],
                    [.. lambda.Select(l => l.Upper)]
                );
                var pair = ContrastStatistics.Spectrum(cells.Select(c => c with { Exponents = [c.TwoTrajectory] }))[0];
                rows.Add(
                    new KeyValue(
                        m.Label,
                        $"λ1 = {F(lambda[0].Mean)} [{F(lambda[0].Lower)}, {F(lambda[0].Upper)}], λ{lambda.Length} = "
                            + $"{F(lambda[^1].Mean)}, Σλ = {F(lambda.Sum(l => l.Mean))}; two-trajectory λ1 = {F(pair.Mean)} "
                            + $"[{F(pair.Lower)}, {F(pair.Upper)}]"
                            + (broken > 0 ? $"; {broken} text(s) broke down and are left out" : "")
                    )
                );
                run.Headline($"lambda1 {Key(m.Label)}", lambda[0].Mean, "breakdown: every text's spectrum broke down");
                var grid = cells.Where(c => c.Breakdown is null).Select(c => c.ConvergenceStep).MinBy(s => s.Length)!;
                var curve = grid.Select(
                    (_, j) => cells.Where(c => c.Breakdown is null && c.ConvergenceLambda1.Length > j).Average(c => c.ConvergenceLambda1[j])
                );
                convergence.Add(new LineSeries(m.Label, grid, [.. curve]) { Color = color, Dashed = !m.Trained });
            }
            else
            {
                rows.Add(new KeyValue(m.Label, "breakdown: every text's spectrum broke down"));
                run.Headline($"lambda1 {Key(m.Label)}", "breakdown: every text's spectrum broke down");
            }
        }
        report.Numbers(rows, "λ1 (mean over texts) and the spectrum's end");
        var figure = new Figure("spectra", "Lyapunov spectrum of the teacher-forced map", new Axis("index i"), new Axis("λ_i (nats/token)"))
        {
            Series = series,
            Legend = LegendPosition.OutsideRight,
        };
        var name = run.Figure(figure);
        report.Figure(name, "Mean over texts with its 95 % t-band; dashed: random-init twins.");
        report.Figure(
            run.Figure(
                new Figure(
                    "spectra-convergence",
                    "Convergence of λ1 (mean over texts)",
                    new Axis("tokens after the transient"),
                    new Axis("running λ1")
                )
                {
                    Series = convergence,
                    Legend = LegendPosition.OutsideRight,
                }
            )
        );
        return figure;
    }

    private static Figure Butterfly(ArchitectureStabilityOptions o, ArchitectureStabilityResult result, RunContext run)
    {
        var s = o.Butterfly;
        var report = run.Report;
        report.Section(
            "Free-running copies: when do the tokens part?",
            $"{F(s.Prompts.Length)} prompts × {F(s.Copies)} copies per ε, perturbed at residual site {F(s.Layer)} at the last prompt "
                + $"position, then generating {F(s.Steps)} tokens on their own (a sampled copy shares its reference's random stream). "
                + "The median first differing step is over the copies that parted."
        );
        var rows = new List<KeyValue>();
        foreach (var t in s.Temperatures)
        foreach (var eps in s.Epsilons)
        {
            var cells = result.Models.Select(m =>
            {
                var copies = result.Butterfly.Where(c => c.Model == m.Label && c.Temperature == t && c.Epsilon == eps).ToArray();
                var parted = copies.Count(c => c.FirstDivergence is not null);
                var (_, lo, hi) = ContrastStatistics.Wilson(parted, copies.Length);
                var median = ContrastStatistics.MedianDivergence(copies, o.BootstrapResamples, (ulong)o.Seed);
                var broke = copies.Count(c => c.Breakdown);
                return $"{m.Label}: {parted}/{copies.Length} parted [{F(lo, "F2")}, {F(hi, "F2")}]"
                    + (parted > 0 ? $", median step {F(median.Value)} [{F(median.Lower)}, {F(median.Upper)}]" : "")
                    + (broke > 0 ? $", breakdown: {broke} overflowed" : "");
            });
            rows.Add(new KeyValue($"{Temperature(t)}, ε = {F(eps)}", string.Join("; ", cells)));
        }
        report.Numbers(rows);

        var (tHead, eHead) = (s.Temperatures[^1], s.Epsilons[s.Epsilons.Length / 2]);
        var series = new List<FigureSeries>();
        for (var i = 0; i < result.Models.Count; i++)
        {
            var m = result.Models[i];
            var copies = result.Butterfly.Where(c => c.Model == m.Label && c.Temperature == tHead && c.Epsilon == eHead).ToArray();
            if (copies.Length == 0)
                continue;
            double[] steps = [.. Enumerable.Range(0, s.Steps).Select(x => (double)x)];
            var parted = steps.Select(x => copies.Count(c => c.FirstDivergence is { } f && f <= x) / (double)copies.Length).ToArray();
            series.Add(new LineSeries(m.Label, steps, parted) { Color = Color(i, result), Dashed = !m.Trained });
            var median = ContrastStatistics.MedianDivergence(copies, o.BootstrapResamples, (ulong)o.Seed);
            run.Headline($"median first divergence {Key(m.Label)}", median.Value, "not measured: no copy parted");
        }
        var figure = new Figure(
            "butterfly-parting",
            $"Copies whose tokens have parted ({Temperature(tHead)}, ε = {F(eHead)})",
            new Axis("generated step"),
            new Axis("fraction parted") { Min = 0, Max = 1 }
        )
        {
            Series = series,
            Legend = LegendPosition.BottomRight,
        };
        var name = run.Figure(figure);
        report.Figure(name);
        return figure;
    }

    private static Figure Memory(ArchitectureStabilityOptions o, ArchitectureStabilityResult result, RunContext run)
    {
        var report = run.Report;
        var distances = result.Distances;
        report.Section(
            "Memory: how long is a token felt, and how long can it be read?",
            $"The token at position t is replaced by a random other token ({F(o.Memory.Positions)} positions per text, the first "
                + $"{F(o.Memory.Tokens)} tokens); KL(p ‖ p′) of the next-token distribution at t + d measures how much of the "
                + "substitution still reaches the prediction. The half-life is where the mean KL first falls to half its value at "
                + $"d = {F(distances[0])} (interpolated in ln d). The probe is a ridge classifier (λ = {F(o.Memory.ProbeLambda)}) "
                + $"that reads token t, among the {F(o.Memory.ProbeClasses)} most frequent tokens, from the top residual at t + d; "
                + "it trains on the even-numbered texts and is scored on the odd-numbered ones."
        );
        var kl = new List<FigureSeries>();
        var probe = new List<FigureSeries>();
        var rows = new List<KeyValue>();
        double[] x = [.. distances.Select(d => (double)Math.Max(d, 0.5))];
        for (var i = 0; i < result.Models.Count; i++)
        {
            var m = result.Models[i];
            var samples = result.Substitutions.Where(s => s.Model == m.Label).Select(s => s.Kl).ToArray();
            var color = Color(i, result);
            if (samples.Length > 0)
            {
                var per = distances.Select((_, j) => Core.Statistics.Sample.MeanWithInterval(samples.Select(s => s[j]))).ToArray();
                Curve(
                    kl,
                    m,
                    color,
                    x,
                    [.. per.Select(p => p.Mean)],
                    [.. per.Select(p => Math.Max(p.Lower, 1e-12))],
                    [.. per.Select(p => p.Upper)]
                );
                var half = Core.Statistics.BootstrapInterval.Of(
                    samples,
                    s => ContrastStatistics.HalfLife(distances, s),
                    o.BootstrapResamples,
                    (ulong)o.Seed
                );
                var reached = double.IsFinite(half.Value);
                rows.Add(
                    new KeyValue(
                        m.Label,
                        (
                            reached
                                ? $"half-life {F(half.Value)} tokens [{F(half.Lower)}, {F(half.Upper)}] "
                                    + $"({half.Resamples}/{o.BootstrapResamples} resamples reach half)"
                                : $"the mean KL never falls to half within d = {F(distances[^1])}"
                        ) + $"; KL at d = {F(distances[0])}: {F(per[0].Mean)}, at d = {F(distances[^1])}: {F(per[^1].Mean)} nats"
                    )
                );
                run.Headline(
                    $"memory half-life {Key(m.Label)}",
                    half.Value,
                    $"not reached: the KL stays above half within d = {distances[^1]}"
                );
            }
            var points = result.Probe.Where(p => p.Model == m.Label).OrderBy(p => p.Distance).ToArray();
            if (points.Length > 0)
            {
                var acc = points.Select(p => ContrastStatistics.Wilson(p.Correct, p.Tested)).ToArray();
                double[] px = [.. points.Select(p => (double)Math.Max(p.Distance, 0.5))];
                Curve(probe, m, color, px, [.. acc.Select(a => a.P)], [.. acc.Select(a => a.Lower)], [.. acc.Select(a => a.Upper)]);
                var at = points.MinBy(p => Math.Abs(p.Distance - 16))!;
                run.Headline($"probe accuracy d={at.Distance} {Key(m.Label)}", at.Correct / (double)at.Tested);
            }
        }
        if (result.Probe.Count > 0)
            probe.Add(new ReferenceLine("majority class", ReferenceOrientation.Horizontal, result.Probe.Average(p => p.Majority)));
        report.Numbers(rows, "Substitution KL");
        var figure = new Figure(
            "memory-kl",
            "How long a substituted token is felt",
            new Axis("distance d (tokens)") { Log = true },
            new Axis("KL(p ‖ p′) at t + d (nats)") { Log = true }
        )
        {
            Series = kl,
            Legend = LegendPosition.OutsideRight,
        };
        var name = run.Figure(figure);
        report.Figure(name, "Mean over substituted positions and texts, 95 % t-band; dashed: random-init twins.");
        report.Figure(
            run.Figure(
                new Figure(
                    "memory-probe",
                    "Linear probe: token t read from the top residual at t + d",
                    new Axis("distance d (tokens)") { Log = true },
                    new Axis("held-out accuracy") { Min = 0 }
                )
                {
                    Series = probe,
                    Legend = LegendPosition.OutsideRight,
                }
            ),
            "Wilson 95 % bands; the horizontal line is the accuracy of always answering the most frequent class."
        );
        return figure;
    }

    private static Figure Length(ArchitectureStabilityOptions o, ArchitectureStabilityResult result, RunContext run)
    {
        var report = run.Report;
        var context = o.Length.TrainingContext;
        var total = context * o.Length.Factor;
        report.Section(
            "Past the training length",
            $"Each text read teacher-forced for {F(total)} tokens = {F(o.Length.Factor)} × the training context {F(context)}; "
                + $"means over texts in windows of {F(o.Length.Window)} positions. The differences are (mean at positions ≥ "
                + $"{F(context)}) − (mean before), per text, then over texts. The greedy continuation of each text's first "
                + $"{F(o.Length.PromptLength)} tokens runs to position {F(total)}; a loop is a terminal cycle (CycleDetector)."
        );
        var surprisal = new List<FigureSeries>();
        var norm = new List<FigureSeries>();
        var looping = new List<FigureSeries>();
        var rows = new List<KeyValue>();
        for (var i = 0; i < result.Models.Count; i++)
        {
            var m = result.Models[i];
            var profiles = result.Lengths.Where(p => p.Model == m.Label).ToArray();
            if (profiles.Length == 0)
                continue;
            var color = Color(i, result);
            var s = ContrastStatistics.Windows([.. profiles.Select(p => p.Surprisal)], o.Length.Window);
            Curve(surprisal, m, color, s.X, s.Mean, s.Lower, s.Upper, markers: false);
            var n = ContrastStatistics.Windows([.. profiles.Select(p => p.Norm)], o.Length.Window);
            norm.Add(new LineSeries(m.Label, n.X, n.Mean) { Color = color, Dashed = !m.Trained });
            var dS = ContrastStatistics.PastMinusWithin(profiles.Select(p => p.Surprisal), context);
            var dH = ContrastStatistics.PastMinusWithin(profiles.Select(p => p.Entropy), context);
            var dN = ContrastStatistics.PastMinusWithin(profiles.Select(p => p.Norm), context);
            var loops = profiles.Where(p => p.GeneratedLoopOnset is not null).ToArray();
            var (_, loLoop, hiLoop) = ContrastStatistics.Wilson(loops.Length, profiles.Length);
            double[] at = [.. Enumerable.Range(0, total + 1).Select(t => (double)t)];
            looping.Add(
                new LineSeries(m.Label, at, [.. at.Select(t => profiles.Count(p => p.GeneratedLoopOnset <= t) / (double)profiles.Length)])
                {
                    Color = color,
                    Dashed = !m.Trained,
                }
            );
            rows.Add(
                new KeyValue(
                    m.Label,
                    $"Δ surprisal {F(dS.Mean)} [{F(dS.Lower)}, {F(dS.Upper)}], Δ entropy {F(dH.Mean)} [{F(dH.Lower)}, {F(dH.Upper)}], "
                        + $"Δ ||h|| {F(dN.Mean)} [{F(dN.Lower)}, {F(dN.Upper)}]; greedy loops {loops.Length}/{profiles.Length} "
                        + $"[{F(loLoop, "F2")}, {F(hiLoop, "F2")}]"
                        + (
                            loops.Length > 0
                                ? $" (onsets {string.Join(", ", loops.Select(l => F(l.GeneratedLoopOnset!.Value)))}, periods "
                                    + $"{string.Join(", ", loops.Select(l => F(l.GeneratedLoopPeriod)))})"
                                : ""
                        )
                )
            );
            run.Headline($"surprisal past minus within {Key(m.Label)}", dS.Mean, "not measured: no text reaches past the context");
            run.Headline($"greedy loops {Key(m.Label)}", loops.Length);
        }
        report.Numbers(rows, $"Past minus within the training context ({F(context)})");
        surprisal.Add(new ReferenceLine($"training context ({F(context)})", ReferenceOrientation.Vertical, context));
        norm.Add(new ReferenceLine($"training context ({F(context)})", ReferenceOrientation.Vertical, context));
        looping.Add(new ReferenceLine($"training context ({F(context)})", ReferenceOrientation.Vertical, context));
        var figure = new Figure(
            "length-surprisal",
            "Surprisal up to and past the training length",
            new Axis("position"),
            new Axis("−ln p(next token) (nats)")
        )
        {
            Series = surprisal,
            Legend = LegendPosition.OutsideRight,
        };
        var name = run.Figure(figure);
        report.Figure(name, "Window means over texts with their 95 % t-bands; dashed: random-init twins.");
        report.Figure(
            run.Figure(
                new Figure("length-norm", "Top residual norm up to and past the training length", new Axis("position"), new Axis("||h||"))
                {
                    Series = norm,
                    Legend = LegendPosition.OutsideRight,
                }
            )
        );
        report.Figure(
            run.Figure(
                new Figure(
                    "length-loops",
                    "Greedy continuations inside a loop",
                    new Axis("position"),
                    new Axis("fraction looping") { Min = 0, Max = 1 }
                )
                {
                    Series = looping,
                    Legend = LegendPosition.OutsideRight,
                }
            ),
            "The fraction of texts whose greedy continuation has entered its terminal cycle by each position (onset ≤ position)."
        );
        return figure;
    }

    private static void Tables(ArchitectureStabilityResult result, RunContext run)
    {
        run.Table(
            "spectra",
            result.Spectra.SelectMany(c =>
                c.Exponents.Select((e, i) => new SpectrumRow(c.Model, c.Text, i + 1, e, c.TwoTrajectory, c.Breakdown ?? ""))
            )
        );
        run.Table("butterfly", result.Butterfly);
        run.Table(
            "memory-kl",
            result.Substitutions.SelectMany(s => s.Kl.Select((k, j) => new MemoryRow(s.Model, s.Text, s.Position, result.Distances[j], k)))
        );
        run.Table("memory-probe", result.Probe);
        run.Table(
            "length-profile",
            result.Lengths.SelectMany(p => p.Entropy.Select((h, t) => new LengthRow(p.Model, p.Text, t, h, p.Surprisal[t], p.Norm[t])))
        );
    }

    /// <summary>Adds a model's mean curve over its unlabelled 95 % band (a twin's line dashed, in its model's colour).</summary>
    private static void Curve(
        List<FigureSeries> series,
        ComparedModel m,
        string color,
        double[] x,
        double[] mean,
        double[] lower,
        double[] upper,
        bool markers = true
    )
    {
        series.Add(new BandSeries("", x, lower, upper) { Color = color });
        series.Add(
            new LineSeries(m.Label, x, mean)
            {
                Color = color,
                Markers = markers,
                Dashed = !m.Trained,
            }
        );
    }

    /// <summary>"brown-small (trained)" → "brown-small trained", as headline names have it.</summary>
    private static string Key(string label) =>
        label.Replace(" (", " ", StringComparison.Ordinal).Replace(")", "", StringComparison.Ordinal);

    /// <summary>One colour per architecture (a model and its twin share it, the twin dashed).</summary>
    private static string Color(int index, ArchitectureStabilityResult result)
    {
        var architectures = result.Models.Select(m => m.Facts.Path).Distinct().ToList();
        return Palette[architectures.IndexOf(result.Models[index].Facts.Path) % Palette.Length];
    }
}
