// bench-sweep-scale: how planning and merging a sweep grow with its number of cells. For each N it plans a synthetic
// sweep (axes a × b × seeds over a tiny options type that needs no model; every cell bound strictly and hashed, as for a
// real sweep) and merges N synthetic complete cell folders (minimal manifest.json + cell.json written into a temp
// folder, not real runs). Time is wall time; memory is the peak managed heap above the pre-phase baseline
// (GC.GetTotalMemory sampled every 2 ms on a side thread) and the bytes allocated (GC.GetTotalAllocatedBytes delta).
// SweepScaleBenchReport reads the growth against linear (time and memory ratios ≈ the ratio of N).
using System.Diagnostics;
using System.Globalization;
using TrajectoryLab.Experiments;

namespace TrajectoryLab.Cli.Sweeps.Bench;

/// <summary>Times plan and merge of synthetic sweeps of growing size.</summary>
public sealed class SweepScaleBenchExperiment : Experiment<SweepScaleBenchOptions, SweepScaleBenchResult>
{
    /// <inheritdoc/>
    public override string Kind => "bench-sweep-scale";

    /// <inheritdoc/>
    public override SweepScaleBenchResult Measure(SweepScaleBenchOptions o, IMeasureContext run)
    {
        // JIT tiering, OxyPlot and the font load, outside the figures.
        run.Phase("warm-up (N = 2000, not reported)", () => Measure(2000, o));
        var results = new List<SweepScaleMeasurement>();
        foreach (var n in o.Sizes)
        {
            run.Cancellation.ThrowIfCancellationRequested();
            var measured = run.Phase($"N = {n.ToString(CultureInfo.InvariantCulture)}", () =>
                Enumerable.Range(0, o.Repeats).Select(_ => Measure(n, o)).ToList().MinBy(r => r.PlanSeconds + r.MergeSeconds)!
            );
            results.Add(measured);
            run.Logger.LogInformationInvariant($"N = {n}: plan {measured.PlanSeconds:F2} s, merge {measured.MergeSeconds:F2} s");
        }
        return new SweepScaleBenchResult(Scratch(o), results);
    }

    /// <inheritdoc/>
    public override void Report(SweepScaleBenchOptions o, SweepScaleBenchResult result, RunContext run) =>
        SweepScaleBenchReport.Render(o, result, run);

    /// <summary>Where the synthetic sweeps go: the options' scratch folder, else /dev/shm when it exists, else the temp
    /// folder.</summary>
    static string Scratch(SweepScaleBenchOptions o) =>
        o.Scratch.Length > 0 ? o.Scratch
        : Directory.Exists("/dev/shm") ? "/dev/shm"
        : Path.GetTempPath();

    /// <summary>Plans and merges one synthetic sweep of <paramref name="n"/> cells in a temp folder, then deletes it.</summary>
    static SweepScaleMeasurement Measure(int n, SweepScaleBenchOptions o)
    {
        var seeds = Math.Max(1, n / 10_000);
        var a = Math.Min(100, n);
        if (n % 100 != 0 || n % (a * seeds) != 0)
            throw new ArgumentException($"sizes: {n} is not a multiple of 100 × {seeds} seeds");
        var b = n / (a * seeds);
        var dir = Directory.CreateDirectory(Path.Combine(Scratch(o), $"sweep-scale-{Environment.ProcessId}-{n}")).FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "synthetic.json"), """{ "kind": "synthetic-cell", "seed": 1, "a": 0, "b": 0 }""");
            var sweepFile = Path.Combine(dir, $"scale-{n}.json");
            File.WriteAllText(
                sweepFile,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $$"""{ "base": "synthetic.json", "axes": [ { "key": "a", "range": { "from": 0, "count": {{a}}, "step": 0.01 } }, """
                        + $$"""{ "key": "b", "range": { "from": 0, "count": {{b}} } } ], "seeds": {{seeds}} }"""
                )
            );
            var (plan, planSeconds, planPeak, planAllocated) = Time(() =>
                SweepPlan.Load(sweepFile, new ExperimentCatalog(dir), kind =>
                    kind == "synthetic-cell" ? typeof(SyntheticCellOptions) : null
                )
            );
            var folder = Path.Combine(dir, "out");
            var setup = Stopwatch.StartNew();
            WriteSyntheticCells(plan, folder);
            var setupSeconds = setup.Elapsed.TotalSeconds;
            var (merged, mergeSeconds, mergePeak, mergeAllocated) = Time(() => SweepMerge.Merge(folder, o.Plots));
            if (merged.Rows != n)
                throw new InvalidOperationException($"merged {merged.Rows} of {n} synthetic cells");
            return new SweepScaleMeasurement(
                n,
                planSeconds,
                planPeak,
                planAllocated,
                setupSeconds,
                mergeSeconds,
                mergePeak,
                mergeAllocated
            );
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>N cell folders that look complete: cell.json with the planned hash and a completed manifest with 3 numbers and a
    /// text.</summary>
    static void WriteSyntheticCells(SweepPlan plan, string folder)
    {
        SweepFolder.WritePlan(plan, folder);
        var cells = SweepFolder.Cells(folder);
        foreach (var c in plan.Cells)
        {
            var dir = Path.Combine(cells, c.Id);
            Directory.CreateDirectory(dir);
            var (x, y) = (double.Parse(c.Values[0], CultureInfo.InvariantCulture), double.Parse(c.Values[1], CultureInfo.InvariantCulture));
            File.WriteAllText(
                Path.Combine(dir, "manifest.json"),
                string.Create(
                    CultureInfo.InvariantCulture,
                    $$"""{ "status": "completed", "headline": { "value": {{Math.Sin(x) + y * 1e-3 + c.Index * 1e-9}}, "a·b": {{x * y}},"""
                        + $$""" "index²": {{(double)c.Index * c.Index}}, "label": "{{(c.Index % 3 == 0 ? "fizz" : "buzz")}}" } }"""
                )
            );
            File.WriteAllText(
                Path.Combine(dir, "cell.json"),
                $$"""{ "index": {{c.Index.ToString(CultureInfo.InvariantCulture)}}, "id": "{{c.Id}}", "hash": "{{c.Hash}}","""
                    + """ "status": "completed" }"""
            );
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
        var sampler = new Thread(() =>
        {
            while (!Volatile.Read(ref done))
            {
                var m = GC.GetTotalMemory(false);
                if (m > Interlocked.Read(ref peak))
                    Interlocked.Exchange(ref peak, m);
                Thread.Sleep(2);
            }
        })
        {
            IsBackground = true,
        };
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
