// The figures of the butterfly experiment: hidden-state divergence and token edit distance over steps (colour = ε,
// line style = temperature), first-divergence histograms, the finite-size Lyapunov exponent λ(δ), and the scatter of
// the reference's entropy against the local growth rate. References: Lorenz (1963); Aurell et al. (1997), J. Phys. A 30:1.
using TrajectoryLab.Core.Lyapunov;
using TrajectoryLab.Reporting.Figures;
using static TrajectoryLab.Experiments.Shared.ReportText;
using static TrajectoryLab.Reporting.Figures.SeriesColors;
using static TrajectoryLab.Reporting.Tables.TextTable;

namespace TrajectoryLab.Experiments.Butterfly;

/// <summary>Builds the butterfly figures from the measured copies.</summary>
public static class ButterflyFigures
{
    /// <summary>Geometric mean of d_t/||h|| over copies and prompts, one line per temperature × ε, on a log axis.</summary>
    /// <param name="model">Model label.</param>
    /// <param name="copies">That model's copies.</param>
    /// <param name="o">The options (ε and temperature order).</param>
    public static Figure Divergence(string model, IReadOnlyList<CopyTrace> copies, ButterflyOptions o) =>
        new(
            $"divergence-{Slug(model)}",
            $"Hidden-state divergence, {model}",
            new Axis("generated token t"),
            new Axis("geometric mean of d_t / ||h_t||") { Log = true }
        )
        {
            Series = Lines(copies, o, group => ButterflyMeasures.LogCurve(group).MeanLog10.Select(m => Math.Pow(10, m)).ToArray()),
            Subtitle =
                $"perturbed at h_{o.Layer}, observed at {(o.ObservedLayer is { } l ? $"h_{l}" : "the top")}; "
                + "colour ε, line style temperature",
            Legend = LegendPosition.OutsideRight,
        };

    /// <summary>Mean normalised edit distance of the generated tokens, one line per temperature × ε.</summary>
    /// <param name="model">Model label.</param>
    /// <param name="copies">That model's copies.</param>
    /// <param name="o">The options.</param>
    public static Figure Edit(string model, IReadOnlyList<CopyTrace> copies, ButterflyOptions o) =>
        new(
            $"edit-distance-{Slug(model)}",
            $"Token edit distance from the reference, {model}",
            new Axis("generated token s"),
            new Axis("Levenshtein(prefix s+1) / (s+1)") { Min = 0, Max = 1 }
        )
        {
            Series = Lines(copies, o, ButterflyMeasures.MeanEdit),
            Subtitle = "mean over prompts and copies; colour ε, line style temperature",
            Legend = LegendPosition.OutsideRight,
        };

    static List<FigureSeries> Lines(IReadOnlyList<CopyTrace> copies, ButterflyOptions o, Func<IReadOnlyList<CopyTrace>, double[]> curve)
    {
        var series = new List<FigureSeries>();
        for (var ti = 0; ti < o.Temperatures.Length; ti++)
        for (var ei = 0; ei < o.Epsilons.Length; ei++)
        {
            var group = copies.Where(c => c.Temperature == o.Temperatures[ti] && c.Epsilon == o.Epsilons[ei]).ToArray();
            if (group.Length == 0)
                continue;
            var y = curve(group);
            series.Add(
                new LineSeries(
                    $"ε = {F(o.Epsilons[ei])}, {Temperature(o.Temperatures[ti])}",
                    [.. Enumerable.Range(0, y.Length).Select(i => (double)i)],
                    y
                )
                {
                    Color = Palette[ei % Palette.Length],
                    Dashed = ti % 2 == 1,
                    Markers = ti >= 2,
                }
            );
        }
        return series;
    }

    /// <summary>Histograms (one per ε, translucent, shared bins) of the first step whose token differs, for one model and
    /// temperature.</summary>
    /// <param name="model">Model label.</param>
    /// <param name="ti">Temperature index.</param>
    /// <param name="copies">That model's copies.</param>
    /// <param name="o">The options.</param>
    public static Figure FirstDivergence(string model, int ti, IReadOnlyList<CopyTrace> copies, ButterflyOptions o)
    {
        var t = o.Temperatures[ti];
        var width = Math.Max(1, (int)Math.Ceiling(o.Steps / 24.0));
        var edges = Enumerable.Range(0, (o.Steps + width - 1) / width + 1).Select(i => (double)(i * width)).ToArray();
        var series = new List<FigureSeries>();
        var never = new List<string>();
        for (var ei = 0; ei < o.Epsilons.Length; ei++)
        {
            var group = copies.Where(c => c.Temperature == t && c.Epsilon == o.Epsilons[ei]).ToArray();
            var counts = new double[edges.Length - 1];
            foreach (var c in group.Where(c => c.FirstDivergence is not null))
                counts[Math.Min(c.FirstDivergence!.Value / width, counts.Length - 1)]++;
            series.Add(
                new HistogramSeries($"ε = {F(o.Epsilons[ei])}", edges, counts) { Color = "#80" + Palette[ei % Palette.Length][1..] }
            );
            never.Add($"{group.Count(c => c.FirstDivergence is null)}/{group.Length}");
        }
        return new Figure(
            $"first-divergence-{Slug(model)}-{ti + 1}",
            $"First token divergence, {model}, {Temperature(t)}",
            new Axis("first generated step whose token differs"),
            new Axis("copies") { Min = 0 }
        )
        {
            Series = series,
            Subtitle = $"never diverged within {o.Steps} steps (ε ascending): {string.Join(", ", never)}",
            Legend = LegendPosition.TopRight,
        };
    }

    /// <summary>λ(δ) against δ, one line per model × temperature (random init dashed).</summary>
    /// <param name="fsle">The exponents by (model, temperature).</param>
    /// <param name="o">The options.</param>
    public static Figure Fsle(IReadOnlyList<(string Model, double Temperature, FiniteSizeResult Result)> fsle, ButterflyOptions o) =>
        new(
            "fsle",
            "Finite-size Lyapunov exponent λ(δ)",
            new Axis("δ (relative distance d / ||h||)") { Log = true },
            new Axis("λ(δ) (nats per token)")
        )
        {
            Series =
            [
                .. fsle.Select(f =>
                    (FigureSeries)
                        new LineSeries(
                            $"{f.Model}, {Temperature(f.Temperature)}",
                            [.. f.Result.Scales.Select(s => s.Delta)],
                            [.. f.Result.Scales.Select(s => s.Exponent)]
                        )
                        {
                            Color = Palette[Array.IndexOf(o.Temperatures, f.Temperature) % Palette.Length],
                            Dashed = f.Model != "trained",
                            Markers = true,
                        }
                ),
                new ReferenceLine("", ReferenceOrientation.Horizontal, 0) { Color = "#888888" },
            ],
            Subtitle = "λ(δ) = ln r / ⟨time to grow from δ to rδ⟩ over every copy (Aurell et al. 1997); random init dashed",
            Legend = LegendPosition.OutsideRight,
        };

    /// <summary>Entropy of the reference at t against ln(d_{t+1}/d_t), coloured by log10 ε, with the mean growth in entropy bins.</summary>
    /// <param name="model">Model label.</param>
    /// <param name="points">The growth points with the ε of their copy.</param>
    /// <param name="correlation">The sentence reading the correlation.</param>
    public static Figure Growth(string model, IReadOnlyList<(GrowthPoint Point, double Epsilon)> points, string correlation)
    {
        var x = points.Select(p => p.Point.Entropy).ToArray();
        var y = points.Select(p => p.Point.Growth).ToArray();
        var series = new List<FigureSeries>
        {
            new ScatterSeries("growth points", x, y)
            {
                Values = [.. points.Select(p => Math.Log10(p.Epsilon))],
                ColorAxisTitle = "log10 ε",
                MarkerSize = 1.5,
            },
            new ReferenceLine("", ReferenceOrientation.Horizontal, 0) { Color = "#888888" },
        };
        if (x.Length > 0)
        {
            var (centres, means) = BinnedMean(x, y, 12, 5);
            series.Add(new LineSeries("mean in entropy bins", centres, means) { Color = "#000000", Markers = true });
        }
        return new Figure(
            $"growth-vs-entropy-{Slug(model)}",
            $"Entropy vs local growth before divergence, {model}",
            new Axis("reference next-token entropy H_t (nats)"),
            new Axis("ln(d_{t+1} / d_t)")
        )
        {
            Series = series,
            Subtitle = $"Spearman {correlation}",
            Legend = LegendPosition.TopLeft,
        };
    }

    /// <summary>Mean of y in <paramref name="bins"/> equal-width bins of x (bins with fewer than <paramref name="minimum"/> points left
    /// out).</summary>
    static (double[] Centres, double[] Means) BinnedMean(double[] x, double[] y, int bins, int minimum)
    {
        double lo = x.Min(),
            hi = x.Max(),
            w = hi > lo ? (hi - lo) / bins : 1;
        var groups = x.Select((v, i) => (Bin: Math.Min(bins - 1, (int)((v - lo) / w)), Y: y[i]))
            .GroupBy(g => g.Bin)
            .Where(g => g.Count() >= minimum)
            .OrderBy(g => g.Key)
            .ToArray();
        return ([.. groups.Select(g => lo + (g.Key + 0.5) * w)], [.. groups.Select(g => g.Average(p => p.Y))]);
    }
}
