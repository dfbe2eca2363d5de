// The report of entropy-rate-drift: held-out cross-entropy and perplexity; the entropy rate of the model's own samples by
// length bucket (mean surprisal and mean entropy, with their agreement), its perplexity against the held-out one (the
// amplification ratio); the cross-entropy of the calibrated model against α; the calibrated samples' entropy rate
// against the calibrated model's held-out cross-entropy; loop fractions; a table "ours vs paper" with verdicts.
// References: Braverman et al. (2020), "Calibration, Entropy Rates, and Memory in Language Models", ICML
// (arXiv:1906.05664), Table 1 (test perplexity vs the entropy-rate perplexity of generations) and the calibration.
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using static TrajectoryLab.Experiments.Shared.ReportText;
using static TrajectoryLab.Reporting.Figures.SeriesColors;
using static TrajectoryLab.Reporting.Tables.TextTable;

namespace TrajectoryLab.Experiments.EntropyRateDrift;

/// <summary>A row of heldout.csv.</summary>
/// <param name="Model">Model label.</param>
/// <param name="Distribution">"model" (p̂) or "calibrated α*" (p̂_α*).</param>
/// <param name="Positions">Tokens predicted.</param>
/// <param name="CeNats">Cross-entropy, nats per token.</param>
/// <param name="Perplexity">exp(CE).</param>
public sealed record HeldOutRow(string Model, string Distribution, int Positions, double CeNats, double Perplexity);

/// <summary>A row of buckets.csv: one length bucket of one model's generations from one sampler.</summary>
/// <param name="Model">Model label.</param>
/// <param name="Sampler">"ancestral" or "calibrated".</param>
/// <param name="Start">First position of the bucket (0 = first generated token).</param>
/// <param name="End">One past its last position.</param>
/// <param name="Surprisal">Mean −ln q(x_t), nats: the entropy-rate estimate.</param>
/// <param name="SurprisalSe">Its standard error over generations.</param>
/// <param name="Entropy">Mean H(q), nats: the same expectation.</param>
/// <param name="EntropySe">Its standard error over generations.</param>
/// <param name="DifferenceZ">Mean (surprisal − entropy) / its martingale standard error.</param>
/// <param name="RatePerplexity">exp(Surprisal).</param>
/// <param name="HeldOutPerplexity">exp(held-out CE of the distribution sampled from).</param>
/// <param name="Amplification">RatePerplexity / HeldOutPerplexity.</param>
/// <param name="ModelSurprisal">Mean −ln p̂(x_t) of the uncalibrated model on these tokens.</param>
/// <param name="Generations">Generations in the bucket.</param>
/// <param name="Tokens">Tokens in the bucket.</param>
public sealed record BucketRow(
    string Model,
    string Sampler,
    int Start,
    int End,
    double Surprisal,
    double SurprisalSe,
    double Entropy,
    double EntropySe,
    double DifferenceZ,
    double RatePerplexity,
    double HeldOutPerplexity,
    double Amplification,
    double ModelSurprisal,
    int Generations,
    int Tokens
);

/// <summary>A row of calibration.csv.</summary>
/// <param name="Alpha">α.</param>
/// <param name="CeNats">Held-out cross-entropy of p̂_α, nats per token.</param>
/// <param name="Perplexity">exp(CE).</param>
public sealed record AlphaRow(double Alpha, double CeNats, double Perplexity);

/// <summary>A row of generations.csv.</summary>
/// <param name="Model">Model label.</param>
/// <param name="Sampler">Sampler label.</param>
/// <param name="Index">Generation index.</param>
/// <param name="Prompt">Prompt (held-out text) index.</param>
/// <param name="Rate">Mean −ln q(x_t) over the whole generation, nats.</param>
/// <param name="Entropy">Mean H(q), nats.</param>
/// <param name="Loop">Ends in a terminal cycle.</param>
/// <param name="Period">Its period (0 without).</param>
/// <param name="Onset">Its onset (−1 without).</param>
/// <param name="EndsInRepetition">RepetitionMetrics.EndsInRepetition.</param>
public sealed record GenerationRow(
    string Model,
    string Sampler,
    int Index,
    int Prompt,
    double Rate,
    double Entropy,
    bool Loop,
    int Period,
    int Onset,
    bool EndsInRepetition
);

/// <summary>Renders an <see cref="EntropyRateDriftResult"/>.</summary>
public static class EntropyRateDriftReport
{
    /// <summary>Braverman et al. (2020) Table 1 rows quoted here: model, corpus, test perplexity, entropy-rate perplexity of
    /// its generations.</summary>
    public static readonly (string Model, string Corpus, double Test, double Generated)[] PaperTable1 =
    [
        ("AWD-LSTM", "PTB", 58.3, 93.1),
        ("CNN-LSTM", "GBW", 29.8, 49.4),
        ("GPT-2", "WebText", 23.7, 61.2),
    ];

    /// <summary>The length buckets of one model's generations from one sampler (empty when it has fewer than 2).</summary>
    public static RateBucket[] Buckets(EntropyRateDriftResult result, string model, string sampler, int width)
    {
        var g = result.Generations.Where(x => x.Model == model && x.Sampler == sampler).ToArray();
        return g.Length < 2 ? [] : EntropyRate.ByBucket([.. g.Select(x => x.Surprisal)], [.. g.Select(x => x.Entropy)], width);
    }

    /// <summary>The held-out cross-entropy of the distribution <paramref name="sampler"/> draws from.</summary>
    public static double HeldOutCe(EntropyRateDriftResult result, string model, string sampler) =>
        sampler == EntropyRateDriftExperiment.Calibrated
            ? result.Calibration.CrossEntropy
            : result.HeldOut.Single(h => h.Model == model).CrossEntropy;

    /// <summary>Writes the tables, figures, verdicts and headlines of <paramref name="result"/>.</summary>
    public static void Render(EntropyRateDriftOptions o, EntropyRateDriftResult result, RunContext run)
    {
        const string trained = "trained";
        var cal = result.Calibration;
        var cells = result
            .Generations.Select(g => (g.Model, g.Sampler))
            .Distinct()
            .Where(c => result.Generations.Count(g => g.Model == c.Model && g.Sampler == c.Sampler) >= 2)
            .ToArray();
        var buckets = cells.ToDictionary(c => c, c => Buckets(result, c.Model, c.Sampler, o.BucketTokens));

        run.Table(
            "heldout",
            result
                .HeldOut.Select(h => new HeldOutRow(h.Model, "model", h.Positions, h.CrossEntropy, Math.Exp(h.CrossEntropy)))
                .Append(new HeldOutRow(trained, "calibrated α*", result.HeldOut[0].Positions, cal.CrossEntropy, Math.Exp(cal.CrossEntropy)))
        );
        run.Table(
            "buckets",
            cells.SelectMany(c =>
            {
                var ce = HeldOutCe(result, c.Model, c.Sampler);
                var g = result.Generations.Where(x => x.Model == c.Model && x.Sampler == c.Sampler).ToArray();
                return buckets[c]
                    .Select(b => new BucketRow(
                        c.Model,
                        c.Sampler,
                        b.Start,
                        b.End,
                        b.Surprisal,
                        b.SurprisalSe,
                        b.Entropy,
                        b.EntropySe,
                        b.DifferenceZ,
                        Math.Exp(b.Surprisal),
                        Math.Exp(ce),
                        Math.Exp(b.Surprisal - ce),
                        g.SelectMany(x => x.ModelSurprisal.Take(b.End).Skip(b.Start)).Average(),
                        b.Sequences,
                        b.Tokens
                    ));
            })
        );
        run.Table("calibration", cal.Grid.Select((a, i) => new AlphaRow(a, cal.CrossEntropies[i], Math.Exp(cal.CrossEntropies[i]))));
        run.Table(
            "generations",
            result.Generations.Select(g => new GenerationRow(
                g.Model,
                g.Sampler,
                g.Index,
                g.Prompt,
                g.Surprisal.Average(),
                g.Entropy.Average(),
                g.Loop,
                g.Period,
                g.Onset,
                g.EndsInRepetition
            ))
        );

        // headlines
        var ce0 = HeldOutCe(result, trained, EntropyRateDriftExperiment.Ancestral);
        var baseBuckets = buckets[(trained, EntropyRateDriftExperiment.Ancestral)];
        var (first, last) = (baseBuckets[0], baseBuckets[^1]);
        double Rate(string model, string sampler) =>
            result.Generations.Where(g => g.Model == model && g.Sampler == sampler).SelectMany(g => g.Surprisal).Average();
        double LoopFraction(string model, string sampler) =>
            result.Generations.Where(g => g.Model == model && g.Sampler == sampler).Average(g => g.Loop ? 1.0 : 0.0);
        double RateIn(string model, string sampler, int from, int to) =>
            result
                .Generations.Where(g => g.Model == model && g.Sampler == sampler)
                .SelectMany(g => g.Surprisal.Take(to).Skip(from))
                .DefaultIfEmpty(double.NaN)
                .Average();
        (double Gap, double Se) Gap(string sampler, int from, int to)
        {
            // per generation: its mean surprisal over [from, to); the gap's error is the spread over generations
            var ce = HeldOutCe(result, trained, sampler);
            double[] means =
            [
                .. result
                    .Generations.Where(g => g.Model == trained && g.Sampler == sampler && g.Surprisal.Length > from)
                    .Select(g => g.Surprisal.Take(to).Skip(from).Average()),
            ];
            return means.Length == 0 ? (double.NaN, double.NaN) : (means.Average() - ce, EntropyRate.Se(means));
        }
        var baseRate = Rate(trained, EntropyRateDriftExperiment.Ancestral);
        var ctx = result.Context;
        var (within, past) = (
            RateIn(trained, EntropyRateDriftExperiment.Ancestral, 0, ctx),
            RateIn(trained, EntropyRateDriftExperiment.Ancestral, ctx, result.Generated)
        );
        run.Headline("held-out CE (nats/token)", ce0);
        run.Headline("held-out perplexity", Math.Exp(ce0));
        run.Headline("entropy-rate perplexity, all generated tokens", Math.Exp(baseRate));
        run.Headline("entropy-rate perplexity, last bucket", Math.Exp(last.Surprisal));
        run.Headline("amplification, all generated tokens", Math.Exp(baseRate - ce0));
        run.Headline("amplification, first bucket", Math.Exp(first.Surprisal - ce0));
        run.Headline("amplification, within the training context", Math.Exp(within - ce0));
        run.Headline("amplification, past the training context", Math.Exp(past - ce0), "no generated token past the context");
        run.Headline("amplification, last bucket", Math.Exp(last.Surprisal - ce0));
        run.Headline("largest |z| of surprisal − entropy", cells.SelectMany(c => buckets[c]).Max(b => Math.Abs(b.DifferenceZ)));
        run.Headline("alpha*", cal.Alpha);
        run.Headline("CE(alpha*) (nats/token)", cal.CrossEntropy);
        run.Headline("CE(alpha*) - CE(0) (nats/token)", cal.CrossEntropy - cal.Uncalibrated);
        run.Headline("loop fraction, ancestral", LoopFraction(trained, EntropyRateDriftExperiment.Ancestral));
        RateBucket[]? calBuckets = null;
        if (cells.Contains((trained, EntropyRateDriftExperiment.Calibrated)))
        {
            calBuckets = buckets[(trained, EntropyRateDriftExperiment.Calibrated)];
            var calRate = Rate(trained, EntropyRateDriftExperiment.Calibrated);
            run.Headline("calibrated entropy-rate perplexity, all generated tokens", Math.Exp(calRate));
            run.Headline("calibrated amplification, all generated tokens", Math.Exp(calRate - cal.CrossEntropy));
            run.Headline("calibrated amplification, last bucket", Math.Exp(calBuckets[^1].Surprisal - cal.CrossEntropy));
            run.Headline(
                "calibrated amplification, within the training context",
                Math.Exp(RateIn(trained, EntropyRateDriftExperiment.Calibrated, 0, ctx) - cal.CrossEntropy)
            );
            run.Headline(
                "calibrated amplification, past the training context",
                Math.Exp(RateIn(trained, EntropyRateDriftExperiment.Calibrated, ctx, result.Generated) - cal.CrossEntropy),
                "no generated token past the context"
            );
            run.Headline("loop fraction, calibrated", LoopFraction(trained, EntropyRateDriftExperiment.Calibrated));
        }
        foreach (var h in result.HeldOut.Where(h => h.Model != trained))
        {
            run.Headline($"held-out CE, {h.Model} (nats/token)", h.CrossEntropy);
            run.Headline(
                $"amplification, {h.Model}, all generated tokens",
                Math.Exp(Rate(h.Model, EntropyRateDriftExperiment.Ancestral) - h.CrossEntropy)
            );
        }

        var report = run.Report;
        report.Lead(
            $"{result.Model.Name} ({result.Model.Architecture}, {F(result.Model.Layers)} layers, d = {F(result.Model.Width)}, "
                + $"vocabulary {F(result.Model.Vocabulary)}; training context {F(result.Context)} tokens). Held-out text: "
                + $"{F(result.HeldOut[0].Texts)} texts, {F(result.HeldOut[0].Positions)} predicted tokens. Generations: "
                + $"{F(o.Prompts)} prompts (the first {F(o.PromptTokens)} tokens of the first held-out texts) × {F(o.Samples)} samples "
                + $"at T = 1, {F(result.Generated)} tokens each ({F(o.LengthFactor)} × the context); calibrated: "
                + $"{F(o.CalibratedGenerations)} generations from p̂_α*, k = {F(o.TopK)} lookahead candidates. The entropy rate of a "
                + "distribution q on its own samples is the mean −ln q(x_t) of the sampled tokens; the mean entropy H(q(· | x_<t)) "
                + "has the same expectation, and both are shown in buckets of "
                + $"{F(o.BucketTokens)} positions. Amplification = exp(rate − held-out CE), the ratio of the two perplexities."
        );

        var rows = new List<IReadOnlyList<string>>();
        foreach (var p in PaperTable1)
            rows.Add(
                Row(
                    $"Table 1, {p.Model} ({p.Corpus})",
                    $"{F(p.Test)} → {F(p.Generated)} (×{F(p.Generated / p.Test, "G3")})",
                    "",
                    "paper's figure"
                )
            );
        var amplified = last.Surprisal - ce0 > 2 * last.SurprisalSe;
        rows.Add(
            Row(
                "entropy rate of generations > held-out CE (amplification)",
                "perplexity ×1.2 – ×2.6 (Table 1)",
                $"{F(Math.Exp(ce0), "G4")} → {F(Math.Exp(baseRate), "G4")} (×{F(Math.Exp(baseRate - ce0), "G3")}); last bucket ×"
                    + F(Math.Exp(last.Surprisal - ce0), "G3"),
                amplified ? "reproduced" : "not reproduced"
            )
        );
        var (gw, gp) = (
            Gap(EntropyRateDriftExperiment.Ancestral, 0, ctx),
            Gap(EntropyRateDriftExperiment.Ancestral, ctx, result.Generated)
        );
        rows.Add(
            Row(
                $"… within the training context (t < {F(ctx)}) / past it",
                "(Table 1 does not split)",
                $"×{F(Math.Exp(gw.Gap), "G3")} (gap {F(gw.Gap, "G3")} ± {F(gw.Se, "G2")} nats) / ×{F(Math.Exp(gp.Gap), "G3")} "
                    + $"({F(gp.Gap, "G3")} ± {F(gp.Se, "G2")})",
                gw.Gap > 2 * gw.Se ? "amplified within the context too"
                    : gp.Gap > 2 * gp.Se ? "amplified only past the training context"
                    : "not amplified"
            )
        );
        var grows =
            last.Surprisal - first.Surprisal > 2 * Math.Sqrt(last.SurprisalSe * last.SurprisalSe + first.SurprisalSe * first.SurprisalSe);
        rows.Add(
            Row(
                "the entropy rate grows with the generation length t",
                "grows with t",
                $"{F(first.Surprisal, "G4")} nats (t < {F(first.End)}) → {F(last.Surprisal, "G4")} nats (t ≥ {F(last.Start)})",
                grows ? "reproduced"
                    : last.Surprisal < first.Surprisal - 2 * last.SurprisalSe ? "not reproduced: it falls (loops)"
                    : "not reproduced: flat within error"
            )
        );
        var maxZ = cells.SelectMany(c => buckets[c]).Max(b => Math.Abs(b.DifferenceZ));
        rows.Add(
            Row(
                "mean surprisal = mean entropy (same expectation)",
                "identity",
                $"largest |z| = {F(maxZ, "G3")} over {F(cells.Sum(c => buckets[c].Length))} buckets",
                maxZ < 4 ? "agree" : "disagree: check the sampler"
            )
        );
        rows.Add(
            Row(
                "calibration lowers held-out CE (α* by CE)",
                "CE(α*) ≤ CE(0)",
                $"α* = {F(cal.Alpha, "G4")}: {F(cal.Uncalibrated, "G6")} → {F(cal.CrossEntropy, "G6")} nats "
                    + $"(Δ = {F(cal.CrossEntropy - cal.Uncalibrated, "G3")})",
                cal.AtGridEdge ? "minimum at the grid's edge: widen alphas" : "holds"
            )
        );
        if (calBuckets is { } cb)
        {
            var calRate = Rate(trained, EntropyRateDriftExperiment.Calibrated);
            var from = ctx < result.Generated ? ctx : 0;
            var (b, c) = (
                Gap(EntropyRateDriftExperiment.Ancestral, from, result.Generated),
                Gap(EntropyRateDriftExperiment.Calibrated, from, result.Generated)
            );
            var se = Math.Sqrt(b.Se * b.Se + c.Se * c.Se);
            rows.Add(
                Row(
                    "calibration shrinks the entropy-rate gap",
                    "gap shrinks",
                    $"all tokens: ×{F(Math.Exp(baseRate - ce0), "G3")} → ×{F(Math.Exp(calRate - cal.CrossEntropy), "G3")}; t ≥ {F(from)}: "
                        + $"gap {F(b.Gap, "G3")} ± {F(b.Se, "G2")} → {F(c.Gap, "G3")} ± {F(c.Se, "G2")} nats",
                    b.Gap - c.Gap > 2 * se ? "reproduced"
                        : c.Gap - b.Gap > 2 * se ? "not reproduced: it grows"
                        : b.Gap > c.Gap ? "not reproduced: smaller, within error"
                        : "not reproduced: within error"
                )
            );
            rows.Add(
                Row(
                    "loop fraction (terminal cycle, CycleDetector)",
                    "(not in the paper)",
                    $"{F(LoopFraction(trained, EntropyRateDriftExperiment.Ancestral), "G3")} ancestral → "
                        + $"{F(LoopFraction(trained, EntropyRateDriftExperiment.Calibrated), "G3")} calibrated",
                    "reported"
                )
            );
        }
        report.Section("Ours vs paper");
        report.Add(new Preformatted(Table(["claim", "paper", "ours", "verdict"], rows)));
        report.Paragraph(
            $"Lookahead: Ĥ is computed for the k = {F(cal.TopK)} most probable tokens (they held {F(cal.CandidateMass, "G3")} of p̂'s "
                + $"mass and {F(cal.TargetInCandidates, "G3")} of the true tokens on the held-out text); every other token gets their "
                + "mean lookahead entropy, so their relative probabilities are unchanged. At α = 0 the mean Ĥ − H̄ of the true "
                + $"tokens was {F(cal.TextLookahead, "G3")} nats against {F(cal.ModelLookahead, "G3")} expected by the model: "
                + "α* > 0 (penalising high-entropy futures) when the text's tokens lead to lower next-step entropy than the model's "
                + "own choices would. α* is fitted and CE(α*) is measured on the same held-out texts."
        );

        report.Section(
            "Entropy rate against generation length",
            "Per bucket: the mean surprisal −ln q(x_t) of the sampled tokens and the mean entropy H_t of the "
                + "distribution q they were drawn from, against the held-out cross-entropy of q (dashed); the vertical line is the "
                + "training context. One figure per model."
        );
        foreach (var model in result.Models)
        {
            var mine = cells.Where(c => c.Model == model).ToArray();
            if (mine.Length == 0)
                continue;
            var series = new List<LineSeries>();
            foreach (var (c, i) in mine.Select((c, i) => (c, i)))
            {
                var b = buckets[c];
                double[] x = [.. b.Select(r => (r.Start + r.End) / 2.0)];
                var (color, other) = (Palette[2 * i % Palette.Length], Palette[(2 * i + 1) % Palette.Length]);
                var ce = HeldOutCe(result, c.Model, c.Sampler);
                series.Add(new LineSeries($"{c.Sampler}: −ln q(x_t)", x, [.. b.Select(r => r.Surprisal)]) { Color = color });
                series.Add(new LineSeries($"{c.Sampler}: H_t", x, [.. b.Select(r => r.Entropy)]) { Color = other });
                series.Add(new LineSeries($"{c.Sampler}: held-out CE", [0, result.Generated], [ce, ce]) { Color = color, Dashed = true });
            }
            double[] all = [.. mine.SelectMany(c => buckets[c]).SelectMany(b => new[] { b.Surprisal, b.Entropy })];
            if (ctx < result.Generated)
                series.Add(
                    new LineSeries("training context", [ctx, ctx], [all.Min(), all.Max()])
                    {
                        Color = Palette[2 * mine.Length % Palette.Length],
                    }
                );
            report.Figure(
                run.Figure(
                    new Figure(
                        model == trained ? "entropy-rate-by-length" : $"entropy-rate-by-length-{Slug(model)}",
                        $"Entropy rate of the model's own samples ({model})",
                        new Axis("generated position t"),
                        new Axis("nats per token")
                    )
                    {
                        Series = [.. series],
                        Legend = LegendPosition.OutsideRight,
                    }
                )
            );
        }
        report.Section("Held-out cross-entropy of the calibrated model");
        report.Figure(
            run.Figure(
                Lines(
                    "ce-vs-alpha",
                    "CE(α) of p̂_α on the held-out texts",
                    "α",
                    "nats per token",
                    [
                        ("CE(α)", cal.Grid, cal.CrossEntropies),
                        ("α*", [cal.Alpha, cal.Alpha], [cal.CrossEntropies.Min(), cal.CrossEntropies.Max()]),
                    ]
                )
            )
        );
    }

    private static IReadOnlyList<string> Row(string claim, string paper, string ours, string verdict) => [claim, paper, ours, verdict];

    private static Figure Lines(
        string name,
        string title,
        string x,
        string y,
        IEnumerable<(string Title, double[] X, double[] Y)> series
    ) =>
        new(name, title, new Axis(x), new Axis(y))
        {
            Series =
            [
                .. series.Select(
                    (s, i) => new LineSeries(s.Title, s.X, s.Y) { Color = Palette[i / 3 % Palette.Length], Dashed = i % 3 == 2 }
                ),
            ],
            Legend = LegendPosition.OutsideRight,
        };
}
