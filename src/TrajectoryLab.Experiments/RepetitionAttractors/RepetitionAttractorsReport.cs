// The report of repetition-attractors: loops by decoding (tables, basin maps, loop fraction, period and onset histograms),
// the entropy early warning (θ and lead times, from the recorded entropies), self-reinforcement, the RQA of the
// hidden-state trajectories with the example recurrence plots, and the escape thresholds.
// References: Holtzman et al. (2020), ICLR; Xu et al. (2022), NeurIPS; Welleck et al. (2020), ICLR (seq-rep-n);
// Marwan et al. (2007), Phys. Rep. 438:237 (RQA); Scheffer et al. (2009), Nature 461:53 (early-warning signals).
using System.Globalization;
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Core.Statistics;
using TrajectoryLab.Reporting.Reports;
using static TrajectoryLab.Experiments.RepetitionAttractors.RepetitionAttractorsMeasures;
using static TrajectoryLab.Experiments.Shared.ReportText;
using static TrajectoryLab.Reporting.Figures.SeriesColors;
using static TrajectoryLab.Reporting.Tables.TextTable;
using Fig = TrajectoryLab.Experiments.RepetitionAttractors.RepetitionAttractorsFigures;

namespace TrajectoryLab.Experiments.RepetitionAttractors;

/// <summary>One generation of the sweep (a row of generations.csv); lead time −1 when the loop was not warned or there
/// is no loop.</summary>
public sealed record GenerationRow(
    string Model,
    int Prompt,
    string Strategy,
    double Temperature,
    bool Loop,
    int Period,
    int Onset,
    double Repeats,
    [property: Column("seq_rep_4")] double SeqRep4,
    bool EndsInRepetition,
    bool Warned,
    int LeadTime,
    double MeanEntropyNats,
    string Text
);

/// <summary>One generated token (a row of tokens.csv).</summary>
public sealed record TokenRow(
    string Model,
    int Prompt,
    string Strategy,
    double Temperature,
    int Step,
    int TokenId,
    string Token,
    double EntropyNats
);

/// <summary>One model × decoding cell (a row of summary.csv); medians and the mean lead time NaN when there is nothing to
/// average.</summary>
public sealed record SummaryRow(
    string Model,
    string Strategy,
    double Temperature,
    int Generations,
    int Loops,
    double LoopFraction,
    double MedianPeriod,
    double MedianOnset,
    [property: Column("mean_seq_rep_4")] double MeanSeqRep4,
    double RepetitionPercent,
    int Warned,
    double MeanLeadTime
);

/// <summary>One sentence at n copies in the context (a row of self-reinforcement.csv); the fraction is NaN at n = 0.</summary>
public sealed record ReinforcementRow(
    string Model,
    int Sentence,
    int N,
    double MeanTokenProbability,
    [property: Column("fraction_rose_vs_n1")] double FractionRoseVsN1
);

/// <summary>The RQA of one generation's top-residual trajectory (a row of rqa.csv).</summary>
public sealed record RqaRow(
    string Model,
    int Prompt,
    string Strategy,
    double Temperature,
    bool Loop,
    double Threshold,
    double RecurrenceRate,
    double Determinism,
    double MeanDiagonal,
    double Laminarity,
    string Breakdown
);

/// <summary>One escape threshold (a row of escape.csv).</summary>
public sealed record EscapeRow(
    string Model,
    int Loop,
    int Prompt,
    int Period,
    int Layer,
    int Direction,
    double EpsilonEscape,
    double EpsilonStays,
    bool ReferenceStays
);

/// <summary>Renders a <see cref="RepetitionAttractorsResult"/>.</summary>
public static class RepetitionAttractorsReport
{
    /// <summary>Writes the tables, figures, sections and headlines of <paramref name="result"/>.</summary>
    public static void Render(RepetitionAttractorsOptions o, RepetitionAttractorsResult result, RunContext run)
    {
        var labels = result.Models.ToArray();
        var cells = Cells(o);
        var model = result.Model;
        var twin = labels.Length > 1 ? " and its random-init twin (same architecture, N(0, 0.02²) weights)" : "";
        run.Report.Lead(
            string.Create(
                CultureInfo.InvariantCulture,
                $"Repetition attractors of {model.Name} ({model.Path}; {model.Layers} layers, d_model {model.Width}){twin}. "
                    + $"{result.Prompts} prompts × {cells.Length} decoding cells "
                    + $"({string.Join(", ", cells.Select(c => Fig.Cell(c.Strategy, c.Temperature)))}; "
                    + $"top-k k = {o.TopK}, top-p p = {o.TopP}, "
                    + $"min-p {o.MinP}), {o.Steps} tokens each, no stopping at EOS. "
                    + $"A generation is in a loop when it ends in a cycle repeated at least {o.LoopRepeats} times "
                    + $"(CycleDetector: the period with the earliest onset)."
            )
        );
        var generations = result.Generations;
        Loops(o, run, labels, generations, model.Vocabulary);
        Reinforce(o, run, labels, result.Reinforcement);
        Recurrences(o, run, labels, generations, result.RecurrenceExamples);
        Escape(o, run, labels, result.Escapes, generations);
    }

    static void Loops(
        RepetitionAttractorsOptions o,
        RunContext run,
        string[] labels,
        IReadOnlyList<SweepGeneration> generations,
        int vocabulary
    )
    {
        var report = run.Report;
        // θ per model: the quantile of the entropy at every step outside a loop.
        var theta = labels.ToDictionary(
            m => m,
            m =>
                Sample.Quantile(
                    generations.Where(g => g.Model == m).SelectMany(g => g.Cycle.IsLoop ? g.EntropyNats[..g.Cycle.Onset] : g.EntropyNats),
                    o.WarningQuantile
                )
        );
        var warnings = generations.ToDictionary<SweepGeneration, SweepGeneration, EarlyWarningResult?>(
            g => g,
            g => g.Cycle.IsLoop ? EarlyWarning.LeadTime(g.EntropyNats, g.Cycle.Onset, theta[g.Model]) : null,
            ReferenceEqualityComparer.Instance
        );
        run.Table(
            "generations",
            generations.Select(g => new GenerationRow(
                g.Model,
                g.Prompt,
                g.Strategy,
                g.Temperature,
                g.Cycle.IsLoop,
                g.Cycle.Period,
                g.Cycle.Onset,
                g.Cycle.Repeats,
                RepetitionMetrics.SeqRepN(g.Tokens, 4).Value,
                RepetitionMetrics.EndsInRepetition(g.Tokens),
                warnings[g]?.Warned ?? false,
                warnings[g]?.LeadTime ?? -1,
                g.EntropyNats.Average(),
                g.Text.Replace("\n", " ")
            ))
        );
        run.Table(
            "tokens",
            generations.SelectMany(g =>
                g.Tokens.Select(
                    (t, s) => new TokenRow(g.Model, g.Prompt, g.Strategy, g.Temperature, s, t, g.TokenTexts[s], g.EntropyNats[s])
                )
            )
        );

        var summary = new List<SummaryRow>();
        foreach (var m in labels)
        foreach (var c in Cells(o))
        {
            var group = generations.Where(g => g.Model == m && g.Strategy == c.Strategy && g.Temperature == c.Temperature).ToArray();
            var loops = group.Where(g => g.Cycle.IsLoop).ToArray();
            var warned = loops.Where(g => warnings[g]!.Value.Warned).ToArray();
            summary.Add(
                new(
                    m,
                    c.Strategy,
                    c.Temperature,
                    group.Length,
                    loops.Length,
                    (double)loops.Length / group.Length,
                    Sample.Median(loops.Select(g => (double)g.Cycle.Period)),
                    Sample.Median(loops.Select(g => (double)g.Cycle.Onset)),
                    group.Average(g => RepetitionMetrics.SeqRepN(g.Tokens, 4).Value),
                    RepetitionMetrics.RepetitionPercent([.. group.Select(g => g.Tokens)]).Value,
                    warned.Length,
                    warned.Length > 0 ? warned.Average(g => warnings[g]!.Value.LeadTime) : double.NaN
                )
            );
        }
        run.Table("summary", summary);

        report.Section(
            "Loops by decoding",
            "Per model and decoding cell: generations, how many end in a loop, the median period and onset (step) of those loops, "
                + "mean seq-rep-4 (1 − unique 4-grams / 4-grams; Welleck et al. 2020) and Holtzman et al.'s repetition % "
                + "(the text ends in ≥ 3 copies of a phrase of ≥ 2 tokens)."
        );
        report.Add(
            new Preformatted(
                Table(
                    ["model", "decoding", "loops", "median P", "median onset", "seq-rep-4", "rep %"],
                    summary.Select(r =>
                        (IReadOnlyList<string>)
                            [
                                r.Model,
                                Fig.Cell(r.Strategy, r.Temperature),
                                $"{F(r.Loops)}/{F(r.Generations)}",
                                Dash(r.MedianPeriod),
                                Dash(r.MedianOnset),
                                F(r.MeanSeqRep4, "F3"),
                                F(r.RepetitionPercent, "F1"),
                            ]
                    )
                )
            )
        );
        foreach (var m in labels)
        {
            var mine = generations.Where(g => g.Model == m).ToArray();
            var byStrategy = o.Strategies.Select(s =>
                $"{s} {F(mine.Count(g => g.Strategy == s && g.Cycle.IsLoop))}/{F(mine.Count(g => g.Strategy == s))}"
            );
            var periods = mine.Where(g => g.Cycle.IsLoop).Select(g => g.Cycle.Period).ToArray();
            report.Paragraph(
                $"{m}: {F(mine.Count(g => g.Cycle.IsLoop))} of {F(mine.Length)} generations end in a loop "
                    + $"({string.Join(", ", byStrategy)}); "
                    + (
                        periods.Length > 0
                            ? $"periods {F(periods.Min())} to {F(periods.Max())} "
                                + $"(median {F(Sample.Median(periods.Select(p => (double)p)))}), "
                                + $"period 1 in {F(periods.Count(p => p == 1))}."
                            : "no loop at all."
                    )
            );
            foreach (var t in o.Temperatures)
            {
                var atT = mine.Where(g => g.Temperature == t).ToArray();
                if (atT.Length > 0)
                    report.Paragraph(
                        $"{m}, {Temperature(t)}, all sampled strategies: "
                            + $"{F(atT.Count(g => g.Cycle.IsLoop))}/{F(atT.Length)} in a loop."
                    );
            }
        }
        report.Figure(run.Figure(Fig.LoopFraction(generations, labels, o)));
        foreach (var m in labels)
            report.Figure(run.Figure(Fig.Basin(m, [.. generations.Where(g => g.Model == m)], o)));
        var loopsBy = labels.ToDictionary(m => m, m => generations.Where(g => g.Model == m && g.Cycle.IsLoop).ToArray());
        report.Figure(
            run.Figure(
                Fig.Histogram(
                    "periods",
                    loopsBy.ToDictionary(kv => kv.Key, kv => kv.Value.Select(g => (double)g.Cycle.Period).ToArray()),
                    "period P (tokens)",
                    Math.Max(1, o.Steps / o.LoopRepeats)
                )
            )
        );
        report.Figure(
            run.Figure(
                Fig.Histogram(
                    "onsets",
                    loopsBy.ToDictionary(kv => kv.Key, kv => kv.Value.Select(g => (double)g.Cycle.Onset).ToArray()),
                    "onset step",
                    o.Steps
                )
            )
        );

        report.Section(
            "Entropy early warning",
            $"θ is the {F(o.WarningQuantile)} quantile of the model's entropy (T = 1) at every step outside a loop. "
                + "A loop is warned when H_t < θ at its onset; the lead time is the onset minus the first step of the run of steps "
                + "with H_t < θ that reaches the onset (EarlyWarning.LeadTime)."
        );
        foreach (var m in labels)
        {
            var loops = loopsBy[m];
            var warned = loops.Where(g => warnings[g]!.Value.Warned).ToArray();
            var inside = loops.SelectMany(g => g.EntropyNats[g.Cycle.Onset..]).DefaultIfEmpty(double.NaN).Average();
            var before = loops.SelectMany(g => g.EntropyNats[..g.Cycle.Onset]).DefaultIfEmpty(double.NaN).Average();
            report.Paragraph(
                $"{m}: θ = {F(theta[m], "F3")} nats (ln|V| = {F(Math.Log(vocabulary), "F3")}); "
                    + $"{F(warned.Length)} of {F(loops.Length)} loops warned"
                    + (
                        warned.Length > 0
                            ? $", lead time median {F(Sample.Median(warned.Select(g => (double)warnings[g]!.Value.LeadTime)))} "
                                + $"and mean {F(warned.Average(g => warnings[g]!.Value.LeadTime), "F1")} steps"
                            : ""
                    )
                    + $". Mean entropy {F(before, "F3")} nats before the onsets and {F(inside, "F3")} inside the loops."
            );
            run.Headline($"{m}: generations in a loop", $"{loops.Length}/{generations.Count(g => g.Model == m)}");
            run.Headline(
                $"{m}: greedy generations in a loop",
                $"{loops.Count(g => g.Strategy == "greedy")}/{generations.Count(g => g.Model == m && g.Strategy == "greedy")}"
            );
            run.Headline($"{m}: loops warned by entropy", $"{warned.Length}/{loops.Length}");
            run.Headline(
                $"{m}: mean seq-rep-4",
                generations.Where(g => g.Model == m).Average(g => RepetitionMetrics.SeqRepN(g.Tokens, 4).Value),
                "not measured: a generation is shorter than 4 tokens"
            );
        }
        var nan = generations.Sum(g => g.EntropyNats.Count(e => !double.IsFinite(e)));
        report.Paragraph(
            $"Numerical breakdown: {F(nan)} of {F(generations.Sum(g => g.EntropyNats.Length))} " + "step entropies are not finite."
        );
    }

    static void Reinforce(RepetitionAttractorsOptions o, RunContext run, string[] labels, IReadOnlyList<Reinforcement> curves)
    {
        run.Table(
            "self-reinforcement",
            curves.SelectMany(c =>
                Enumerable
                    .Range(0, o.Repetitions + 1)
                    .Select(k => new ReinforcementRow(
                        c.Model,
                        c.Sentence,
                        k,
                        c.MeanProbability(k),
                        k >= 1 ? c.FractionRose(k) : double.NaN
                    ))
            )
        );
        run.Report.Section(
            "Self-reinforcement",
            $"Each of {F(o.Sentences.Length)} sentence(s) written {F(o.Repetitions + 1)} times after BOS and read in one teacher-forced "
                + "prefill; at n copies already in the context, the mean probability of the tokens of copy n + 1 and the fraction of its "
                + "tokens more probable than at n = 1 (Xu et al. 2022). n = 0 is the sentence read for the first time."
        );
        foreach (var m in labels)
        {
            var mine = curves.Where(c => c.Model == m).ToArray();
            if (mine.Length == 0)
                continue;
            double P(int k) => mine.Average(c => c.MeanProbability(k));
            var rose = mine.Average(c => c.FractionRose(o.Repetitions));
            run.Report.Paragraph(
                $"{m}: mean token probability {F(P(0), "G3")} at n = 0, {F(P(1), "G3")} at n = 1 and "
                    + $"{F(P(o.Repetitions), "G3")} at n = {F(o.Repetitions)}; "
                    + $"at n = {F(o.Repetitions)}, {F(100 * rose, "F1")}% of the tokens are more probable than at n = 1."
            );
            run.Headline($"{m}: p(repeat) at n = 1", P(1), "not measured: a sentence has no tokens to score");
            run.Headline($"{m}: p(repeat) at n = {o.Repetitions}", P(o.Repetitions), "not measured: a sentence has no tokens to score");
        }
        if (curves.Count > 0)
        {
            run.Report.Figure(run.Figure(Fig.Reinforcement(curves, labels)));
            if (o.Repetitions >= 2)
                run.Report.Figure(run.Figure(Fig.Rose(curves, labels)));
        }
    }

    static void Recurrences(
        RepetitionAttractorsOptions o,
        RunContext run,
        string[] labels,
        IReadOnlyList<SweepGeneration> generations,
        IReadOnlyList<RecurrenceExample> examples
    )
    {
        run.Table(
            "rqa",
            generations.Select(g => new RqaRow(
                g.Model,
                g.Prompt,
                g.Strategy,
                g.Temperature,
                g.Cycle.IsLoop,
                g.RecurrenceThreshold,
                g.Rqa.RecurrenceRate,
                g.Rqa.Determinism,
                g.Rqa.MeanDiagonalLength,
                g.Rqa.Laminarity,
                g.Rqa.Breakdown.ToString()
            ))
        );
        run.Report.Section(
            "Recurrence of the hidden-state trajectory",
            "States: h at the top of the stack at each generated step (the position whose logits chose the token). "
                + $"R_ij = 1 when ||h_i − h_j|| ≤ ε, with ε the {F(o.RecurrenceQuantile)} quantile "
                + "of the trajectory's own pairwise distances "
                + $"(so RR ≈ {F(o.RecurrenceQuantile)} by construction); "
                + "RQA with ℓ_min = v_min = 2 and a Theiler window of 1 (Marwan et al. 2007). "
                + "A loop of period P draws diagonal lines P apart."
        );
        foreach (var m in labels)
        {
            string Mean(bool loop, Func<RqaResult, double> f) =>
                F(
                    generations
                        .Where(g => g.Model == m && g.Cycle.IsLoop == loop)
                        .Select(g => f(g.Rqa))
                        .Where(double.IsFinite)
                        .DefaultIfEmpty(double.NaN)
                        .Average(),
                    "F3"
                );
            run.Report.Paragraph(
                $"{m}: mean DET {Mean(true, r => r.Determinism)} in looping and {Mean(false, r => r.Determinism)} "
                    + $"in non-looping generations; mean LAM {Mean(true, r => r.Laminarity)} and {Mean(false, r => r.Laminarity)}; "
                    + $"mean diagonal length {Mean(true, r => r.MeanDiagonalLength)} and {Mean(false, r => r.MeanDiagonalLength)}."
            );
            foreach (var kind in new[] { "looping", "non-looping" })
            {
                if (examples.FirstOrDefault(e => e.Model == m && e.Kind == kind) is not { } example)
                {
                    run.Report.Paragraph($"{m}: no {kind} generation to plot.");
                    continue;
                }
                var g = generations[example.Generation];
                var loop = g.Cycle.IsLoop ? $", period {F(g.Cycle.Period)} from step {F(g.Cycle.Onset)}" : "";
                var reading =
                    $"prompt {F(g.Prompt + 1)}, {Fig.Cell(g.Strategy, g.Temperature)}{loop}: "
                    + $"ε = {F(g.RecurrenceThreshold, "G3")}, "
                    + $"RR {F(g.Rqa.RecurrenceRate, "F3")}, DET {F(g.Rqa.Determinism, "F3")}, L {F(g.Rqa.MeanDiagonalLength, "F2")}, "
                    + $"LAM {F(g.Rqa.Laminarity, "F3")}";
                run.Report.Paragraph($"{m}, {kind} example, {reading}.");
                run.Report.Add(
                    new TokenStrip([.. g.TokenTexts.Select((t, s) => new Token(t, g.EntropyNats[s]))])
                    {
                        ValueLabel = "entropy of the model's distribution at that step (nats)",
                    }
                );
                run.Report.Figure(
                    run.Figure(Fig.Recurrence($"recurrence-{Fig.Slug(m)}-{kind}", $"Recurrence plot, {m}, {kind}", example.Plot, reading))
                );
            }
        }
    }

    static void Escape(
        RepetitionAttractorsOptions o,
        RunContext run,
        string[] labels,
        IReadOnlyList<EscapeThreshold> escapes,
        IReadOnlyList<SweepGeneration> generations
    )
    {
        run.Table(
            "escape",
            escapes.Select(e => new EscapeRow(
                e.Model,
                e.Loop,
                e.Prompt,
                e.Period,
                e.Layer,
                e.Direction,
                e.Epsilon,
                e.Lower,
                e.ReferenceStays
            ))
        );
        run.Report.Section(
            "Perturbation escape",
            o.EscapeLayers.Length == 0
                ? "Skipped (escapeLayers is empty)."
                : $"For the first {F(o.EscapeLoops)} greedy loop(s) of each model: "
                    + "the context is the prompt and the generation up to one full period past the onset; "
                    + "h_l at its last position is perturbed by ε·||h_l||·v "
                    + $"along {F(o.EscapeDirections)} random orthonormal directions v, on a log grid of ε from {F(o.EscapeMinEpsilon)} to "
                    + $"{F(o.EscapeMaxEpsilon)} ({F(o.EscapeGridPerDecade)} per decade), "
                    + $"then {F(o.EscapeBisections)} bisection(s) in log ε per direction. "
                    + "Each copy then decodes greedily for 2P tokens; "
                    + "it has escaped when its last P tokens are not the loop's cycle at any phase. "
                    + "ε* is the smallest escaping ε found; ∞ when none on the grid escapes."
        );
        if (escapes.Count == 0)
        {
            foreach (var m in labels)
                run.Report.Paragraph(
                    $"{m}: no escape search "
                        + $"({F(generations.Count(g => g.Model == m && g.Strategy == "greedy" && g.Cycle.IsLoop))} greedy loops)."
                );
            return;
        }
        var rows = escapes
            .GroupBy(e => (e.Model, e.Loop, e.Layer))
            .Select(g =>
                (IReadOnlyList<string>)
                    [
                        g.Key.Model,
                        F(g.Key.Loop + 1),
                        $"prompt {F(g.First().Prompt + 1)}, P = {F(g.First().Period)}",
                        F(g.Key.Layer),
                        Dash(Sample.Median(g.Select(e => e.Epsilon))),
                        $"{F(g.Count(e => double.IsPositiveInfinity(e.Epsilon)))}/{F(g.Count())}",
                    ]
            );
        run.Report.Add(new Preformatted(Table(["model", "loop", "generation", "layer", "median ε*", "never escaped"], rows)));
        foreach (var m in labels)
        {
            var mine = escapes.Where(e => e.Model == m).ToArray();
            if (mine.Length == 0)
            {
                run.Report.Paragraph($"{m}: no greedy loop, no escape search.");
                continue;
            }
            var byLayer = o
                .EscapeLayers.Select(l => (Layer: l, Median: Sample.Median(mine.Where(e => e.Layer == l).Select(e => e.Epsilon))))
                .Where(x => double.IsFinite(x.Median))
                .ToArray();
            var easiest = byLayer.Length > 0 ? byLayer.MinBy(x => x.Median) : default;
            run.Report.Paragraph(
                $"{m}: {F(mine.Count(e => double.IsFinite(e.Epsilon)))} of {F(mine.Length)} "
                    + "(loop, layer, direction) searches "
                    + $"escape within ε ≤ {F(o.EscapeMaxEpsilon)}; "
                    + $"median ε* over all of them {Dash(Sample.Median(mine.Select(e => e.Epsilon)))}"
                    + (
                        byLayer.Length > 0
                            ? $"; the layer with the smallest median ε* is h_{F(easiest.Layer)} ({F(easiest.Median, "G3")})"
                            : ""
                    )
                    + $". The unperturbed row stayed in its loop in {F(mine.Where(e => e.Direction == 0).Count(e => e.ReferenceStays))} "
                    + $"of {F(mine.Count(e => e.Direction == 0))} runs."
            );
            run.Headline(
                $"{m}: median escape ε*",
                Sample.Median(mine.Select(e => e.Epsilon)),
                $"not measured: most searches never escaped within ε ≤ {F(o.EscapeMaxEpsilon)}"
            );
        }
        run.Report.Figure(run.Figure(Fig.Escape(escapes, o)));
    }

    static string Dash(double v) =>
        double.IsFinite(v) ? F(v, "G3")
        : double.IsPositiveInfinity(v) ? "∞"
        : "—";
}
