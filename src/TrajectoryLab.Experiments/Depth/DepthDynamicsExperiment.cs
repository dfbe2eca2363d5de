// depth-dynamics: the residual stream as a map along depth, h_l(p) → h_{l+1}(p) at a fixed position p with the earlier
// positions held fixed. k tangent directions are carried through the layers and re-orthonormalised by QR at each one
// (Benettin's method over depth); ln R_ii is the layer's growth along the i-th direction and their mean over the layers
// the position's depth exponent. Shown: the leading growth ln R_11 by layer × position, the mean over positions of every
// ln R_ii per layer next to the growth of ||h|| itself, and the depth exponent against the next-token entropy; trained
// model against its random-init twin. A spread between ln R_11 and ln R_kk is directions collapsing onto few.
// References: Benettin et al. (1980), Meccanica 15:9; Lorenz (1963) (sensitivity as growth of small differences);
// Aurell et al. (1997), J. Phys. A 30:1; Dong, Cordonnier, Loukas (2021), arXiv:2103.03404 (rank collapse along depth).
using TrajectoryLab.Experiments;
using TrajectoryLab.Core.Statistics;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using TrajectoryLab.Torch.Dynamics;
using static TrajectoryLab.Experiments.Shared.DynamicsText;

namespace TrajectoryLab.Experiments.Depth;

/// <summary>The depth profile of one position of one text under one model.</summary>
/// <param name="Model">"trained" or "random init".</param>
/// <param name="Text">Text index.</param>
/// <param name="Token">The token id at the position.</param>
/// <param name="Profile">What <see cref="DepthDynamics"/> measured there.</param>
public sealed record DepthRecord(string Model, int Text, int Token, DepthProfile Profile);

/// <summary>Measures the depth map's local growth rates at every position of the texts.</summary>
/// <param name="paths">The project paths (model and corpus).</param>
public sealed class DepthDynamicsExperiment(ProjectPaths paths) : Experiment<DepthDynamicsOptions>
{
    /// <inheritdoc/>
    public override string Kind => "depth-dynamics";

    /// <inheritdoc/>
    protected override void Run(DepthDynamicsOptions o, RunContext run)
    {
        using var loaded = run.Phase("load", () => ModelPair.Load(o.Model, paths)); // the models are freed when Run returns
        var (models, tokenizer, folder) = loaded;
        var texts = run.Phase("texts", () => TextSource.Load(o.Text, tokenizer, paths));
        if (texts.Count == 0) throw new InvalidOperationException("no text of at least 2 tokens to read");
        var spec = models[0].Model.Spec;
        var records = new List<DepthRecord>();
        run.Phase("depth", () =>
        {
            using var progress = run.Progress("positions", (long)models.Count * texts.Sum(t => t.Tokens.Length));
            foreach (var m in models)
                for (var i = 0; i < texts.Count; i++)
                {
                    run.Cancellation.ThrowIfCancellationRequested();
                    var profiles = DepthDynamics.Run(m.Model, texts[i].Tokens,
                        new DepthOptions { Directions = o.Directions, Epsilon = o.Epsilon, Seed = o.Seed, Method = o.Method });
                    records.AddRange(profiles.Select(p => new DepthRecord(m.Label, i, texts[i].Tokens[p.Position], p)));
                    progress.Advance(texts[i].Tokens.Length);
                }
        });
        var labels = models.Select(m => m.Label).ToArray();
        run.Report.Lead($"Local growth rates of the depth map h_l(p) → h_{{l+1}}(p) of {o.Model.Name} ({folder}; {F(spec.NumLayers)} layers, d_model {F(spec.HiddenSize)})" +
            $"{(labels.Length > 1 ? " and of its random-init twin" : "")}, at every position p of {F(texts.Count)} text(s) ({string.Join(", ", texts.Select(t => $"{t.Name}: {F(t.Tokens.Length)} tokens"))}; BOS first), earlier positions held fixed. " +
            $"{F(o.Directions)} random orthonormal tangents start at h_0(p) and are mapped through each layer's Jacobian J_l " +
            $"({(o.Method == TangentMethod.FiniteDifference ? $"finite differences, ε = {F(o.Epsilon)}·||h_l||" : "exact Jacobian-vector products by the double-VJP trick")}) and re-orthonormalised, J_l V = Q R: " +
            "ln R_ii is layer l's growth along the i-th direction (0 = the identity's), and the mean over layers of ln R_11 is the position's depth exponent λ1 (nats per layer). " +
            "Position 0 (BOS) is shown in the heat maps and tables and left out of the means and the correlation: it is the same token in every text and attends only to itself.");
        Analyse(o, run, labels, spec.NumLayers, texts.Select(t => t.Tokens.Select(tokenizer.TokenText).ToArray()).ToArray(), records);
    }

    static void Analyse(DepthDynamicsOptions o, RunContext run, string[] labels, int layers, string[][] tokenText, List<DepthRecord> records)
    {
        var report = run.Report;
        int k = o.Directions;
        run.Table("layer-growth", ["model", "text", "position", "token", "layer", "direction", "ln_r"],
            records.SelectMany(r => r.Profile.LayerGrowth.SelectMany((g, l) => g.Select((v, i) => new object[] { r.Model, r.Text, r.Profile.Position, tokenText[r.Text][r.Profile.Position], l, i + 1, v }))));
        run.Table("positions", ["model", "text", "position", "token_id", "token", "entropy_nats", .. Enumerable.Range(1, k).Select(i => $"exponent_{i}"), .. Enumerable.Range(0, layers + 1).Select(l => $"norm_h{l}")],
            records.Select(r => new object[] { r.Model, r.Text, r.Profile.Position, r.Token, tokenText[r.Text][r.Profile.Position], r.Profile.Entropy }
                .Concat(r.Profile.Exponents.Cast<object>()).Concat(r.Profile.Norm.Cast<object>()).ToArray()));
        var inner = labels.ToDictionary(m => m, m => records.Where(r => r.Model == m && r.Profile.Position > 0).ToArray());

        // Heat maps of ln R_11, text 1.
        report.Section("Leading growth by layer and position", $"ln R_11 of every layer at every position of text 1 ({F(tokenText[0].Length)} tokens): positive where the layer stretches the leading direction, negative where it contracts it.");
        foreach (var m in labels)
        {
            var text0 = records.Where(r => r.Model == m && r.Text == 0).OrderBy(r => r.Profile.Position).ToArray();
            var values = Enumerable.Range(0, layers).Select(l => text0.Select(r => Finite(r.Profile.LayerGrowth[l][0])).ToArray()).ToArray(); // [layer][position]
            var (hot, hotLayer) = Enumerable.Range(0, layers).Select(l => (Mean: values[l].Skip(1).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average(), Layer: l)).MaxBy(x => x.Mean);
            report.Paragraph($"{m}: the layer with the largest mean ln R_11 over positions 1… is layer {F(hotLayer)} ({F(hot, "F3")}); at BOS the layers give {string.Join(", ", values.Select(v => F(v[0], "F2")))}.");
            report.Figure(run.Figure(new Figure($"heatmap-{Slug(m)}", $"ln R_11 by layer and position, {m}", new Axis("position"), new Axis("layer l (map h_l → h_{l+1})"))
            {
                Series = [new HeatmapSeries("ln R_11", 0, text0.Length - 1, 0, layers - 1, values) { ColorAxisTitle = "ln R_11" }],
                Legend = LegendPosition.None,
            }));
            var relative = Enumerable.Range(0, layers).Select(l => text0.Select(r => Finite(r.Profile.LayerGrowth[l][0] - Math.Log(r.Profile.Norm[l + 1] / r.Profile.Norm[l]))).ToArray()).ToArray(); // [layer][position]
            report.Figure(run.Figure(new Figure($"heatmap-relative-{Slug(m)}", $"ln R_11 − ln(||h_(l+1)|| / ||h_l||), {m}", new Axis("position"), new Axis("layer l (map h_l → h_{l+1})"))
            {
                Series = [new HeatmapSeries("relative growth", 0, text0.Length - 1, 0, layers - 1, relative) { ColorAxisTitle = "growth relative to the state (nats)" }],
                Subtitle = "positive: a perturbation grows faster than the state, i.e. its relative size grows",
                Legend = LegendPosition.None,
            }));
        }

        // Mean ln R_ii per layer, with the growth of ||h||.
        var means = new List<object[]>();
        var series = new List<FigureSeries>();
        report.Section("Mean growth per layer", "The mean over positions (BOS left out) of ln R_ii per layer, one line per direction i, next to ln(||h_{l+1}||/||h_l||), the growth of the state itself (grey). " +
            "A tangent that grows like the state keeps its relative size; ln R_kk far below ln R_11 means the layer squeezes the k directions towards fewer (rank collapse).");
        foreach (var (m, mi) in labels.Select((m, i) => (m, i)))
        {
            var x = Enumerable.Range(0, layers).Select(l => (double)l).ToArray();
            for (var i = 0; i < k; i++)
            {
                var y = x.Select(l => Mean(inner[m].Select(r => r.Profile.LayerGrowth[(int)l][i]))).ToArray();
                means.AddRange(y.Select((v, l) => new object[] { m, l, $"ln_r{i + 1}", v }));
                series.Add(new LineSeries($"{m}: ln R_{i + 1}{i + 1}", x, y) { Color = Palette[i % Palette.Length], Dashed = mi > 0, Markers = true });
            }
            var normGrowth = x.Select(l => Mean(inner[m].Select(r => Math.Log(r.Profile.Norm[(int)l + 1] / r.Profile.Norm[(int)l])))).ToArray();
            means.AddRange(normGrowth.Select((v, l) => new object[] { m, l, "ln_norm_ratio", v }));
            series.Add(new LineSeries($"{m}: ln ||h_(l+1)||/||h_l||", x, normGrowth) { Color = "#888888", Dashed = mi > 0 });
            var lead = Mean(inner[m].Select(r => r.Profile.Exponents[0]));
            var last = Mean(inner[m].Select(r => r.Profile.Exponents[k - 1]));
            var deep = Enumerable.Range(1, layers - 1).Select(l => (Mean(inner[m].Select(r => r.Profile.LayerGrowth[l][0])), normGrowth[l])).ToArray();
            report.Paragraph($"{m}: depth exponents (mean over layers and positions) λ1 = {F(lead, "F3")}, λ{F(k)} = {F(last, "F3")} nats/layer (spread {F(lead - last, "F3")}); the state's own norm grows by {F(normGrowth.Average(), "F3")} nats/layer, " +
                $"so a perturbation's size relative to ||h|| changes by {F(lead - normGrowth.Average(), "F3")} nats/layer along the leading direction. " +
                $"Layer 0 alone gives ln R_11 = {F(Mean(inner[m].Select(r => r.Profile.LayerGrowth[0][0])), "F3")} against ln ||h_1||/||h_0|| = {F(normGrowth[0], "F3")}; " +
                (layers > 1 ? $"layers 1–{F(layers - 1)} average ln R_11 = {F(deep.Average(d => d.Item1), "F3")} against {F(deep.Average(d => d.Item2), "F3")} for the norm." : ""));
        }
        run.Table("layer-mean", ["model", "layer", "quantity", "mean_over_positions"], means);
        report.Figure(run.Figure(new Figure("layer-mean", "Mean growth per layer", new Axis("layer l (map h_l → h_{l+1})"), new Axis("mean ln R_ii (nats)"))
        {
            Series = [.. series, new ReferenceLine("", ReferenceOrientation.Horizontal, 0) { Color = "#bbbbbb" }],
            Subtitle = labels.Length > 1 ? $"{labels[0]} solid, {labels[1]} dashed" : null,
            Legend = LegendPosition.OutsideRight,
        }));

        // Depth exponent against entropy.
        report.Section("Depth exponent and entropy", "Each position's λ1 (mean ln R_11 over the layers) against the entropy of its next-token distribution, BOS left out; " +
            "Spearman's ρ with a percentile-bootstrap interval over positions (neighbouring positions of one text are not independent, so the interval is optimistic).");
        var rows = new List<IReadOnlyList<string>>();
        var rhos = new List<BootstrapCorrelationResult>();
        foreach (var m in labels)
        {
            var points = inner[m];
            var c = BootstrapCorrelation.Compute([.. points.Select(r => r.Profile.Entropy)], [.. points.Select(r => r.Profile.Exponents[0])],
                new BootstrapCorrelationOptions(CorrelationMethod.Spearman, o.BootstrapResamples, 0.95, (ulong)o.Seed));
            rhos.Add(c);
            report.Paragraph($"{m}: Spearman {Correlation(c)}.");
            report.Figure(run.Figure(new Figure($"exponent-vs-entropy-{Slug(m)}", $"Depth exponent vs next-token entropy, {m}", new Axis("next-token entropy (nats)"), new Axis("λ1 = mean_l ln R_11 (nats/layer)"))
            {
                Series = [new ScatterSeries("positions", [.. points.Select(r => r.Profile.Entropy)], [.. points.Select(r => r.Profile.Exponents[0])]) { MarkerSize = 2, Color = Palette[0] }],
                Subtitle = $"Spearman {Correlation(c)}",
                Legend = LegendPosition.None,
            }));
        }

        // Side by side, headlines, breakdown.
        report.Section("Trained against random init", labels.Length > 1 ? "The numbers above side by side." : "Only the trained model was measured (model.compareRandom = false).");
        report.Add(new Preformatted(Table(["measure", .. labels],
        [
            ["λ1 (nats/layer)", .. labels.Select(m => F(Mean(inner[m].Select(r => r.Profile.Exponents[0])), "F3"))],
            [$"λ{F(k)} (nats/layer)", .. labels.Select(m => F(Mean(inner[m].Select(r => r.Profile.Exponents[k - 1])), "F3"))],
            ["mean ln ||h_L|| / ||h_0|| per layer", .. labels.Select(m => F(Mean(inner[m].Select(r => Math.Log(r.Profile.Norm[layers] / r.Profile.Norm[0]) / layers)), "F3"))],
            ["λ1 − mean ln ||h_(l+1)||/||h_l|| (relative growth, nats/layer)", .. labels.Select(m => F(Mean(inner[m].Select(r => r.Profile.Exponents[0] - Math.Log(r.Profile.Norm[layers] / r.Profile.Norm[0]) / layers)), "F3"))],
            ["Spearman ρ(entropy, λ1) [95% CI]", .. rhos.Select(c => c.Succeeded ? $"{F(c.R, "F3")} [{F(c.Lower, "F3")}, {F(c.Upper, "F3")}]" : "—")],
        ])));
        foreach (var (m, i) in labels.Select((m, i) => (m, i)))
        {
            run.Headline($"{m}: depth exponent λ1 (nats/layer)", Mean(inner[m].Select(r => r.Profile.Exponents[0])), "breakdown: no position has a finite ln R_11 (see Numerical breakdown)");
            run.Headline($"{m}: Spearman ρ(entropy, λ1)", rhos[i].R, $"not measured: {rhos[i].Breakdown}");
        }
        var bad = records.Count(r => r.Profile.LayerGrowth.Any(g => g.Any(v => !double.IsFinite(v))));
        report.Section("Numerical breakdown", $"{F(bad)} of {F(records.Count)} positions have a non-finite ln R_ii (a tangent mapped to zero or overflowing); they show as gaps in the heat map and are left out of every mean.");
    }

    /// <summary>The value, or NaN when it is ±∞ (a gap in a heat map).</summary>
    static double Finite(double v) => double.IsFinite(v) ? v : double.NaN;

    /// <summary>Mean of the finite values; NaN when there are none.</summary>
    static double Mean(IEnumerable<double> values) => values.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
}
