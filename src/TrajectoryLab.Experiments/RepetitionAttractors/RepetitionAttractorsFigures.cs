// The figures of the repetition-attractors experiment: the basin map (prompt × decoding cell coloured by loop period),
// loop fraction against temperature, period and onset histograms, the self-reinforcement curves, recurrence plots of
// top-residual trajectories, and the escape threshold per layer.
// References: Holtzman et al. (2020), ICLR; Xu et al. (2022), NeurIPS; Marwan et al. (2007), Phys. Rep. 438:237.
using TrajectoryLab.Core.Statistics;
using TrajectoryLab.Reporting.Figures;
using static TrajectoryLab.Experiments.Shared.ReportText;
using static TrajectoryLab.Reporting.Figures.SeriesColors;
using static TrajectoryLab.Reporting.Tables.TextTable;

namespace TrajectoryLab.Experiments.RepetitionAttractors;

/// <summary>Builds the repetition-attractors figures.</summary>
public static class RepetitionAttractorsFigures
{
    /// <summary>A file-name form of a label.</summary>
    /// <param name="label">The label.</param>
    public static string Slug(string label) => label.Replace(' ', '-');

    /// <summary>"greedy" or "top-k T = 0.5".</summary>
    /// <param name="strategy">Strategy name.</param>
    /// <param name="t">Temperature.</param>
    public static string Cell(string strategy, double t) => strategy == "greedy" ? "greedy" : $"{strategy} {Temperature(t)}";

    /// <summary>Prompt (rows) × decoding cell (columns) coloured by the loop period, 0 where there is no loop.</summary>
    /// <param name="model">Model label.</param>
    /// <param name="generations">That model's generations.</param>
    /// <param name="o">The options.</param>
    public static Figure Basin(string model, IReadOnlyList<SweepGeneration> generations, RepetitionAttractorsOptions o)
    {
        var cells = RepetitionAttractorsMeasures.Cells(o);
        var promptCount = PromptSource.Count(o.Prompts, o.PromptIds);
        var values = Enumerable
            .Range(0, promptCount)
            .Select(p =>
                cells
                    .Select(c =>
                        generations
                            .Where(g => g.Prompt == p && g.Strategy == c.Strategy && g.Temperature == c.Temperature)
                            .Select(g => (double)g.Cycle.Period)
                            .DefaultIfEmpty(double.NaN)
                            .First()
                    )
                    .ToArray()
            )
            .ToArray();
        return new Figure(
            $"basin-{Slug(model)}",
            $"Basin map: loop period per prompt and decoding, {model}",
            new Axis("decoding cell (see subtitle)") { Min = -0.5, Max = cells.Length - 0.5 },
            new Axis("prompt index") { Min = -0.5, Max = promptCount - 0.5 }
        )
        {
            Series =
            [
                new HeatmapSeries("", 0, cells.Length - 1, 0, promptCount - 1, values) { ColorAxisTitle = "loop period (0 = no loop)" },
            ],
            Subtitle = CellKey(cells),
            Legend = LegendPosition.None,
            Height = 620,
        };
    }

    /// <summary>A compact key of the cell columns: "0 greedy; 1–4 top-k; ... at T = 0.25, 0.5, ...".</summary>
    /// <param name="cells">The cells in column order.</param>
    public static string CellKey((string Strategy, double Temperature)[] cells)
    {
        var parts = cells
            .Select((c, i) => (c, i))
            .GroupBy(x => x.c.Strategy)
            .Select(g => g.Count() == 1 ? $"{g.First().i} {g.Key}" : $"{g.First().i}–{g.Last().i} {g.Key}");
        var temperatures = cells.Where(c => c.Strategy != "greedy").Select(c => c.Temperature).Distinct().ToArray();
        return string.Join("; ", parts)
            + (temperatures.Length > 0 ? $" (T = {string.Join(", ", temperatures.Select(t => F(t)))} each)" : "");
    }

    /// <summary>Fraction of generations in a loop against temperature, one line per model × sampled strategy; greedy as horizontal
    /// lines.</summary>
    /// <param name="generations">Every generation.</param>
    /// <param name="labels">Model labels.</param>
    /// <param name="o">The options.</param>
    public static Figure LoopFraction(IReadOnlyList<SweepGeneration> generations, string[] labels, RepetitionAttractorsOptions o)
    {
        var series = new List<FigureSeries>();
        for (var m = 0; m < labels.Length; m++)
        for (var si = 0; si < o.Strategies.Length; si++)
        {
            var s = o.Strategies[si];
            double Fraction(double t) =>
                generations
                    .Where(g => g.Model == labels[m] && g.Strategy == s && g.Temperature == t)
                    .Average(g => g.Cycle.IsLoop ? 1.0 : 0.0);
            if (s == "greedy")
                series.Add(
                    new ReferenceLine($"{labels[m]}, greedy {F(Fraction(0), "F2")}", ReferenceOrientation.Horizontal, Fraction(0))
                    {
                        Color = Palette[si % Palette.Length],
                    }
                );
            else
                series.Add(
                    new LineSeries($"{labels[m]}, {s}", o.Temperatures, [.. o.Temperatures.Select(Fraction)])
                    {
                        Color = Palette[si % Palette.Length],
                        Dashed = m > 0,
                        Markers = true,
                    }
                );
        }
        return new Figure(
            "loop-fraction",
            "Fraction of generations that end in a loop",
            new Axis("temperature"),
            new Axis("fraction in a loop") { Min = 0, Max = 1 }
        )
        {
            Series = series,
            Subtitle = $"loop = terminal cycle repeated ≥ {o.LoopRepeats} times within {o.Steps} tokens; random init dashed",
            Legend = LegendPosition.OutsideRight,
        };
    }

    /// <summary>Histograms of loop periods or onsets, one translucent series per model.</summary>
    /// <param name="name">"periods" or "onsets".</param>
    /// <param name="values">Per model label, the values.</param>
    /// <param name="axis">X-axis title.</param>
    /// <param name="upper">Largest value the bins reach.</param>
    public static Figure Histogram(string name, IReadOnlyDictionary<string, double[]> values, string axis, int upper)
    {
        var width = Math.Max(1, (int)Math.Ceiling((upper + 1) / 32.0));
        var edges = Enumerable.Range(0, (upper + width) / width + 1).Select(i => i * (double)width).ToArray();
        var series = values
            .Select(
                (kv, i) =>
                {
                    var counts = new double[edges.Length - 1];
                    foreach (var v in kv.Value)
                        counts[Math.Clamp((int)(v / width), 0, counts.Length - 1)]++;
                    return (FigureSeries)
                        new HistogramSeries($"{kv.Key} ({F(kv.Value.Length)} loops)", edges, counts)
                        {
                            Color = "#80" + Palette[i % Palette.Length][1..],
                        };
                }
            )
            .ToList();
        return new Figure($"loop-{name}", $"Loop {name}", new Axis(axis), new Axis("generations") { Min = 0 }) { Series = series };
    }

    /// <summary>Mean token probability of the sentence's next copy against the copies already in the context (log y).</summary>
    /// <param name="curves">Every sentence's curve.</param>
    /// <param name="labels">Model labels.</param>
    public static Figure Reinforcement(IReadOnlyList<Reinforcement> curves, string[] labels) =>
        ReinforcementFigure(
            "self-reinforcement-probability",
            "Probability of repeating the sentence again",
            "mean token probability of copy n + 1",
            curves,
            labels,
            (c, k) => c.MeanProbability(k),
            0,
            true
        );

    /// <summary>Fraction of the sentence's tokens more probable than with one copy in the context.</summary>
    /// <param name="curves">Every sentence's curve.</param>
    /// <param name="labels">Model labels.</param>
    public static Figure Rose(IReadOnlyList<Reinforcement> curves, string[] labels) =>
        ReinforcementFigure(
            "self-reinforcement-rose",
            "Tokens whose probability rose relative to n = 1",
            "fraction of tokens with p_n > p_1",
            curves,
            labels,
            (c, k) => c.FractionRose(k),
            1,
            false
        );

    static Figure ReinforcementFigure(
        string name,
        string title,
        string yTitle,
        IReadOnlyList<Reinforcement> curves,
        string[] labels,
        Func<Reinforcement, int, double> value,
        int from,
        bool log
    )
    {
        var series = new List<FigureSeries>();
        for (var m = 0; m < labels.Length; m++)
        {
            var mine = curves.Where(c => c.Model == labels[m]).ToArray();
            if (mine.Length == 0)
                continue;
            var n = Enumerable.Range(from, mine[0].Probabilities.Length - from).ToArray();
            foreach (var c in mine)
                series.Add(
                    new LineSeries("", [.. n.Select(k => (double)k)], [.. n.Select(k => value(c, k))])
                    {
                        Color = "#40" + Palette[m % Palette.Length][1..],
                        Dashed = m > 0,
                    }
                );
            series.Add(
                new LineSeries(
                    $"{labels[m]}, mean of {F(mine.Length)} sentences",
                    [.. n.Select(k => (double)k)],
                    [.. n.Select(k => mine.Average(c => value(c, k)))]
                )
                {
                    Color = Palette[m % Palette.Length],
                    Markers = true,
                    Dashed = m > 0,
                }
            );
        }
        return new Figure(
            name,
            title,
            new Axis("n = copies of the sentence already in the context"),
            log ? new Axis(yTitle) { Log = true } : new Axis(yTitle) { Min = 0, Max = 1 }
        )
        {
            Series = series,
            Subtitle = "teacher-forced (Xu et al. 2022); thin lines: single sentences",
            Legend = LegendPosition.TopLeft,
        };
    }

    /// <summary>A recurrence plot as a 0/1 heat map.</summary>
    /// <param name="name">Figure name.</param>
    /// <param name="title">Figure title.</param>
    /// <param name="plot">[N][N] R_ij.</param>
    /// <param name="subtitle">The RQA reading.</param>
    public static Figure Recurrence(string name, string title, bool[][] plot, string subtitle)
    {
        var n = plot.Length;
        var values = Enumerable.Range(0, n).Select(i => Enumerable.Range(0, n).Select(j => plot[i][j] ? 1.0 : 0.0).ToArray()).ToArray();
        return new Figure(name, title, new Axis("generated step i"), new Axis("generated step j"))
        {
            Series = [new HeatmapSeries("", 0, n - 1, 0, n - 1, values) { ColorAxisTitle = "R_ij" }],
            Subtitle = subtitle,
            Legend = LegendPosition.None,
            Width = 700,
            Height = 640,
        };
    }

    /// <summary>Escape threshold ε against the perturbed layer: every direction as a point, the median per loop as a line.</summary>
    /// <param name="thresholds">Every threshold (infinite ones left out of the plot).</param>
    /// <param name="o">The options.</param>
    public static Figure Escape(IReadOnlyList<EscapeThreshold> thresholds, RepetitionAttractorsOptions o)
    {
        var series = new List<FigureSeries>();
        var i = 0;
        foreach (var loop in thresholds.GroupBy(t => (t.Model, t.Loop)))
        {
            var color = Palette[i++ % Palette.Length];
            var finite = loop.Where(t => double.IsFinite(t.Epsilon)).ToArray();
            var head = loop.First();
            series.Add(
                new ScatterSeries("", [.. finite.Select(t => (double)t.Layer)], [.. finite.Select(t => t.Epsilon)])
                {
                    Color = color,
                    MarkerSize = 3,
                }
            );
            var layers = o.EscapeLayers.Where(l => loop.Any(t => t.Layer == l)).ToArray();
            series.Add(
                new LineSeries(
                    $"{loop.Key.Model}, prompt {head.Prompt + 1} (P = {head.Period})",
                    [.. layers.Select(l => (double)l)],
                    [.. layers.Select(l => Sample.Median(loop.Where(t => t.Layer == l).Select(t => t.Epsilon)))]
                )
                {
                    Color = color,
                    Markers = true,
                    Dashed = loop.Key.Model != "trained",
                }
            );
        }
        series.Add(new ReferenceLine("largest ε tried", ReferenceOrientation.Horizontal, o.EscapeMaxEpsilon) { Color = "#888888" });
        return new Figure(
            "escape-threshold",
            "Smallest perturbation that escapes a greedy loop",
            new Axis("perturbed residual site h_l (0 = embeddings)"),
            new Axis("ε* relative to ||h||") { Log = true }
        )
        {
            Series = series,
            Subtitle = $"points: single directions ({o.EscapeDirections} per layer); line: their median, missing where most never escape",
            Legend = LegendPosition.OutsideRight,
        };
    }
}
