// The report of depth-dynamics, from its result alone: ln R_11 by layer × position of the first text (and relative to the
// growth of ||h||), the mean over positions of every ln R_ii per layer next to the growth of the state, the depth exponent
// λ1 against the next-token entropy (Spearman, percentile bootstrap), trained against random init, and the positions
// whose growth rates broke down. A spread between ln R_11 and ln R_kk is directions collapsing onto few.
// References: Benettin et al. (1980), Meccanica 15:9; Lorenz (1963); Aurell et al. (1997), J. Phys. A 30:1;
// Dong, Cordonnier, Loukas (2021), arXiv:2103.03404 (rank collapse along depth).
using TrajectoryLab.Core.Statistics;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using TrajectoryLab.Torch.Dynamics;
using static TrajectoryLab.Experiments.Shared.ReportText;
using static TrajectoryLab.Reporting.Figures.SeriesColors;
using static TrajectoryLab.Reporting.Tables.TextTable;

namespace TrajectoryLab.Experiments.Depth;

/// <summary>ln R_ii of one layer along one direction at one position (a row of layer-growth.csv).</summary>
public sealed record LayerGrowthRow(string Model, int Text, int Position, string Token, int Layer, int Direction, double LnR);

/// <summary>The fixed leading columns of one position's row of positions.csv; the columns exponent_1 … exponent_k and
/// norm_h0 … norm_hL follow, as many as the measurement had directions and layers.</summary>
public sealed record PositionRow(string Model, int Text, int Position, int TokenId, string Token, double EntropyNats);

/// <summary>One quantity's mean over positions at one layer (a row of layer-mean.csv): "ln_rI" or "ln_norm_ratio".</summary>
public sealed record LayerMeanRow(string Model, int Layer, string Quantity, double MeanOverPositions);

/// <summary>Renders a <see cref="DepthDynamicsResult"/>.</summary>
public static class DepthDynamicsReport
{
    /// <summary>Writes the tables, figures, sections and headlines of <paramref name="result"/>.</summary>
    /// <param name="o">The options the result was measured with.</param>
    /// <param name="result">The measurement.</param>
    /// <param name="run">The run folder to render into.</param>
    public static void Render(DepthDynamicsOptions o, DepthDynamicsResult result, RunContext run)
    {
        var spec = result.Model;
        var labels = result.Labels;
        var texts = result.Texts;
        run.Report.Lead(
            $"Local growth rates of the depth map h_l(p) → h_{{l+1}}(p) of {spec.Name} "
                + $"({spec.Path}; {F(spec.Layers)} layers, d_model {F(spec.Width)})"
                + $"{(labels.Length > 1 ? " and of its random-init twin" : "")}, at every position p of {F(texts.Count)} text(s) "
                + $"({string.Join(", ", texts.Select(t => $"{t.Name}: {F(t.Tokens.Length)} tokens"))}; BOS first), "
                + "earlier positions held fixed. "
                + $"{F(o.Directions)} random orthonormal tangents start at h_0(p) and are mapped through each layer's Jacobian J_l "
                + $"({(o.Method == TangentMethod.FiniteDifference ? $"finite differences, ε = {F(o.Epsilon)}·||h_l||"
                : "exact Jacobian-vector products by the double-VJP trick")}) and re-orthonormalised, J_l V = Q R: "
                + "ln R_ii is layer l's growth along the i-th direction (0 = the identity's), "
                + "and the mean over layers of ln R_11 is the position's depth exponent λ1 (nats per layer). "
                + "Position 0 (BOS) is shown in the heat maps and tables and left out of the means and the correlation: "
                + "it is the same token in every text and attends only to itself."
        );
        Analyse(o, run, labels, spec.Layers, [.. texts.Select(t => t.TokenTexts)], result.Records);
    }

    static void Analyse(
        DepthDynamicsOptions o,
        RunContext run,
        string[] labels,
        int layers,
        string[][] tokenText,
        IReadOnlyList<DepthRecord> records
    )
    {
        var report = run.Report;
        int k = o.Directions;
        run.Table(
            "layer-growth",
            records.SelectMany(r =>
                r.Profile.LayerGrowth.SelectMany(
                    (g, l) =>
                        g.Select(
                            (v, i) =>
                                new LayerGrowthRow(r.Model, r.Text, r.Profile.Position, tokenText[r.Text][r.Profile.Position], l, i + 1, v)
                        )
                )
            )
        );
        Positions(run, k, layers, tokenText, records);
        var inner = labels.ToDictionary(m => m, m => records.Where(r => r.Model == m && r.Profile.Position > 0).ToArray());

        // Heat maps of ln R_11, text 1.
        report.Section(
            "Leading growth by layer and position",
            $"ln R_11 of every layer at every position of text 1 ({F(tokenText[0].Length)} tokens): "
                + "positive where the layer stretches the leading direction, negative where it contracts it."
        );
        foreach (var m in labels)
        {
            var text0 = records.Where(r => r.Model == m && r.Text == 0).OrderBy(r => r.Profile.Position).ToArray();
            var values = Enumerable
                .Range(0, layers) // [layer][position]
                .Select(l => text0.Select(r => Finite(r.Profile.LayerGrowth[l][0])).ToArray())
                .ToArray();
            var (hot, hotLayer) = Enumerable
                .Range(0, layers)
                .Select(l => (Mean: values[l].Skip(1).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average(), Layer: l))
                .MaxBy(x => x.Mean);
            report.Paragraph(
                $"{m}: the layer with the largest mean ln R_11 over positions 1… is layer {F(hotLayer)} ({F(hot, "F3")}); "
                    + $"at BOS the layers give {string.Join(", ", values.Select(v => F(v[0], "F2")))}."
            );
            report.Figure(
                run.Figure(
                    new Figure(
                        $"heatmap-{Slug(m)}",
                        $"ln R_11 by layer and position, {m}",
                        new Axis("position"),
                        new Axis("layer l (map h_l → h_{l+1})")
                    )
                    {
                        Series = [new HeatmapSeries("ln R_11", 0, text0.Length - 1, 0, layers - 1, values) { ColorAxisTitle = "ln R_11" }],
                        Legend = LegendPosition.None,
                    }
                )
            );
            var relative = Enumerable
                .Range(0, layers)
                .Select(l =>
                    text0
                        .Select(r => // [layer][position]
                            Finite(r.Profile.LayerGrowth[l][0] - Math.Log(r.Profile.Norm[l + 1] / r.Profile.Norm[l]))
                        )
                        .ToArray()
                )
                .ToArray();
            report.Figure(
                run.Figure(
                    new Figure(
                        $"heatmap-relative-{Slug(m)}",
                        $"ln R_11 − ln(||h_(l+1)|| / ||h_l||), {m}",
                        new Axis("position"),
                        new Axis("layer l (map h_l → h_{l+1})")
                    )
                    {
                        Series =
                        [
                            new HeatmapSeries("relative growth", 0, text0.Length - 1, 0, layers - 1, relative)
                            {
                                ColorAxisTitle = "growth relative to the state (nats)",
                            },
                        ],
                        Subtitle = "positive: a perturbation grows faster than the state, i.e. its relative size grows",
                        Legend = LegendPosition.None,
                    }
                )
            );
        }

        // Mean ln R_ii per layer, with the growth of ||h||.
        var means = new List<LayerMeanRow>();
        var series = new List<FigureSeries>();
        report.Section(
            "Mean growth per layer",
            "The mean over positions (BOS left out) of ln R_ii per layer, one line per direction i, "
                + "next to ln(||h_{l+1}||/||h_l||), the growth of the state itself (grey). "
                + "A tangent that grows like the state keeps its relative size; "
                + "ln R_kk far below ln R_11 means the layer squeezes the k directions towards fewer (rank collapse)."
        );
        foreach (var (m, mi) in labels.Select((m, i) => (m, i)))
        {
            var x = Enumerable.Range(0, layers).Select(l => (double)l).ToArray();
            for (var i = 0; i < k; i++)
            {
                var y = x.Select(l => Mean(inner[m].Select(r => r.Profile.LayerGrowth[(int)l][i]))).ToArray();
                means.AddRange(y.Select((v, l) => new LayerMeanRow(m, l, $"ln_r{i + 1}", v)));
                series.Add(
                    new LineSeries($"{m}: ln R_{i + 1}{i + 1}", x, y)
                    {
                        Color = Palette[i % Palette.Length],
                        Dashed = mi > 0,
                        Markers = true,
                    }
                );
            }
            var normGrowth = x.Select(l => Mean(inner[m].Select(r => Math.Log(r.Profile.Norm[(int)l + 1] / r.Profile.Norm[(int)l]))))
                .ToArray();
            means.AddRange(normGrowth.Select((v, l) => new LayerMeanRow(m, l, "ln_norm_ratio", v)));
            series.Add(new LineSeries($"{m}: ln ||h_(l+1)||/||h_l||", x, normGrowth) { Color = "#888888", Dashed = mi > 0 });
            var lead = Mean(inner[m].Select(r => r.Profile.Exponents[0]));
            var last = Mean(inner[m].Select(r => r.Profile.Exponents[k - 1]));
            var deep = Enumerable
                .Range(1, layers - 1)
                .Select(l => (Mean(inner[m].Select(r => r.Profile.LayerGrowth[l][0])), normGrowth[l]))
                .ToArray();
            report.Paragraph(
                $"{m}: depth exponents (mean over layers and positions) "
                    + $"λ1 = {F(lead, "F3")}, λ{F(k)} = {F(last, "F3")} nats/layer "
                    + $"(spread {F(lead - last, "F3")}); the state's own norm grows by {F(normGrowth.Average(), "F3")} nats/layer, "
                    + $"so a perturbation's size relative to ||h|| changes by {F(lead - normGrowth.Average(), "F3")} nats/layer "
                    + "along the leading direction. "
                    + $"Layer 0 alone gives ln R_11 = {F(Mean(inner[m].Select(r => r.Profile.LayerGrowth[0][0])), "F3")} "
                    + $"against ln ||h_1||/||h_0|| = {F(normGrowth[0], "F3")}; "
                    + (
                        layers > 1
                            ? $"layers 1–{F(layers - 1)} average ln R_11 = {F(deep.Average(d => d.Item1), "F3")} "
                                + $"against {F(deep.Average(d => d.Item2), "F3")} for the norm."
                            : ""
                    )
            );
        }
        run.Table("layer-mean", means);
        report.Figure(
            run.Figure(
                new Figure("layer-mean", "Mean growth per layer", new Axis("layer l (map h_l → h_{l+1})"), new Axis("mean ln R_ii (nats)"))
                {
                    Series = [.. series, new ReferenceLine("", ReferenceOrientation.Horizontal, 0) { Color = "#bbbbbb" }],
                    Subtitle = labels.Length > 1 ? $"{labels[0]} solid, {labels[1]} dashed" : null,
                    Legend = LegendPosition.OutsideRight,
                }
            )
        );

        // Depth exponent against entropy.
        report.Section(
            "Depth exponent and entropy",
            "Each position's λ1 (mean ln R_11 over the layers) against the entropy of its next-token distribution, BOS left out; "
                + "Spearman's ρ with a percentile-bootstrap interval over positions "
                + "(neighbouring positions of one text are not independent, so the interval is optimistic)."
        );
        var rhos = new List<BootstrapCorrelationResult>();
        foreach (var m in labels)
        {
            var points = inner[m];
            var c = BootstrapCorrelation.Compute(
                [.. points.Select(r => r.Profile.Entropy)],
                [.. points.Select(r => r.Profile.Exponents[0])],
                new BootstrapCorrelationOptions(CorrelationMethod.Spearman, o.BootstrapResamples, 0.95, (ulong)o.Seed)
            );
            rhos.Add(c);
            report.Paragraph($"{m}: Spearman {Correlation(c)}.");
            report.Figure(
                run.Figure(
                    new Figure(
                        $"exponent-vs-entropy-{Slug(m)}",
                        $"Depth exponent vs next-token entropy, {m}",
                        new Axis("next-token entropy (nats)"),
                        new Axis("λ1 = mean_l ln R_11 (nats/layer)")
                    )
                    {
                        Series =
                        [
                            new ScatterSeries(
                                "positions",
                                [.. points.Select(r => r.Profile.Entropy)],
                                [.. points.Select(r => r.Profile.Exponents[0])]
                            )
                            {
                                MarkerSize = 2,
                                Color = Palette[0],
                            },
                        ],
                        Subtitle = $"Spearman {Correlation(c)}",
                        Legend = LegendPosition.None,
                    }
                )
            );
        }

        // Side by side, headlines, breakdown.
        report.Section(
            "Trained against random init",
            labels.Length > 1 ? "The numbers above side by side." : "Only the trained model was measured (model.compareRandom = false)."
        );
        report.Add(
            new Preformatted(
                Table(
                    ["measure", .. labels],
                    [
                        ["λ1 (nats/layer)", .. labels.Select(m => F(Mean(inner[m].Select(r => r.Profile.Exponents[0])), "F3"))],
                        [$"λ{F(k)} (nats/layer)", .. labels.Select(m => F(Mean(inner[m].Select(r => r.Profile.Exponents[k - 1])), "F3"))],
                        [
                            "mean ln ||h_L|| / ||h_0|| per layer",
                            .. labels.Select(m =>
                                F(Mean(inner[m].Select(r => Math.Log(r.Profile.Norm[layers] / r.Profile.Norm[0]) / layers)), "F3")
                            ),
                        ],
                        [
                            "λ1 − mean ln ||h_(l+1)||/||h_l|| (relative growth, nats/layer)",
                            .. labels.Select(m =>
                                F(
                                    Mean(
                                        inner[m]
                                            .Select(r =>
                                                r.Profile.Exponents[0] - Math.Log(r.Profile.Norm[layers] / r.Profile.Norm[0]) / layers
                                            )
                                    ),
                                    "F3"
                                )
                            ),
                        ],
                        [
                            "Spearman ρ(entropy, λ1) [95% CI]",
                            .. rhos.Select(c => c.Succeeded ? $"{F(c.R, "F3")} [{F(c.Lower, "F3")}, {F(c.Upper, "F3")}]" : "—"),
                        ],
                    ]
                )
            )
        );
        foreach (var (m, i) in labels.Select((m, i) => (m, i)))
        {
            run.Headline(
                $"{m}: depth exponent λ1 (nats/layer)",
                Mean(inner[m].Select(r => r.Profile.Exponents[0])),
                "breakdown: no position has a finite ln R_11 (see Numerical breakdown)"
            );
            run.Headline($"{m}: Spearman ρ(entropy, λ1)", rhos[i].R, $"not measured: {rhos[i].Breakdown}");
        }
        var bad = records.Count(r => r.Profile.LayerGrowth.Any(g => g.Any(v => !double.IsFinite(v))));
        report.Section(
            "Numerical breakdown",
            $"{F(bad)} of {F(records.Count)} positions have a non-finite ln R_ii "
                + "(a tangent mapped to zero or overflowing); they show as gaps in the heat map and are left out of every mean."
        );
    }

    /// <summary>Writes positions.csv: the columns of <see cref="PositionRow"/>, then exponent_1 … exponent_k and
    /// norm_h0 … norm_hL, whose number depends on the measurement (so they are added to the typed table by name).</summary>
    static void Positions(RunContext run, int k, int layers, string[][] tokenText, IReadOnlyList<DepthRecord> records)
    {
        var table = TypedTable.Of(
            records.Select(r => new PositionRow(
                r.Model,
                r.Text,
                r.Profile.Position,
                r.Token,
                tokenText[r.Text][r.Profile.Position],
                r.Profile.Entropy
            ))
        );
        for (var i = 0; i < k; i++)
            table.Add($"exponent_{i + 1}", [.. records.Select(r => r.Profile.Exponents[i])]);
        for (var l = 0; l <= layers; l++)
            table.Add($"norm_h{l}", [.. records.Select(r => r.Profile.Norm[l])]);
        table.Write(Path.Combine(run.Folder, "positions.csv"));
    }

    /// <summary>The value, or NaN when it is ±∞ (a gap in a heat map).</summary>
    static double Finite(double v) => double.IsFinite(v) ? v : double.NaN;

    /// <summary>Mean of the finite values; NaN when there are none.</summary>
    static double Mean(IEnumerable<double> values) => values.Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();
}
