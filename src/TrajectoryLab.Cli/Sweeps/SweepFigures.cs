// Grid plots of a merged sweep, one per numeric metric: a heatmap over the first two non-seed axes (mean over the other
// axes, seeds included), or, with one non-seed axis, the mean curve over it with a min–max band over the other cells.
using System.Globalization;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Rendering;

namespace TrajectoryLab.Cli.Sweeps;

/// <summary>Draws the merged sweep's grid plots.</summary>
public static class SweepFigures
{
    /// <summary>Renders one figure per metric into <paramref name="folder"/>; returns (name, caption) for the report.</summary>
    /// <param name="plan">The plan (axis keys and values).</param>
    /// <param name="rows">The merged cells' indices, one per table row.</param>
    /// <param name="axes">The axis columns of the table.</param>
    /// <param name="metrics">The numeric metric columns to plot.</param>
    /// <param name="folder">The sweep folder.</param>
    public static IReadOnlyList<(string Name, string Caption)> Draw(
        SweepPlan plan,
        IReadOnlyList<int> rows,
        IReadOnlyList<Column> axes,
        IReadOnlyList<Column> metrics,
        string folder
    )
    {
        var free = Enumerable.Range(0, plan.AxisKeys.Count).Where(k => !SweepPlan.IsSeedKey(plan.AxisKeys[k])).ToList();
        if (free.Count == 0 || rows.Count == 0)
            return [];
        var drawn = new List<(string, string)>();
        for (int m = 0; m < metrics.Count; m++)
        {
            var metric = metrics[m];
            var name = $"grid-{m + 1:D2}";
            Figure figure;
            string caption;
            if (free.Count >= 2)
                (figure, caption) = Heatmap(plan, rows, free[0], free[1], metric, name);
            else
                (figure, caption) = Curve(plan, rows, free[0], axes[free[0]], metric, name);
            FigureRenderer.Render(figure, folder);
            drawn.Add((name, caption));
        }
        return drawn;
    }

    /// <summary>The distinct values of axis <paramref name="k"/> in plan order.</summary>
    static List<string> Levels(SweepPlan plan, int k) => plan.Cells.Select(c => c.Values[k]).Distinct().ToList();

    static (Figure, string) Heatmap(SweepPlan plan, IReadOnlyList<int> rows, int kx, int ky, Column metric, string name)
    {
        var xs = Levels(plan, kx);
        var ys = Levels(plan, ky);
        var (xi, yi) = (
            xs.Select((v, i) => (v, i)).ToDictionary(p => p.v, p => p.i),
            ys.Select((v, i) => (v, i)).ToDictionary(p => p.v, p => p.i)
        );
        var sum = new double[ys.Count, xs.Count];
        var n = new int[ys.Count, xs.Count];
        for (int r = 0; r < rows.Count; r++)
        {
            var value = metric.Numbers![r];
            if (!double.IsFinite(value))
                continue;
            var cell = plan.Cells[rows[r]];
            sum[yi[cell.Values[ky]], xi[cell.Values[kx]]] += value;
            n[yi[cell.Values[ky]], xi[cell.Values[kx]]]++;
        }
        var grid = Enumerable
            .Range(0, ys.Count)
            .Select(y => Enumerable.Range(0, xs.Count).Select(x => n[y, x] == 0 ? double.NaN : sum[y, x] / n[y, x]).ToArray())
            .ToArray();
        var (x0, x1, xTitle) = Span(plan.AxisKeys[kx], xs);
        var (y0, y1, yTitle) = Span(plan.AxisKeys[ky], ys);
        var figure = new Figure(name, metric.Name, new Axis(xTitle), new Axis(yTitle))
        {
            Series = [new HeatmapSeries(metric.Name, x0, x1, y0, y1, grid) { ColorAxisTitle = metric.Name }],
            Subtitle = "mean over the other axes (seeds included); blank = no complete cell",
            Legend = LegendPosition.None,
        };
        return (
            figure,
            string.Create(
                CultureInfo.InvariantCulture,
                $"{metric.Name} over {plan.AxisKeys[kx]} × {plan.AxisKeys[ky]} ({xs.Count} × {ys.Count}), mean over the other axes"
            )
        );
    }

    static (Figure, string) Curve(SweepPlan plan, IReadOnlyList<int> rows, int k, Column axis, Column metric, string name)
    {
        var levels = Levels(plan, k);
        var numeric = levels.All(l => double.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out _));
        double X(string level, int i) => numeric ? double.Parse(level, CultureInfo.InvariantCulture) : i;
        var byLevel = levels.ToDictionary(l => l, _ => new List<double>());
        for (int r = 0; r < rows.Count; r++)
            if (double.IsFinite(metric.Numbers![r]))
                byLevel[plan.Cells[rows[r]].Values[k]].Add(metric.Numbers[r]);
        var kept = levels.Select((l, i) => (x: X(l, i), v: byLevel[l])).Where(p => p.v.Count > 0).OrderBy(p => p.x).ToList();
        var x = kept.Select(p => p.x).ToArray();
        var figure = new Figure(
            name,
            metric.Name,
            new Axis(numeric ? plan.AxisKeys[k] : $"{plan.AxisKeys[k]} (index: {string.Join(", ", levels)})"),
            new Axis(metric.Name)
        )
        {
            Series =
            [
                new BandSeries("min–max over seeds", x, kept.Select(p => p.v.Min()).ToArray(), kept.Select(p => p.v.Max()).ToArray()),
                new LineSeries("mean", x, kept.Select(p => p.v.Average()).ToArray()) { Markers = true },
            ],
            Legend = LegendPosition.OutsideRight,
        };
        var perLevel = kept.Count == 0 ? 0 : kept.Max(p => p.v.Count);
        return (
            figure,
            string.Create(
                CultureInfo.InvariantCulture,
                $"{metric.Name} against {plan.AxisKeys[k]}: mean and min–max band over up to {perLevel} cells per value (seeds)"
            )
        );
    }

    /// <summary>Heatmap extent: the values themselves when numeric and evenly spaced, else the level index.</summary>
    static (double From, double To, string Title) Span(string key, List<string> levels)
    {
        var values = levels
            .Select(l => double.TryParse(l, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.NaN)
            .ToArray();
        if (values.All(double.IsFinite) && values.Length >= 2)
        {
            var step = values[1] - values[0];
            if (step > 0 && values.Zip(values.Skip(1)).All(p => Math.Abs(p.Second - p.First - step) <= 1e-9 * Math.Max(1, Math.Abs(step))))
                return (values[0], values[^1], key);
        }
        if (levels.Count == 1)
            return (0, 1, $"{key} = {levels[0]}");
        var shown = string.Join(", ", levels.Take(12)) + (levels.Count > 12 ? ", …" : "");
        return (0, levels.Count - 1, $"{key} (level index: {shown})");
    }
}
