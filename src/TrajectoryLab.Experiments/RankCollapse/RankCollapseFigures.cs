// The tables, figures and readings of rank-collapse: layer × window heat maps of the effective rank, curves over depth
// and over context length, the path ablations of Dong et al. against their prediction, and the trajectory rank of greedy
// generation next to its entropy and loop onset. Every number in a sentence is computed here from the traces.
// References: Dong, Cordonnier & Loukas (2021), ICML (arXiv:2103.03404); Roy & Vetterli (2007), EUSIPCO; Holtzman et al.
// (2020), ICLR (loops in greedy decoding); Xu et al. (2022), NeurIPS, "Learning to Break the Loop".
using TrajectoryLab.Experiments;
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using TrajectoryLab.Torch.Models;
using static TrajectoryLab.Experiments.RankCollapse.RankCollapseMeasures;
using static TrajectoryLab.Experiments.Shared.DynamicsText;

namespace TrajectoryLab.Experiments.RankCollapse;

/// <summary>Writes the rank-collapse report from the captured traces.</summary>
public static class RankCollapseFigures
{
    /// <summary>Measures the traces and writes every table, figure and reading.</summary>
    /// <param name="o">The options.</param>
    /// <param name="run">The run (tables, figures, report, headlines).</param>
    /// <param name="labels">Model labels, trained first.</param>
    /// <param name="traces">Every captured trace.</param>
    /// <param name="folder">The model folder.</param>
    /// <param name="spec">The architecture.</param>
    /// <param name="tokenText">Token id to its text.</param>
    public static void Write(RankCollapseOptions o, RunContext run, string[] labels, List<Trace> traces, string folder, ModelSpec spec, Func<int, string> tokenText)
    {
        var sites = spec.NumLayers + 1;
        var texts = traces.Select(t => t.Text).Distinct().Count();
        run.Report.Lead($"Rank collapse in the residual stream of {o.Model.Name} ({folder}; {F(spec.NumLayers)} layers, d_model {F(spec.HiddenSize)})" +
            $"{(labels.Length > 1 ? " and its random-init twin" : "")}, on {F(texts)} text(s) of up to {F(o.Text.Tokens)} tokens and on each model's greedy continuation of their first {F(o.PromptTokens)} tokens. " +
            $"Site s is the residual stream after s blocks (s = 0: the embeddings, hook_resid_pre(0); s ≥ 1: hook_resid_post(s − 1)), captured at every position in one prefill (or prefill + decoding steps). " +
            "Effective rank (Roy–Vetterli, uncentred rows), stable rank and Dong et al.'s token uniformity ‖X − 1x̄ᵀ‖_{1,∞}/‖X‖_{1,∞} come from Core's RankMeasures and TokenUniformity.");
        var main = traces.Where(t => t.Source is "validation" or "generated").ToList();
        var windows = WindowSection(o, run, labels, main, sites);
        DepthSection(run, labels, windows, sites, o.Window);
        ContextSection(o, run, labels, main, sites);
        if (o.Ablations) Ablation(run, labels, traces, sites);
        RankCollapseExperiment.Trajectory(o, run, labels, [.. traces.Where(t => t.Source == "generated")], tokenText);
        Breakdowns(run, windows);
    }

    /// <summary>One measured window.</summary>
    private sealed record WindowCell(string Model, string Source, string Text, int Site, int Window, RankReading Reading);

    private static List<WindowCell> WindowSection(RankCollapseOptions o, RunContext run, string[] labels, List<Trace> main, int sites)
    {
        var cells = main.SelectMany(t => Enumerable.Range(0, sites).SelectMany(s => Windows(t.Sites[s], o.Window)
            .Select((r, w) => new WindowCell(t.Model, t.Source, t.Text, s, w, r)))).ToList();
        run.Table("windows", ["model", "source", "text", "site", "window", "first_position", "effective_rank", "stable_rank", "token_uniformity", "breakdown"],
            cells.Select(c => new object[] { c.Model, c.Source, c.Text, c.Site, c.Window, c.Window * o.Window, c.Reading.EffectiveRank, c.Reading.StableRank, c.Reading.Uniformity, c.Reading.Breakdown ?? "" }));
        var count = main.Min(t => t.Sites[0].RowCount / o.Window);
        run.Report.Section("Rank by layer and position window", $"Effective rank of each window of {F(o.Window)} consecutive positions (at most {F(o.Window)}), mean over texts; " +
            $"{F(count)} window(s) every text has. Window 0 holds the BOS position, whose residual in a trained model is often far larger than the others'.");
        foreach (var source in new[] { "validation", "generated" })
            foreach (var m in labels)
            {
                var values = Enumerable.Range(0, sites).Select(s => Enumerable.Range(0, count).Select(w =>
                    Mean(cells.Where(c => c.Model == m && c.Source == source && c.Site == s && c.Window == w).Select(c => c.Reading.EffectiveRank))).ToArray()).ToArray(); // [site][window]
                run.Report.Figure(run.Figure(new Figure($"heatmap-erank-{source}-{Slug(m)}", $"Effective rank by site and window, {m}, {source} text",
                    new Axis("position (window centre)"), new Axis("site s (blocks applied)"))
                {
                    Series = [new HeatmapSeries("effective rank", o.Window / 2.0, (count - 0.5) * o.Window, 0, sites - 1, values) { ColorAxisTitle = "effective rank" }],
                    Legend = LegendPosition.None,
                }));
                run.Report.Paragraph($"{m}, {source}: window-mean effective rank {F(Mean(values[0]), "F2")} at the embeddings, {F(Mean(values[^1]), "F2")} at the top (site {F(sites - 1)}); " +
                    $"lowest cell {F(values.SelectMany(v => v).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Min(), "F2")}, highest {F(values.SelectMany(v => v).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max(), "F2")}.");
            }
        return cells;
    }

    private static void DepthSection(RunContext run, string[] labels, List<WindowCell> cells, int sites, int window)
    {
        run.Report.Section("Over depth", $"Each measure per site, mean over the windows of {F(window)} positions and the texts. Solid: validation text; dashed: the model's own greedy continuation.");
        var curves = new List<object[]>();
        var measures = new (string Name, string File, Func<RankReading, double> Of, bool Log)[]
        {
            ("effective rank", "depth-effective-rank", r => r.EffectiveRank, false), ("stable rank", "depth-stable-rank", r => r.StableRank, false),
            ("token uniformity", "depth-token-uniformity", r => r.Uniformity, true),
        };
        foreach (var (name, file, of, log) in measures)
        {
            var series = new List<FigureSeries>();
            for (var i = 0; i < labels.Length; i++)
                foreach (var source in new[] { "validation", "generated" })
                {
                    var y = Enumerable.Range(0, sites).Select(s => Mean(cells.Where(c => c.Model == labels[i] && c.Source == source && c.Site == s).Select(c => of(c.Reading)))).ToArray();
                    series.Add(new LineSeries($"{labels[i]}, {source}", [.. Enumerable.Range(0, sites).Select(s => (double)s)], y) { Markers = true, Dashed = source == "generated", Color = Palette[i] });
                    curves.AddRange(y.Select((v, s) => new object[] { labels[i], source, name, s, v }));
                    if (source == "validation")
                        run.Report.Paragraph($"{labels[i]}, validation, {name}: {string.Join(" → ", y.Select(v => F(v, "G3")))} from the embeddings to the top.");
                }
            run.Report.Figure(run.Figure(new Figure(file, $"{char.ToUpperInvariant(name[0])}{name[1..]} over depth", new Axis("site s (blocks applied)"), new Axis(name) { Log = log })
            {
                Series = series, Legend = LegendPosition.OutsideRight,
            }));
        }
        run.Table("depth", ["model", "source", "measure", "site", "mean_over_windows"], curves);
        foreach (var m in labels)
        {
            run.Headline($"{m}: effective rank at the top, validation windows", Mean(cells.Where(c => c.Model == m && c.Source == "validation" && c.Site == sites - 1).Select(c => c.Reading.EffectiveRank)),
                "breakdown: a top-layer window's singular values are undefined (see the breakdown counts)");
            run.Headline($"{m}: token uniformity at the top, validation windows", Mean(cells.Where(c => c.Model == m && c.Source == "validation" && c.Site == sites - 1).Select(c => c.Reading.Uniformity)),
                "breakdown: a top-layer window has zero norm (see the breakdown counts)");
        }
    }

    private static void ContextSection(RankCollapseOptions o, RunContext run, string[] labels, List<Trace> main, int sites)
    {
        var shortest = main.Min(t => t.Sites[0].RowCount);
        var prefixes = o.Prefixes.Where(p => p <= shortest).Distinct().Order().ToArray();
        var rows = main.SelectMany(t => prefixes.SelectMany(n => Enumerable.Range(0, sites).Select(s => (t, n, s, r: Measure(Rows(t.Sites[s], 0, n)))))).ToList();
        run.Table("prefixes", ["model", "source", "text", "site", "prefix", "effective_rank", "stable_rank", "token_uniformity", "breakdown"],
            rows.Select(x => new object[] { x.t.Model, x.t.Source, x.t.Text, x.s, x.n, x.r.EffectiveRank, x.r.StableRank, x.r.Uniformity, x.r.Breakdown ?? "" }));
        run.Report.Section("Over context length", $"Effective rank of positions 0 … n − 1 for growing n (prefixes longer than the shortest text, {F(shortest)} positions, are left out), mean over texts, " +
            $"at the embeddings (site 0, no markers) and at the top (markers); dashed: the greedy continuation. The rank can grow at most like n.");
        if (prefixes.Length == 0) { run.Report.Paragraph("No prefix fits the shortest text."); return; }
        var series = new List<FigureSeries>();
        for (var i = 0; i < labels.Length; i++)
            foreach (var source in new[] { "validation", "generated" })
                foreach (var s in new[] { 0, sites - 1 })
                {
                    var y = prefixes.Select(n => Mean(rows.Where(x => x.t.Model == labels[i] && x.t.Source == source && x.s == s && x.n == n).Select(x => x.r.EffectiveRank))).ToArray();
                    series.Add(new LineSeries($"{labels[i]}, {source}, site {F(s)}", [.. prefixes.Select(n => (double)n)], y) { Markers = s != 0, Dashed = source == "generated", Color = Palette[2 * i + (s == 0 ? 1 : 0)] });
                    if (s == sites - 1 && source == "validation")
                        run.Report.Paragraph($"{labels[i]}, validation, top: effective rank {string.Join(", ", prefixes.Zip(y, (n, v) => $"{F(v, "F2")} at n = {F(n)}"))}.");
                }
        run.Report.Figure(run.Figure(new Figure("context-effective-rank", "Effective rank over context length", new Axis("prefix length n") { Log = true }, new Axis("effective rank") { Log = true })
        {
            Series = series, Legend = LegendPosition.OutsideRight,
        }));
    }

    private static void Ablation(RunContext run, string[] labels, List<Trace> traces, int sites)
    {
        var variants = RankCollapseExperiment.Variants.Select(v => v.Name).ToArray();
        string Source(string variant) => variant == "full" ? "validation" : variant;
        var rows = traces.Where(t => variants.Any(v => Source(v) == t.Source))
            .SelectMany(t => Enumerable.Range(0, sites).Select(s => (t, s, r: Measure(t.Sites[s]),
                // Without position 0: under the causal mask the BOS row attends only to itself, so no mixing can pull it to the others.
                rest: TokenUniformity.Ratio(Rows(t.Sites[s], 1, t.Sites[s].RowCount - 1)).Value,
                // The later half only: those rows average over at least half the text, the early ones over a few tokens.
                late: TokenUniformity.Ratio(Rows(t.Sites[s], t.Sites[s].RowCount / 2, t.Sites[s].RowCount - t.Sites[s].RowCount / 2)).Value))).ToList();
        run.Table("ablation", ["model", "variant", "text", "site", "token_uniformity", "token_uniformity_without_bos", "token_uniformity_later_half", "effective_rank", "stable_rank", "breakdown"],
            rows.Select(x => new object[] { x.t.Model, x.t.Source == "validation" ? "full" : x.t.Source, x.t.Text, x.s, x.r.Uniformity, x.rest, x.late, x.r.EffectiveRank, x.r.StableRank, x.r.Breakdown ?? "" }));
        double Mean(string m, string v, int s, Func<RankReading, double> of) =>
            RankCollapseMeasures.Mean(rows.Where(x => x.t.Model == m && x.t.Source == Source(v) && x.s == s).Select(x => of(x.r)));
        double Rest(string m, string v, int s) => RankCollapseMeasures.Mean(rows.Where(x => x.t.Model == m && x.t.Source == Source(v) && x.s == s).Select(x => x.rest));
        double Late(string m, string v, int s) => RankCollapseMeasures.Mean(rows.Where(x => x.t.Model == m && x.t.Source == Source(v) && x.s == s).Select(x => x.late));
        run.Report.Section("Path ablations (Dong et al. 2021)",
            "Every block of the prefill keeps only some paths (BlockAblation): full; pure attention (resid_mid = attn_out, no MLP: the self-attention network of Dong et al.); " +
            "attention + skip (no MLP); attention + MLP (no skip connections). Token uniformity of the whole text's [positions × d_model] matrix at every site, mean over texts. " +
            "Dong et al. prove that pure attention converges to a rank-1 matrix (uniformity → 0) doubly exponentially with depth and that skip connections prevent it; " +
            "the MLP alone slows it. Their theorem is for bidirectional attention; under a causal mask position i can only average over i + 1 tokens, so the early rows " +
            "cannot be pulled together (hence the uniformity of the later half too). The pre-norm blocks here normalise each block's input, which the ratio (invariant to X → cX) does not see.");
        var series = new List<FigureSeries>();
        var table = new List<IReadOnlyList<string>>();
        for (var i = 0; i < labels.Length; i++)
            for (var v = 0; v < variants.Length; v++)
            {
                var y = Enumerable.Range(0, sites).Select(s => Mean(labels[i], variants[v], s, r => r.Uniformity)).ToArray();
                series.Add(new LineSeries($"{variants[v]}, {labels[i]}", [.. Enumerable.Range(0, sites).Select(s => (double)s)], y) { Markers = true, Dashed = i > 0, Color = Palette[v] });
                table.Add([labels[i], variants[v], .. y.Select(u => F(u, "G3"))]);
                var below = Array.FindIndex(y, u => u < 1e-2);
                run.Report.Paragraph($"{labels[i]}, {variants[v]}: uniformity {F(y[0], "G3")} at the embeddings, {F(y[^1], "G3")} at the top ({F(y[^1] / y[0], "G3")} of its start); " +
                    (below >= 0 ? $"first below 0.01 at site {F(below)}." : "never below 0.01.") +
                    $" Without the BOS row: {F(Rest(labels[i], variants[v], 0), "G3")} → {F(Rest(labels[i], variants[v], sites - 1), "G3")}; later half of the positions: {F(Late(labels[i], variants[v], 0), "G3")} → {F(Late(labels[i], variants[v], sites - 1), "G3")}." +
                    $" Effective rank at the top {F(Mean(labels[i], variants[v], sites - 1, r => r.EffectiveRank), "F2")} (embeddings {F(Mean(labels[i], variants[v], 0, r => r.EffectiveRank), "F2")}).");
                run.Headline($"{labels[i]}, {variants[v]}: top token uniformity", y[^1], "breakdown: the top residual has zero norm in this ablation");
            }
        run.Report.Add(new Preformatted(Table(["model", "variant", .. Enumerable.Range(0, sites).Select(s => $"s={F(s)}")], table)));
        run.Report.Figure(run.Figure(new Figure("ablation-token-uniformity", "Token uniformity over depth, path ablations", new Axis("site s (blocks applied)"), new Axis("‖X − 1x̄ᵀ‖ / ‖X‖") { Log = true })
        {
            Series = series, Subtitle = labels.Length > 1 ? $"solid: {labels[0]}; dashed: {labels[1]}" : null, Legend = LegendPosition.OutsideRight,
        }));
        foreach (var m in labels)
        {
            var pure = Enumerable.Range(0, sites).Select(s => Mean(m, "pure attention", s, r => r.Uniformity)).ToArray();
            double skip = Mean(m, "attention + skip", sites - 1, r => r.Uniformity), rest = Rest(m, "pure attention", sites - 1);
            var collapsed = Array.FindIndex(pure, u => u < 1e-2);
            run.Report.Paragraph($"Against the prediction, {m}. (a) Pure attention collapses towards 0 within a few layers: " +
                (collapsed >= 0 ? $"yes, below 0.01 at site {F(collapsed)}." : $"not within {F(sites - 1)} layers — it ends at {F(pure[^1], "G3")} ({F(rest, "G3")} without the BOS row, {F(Late(m, "pure attention", sites - 1), "G3")} over the later half of the positions), " +
                    $"a per-layer factor of {F(Math.Pow(pure[^1] / pure[0], 1.0 / (sites - 1)), "F3")} on average, while its effective rank falls from {F(Mean(m, "pure attention", 0, r => r.EffectiveRank), "F1")} to {F(Mean(m, "pure attention", sites - 1, r => r.EffectiveRank), "F2")}.") +
                $" (b) Skip connections prevent it: attention + skip ends at {F(skip, "G3")}, {F(skip / pure[^1], "G3")} times the pure-attention value" +
                (skip > 1.2 * pure[^1] ? "." : " — less than 1.2 times, so on this measure the skip path makes little difference here."));
        }
    }

    private static void Breakdowns(RunContext run, List<WindowCell> cells)
    {
        var failed = cells.Where(c => c.Reading.Breakdown is not null).ToList();
        run.Report.Section("Numerical breakdown", $"{F(failed.Count)} of {F(cells.Count)} windows could not be measured" +
            (failed.Count == 0 ? "." : $" ({string.Join(", ", failed.GroupBy(c => c.Reading.Breakdown).Select(g => $"{g.Key}: {F(g.Count())}"))}); they are left out of every mean."));
    }
}
