// The report of bench-sweep-scale: plan and merge time and memory per sweep size, how they grew from the smallest to the
// largest N against linear growth, and the time against N on log–log axes, all from the saved measurements.
using System.Globalization;
using TrajectoryLab.Experiments;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;

namespace TrajectoryLab.Cli.Sweeps.Bench;

/// <summary>One sweep size's costs (a row of sweep-scale.csv): seconds and MB.</summary>
public sealed record SweepScaleRow(
    int Cells,
    [property: Column("plan_s")] double PlanSeconds,
    [property: Column("plan_peak_heap_mb")] double PlanPeakHeapMb,
    [property: Column("plan_allocated_mb")] double PlanAllocatedMb,
    [property: Column("setup_s")] double SetupSeconds,
    [property: Column("merge_s")] double MergeSeconds,
    [property: Column("merge_peak_heap_mb")] double MergePeakHeapMb,
    [property: Column("merge_allocated_mb")] double MergeAllocatedMb
);

/// <summary>Renders a <see cref="SweepScaleBenchResult"/>.</summary>
public static class SweepScaleBenchReport
{
    /// <summary>Writes the table, figure, sections and headlines of <paramref name="result"/>.</summary>
    public static void Render(SweepScaleBenchOptions o, SweepScaleBenchResult result, RunContext run)
    {
        var m = result.Sizes;
        run.Table(
            "sweep-scale",
            m.Select(r => new SweepScaleRow(
                r.N,
                r.PlanSeconds,
                r.PlanPeakMb,
                r.PlanAllocatedMb,
                r.SetupSeconds,
                r.MergeSeconds,
                r.MergePeakMb,
                r.MergeAllocatedMb
            ))
        );
        foreach (var r in m)
        {
            run.Headline($"plan s, N = {r.N}", r.PlanSeconds);
            run.Headline($"merge s, N = {r.N}", r.MergeSeconds);
        }
        var report = run.Report;
        var scratch =
            o.Scratch.Length > 0 ? o.Scratch
            : result.Scratch == "/dev/shm" ? "/dev/shm (RAM)"
            : result.Scratch;
        report.Section(
            "Plan and merge against the number of cells",
            "Plan: parse the sweep file, expand the grid, bind every cell strictly and hash it. Merge: list the cells folder, check each "
                + "cell's cell.json and manifest, read the headlines one manifest at a time, write merged.csv and merged.safetensors, "
                + $"{o.Plots} plots and the report; the sweep folders are in {scratch}. Memory is the peak managed heap above the "
                + "pre-phase baseline (GC.GetTotalMemory sampled every 2 ms) and the bytes allocated during the phase "
                + "(GC.GetTotalAllocatedBytes); writing the synthetic cell folders (setup) is not timed in either. "
                + string.Create(
                    CultureInfo.InvariantCulture,
                    $"Each size was measured {o.Repeats} times after an untimed N = 2000 warm-up; the fastest counts."
                )
        );
        report.Numbers(
            m.SelectMany(r =>
                    new[]
                    {
                        KeyValue.Of($"N = {r.N}: plan", r.PlanSeconds, "s"),
                        KeyValue.Of($"N = {r.N}: plan peak heap", r.PlanPeakMb, "MB"),
                        KeyValue.Of($"N = {r.N}: plan allocated", r.PlanAllocatedMb, "MB"),
                        KeyValue.Of($"N = {r.N}: merge", r.MergeSeconds, "s"),
                        KeyValue.Of($"N = {r.N}: merge peak heap", r.MergePeakMb, "MB"),
                        KeyValue.Of($"N = {r.N}: merge allocated", r.MergeAllocatedMb, "MB"),
                        KeyValue.Of($"N = {r.N}: setup (synthetic folders, untimed)", r.SetupSeconds, "s"),
                    }
                )
                .ToArray()
        );
        if (m.Count >= 2)
            Growth(m, run);
    }

    /// <summary>How the costs grew from the smallest to the largest N: headlines, a paragraph and the log–log figure.</summary>
    static void Growth(IReadOnlyList<SweepScaleMeasurement> m, RunContext run)
    {
        var report = run.Report;
        var (small, large) = (m.MinBy(r => r.N)!, m.MaxBy(r => r.N)!);
        double Ratio(Func<SweepScaleMeasurement, double> f) => f(large) / f(small);
        var nRatio = (double)large.N / small.N;
        run.Headline($"plan time ratio {large.N}/{small.N}", Ratio(r => r.PlanSeconds));
        run.Headline($"merge time ratio {large.N}/{small.N}", Ratio(r => r.MergeSeconds));
        run.Headline($"merge peak heap ratio {large.N}/{small.N}", Ratio(r => r.MergePeakMb));
        double PerCell(SweepScaleMeasurement r, Func<SweepScaleMeasurement, double> f) => f(r) / r.N * 1e6;
        var verdict =
            PerCell(large, r => r.PlanSeconds) <= 1.2 * PerCell(small, r => r.PlanSeconds)
            && PerCell(large, r => r.MergeSeconds) <= 1.2 * PerCell(small, r => r.MergeSeconds)
                ? "no more than 20% above the smaller N: at most linear; a ratio below ×"
                    + nRatio.ToString("G3", CultureInfo.InvariantCulture)
                    + " means a fixed cost (the plots, the report, file-system warm-up) still weighs at the smaller N"
                : "more than 20% above the smaller N: growth faster than linear";
        var (planPeak, mergePeak) = (Ratio(r => r.PlanPeakMb), Ratio(r => r.MergePeakMb));
        report.Paragraph(
            string.Create(
                CultureInfo.InvariantCulture,
                $"From N = {small.N} to N = {large.N} (×{nRatio:G3}) plan time grew ×{Ratio(r => r.PlanSeconds):F2} and merge time "
                    + $"×{Ratio(r => r.MergeSeconds):F2}; peak heap ×{planPeak:F2} (plan) and ×{mergePeak:F2} "
                    + $"(merge); allocation ×{Ratio(r => r.PlanAllocatedMb):F2} and ×{Ratio(r => r.MergeAllocatedMb):F2}. Linear growth is "
                    + $"×{nRatio:G3}. Per cell: plan {PerCell(small, r => r.PlanSeconds):F1} µs at N = {small.N} and "
                    + $"{PerCell(large, r => r.PlanSeconds):F1} µs at N = {large.N}; merge {PerCell(small, r => r.MergeSeconds):F1} and "
                    + $"{PerCell(large, r => r.MergeSeconds):F1} µs ({verdict})."
            )
        );
        var x = m.Select(r => (double)r.N).ToArray();
        report.Figure(
            run.Figure(
                new Figure(
                    "sweep-scale",
                    "Plan and merge time against the number of cells",
                    new Axis("cells") { Log = true },
                    new Axis("seconds") { Log = true }
                )
                {
                    Series =
                    [
                        new LineSeries("plan", x, m.Select(r => r.PlanSeconds).ToArray()) { Markers = true },
                        new LineSeries("merge", x, m.Select(r => r.MergeSeconds).ToArray()) { Markers = true },
                        new LineSeries("linear from the smallest N (merge)", x, x.Select(v => small.MergeSeconds * v / small.N).ToArray())
                        {
                            Dashed = true,
                        },
                    ],
                    Legend = LegendPosition.TopLeft,
                }
            ),
            "log–log: a line parallel to the dashed one is linear growth"
        );
    }
}
