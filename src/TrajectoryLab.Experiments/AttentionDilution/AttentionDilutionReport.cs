// Tables, figures and the report of attention-dilution, rendered from an AttentionDilutionResult; every number in a
// sentence is computed from the result.
// References: Zhai et al. (2023), ICML (attention entropy); Press et al. (2022), ICLR (train short, test long);
// Liu et al. (2024), TACL 12 (lost in the middle); Roy & Vetterli (2007), EUSIPCO (effective rank).
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using static TrajectoryLab.Experiments.Shared.ReportText;
using static TrajectoryLab.Reporting.Figures.SeriesColors;
using static TrajectoryLab.Reporting.Tables.TextTable;

namespace TrajectoryLab.Experiments.AttentionDilution;

/// <summary>Mean normalised attention entropy of one head at one query position (a row of attention-entropy.csv).</summary>
public sealed record AttentionEntropyRow(string Model, int Layer, int Head, int Position, double NormalisedEntropy);

/// <summary>Per-position means over texts (a row of position-statistics.csv).</summary>
public sealed record PositionStatisticsRow(
    string Model,
    int Position,
    double ResidualNorm,
    double NextTokenEntropyNats,
    double SurprisalNats
);

/// <summary>Rank of the top residual over one window of one text (a row of effective-rank.csv).</summary>
public sealed record EffectiveRankRow(
    string Model,
    string Text,
    int WindowStart,
    double EffectiveRank,
    double StableRank,
    string Breakdown
);

/// <summary>One scored retrieval query (a row of retrieval.csv).</summary>
public sealed record RetrievalRow(
    string Model,
    int RelevantPosition,
    int Trial,
    bool TopAmongValues,
    bool TopOverall,
    double ProbabilityShare,
    int Tokens
);

/// <summary>Renders an <see cref="AttentionDilutionResult"/>.</summary>
public static class AttentionDilutionReport
{
    /// <summary>Writes the tables, figures, headlines and report of <paramref name="result"/>.</summary>
    /// <param name="o">The options.</param>
    /// <param name="result">What was measured.</param>
    /// <param name="run">The run.</param>
    public static void Render(AttentionDilutionOptions o, AttentionDilutionResult result, RunContext run)
    {
        var profiles = result.Profiles;
        var m = result.Model;
        var length = result.TextTokens.Max();
        var context = result.ContextLength;
        var span = Math.Min(context, length - context); // width of the compared regions on each side of the context length
        Tables(run, result, length);

        var report = run.Report;
        report.Lead(
            $"{result.TextTokens.Length} text(s) of {F(result.TextTokens.Min())}–{F(length)} tokens (BOS included) "
                + $"read in one prefill each by {o.Model.Name} ({m.Path}: {F(m.Layers)} layers × {F(result.Heads)} heads, "
                + $"RoPE θ = {F(result.RopeTheta)}) and by its random-init twin. "
                + $"config.json declares max_position_embeddings = {F(context)}, the context it was trained with; "
                + $"RoPE has no position table, so longer texts run and position {F(context)} onward is extrapolation. "
                + "Attention entropy H_t of query t over its t visible keys is divided by ln t "
                + "(1 = uniform attention over everything seen, the dilution limit; 0 = one key)."
        );

        report.Section(
            "Attention entropy against position",
            span > 0
                ? $"Mean over heads and texts, in windows of {F(o.Window)} positions. "
                    + $"The compared regions are the {F(span)} positions before and after position {F(context)}."
                : $"No text is longer than the training context ({F(context)} tokens): nothing past it is measured."
        );
        var series = new List<FigureSeries>();
        foreach (var p in profiles)
            for (var l = 0; l < m.Layers; l++)
            {
                var (x, y) = HeadMean(p.NormalisedEntropy[l], length).Windows(o.Window);
                series.Add(
                    new LineSeries($"{p.Label}, layer {l}", x, y)
                    {
                        Dashed = !ReferenceEquals(p, profiles[0]),
                        Color = Palette[l % Palette.Length],
                    }
                );
            }
        if (span > 0)
            series.Add(new ReferenceLine($"training context ({F(context)})", ReferenceOrientation.Vertical, context));
        report.Figure(
            run.Figure(
                new Figure(
                    "attention-entropy",
                    "Normalised attention entropy H_t / ln t by layer",
                    new Axis("query position t"),
                    new Axis("H_t / ln t") { Min = 0, Max = 1 }
                )
                {
                    Series = series,
                    Legend = LegendPosition.OutsideRight,
                }
            )
        );
        var rows = new List<KeyValue>();
        foreach (var p in profiles)
            for (var l = 0; l < m.Layers; l++)
            {
                var mean = HeadMean(p.NormalisedEntropy[l], length);
                // short texts: their second half
                var inside = span > 0 ? mean.RangeMean(context - span, context) : mean.RangeMean(length / 2, length);
                var raw = p.RawEntropyNats[l];
                rows.Add(
                    new KeyValue(
                        $"{p.Label}, layer {l}",
                        span > 0
                            ? $"H/ln t = {F(inside, "F3")} before, {F(mean.RangeMean(context, context + span), "F3")} after; "
                                + $"H = {F(raw.RangeMean(context - span, context), "F3")} → "
                                + $"{F(raw.RangeMean(context, context + span), "F3")} nats"
                            : $"H/ln t = {F(inside, "F3")} over positions {F(length / 2)}–{F(length - 1)}"
                    )
                );
                if (span > 0 && l == m.Layers - 1)
                    run.Headline(
                        $"top-layer H/ln t after minus before context, {p.Label}",
                        mean.RangeMean(context, context + span) - inside
                    );
            }
        report.Numbers(rows);
        if (profiles.Sum(p => p.BadRows) > 0)
            report.Paragraph($"{F(profiles.Sum(p => p.BadRows))} attention rows had NaN or negative weights and were left out.");

        var heat = profiles[0];
        var heads = result.Heads;
        var windows = (length + o.Window - 1) / o.Window;
        var cells = Enumerable
            .Range(0, m.Layers * heads)
            .Select(r =>
                Enumerable
                    .Range(0, windows)
                    .Select(w => heat.NormalisedEntropy[r / heads][r % heads].RangeMean(w * o.Window, (w + 1) * o.Window))
                    .ToArray()
            )
            .ToArray();
        report.Paragraph(
            $"Every head of the {heat.Label} model: rows are layer × {F(heads)} + head (layer 0 at the bottom), "
                + $"columns windows of {F(o.Window)} positions."
        );
        report.Figure(
            run.Figure(
                new Figure(
                    "attention-entropy-heads",
                    $"H_t / ln t per head ({heat.Label})",
                    new Axis("query position t"),
                    new Axis("layer × heads + head")
                )
                {
                    Series =
                    [
                        new HeatmapSeries("H/ln t", 0, windows * o.Window, 0, m.Layers * heads, cells) { ColorAxisTitle = "H_t / ln t" },
                    ],
                }
            )
        );

        Drift(run, o, profiles, context, span);
        Retrieval(run, o, profiles);
    }

    /// <summary>[position] the mean over heads of the per-head means (NaN where no head has a finite value).</summary>
    private static double[] HeadMean(double[][] heads, int length) =>
        [
            .. Enumerable
                .Range(0, length)
                .Select(t => heads.Select(h => h[t]).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average())
                .Select(v => double.IsFinite(v) ? v : double.NaN),
        ];

    private static void Tables(RunContext run, AttentionDilutionResult result, int length)
    {
        var profiles = result.Profiles;
        run.Table(
            "attention-entropy",
            profiles.SelectMany(p =>
                Enumerable
                    .Range(0, result.Model.Layers)
                    .SelectMany(l =>
                        Enumerable
                            .Range(0, result.Heads)
                            .SelectMany(h =>
                                Enumerable
                                    .Range(1, length - 1)
                                    .Select(t => new AttentionEntropyRow(p.Label, l, h, t, p.NormalisedEntropy[l][h][t]))
                            )
                    )
            )
        );
        run.Table(
            "position-statistics",
            profiles.SelectMany(p =>
                Enumerable
                    .Range(0, length)
                    .Select(t => new PositionStatisticsRow(p.Label, t, p.ResidualNorm[t], p.NextTokenEntropyNats[t], p.SurprisalNats[t]))
            )
        );
        run.Table(
            "effective-rank",
            profiles.SelectMany(p =>
                p.Ranks.Select(r => new EffectiveRankRow(p.Label, r.Text, r.Start, r.EffectiveRank, r.StableRank, r.Breakdown.ToString()))
            )
        );
        run.Table(
            "retrieval",
            profiles.SelectMany(p =>
                p.Retrieval.Select(r => new RetrievalRow(p.Label, r.Position, r.Trial, r.TopAmongValues, r.TopOverall, r.Share, r.Tokens))
            )
        );
    }

    private static void Drift(RunContext run, AttentionDilutionOptions o, IReadOnlyList<DilutionProfile> profiles, int context, int span)
    {
        var report = run.Report;
        report.Section(
            "Hidden-state drift past the training length",
            $"Top residual norm, next-token entropy and surprisal (mean over texts, windows of {F(o.Window)}), and the effective rank "
                + $"(Roy–Vetterli) of the top residual over windows of {F(o.Window)} consecutive positions."
        );
        FigureSeries Ref() => new ReferenceLine($"training context ({F(context)})", ReferenceOrientation.Vertical, context);
        LineSeries Line(DilutionProfile p, double[] q, string what, string color)
        {
            var (x, y) = q.Windows(o.Window);
            return new LineSeries($"{p.Label}{what}", x, y) { Dashed = !ReferenceEquals(p, profiles[0]), Color = color };
        }
        report.Figure(
            run.Figure(
                new Figure("residual-norm", "‖h‖ of the top residual", new Axis("position"), new Axis("‖h‖"))
                {
                    Series = [.. profiles.Select(p => Line(p, p.ResidualNorm, "", Palette[0])), .. span > 0 ? new[] { Ref() } : []],
                }
            )
        );
        report.Figure(
            run.Figure(
                new Figure("next-token", "Next-token entropy and surprisal", new Axis("position"), new Axis("nats") { Min = 0 })
                {
                    Series =
                    [
                        .. profiles.SelectMany(p =>
                            new[]
                            {
                                Line(p, p.NextTokenEntropyNats, ", entropy", Palette[0]),
                                Line(p, p.SurprisalNats, ", surprisal", Palette[1]),
                            }
                        ),
                        .. span > 0 ? new[] { Ref() } : [],
                    ],
                }
            )
        );
        var rankSeries = profiles
            .Select(p =>
            {
                var byStart = p
                    .Ranks.GroupBy(r => r.Start)
                    .OrderBy(g => g.Key)
                    .Select(g => (X: g.Key + o.Window / 2.0, Y: g.Average(r => r.EffectiveRank)))
                    .ToArray();
                return (FigureSeries)
                    new LineSeries(p.Label, [.. byStart.Select(b => b.X)], [.. byStart.Select(b => b.Y)])
                    {
                        Markers = true,
                        Dashed = !ReferenceEquals(p, profiles[0]),
                    };
            })
            .ToList();
        report.Figure(
            run.Figure(
                new Figure(
                    "effective-rank",
                    $"Effective rank of the top residual over {F(o.Window)}-position windows",
                    new Axis("window centre"),
                    new Axis("effective rank") { Min = 0 }
                )
                {
                    Series = [.. rankSeries, .. span > 0 ? new[] { Ref() } : []],
                }
            )
        );

        if (span <= 0)
            return;
        double Rank(DilutionProfile p, int from, int to) =>
            p
                .Ranks.Where(r => r.Start >= from && r.Start + o.Window <= to)
                .Select(r => r.EffectiveRank)
                .DefaultIfEmpty(double.NaN)
                .Average();
        string Before(double[] q, string format = "G4") => F(q.RangeMean(context - span, context), format);
        string After(double[] q, string format = "G4") => F(q.RangeMean(context, context + span), format);
        report.Numbers(
            [
                .. profiles.SelectMany(p =>
                    new[]
                    {
                        new KeyValue($"{p.Label}: ‖h‖", $"{Before(p.ResidualNorm)} before → {After(p.ResidualNorm)} after"),
                        new KeyValue(
                            $"{p.Label}: next-token entropy",
                            $"{Before(p.NextTokenEntropyNats, "F3")} → {After(p.NextTokenEntropyNats, "F3")} nats"
                        ),
                        new KeyValue($"{p.Label}: surprisal", $"{Before(p.SurprisalNats, "F3")} → {After(p.SurprisalNats, "F3")} nats"),
                        new KeyValue(
                            $"{p.Label}: effective rank",
                            $"{F(Rank(p, context - span, context), "F1")} → {F(Rank(p, context, context + span), "F1")}"
                        ),
                    }
                ),
            ],
            $"the {F(span)} positions before position {F(context)} → the {F(span)} after"
        );
        foreach (var p in profiles)
            run.Headline(
                $"surprisal after minus before context (nats), {p.Label}",
                p.SurprisalNats.RangeMean(context, context + span) - p.SurprisalNats.RangeMean(context - span, context)
            );
    }

    private static void Retrieval(RunContext run, AttentionDilutionOptions o, IReadOnlyList<DilutionProfile> profiles)
    {
        if (o.Retrieval.Pairs == 0)
            return;
        var report = run.Report;
        var pairs = o.Retrieval.Pairs;
        var tokens = profiles[0].Retrieval.Select(r => r.Tokens).ToArray();
        report.Section(
            "Key–value retrieval (lost in the middle)",
            $"Contexts of {F(pairs)} “key: value.” pairs drawn from {F(o.Retrieval.Words.Length)} words "
                + $"({F(tokens.Min())}–{F(tokens.Max())} tokens), then “key:”; "
                + $"{F(o.Retrieval.Trials)} contexts per position of the queried pair "
                + "(the same words at every position, only the order rotated). "
                + "A query counts as retrieved when the first token of the right value is the most probable of the "
                + $"{F(pairs)} values' first tokens; "
                + $"chance is 1/{F(pairs)} = {F(1.0 / pairs, "F3")}."
        );
        var series = new List<FigureSeries>();
        var rows = new List<KeyValue>();
        foreach (var p in profiles)
        {
            var byPosition = p.Retrieval.GroupBy(r => r.Position).OrderBy(g => g.Key).ToArray();
            series.Add(
                new LineSeries(
                    $"{p.Label}, ranked first among values",
                    [.. byPosition.Select(g => (double)g.Key)],
                    [.. byPosition.Select(g => g.Average(r => r.TopAmongValues ? 1.0 : 0.0))]
                )
                {
                    Markers = true,
                    Dashed = !ReferenceEquals(p, profiles[0]),
                }
            );
            var accuracy = p.Retrieval.Average(r => r.TopAmongValues ? 1.0 : 0.0);
            // independent word draws: the positions of one draw share its words
            var n = p.Retrieval.Select(r => r.Trial).Distinct().Count();
            var se = Math.Sqrt(1.0 / pairs * (1 - 1.0 / pairs) / n); // binomial standard error of the accuracy under chance
            var perPosition = byPosition.Select(g => g.Average(r => r.TopAmongValues ? 1.0 : 0.0)).ToArray();
            var unchanged = p.Retrieval.GroupBy(r => r.Trial).Count(g => g.Select(r => r.TopAmongValues).Distinct().Count() == 1);
            var z = (accuracy - 1.0 / pairs) / se;
            rows.Add(
                new KeyValue(
                    p.Label,
                    $"accuracy {F(accuracy, "F3")} (chance {F(1.0 / pairs, "F3")} ± {F(se, "F3")} s.e. "
                        + $"over N = {F(n)} independent word draws), "
                        + $"from {F(perPosition.Min(), "F3")} to {F(perPosition.Max(), "F3")} over positions; "
                        + $"{F(unchanged)} of {F(n)} draws score the same at every position "
                        + "(the answer follows the words, not where the pair sits), "
                        + $"ranked first over the whole vocabulary {F(p.Retrieval.Average(r => r.TopOverall ? 1.0 : 0.0), "F3")}, "
                        + $"mean probability share {F(p.Retrieval.Average(r => r.Share), "F3")}; "
                        + (
                            z > 3
                                ? "above chance by " + F(z, "F1") + " s.e."
                                : "not distinguishable from chance at 3 s.e. (" + F(z, "F1") + ")"
                        )
                )
            );
            run.Headline($"retrieval accuracy, {p.Label}", accuracy);
        }
        series.Add(new ReferenceLine($"chance 1/{F(pairs)}", ReferenceOrientation.Horizontal, 1.0 / pairs));
        report.Figure(
            run.Figure(
                new Figure(
                    "retrieval",
                    "Retrieval accuracy against the position of the queried pair",
                    new Axis("position of the queried pair"),
                    new Axis("accuracy") { Min = 0, Max = 1 }
                )
                {
                    Series = series,
                }
            )
        );
        report.Numbers(rows);
        report.Paragraph(
            "The default model is a small language model trained on the Brown corpus only, with no list-lookup data: "
                + "accuracy near chance means it cannot retrieve a value from a list, "
                + "and a U-shape over positions (the lost-in-the-middle effect) "
                + "can only be read when the accuracy is well above chance. "
                + "An accuracy above chance with a share that grows toward the last pairs "
                + "is recency (copying a recent value), not retrieval."
        );
    }
}
