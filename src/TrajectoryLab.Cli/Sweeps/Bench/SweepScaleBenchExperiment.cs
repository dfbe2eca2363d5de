// bench-sweep-scale: how planning and merging a sweep grow with its number of cells. For each N it plans a synthetic
// sweep (axes a × b × seeds over a tiny options type that needs no model; every cell bound strictly and hashed, as for a
// real sweep) and merges N synthetic complete cell folders (minimal manifest.json + cell.json written into a temp
// folder, not real runs). Time is wall time; memory is the peak managed heap above the pre-phase baseline
// (GC.GetTotalMemory sampled every 2 ms on a side thread) and the bytes allocated (GC.GetTotalAllocatedBytes delta).
// Linear growth shows as time and memory ratios ≈ the ratio of N.
using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Globalization;
using TrajectoryLab.Experiments;
using TrajectoryLab.Cli.Sweeps;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;

namespace TrajectoryLab.Cli.Sweeps.Bench;

/// <summary>Options of <c>bench-sweep-scale</c>.</summary>
public sealed class SweepScaleBenchOptions : ExperimentOptions
{
    /// <summary>Cell counts measured (each a multiple of 100; from 10,000 on, 100 × 100 × N/10,000 seeds).</summary>
    [MinLength(1), EachInRange(1, 10_000_000)] public int[] Sizes { get; set; } = [10_000, 100_000];

    /// <summary>Numeric plots drawn by the merge (as <c>sweep merge --plots</c>).</summary>
    [Range(0, 64)] public int Plots { get; set; } = 3;

    /// <summary>Measurements per size; the fastest (plan + merge) counts, as the machine is shared and noisy.</summary>
    [Range(1, 20)] public int Repeats { get; set; } = 2;

    /// <summary>Where the synthetic sweeps are written: "" = /dev/shm when it exists (a RAM file system, so the figures
    /// measure our code rather than this machine's disk), else the system temp folder.</summary>
    public string Scratch { get; set; } = "";
}

/// <summary>The tiny base experiment of the synthetic sweep (never run, only bound and hashed).</summary>
public sealed class SyntheticCellOptions : ExperimentOptions
{
    /// <summary>First axis.</summary>
    public double A { get; set; }

    /// <summary>Second axis.</summary>
    public double B { get; set; }
}

/// <summary>Times plan and merge of synthetic sweeps of growing size.</summary>
public sealed class SweepScaleBenchExperiment : Experiment<SweepScaleBenchOptions>
{
    /// <inheritdoc/>
    public override string Kind => "bench-sweep-scale";

    sealed record Measured(int N, double PlanSeconds, double PlanPeakMb, double PlanAllocatedMb, double SetupSeconds, double MergeSeconds, double MergePeakMb, double MergeAllocatedMb);

    /// <inheritdoc/>
    protected override void Run(SweepScaleBenchOptions o, RunContext run)
    {
        run.Phase("warm-up (N = 2000, not reported)", () => Measure(2000, o)); // JIT tiering, OxyPlot and the font load, outside the figures
        var results = new List<Measured>();
        foreach (var n in o.Sizes)
        {
            run.Cancellation.ThrowIfCancellationRequested();
            var measured = run.Phase($"N = {n.ToString(CultureInfo.InvariantCulture)}", () =>
                Enumerable.Range(0, o.Repeats).Select(_ => Measure(n, o)).ToList().MinBy(r => r.PlanSeconds + r.MergeSeconds)!);
            results.Add(measured);
            run.Logger.LogInformationInvariant($"N = {n}: plan {measured.PlanSeconds:F2} s, merge {measured.MergeSeconds:F2} s");
        }
        Write(o, run, results);
    }

    /// <summary>Plans and merges one synthetic sweep of <paramref name="n"/> cells in a temp folder, then deletes it.</summary>
    static Measured Measure(int n, SweepScaleBenchOptions o)
    {
        var seeds = Math.Max(1, n / 10_000);
        var a = Math.Min(100, n);
        if (n % 100 != 0 || n % (a * seeds) != 0) throw new ArgumentException($"sizes: {n} is not a multiple of 100 × {seeds} seeds");
        var b = n / (a * seeds);
        var scratch = o.Scratch.Length > 0 ? o.Scratch : Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
        var dir = Directory.CreateDirectory(Path.Combine(scratch, $"sweep-scale-{Environment.ProcessId}-{n}")).FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "synthetic.json"), """{ "kind": "synthetic-cell", "seed": 1, "a": 0, "b": 0 }""");
            var sweepFile = Path.Combine(dir, $"scale-{n}.json");
            File.WriteAllText(sweepFile, string.Create(CultureInfo.InvariantCulture,
                $$"""{ "base": "synthetic.json", "axes": [ { "key": "a", "range": { "from": 0, "count": {{a}}, "step": 0.01 } }, { "key": "b", "range": { "from": 0, "count": {{b}} } } ], "seeds": {{seeds}} }"""));
            var (plan, planSeconds, planPeak, planAllocated) = Time(() =>
                SweepPlan.Load(sweepFile, new ExperimentCatalog(dir), kind => kind == "synthetic-cell" ? typeof(SyntheticCellOptions) : null));
            var folder = Path.Combine(dir, "out");
            var setup = Stopwatch.StartNew();
            WriteSyntheticCells(plan, folder);
            var setupSeconds = setup.Elapsed.TotalSeconds;
            var (merged, mergeSeconds, mergePeak, mergeAllocated) = Time(() => SweepMerge.Merge(folder, o.Plots));
            if (merged.Rows != n) throw new InvalidOperationException($"merged {merged.Rows} of {n} synthetic cells");
            return new Measured(n, planSeconds, planPeak, planAllocated, setupSeconds, mergeSeconds, mergePeak, mergeAllocated);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    /// <summary>N cell folders that look complete: cell.json with the planned hash and a completed manifest with 3 numbers and a text.</summary>
    static void WriteSyntheticCells(SweepPlan plan, string folder)
    {
        SweepFolder.WritePlan(plan, folder);
        var cells = SweepFolder.Cells(folder);
        foreach (var c in plan.Cells)
        {
            var dir = Path.Combine(cells, c.Id);
            Directory.CreateDirectory(dir);
            var (x, y) = (double.Parse(c.Values[0], CultureInfo.InvariantCulture), double.Parse(c.Values[1], CultureInfo.InvariantCulture));
            File.WriteAllText(Path.Combine(dir, "manifest.json"), string.Create(CultureInfo.InvariantCulture,
                $$"""{ "status": "completed", "headline": { "value": {{Math.Sin(x) + y * 1e-3 + c.Index * 1e-9}}, "a·b": {{x * y}}, "index²": {{(double)c.Index * c.Index}}, "label": "{{(c.Index % 3 == 0 ? "fizz" : "buzz")}}" } }"""));
            File.WriteAllText(Path.Combine(dir, "cell.json"), $$"""{ "index": {{c.Index.ToString(CultureInfo.InvariantCulture)}}, "id": "{{c.Id}}", "hash": "{{c.Hash}}", "status": "completed" }""");
        }
    }

    /// <summary>Runs <paramref name="work"/>: wall seconds, peak managed heap above the baseline (MB, sampled), allocated MB.</summary>
    static (T Result, double Seconds, double PeakMb, double AllocatedMb) Time<T>(Func<T> work)
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var baseline = GC.GetTotalMemory(false);
        long peak = baseline;
        var done = false;
        var sampler = new Thread(() => { while (!Volatile.Read(ref done)) { var m = GC.GetTotalMemory(false); if (m > Interlocked.Read(ref peak)) Interlocked.Exchange(ref peak, m); Thread.Sleep(2); } }) { IsBackground = true };
        var allocated = GC.GetTotalAllocatedBytes(precise: true);
        sampler.Start();
        var clock = Stopwatch.StartNew();
        var result = work();
        var seconds = clock.Elapsed.TotalSeconds;
        var end = GC.GetTotalMemory(false);
        Volatile.Write(ref done, true);
        sampler.Join();
        var peakBytes = Math.Max(Interlocked.Read(ref peak), end) - baseline;
        return (result, seconds, peakBytes / 1e6, (GC.GetTotalAllocatedBytes(precise: true) - allocated) / 1e6);
    }

    static void Write(SweepScaleBenchOptions o, RunContext run, List<Measured> m)
    {
        run.Table("sweep-scale", ["cells", "plan_s", "plan_peak_heap_mb", "plan_allocated_mb", "setup_s", "merge_s", "merge_peak_heap_mb", "merge_allocated_mb"],
            m.Select(r => new object[] { r.N, r.PlanSeconds, r.PlanPeakMb, r.PlanAllocatedMb, r.SetupSeconds, r.MergeSeconds, r.MergePeakMb, r.MergeAllocatedMb }));
        foreach (var r in m)
        {
            run.Headline($"plan s, N = {r.N}", r.PlanSeconds);
            run.Headline($"merge s, N = {r.N}", r.MergeSeconds);
        }
        var report = run.Report;
        report.Section("Plan and merge against the number of cells",
            "Plan: parse the sweep file, expand the grid, bind every cell strictly and hash it. Merge: list the cells folder, check each cell's cell.json and manifest, " +
            $"read the headlines one manifest at a time, write merged.csv and merged.safetensors, {o.Plots} plots and the report; the sweep folders are in {(o.Scratch.Length > 0 ? o.Scratch : Directory.Exists("/dev/shm") ? "/dev/shm (RAM)" : Path.GetTempPath())}. Memory is the peak managed heap above the " +
            "pre-phase baseline (GC.GetTotalMemory sampled every 2 ms) and the bytes allocated during the phase (GC.GetTotalAllocatedBytes); writing the synthetic cell folders (setup) is not timed in either. " +
            string.Create(CultureInfo.InvariantCulture, $"Each size was measured {o.Repeats} times after an untimed N = 2000 warm-up; the fastest counts."));
        report.Numbers(m.SelectMany(r => new[]
        {
            KeyValue.Of($"N = {r.N}: plan", r.PlanSeconds, "s"), KeyValue.Of($"N = {r.N}: plan peak heap", r.PlanPeakMb, "MB"), KeyValue.Of($"N = {r.N}: plan allocated", r.PlanAllocatedMb, "MB"),
            KeyValue.Of($"N = {r.N}: merge", r.MergeSeconds, "s"), KeyValue.Of($"N = {r.N}: merge peak heap", r.MergePeakMb, "MB"), KeyValue.Of($"N = {r.N}: merge allocated", r.MergeAllocatedMb, "MB"),
            KeyValue.Of($"N = {r.N}: setup (synthetic folders, untimed)", r.SetupSeconds, "s"),
        }).ToArray());
        if (m.Count >= 2)
        {
            var (small, large) = (m.MinBy(r => r.N)!, m.MaxBy(r => r.N)!);
            double Ratio(Func<Measured, double> f) => f(large) / f(small);
            var nRatio = (double)large.N / small.N;
            run.Headline($"plan time ratio {large.N}/{small.N}", Ratio(r => r.PlanSeconds));
            run.Headline($"merge time ratio {large.N}/{small.N}", Ratio(r => r.MergeSeconds));
            run.Headline($"merge peak heap ratio {large.N}/{small.N}", Ratio(r => r.MergePeakMb));
            double PerCell(Measured r, Func<Measured, double> f) => f(r) / r.N * 1e6;
            report.Paragraph(string.Create(CultureInfo.InvariantCulture,
                $"From N = {small.N} to N = {large.N} (×{nRatio:G3}) plan time grew ×{Ratio(r => r.PlanSeconds):F2} and merge time ×{Ratio(r => r.MergeSeconds):F2}; " +
                $"peak heap ×{Ratio(r => r.PlanPeakMb):F2} (plan) and ×{Ratio(r => r.MergePeakMb):F2} (merge); allocation ×{Ratio(r => r.PlanAllocatedMb):F2} and ×{Ratio(r => r.MergeAllocatedMb):F2}. Linear growth is ×{nRatio:G3}. " +
                $"Per cell: plan {PerCell(small, r => r.PlanSeconds):F1} µs at N = {small.N} and {PerCell(large, r => r.PlanSeconds):F1} µs at N = {large.N}; merge {PerCell(small, r => r.MergeSeconds):F1} and {PerCell(large, r => r.MergeSeconds):F1} µs " +
                $"({(PerCell(large, r => r.PlanSeconds) <= 1.2 * PerCell(small, r => r.PlanSeconds) && PerCell(large, r => r.MergeSeconds) <= 1.2 * PerCell(small, r => r.MergeSeconds) ? "no more than 20% above the smaller N: at most linear; a ratio below ×" + nRatio.ToString("G3", CultureInfo.InvariantCulture) + " means a fixed cost (the plots, the report, file-system warm-up) still weighs at the smaller N" : "more than 20% above the smaller N: growth faster than linear")})."));
            var x = m.Select(r => (double)r.N).ToArray();
            report.Figure(run.Figure(new Figure("sweep-scale", "Plan and merge time against the number of cells", new Axis("cells") { Log = true }, new Axis("seconds") { Log = true })
            {
                Series =
                [
                    new LineSeries("plan", x, m.Select(r => r.PlanSeconds).ToArray()) { Markers = true },
                    new LineSeries("merge", x, m.Select(r => r.MergeSeconds).ToArray()) { Markers = true },
                    new LineSeries("linear from the smallest N (merge)", x, x.Select(v => small.MergeSeconds * v / small.N).ToArray()) { Dashed = true },
                ],
                Legend = LegendPosition.TopLeft,
            }), "log–log: a line parallel to the dashed one is linear growth");
        }
    }
}

/// <summary>Invariant-culture logging of interpolated text.</summary>
static class InvariantLog
{
    /// <summary>Logs <paramref name="text"/> formatted with the invariant culture.</summary>
    /// <param name="logger">The logger.</param>
    /// <param name="text">The message.</param>
    public static void LogInformationInvariant(this Microsoft.Extensions.Logging.ILogger logger, FormattableString text) =>
        Microsoft.Extensions.Logging.LoggerExtensions.LogInformation(logger, "{Message}", text.ToString(CultureInfo.InvariantCulture));
}
