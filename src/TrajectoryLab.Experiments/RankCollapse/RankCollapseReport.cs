// The report of rank-collapse: layer × window heat maps of the effective rank, curves over depth and over context length,
// the path ablations of Dong et al. against their prediction, and the trajectory rank of greedy generation next to its
// entropy and loop onset (CycleDetector). Every number in a sentence is computed here from the readings of the result.
// References: Dong, Cordonnier & Loukas (2021), ICML (arXiv:2103.03404); Roy & Vetterli (2007), EUSIPCO; Holtzman et al.
// (2020), ICLR (loops in greedy decoding); Xu et al. (2022), NeurIPS, "Learning to Break the Loop".
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using static TrajectoryLab.Experiments.RankCollapse.RankCollapseMeasures;
using static TrajectoryLab.Experiments.Shared.ReportText;
using static TrajectoryLab.Reporting.Figures.SeriesColors;
using static TrajectoryLab.Reporting.Tables.TextTable;

namespace TrajectoryLab.Experiments.RankCollapse;

/// <summary>One position window at one site (a row of windows.csv).</summary>
public sealed record WindowRow(
    string Model,
    string Source,
    string Text,
    int Site,
    int Window,
    int FirstPosition,
    double EffectiveRank,
    double StableRank,
    double TokenUniformity,
    string Breakdown
);

/// <summary>One measure's mean over windows and texts at one site (a row of depth.csv).</summary>
public sealed record DepthRow(string Model, string Source, string Measure, int Site, double MeanOverWindows);

/// <summary>One prefix of one trace at one site (a row of prefixes.csv).</summary>
public sealed record PrefixRow(
    string Model,
    string Source,
    string Text,
    int Site,
    int Prefix,
    double EffectiveRank,
    double StableRank,
    double TokenUniformity,
    string Breakdown
);

/// <summary>The whole text of one ablation variant at one site (a row of ablation.csv).</summary>
public sealed record AblationRow(
    string Model,
    string Variant,
    string Text,
    int Site,
    double TokenUniformity,
    double TokenUniformityWithoutBos,
    double TokenUniformityLaterHalf,
    double EffectiveRank,
    double StableRank,
    string Breakdown
);

/// <summary>One generated step (a row of trajectory.csv); the window rank is NaN before the first full window, the loop
/// onset −1 when the continuation does not end in a loop.</summary>
public sealed record TrajectoryRow(
    string Model,
    string Text,
    int Step,
    int TokenId,
    string Token,
    double EntropyNats,
    double WindowEffectiveRank,
    int LoopOnset,
    int LoopPeriod
);

/// <summary>Renders a <see cref="RankCollapseResult"/>.</summary>
public static class RankCollapseReport
{
    /// <summary>Writes every table, figure, reading and headline of <paramref name="result"/>.</summary>
    /// <param name="o">The options the result was measured with.</param>
    /// <param name="result">The measurement.</param>
    /// <param name="run">The run (tables, figures, report, headlines).</param>
    public static void Render(RankCollapseOptions o, RankCollapseResult result, RunContext run)
    {
        var labels = result.Models;
        var traces = result.Traces;
        var model = result.Model;
        var sites = model.Layers + 1;
        var texts = traces.Select(t => t.Text).Distinct().Count();
        run.Report.Lead(
            $"Rank collapse in the residual stream of {o.Model.Name} "
                + $"({model.Path}; {F(model.Layers)} layers, d_model {F(model.Width)})"
                + $"{(labels.Length > 1 ? " and its random-init twin" : "")}, on {F(texts)} text(s) of up to {F(o.Text.Tokens)} tokens "
                + $"and on each model's greedy continuation of their first {F(o.PromptTokens)} tokens. "
                + "Site s is the residual stream after s blocks (s = 0: the embeddings, hook_resid_pre(0); s ≥ 1: hook_resid_post(s − 1)), "
                + "captured at every position in one prefill (or prefill + decoding steps). "
                + "Effective rank (Roy–Vetterli, uncentred rows), stable rank "
                + "and Dong et al.'s token uniformity ‖X − 1x̄ᵀ‖_{1,∞}/‖X‖_{1,∞} "
                + "come from Core's RankMeasures and TokenUniformity."
        );
        var main = traces.Where(t => t.Source is "validation" or "generated").ToList();
        var windows = WindowSection(o, run, labels, main, sites);
        DepthSection(run, labels, windows, sites, o.Window);
        ContextSection(run, labels, main, sites, result.Prefixes);
        if (o.Ablations)
            Ablation(run, labels, traces, sites);
        Trajectory(o, run, labels, [.. traces.Where(t => t.Source == "generated")]);
        Breakdowns(run, windows);
    }

    /// <summary>One measured window.</summary>
    private sealed record WindowCell(string Model, string Source, string Text, int Site, int Window, RankReading Reading);

    private static List<WindowCell> WindowSection(
        RankCollapseOptions o,
        RunContext run,
        string[] labels,
        List<TraceReadings> main,
        int sites
    )
    {
        var cells = main.SelectMany(t =>
                Enumerable
                    .Range(0, sites)
                    .SelectMany(s => t.Windows[s].Select((r, w) => new WindowCell(t.Model, t.Source, t.Text, s, w, r)))
            )
            .ToList();
        run.Table(
            "windows",
            cells.Select(c => new WindowRow(
                c.Model,
                c.Source,
                c.Text,
                c.Site,
                c.Window,
                c.Window * o.Window,
                c.Reading.EffectiveRank,
                c.Reading.StableRank,
                c.Reading.Uniformity,
                c.Reading.Breakdown ?? ""
            ))
        );
        var count = main.Min(t => t.Positions / o.Window);
        run.Report.Section(
            "Rank by layer and position window",
            $"Effective rank of each window of {F(o.Window)} consecutive positions (at most {F(o.Window)}), mean over texts; "
                + $"{F(count)} window(s) every text has. "
                + "Window 0 holds the BOS position, whose residual in a trained model is often far larger than the others'."
        );
        foreach (var source in new[] { "validation", "generated" })
        foreach (var m in labels)
        {
            var values = Enumerable
                .Range(0, sites)
                .Select(s =>
                    Enumerable
                        .Range(0, count)
                        .Select(w =>
                            Mean(
                                cells
                                    .Where(c => c.Model == m && c.Source == source && c.Site == s && c.Window == w)
                                    .Select(c => c.Reading.EffectiveRank)
                            )
                        )
                        .ToArray()
                )
                .ToArray(); // [site][window]
            run.Report.Figure(
                run.Figure(
                    new Figure(
                        $"heatmap-erank-{source}-{Slug(m)}",
                        $"Effective rank by site and window, {m}, {source} text",
                        new Axis("position (window centre)"),
                        new Axis("site s (blocks applied)")
                    )
                    {
                        Series =
                        [
                            new HeatmapSeries("effective rank", o.Window / 2.0, (count - 0.5) * o.Window, 0, sites - 1, values)
                            {
                                ColorAxisTitle = "effective rank",
                            },
                        ],
                        Legend = LegendPosition.None,
                    }
                )
            );
            var finite = values.SelectMany(v => v).Where(double.IsFinite).DefaultIfEmpty(double.NaN).ToArray();
            run.Report.Paragraph(
                $"{m}, {source}: window-mean effective rank {F(Mean(values[0]), "F2")} at the embeddings, "
                    + $"{F(Mean(values[^1]), "F2")} at the top (site {F(sites - 1)}); "
                    + $"lowest cell {F(finite.Min(), "F2")}, highest {F(finite.Max(), "F2")}."
            );
        }
        return cells;
    }

    private static void DepthSection(RunContext run, string[] labels, List<WindowCell> cells, int sites, int window)
    {
        run.Report.Section(
            "Over depth",
            $"Each measure per site, mean over the windows of {F(window)} positions and the texts. "
                + "Solid: validation text; dashed: the model's own greedy continuation."
        );
        var curves = new List<DepthRow>();
        var measures = new (string Name, string File, Func<RankReading, double> Of, bool Log)[]
        {
            ("effective rank", "depth-effective-rank", r => r.EffectiveRank, false),
            ("stable rank", "depth-stable-rank", r => r.StableRank, false),
            ("token uniformity", "depth-token-uniformity", r => r.Uniformity, true),
        };
        foreach (var (name, file, of, log) in measures)
        {
            var series = new List<FigureSeries>();
            for (var i = 0; i < labels.Length; i++)
                foreach (var source in new[] { "validation", "generated" })
                {
                    var y = Enumerable
                        .Range(0, sites)
                        .Select(s =>
                            Mean(cells.Where(c => c.Model == labels[i] && c.Source == source && c.Site == s).Select(c => of(c.Reading)))
                        )
                        .ToArray();
                    series.Add(
                        new LineSeries($"{labels[i]}, {source}", [.. Enumerable.Range(0, sites).Select(s => (double)s)], y)
                        {
                            Markers = true,
                            Dashed = source == "generated",
                            Color = Palette[i],
                        }
                    );
                    curves.AddRange(y.Select((v, s) => new DepthRow(labels[i], source, name, s, v)));
                    if (source == "validation")
                        run.Report.Paragraph(
                            $"{labels[i]}, validation, {name}: {string.Join(" → ", y.Select(v => F(v, "G3")))} "
                                + "from the embeddings to the top."
                        );
                }
            run.Report.Figure(
                run.Figure(
                    new Figure(
                        file,
                        $"{char.ToUpperInvariant(name[0])}{name[1..]} over depth",
                        new Axis("site s (blocks applied)"),
                        new Axis(name) { Log = log }
                    )
                    {
                        Series = series,
                        Legend = LegendPosition.OutsideRight,
                    }
                )
            );
        }
        run.Table("depth", curves);
        foreach (var m in labels)
        {
            var top = cells.Where(c => c.Model == m && c.Source == "validation" && c.Site == sites - 1).ToList();
            run.Headline(
                $"{m}: effective rank at the top, validation windows",
                Mean(top.Select(c => c.Reading.EffectiveRank)),
                "breakdown: a top-layer window's singular values are undefined (see the breakdown counts)"
            );
            run.Headline(
                $"{m}: token uniformity at the top, validation windows",
                Mean(top.Select(c => c.Reading.Uniformity)),
                "breakdown: a top-layer window has zero norm (see the breakdown counts)"
            );
        }
    }

    private static void ContextSection(RunContext run, string[] labels, List<TraceReadings> main, int sites, int[] prefixes)
    {
        var shortest = main.Min(t => t.Positions);
        var rows = main.SelectMany(t =>
                prefixes.SelectMany((n, j) => Enumerable.Range(0, sites).Select(s => (t, n, s, r: t.PrefixReadings[j][s])))
            )
            .ToList();
        run.Table(
            "prefixes",
            rows.Select(x => new PrefixRow(
                x.t.Model,
                x.t.Source,
                x.t.Text,
                x.s,
                x.n,
                x.r.EffectiveRank,
                x.r.StableRank,
                x.r.Uniformity,
                x.r.Breakdown ?? ""
            ))
        );
        run.Report.Section(
            "Over context length",
            "Effective rank of positions 0 … n − 1 for growing n "
                + $"(prefixes longer than the shortest text, {F(shortest)} positions, are left out), mean over texts, "
                + "at the embeddings (site 0, no markers) and at the top (markers); dashed: the greedy continuation. "
                + "The rank can grow at most like n."
        );
        if (prefixes.Length == 0)
        {
            run.Report.Paragraph("No prefix fits the shortest text.");
            return;
        }
        var series = new List<FigureSeries>();
        for (var i = 0; i < labels.Length; i++)
            foreach (var source in new[] { "validation", "generated" })
            foreach (var s in new[] { 0, sites - 1 })
            {
                var y = prefixes
                    .Select(n =>
                        Mean(
                            rows.Where(x => x.t.Model == labels[i] && x.t.Source == source && x.s == s && x.n == n)
                                .Select(x => x.r.EffectiveRank)
                        )
                    )
                    .ToArray();
                series.Add(
                    new LineSeries($"{labels[i]}, {source}, site {F(s)}", [.. prefixes.Select(n => (double)n)], y)
                    {
                        Markers = s != 0,
                        Dashed = source == "generated",
                        Color = Palette[2 * i + (s == 0 ? 1 : 0)],
                    }
                );
                if (s == sites - 1 && source == "validation")
                    run.Report.Paragraph(
                        $"{labels[i]}, validation, top: effective rank "
                            + $"{string.Join(", ", prefixes.Zip(y, (n, v) => $"{F(v, "F2")} at n = {F(n)}"))}."
                    );
            }
        run.Report.Figure(
            run.Figure(
                new Figure(
                    "context-effective-rank",
                    "Effective rank over context length",
                    new Axis("prefix length n") { Log = true },
                    new Axis("effective rank") { Log = true }
                )
                {
                    Series = series,
                    Legend = LegendPosition.OutsideRight,
                }
            )
        );
    }

    private static void Ablation(RunContext run, string[] labels, IReadOnlyList<TraceReadings> traces, int sites)
    {
        var variants = RankCollapseExperiment.Variants.Select(v => v.Name).ToArray();
        string Source(string variant) => variant == "full" ? "validation" : variant;
        var rows = traces
            .Where(t => variants.Any(v => Source(v) == t.Source))
            .SelectMany(t =>
                Enumerable
                    .Range(0, sites)
                    .Select(s =>
                        (
                            t,
                            s,
                            r: t.Whole[s].Reading,
                            // Without position 0: under the causal mask the BOS row attends only to itself, so no mixing can pull it to the
                            // others.
                            rest: t.Whole[s].UniformityWithoutBos,
                            // The later half only: those rows average over at least half the text, the early ones over a few tokens.
                            late: t.Whole[s].UniformityLaterHalf
                        )
                    )
            )
            .ToList();
        run.Table(
            "ablation",
            rows.Select(x => new AblationRow(
                x.t.Model,
                x.t.Source == "validation" ? "full" : x.t.Source,
                x.t.Text,
                x.s,
                x.r.Uniformity,
                x.rest,
                x.late,
                x.r.EffectiveRank,
                x.r.StableRank,
                x.r.Breakdown ?? ""
            ))
        );
        double Mean(string m, string v, int s, Func<RankReading, double> of) =>
            RankCollapseMeasures.Mean(rows.Where(x => x.t.Model == m && x.t.Source == Source(v) && x.s == s).Select(x => of(x.r)));
        double Rest(string m, string v, int s) =>
            RankCollapseMeasures.Mean(rows.Where(x => x.t.Model == m && x.t.Source == Source(v) && x.s == s).Select(x => x.rest));
        double Late(string m, string v, int s) =>
            RankCollapseMeasures.Mean(rows.Where(x => x.t.Model == m && x.t.Source == Source(v) && x.s == s).Select(x => x.late));
        run.Report.Section(
            "Path ablations (Dong et al. 2021)",
            "Every block of the prefill keeps only some paths (BlockAblation): full; pure attention (resid_mid = attn_out, no MLP: "
                + "the self-attention network of Dong et al.); "
                + "attention + skip (no MLP); attention + MLP (no skip connections). "
                + "Token uniformity of the whole text's [positions × d_model] matrix at every site, mean over texts. "
                + "Dong et al. prove that pure attention converges to a rank-1 matrix (uniformity → 0) doubly exponentially with depth "
                + "and that skip connections prevent it; "
                + "the MLP alone slows it. Their theorem is for bidirectional attention; under a causal mask position i can only average "
                + "over i + 1 tokens, so the early rows "
                + "cannot be pulled together (hence the uniformity of the later half too). "
                + "The pre-norm blocks here normalise each block's input, "
                + "which the ratio (invariant to X → cX) does not see."
        );
        var series = new List<FigureSeries>();
        var table = new List<IReadOnlyList<string>>();
        for (var i = 0; i < labels.Length; i++)
        for (var v = 0; v < variants.Length; v++)
        {
            var y = Enumerable.Range(0, sites).Select(s => Mean(labels[i], variants[v], s, r => r.Uniformity)).ToArray();
            series.Add(
                new LineSeries($"{variants[v]}, {labels[i]}", [.. Enumerable.Range(0, sites).Select(s => (double)s)], y)
                {
                    Markers = true,
                    Dashed = i > 0,
                    Color = Palette[v],
                }
            );
            table.Add([labels[i], variants[v], .. y.Select(u => F(u, "G3"))]);
            var below = Array.FindIndex(y, u => u < 1e-2);
            var (m, variant) = (labels[i], variants[v]);
            run.Report.Paragraph(
                $"{m}, {variant}: uniformity {F(y[0], "G3")} at the embeddings, {F(y[^1], "G3")} at the top "
                    + $"({F(y[^1] / y[0], "G3")} of its start); "
                    + (below >= 0 ? $"first below 0.01 at site {F(below)}." : "never below 0.01.")
                    + $" Without the BOS row: {F(Rest(m, variant, 0), "G3")} → {F(Rest(m, variant, sites - 1), "G3")}; "
                    + $"later half of the positions: {F(Late(m, variant, 0), "G3")} → {F(Late(m, variant, sites - 1), "G3")}."
                    + $" Effective rank at the top {F(Mean(m, variant, sites - 1, r => r.EffectiveRank), "F2")} "
                    + $"(embeddings {F(Mean(m, variant, 0, r => r.EffectiveRank), "F2")})."
            );
            run.Headline($"{m}, {variant}: top token uniformity", y[^1], "breakdown: the top residual has zero norm in this ablation");
        }
        run.Report.Add(new Preformatted(Table(["model", "variant", .. Enumerable.Range(0, sites).Select(s => $"s={F(s)}")], table)));
        run.Report.Figure(
            run.Figure(
                new Figure(
                    "ablation-token-uniformity",
                    "Token uniformity over depth, path ablations",
                    new Axis("site s (blocks applied)"),
                    new Axis("‖X − 1x̄ᵀ‖ / ‖X‖") { Log = true }
                )
                {
                    Series = series,
                    Subtitle = labels.Length > 1 ? $"solid: {labels[0]}; dashed: {labels[1]}" : null,
                    Legend = LegendPosition.OutsideRight,
                }
            )
        );
        foreach (var m in labels)
        {
            var pure = Enumerable.Range(0, sites).Select(s => Mean(m, "pure attention", s, r => r.Uniformity)).ToArray();
            double skip = Mean(m, "attention + skip", sites - 1, r => r.Uniformity),
                rest = Rest(m, "pure attention", sites - 1);
            var collapsed = Array.FindIndex(pure, u => u < 1e-2);
            run.Report.Paragraph(
                $"Against the prediction, {m}. (a) Pure attention collapses towards 0 within a few layers: "
                    + (
                        collapsed >= 0
                            ? $"yes, below 0.01 at site {F(collapsed)}."
                            : $"not within {F(sites - 1)} layers — it ends at {F(pure[^1], "G3")} ({F(rest, "G3")} without the BOS row, "
                                + $"{F(Late(m, "pure attention", sites - 1), "G3")} over the later half of the positions), "
                                + $"a per-layer factor of {F(Math.Pow(pure[^1] / pure[0], 1.0 / (sites - 1)), "F3")} on average, "
                                + $"while its effective rank falls from {F(Mean(m, "pure attention", 0, r => r.EffectiveRank), "F1")} "
                                + $"to {F(Mean(m, "pure attention", sites - 1, r => r.EffectiveRank), "F2")}."
                    )
                    + $" (b) Skip connections prevent it: attention + skip ends at {F(skip, "G3")}, "
                    + $"{F(skip / pure[^1], "G3")} times the pure-attention value"
                    + (
                        skip > 1.2 * pure[^1]
                            ? "."
                            : " — less than 1.2 times, so on this measure the skip path makes little difference here."
                    )
            );
        }
    }

    /// <summary>The trajectory section: sliding-window effective rank of the top residual over the generated steps, next to
    /// each step's entropy, with the loop onset (CycleDetector) marked; means before, approaching and inside the loop.</summary>
    /// <param name="o">The options.</param>
    /// <param name="run">The run.</param>
    /// <param name="labels">Model labels.</param>
    /// <param name="generated">The generated traces.</param>
    private static void Trajectory(RankCollapseOptions o, RunContext run, string[] labels, List<TraceReadings> generated)
    {
        var w = o.TrajectoryWindow;
        run.Report.Section(
            "Trajectory rank during generation",
            $"Effective rank of the top residual (site L) of the last {F(w)} generated positions, plotted at the window's last step, "
                + "next to the entropy of the distribution each generated token was chosen from (right axis); "
                + "the loop onset is the first step from which the greedy continuation "
                + $"is periodic to the end with at least {F(o.LoopRepeats)} repeats (CycleDetector). "
                + $"Phases: windows ending more than {F(w)} steps before the onset (before), "
                + $"ending in the {F(w)} steps before it (approach), and starting at or after it (loop)."
        );
        var rows = new List<TrajectoryRow>();
        var phases = new List<(string Model, string Phase, double Rank, double Entropy)>();
        foreach (var t in generated)
        {
            var trajectory = t.Trajectory!;
            var tokens = trajectory.Tokens;
            var entropy = trajectory.EntropyNats;
            var cycle = CycleDetector.Detect(tokens, o.LoopRepeats);
            var ranks = trajectory.WindowEffectiveRank; // entry i: steps i … i + w − 1
            for (var g = 0; g < tokens.Length; g++)
            {
                var rank = g >= w - 1 ? ranks[g - w + 1] : double.NaN;
                rows.Add(
                    new(t.Model, t.Text, g, tokens[g], trajectory.Texts[g], entropy[g], rank, cycle.IsLoop ? cycle.Onset : -1, cycle.Period)
                );
                if (!cycle.IsLoop || g < w - 1)
                    continue;
                var phase =
                    g < cycle.Onset - w ? "before"
                    : g < cycle.Onset ? "approach"
                    : g - w + 1 >= cycle.Onset ? "loop"
                    : null;
                if (phase is not null)
                    phases.Add((t.Model, phase, rank, entropy[g]));
            }
            var x = Enumerable.Range(w - 1, ranks.Length).Select(g => (double)g).ToArray();
            var series = new List<FigureSeries>
            {
                new LineSeries($"effective rank, last {F(w)} steps", x, ranks) { Color = SeriesColors.Palette[0] },
                new LineSeries("entropy (nats)", [.. Enumerable.Range(0, tokens.Length).Select(g => (double)g)], entropy)
                {
                    YAxis = "y2",
                    Color = SeriesColors.Palette[1],
                },
            };
            if (cycle.IsLoop)
                series.Add(
                    new ReferenceLine($"loop onset (period {F(cycle.Period)})", ReferenceOrientation.Vertical, cycle.Onset)
                    {
                        Color = "#555555",
                    }
                );
            run.Report.Figure(
                run.Figure(
                    new Figure(
                        $"trajectory-{FileSlug(t.Model)}-{FileSlug(t.Text)}",
                        $"Trajectory rank and entropy, {t.Model}, {t.Text}",
                        new Axis("generated step"),
                        new Axis("effective rank") { Min = 0 }
                    )
                    {
                        Y2Axis = new Axis("entropy (nats)") { Min = 0 },
                        Series = series,
                        Legend = LegendPosition.OutsideRight,
                    }
                )
            );
            run.Report.Paragraph(
                $"{t.Model}, {t.Text}: "
                    + (
                        cycle.IsLoop
                            ? $"loop of period {F(cycle.Period)} from step {F(cycle.Onset)} of {F(tokens.Length)} "
                                + $"({F(cycle.Repeats, "F1")} repeats)"
                            : $"no loop in {F(tokens.Length)} steps"
                    )
                    + $"; mean window rank {F(RankCollapseMeasures.Mean(ranks), "F2")}, "
                    + $"mean entropy {F(RankCollapseMeasures.Mean(entropy), "F3")} nats."
            );
        }
        run.Table("trajectory", rows);
        foreach (var m in labels)
        {
            var loops = generated.Count(t => t.Model == m && CycleDetector.Detect(t.Trajectory!.Tokens, o.LoopRepeats).IsLoop);
            var mine = phases.Where(p => p.Model == m).ToList();
            string Phase(string name) =>
                mine.Any(p => p.Phase == name)
                    ? $"{name}: rank {F(RankCollapseMeasures.Mean(mine.Where(p => p.Phase == name).Select(p => p.Rank)), "F2")}, "
                        + $"entropy {F(RankCollapseMeasures.Mean(mine.Where(p => p.Phase == name).Select(p => p.Entropy)), "F3")} "
                        + $"({F(mine.Count(p => p.Phase == name))} windows)"
                    : $"{name}: no window";
            double Rank(string name) => RankCollapseMeasures.Mean(mine.Where(p => p.Phase == name).Select(p => p.Rank));
            var (before, approach, loop) = (Rank("before"), Rank("approach"), Rank("loop"));
            var verdict =
                !double.IsFinite(before) || !double.IsFinite(approach)
                    ? ""
                    : $" Approach / before = {F(approach / before, "F3")}, loop / before = {F(loop / before, "F3")}: "
                        + (
                            approach < 0.9 * before
                                ? "the rank falls (by 10% or more) before the loop starts"
                                : "the rank does not fall by 10% or more before the onset"
                        )
                        + (loop < 0.9 * before ? "; it falls once the windows lie in the loop." : "; nor inside the loop.");
            run.Report.Paragraph(
                $"{m}: {F(loops)} of {F(generated.Count(t => t.Model == m))} continuations end in a loop. "
                    + (
                        loops == 0
                            ? "No onset to compare against."
                            : $"Over the looping continuations, {Phase("before")}; {Phase("approach")}; {Phase("loop")}.{verdict}"
                    )
            );
            run.Headline($"{m}: continuations ending in a loop", $"{F(loops)}/{F(generated.Count(t => t.Model == m))}");
        }
    }

    /// <summary>A file-name form of any text: every character but letters and digits becomes '-'.</summary>
    private static string FileSlug(string text) => new([.. text.Select(c => char.IsLetterOrDigit(c) ? c : '-')]);

    private static void Breakdowns(RunContext run, List<WindowCell> cells)
    {
        var failed = cells.Where(c => c.Reading.Breakdown is not null).ToList();
        run.Report.Section(
            "Numerical breakdown",
            $"{F(failed.Count)} of {F(cells.Count)} windows could not be measured"
                + (
                    failed.Count == 0
                        ? "."
                        : $" ({string.Join(", ", failed.GroupBy(c => c.Reading.Breakdown).Select(g => $"{g.Key}: {F(g.Count())}"))}); "
                            + "they are left out of every mean."
                )
        );
    }
}
