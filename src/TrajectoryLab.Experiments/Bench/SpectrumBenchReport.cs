// The report of bench-spectrum: the cost ratio of a spectrum step per k, its parts (forward, QR, cache re-combination),
// the target, and what bounds the cost, as a table, prose and a figure, all from the saved timings.
// References: Williams, Waterman, Patterson (2009), "Roofline"; SpectrumBenchmark for what each figure times.
using System.Globalization;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using TrajectoryLab.Torch.Bench;

namespace TrajectoryLab.Experiments.Bench;

/// <summary>The cost of a spectrum step with k directions (a row of spectrum-step.csv); ratios are to the one-row decoding
/// step of the same run.</summary>
public sealed record SpectrumStepRow(
    int K,
    double DecodeMs,
    double SpectrumStepMs,
    double Ratio,
    double ForwardMs,
    double ForwardRatio,
    double ReorthonormaliseMs,
    double QrMs,
    double MixMs,
    double BatchDecodeMs,
    double BatchDecodeRatio,
    double MixGflops,
    double MemoryFloorMs,
    double FloorRatio,
    double StepOverFloor
);

/// <summary>Renders a <see cref="SpectrumBenchResult"/>.</summary>
public static class SpectrumBenchReport
{
    /// <summary>Writes the table, figure, sections and headlines of <paramref name="result"/>.</summary>
    public static void Render(SpectrumBenchOptions o, SpectrumBenchResult result, RunContext run)
    {
        var r = result.Benchmark;
        var model = result.Model;
        var shape = new Shape(model.Layers, result.KvHeads, result.HeadDim, ElementBytes(model.DType));
        var decode = r.DecodeMilliseconds;
        var length = o.PromptTokens + o.Steps + 1;
        var floors = new Floors(r, shape);

        run.Table(
            "spectrum-step",
            r.Spectrum.Select(m => new SpectrumStepRow(
                m.K,
                decode,
                m.StepMilliseconds,
                m.StepMilliseconds / decode,
                m.ForwardMilliseconds,
                m.ForwardMilliseconds / decode,
                m.ReorthonormaliseMilliseconds,
                m.QrMilliseconds,
                m.MixMilliseconds,
                m.BatchDecodeMilliseconds,
                m.BatchDecodeMilliseconds / decode,
                MixGflops(m, shape, r),
                floors.StepMs(m.K),
                floors.StepMs(m.K) / floors.DecodeMs,
                m.StepMilliseconds / floors.StepMs(m.K)
            ))
        );

        run.Headline("decode ms/step, 1 row", decode);
        foreach (var m in r.Spectrum)
            run.Headline($"spectrum step / decode step, k = {m.K}", m.StepMilliseconds / decode);
        var target = r.Spectrum.FirstOrDefault(m => m.K == o.TargetDirections);
        if (target is not null)
            run.Headline(
                $"target k = {o.TargetDirections} ≤ {o.TargetRatio.ToString(CultureInfo.InvariantCulture)}×",
                target.StepMilliseconds / decode <= o.TargetRatio ? "met" : "NOT met"
            );

        var report = run.Report;
        double meanLength = o.PromptTokens + (o.Steps + 1) / 2.0;
        report.Lead(
            string.Create(
                CultureInfo.InvariantCulture,
                $"{model.Name} ({model.Path}; {model.Layers} layers, d_model {model.Width}, {result.KvHeads} KV heads of {result.HeadDim}, "
                    + $"vocabulary {model.Vocabulary}) on {model.Device} in {model.DType}, {r.Threads} threads. "
                    + $"The text is {length} random token ids from a seeded generator (seed {o.Seed}): "
                    + $"the cost of a dense model does not depend on the tokens, so any fixed sequence measures the same. "
                    + $"After a prompt of {r.PromptTokens} tokens (not timed), {r.Steps} steps are timed at positions "
                    + $"{r.PromptTokens} … {r.PromptTokens + r.Steps - 1} (mean cache length {meanLength:F1}). A spectrum step is "
                    + $"TeacherForcedDynamics.Step() + Reorthonormalise() with k directions "
                    + $"(1 + k batch rows, perturbation at layer {o.Layer} and position {SpectrumBenchmark.PerturbedPosition}, "
                    + $"ε = {o.Epsilon:G3}, so every timed step re-combines deviations "
                    + $"over positions {SpectrumBenchmark.PerturbedPosition} … now); "
                    + $"the baseline is one teacher-forced GenerationSession.Step of a single trajectory at the same positions, "
                    + $"{decode:F3} ms. Every figure is the best of {o.Repeats} runs after a warm-up."
            )
        );

        report.Section(
            "Against the target",
            string.Create(
                CultureInfo.InvariantCulture,
                $"The issue asks that a spectrum step with k = {o.TargetDirections} cost at most {o.TargetRatio:G3}× one decoding step on "
                    + $"CPU with QR and re-combination every step, and its propagation alone at most {o.TargetPropagationRatio:G3}×."
            )
        );
        report.Numbers(
            target is null
                ? [new KeyValue($"k = {o.TargetDirections}", "not measured (add it to directions)")]
                :
                [
                    new KeyValue(
                        $"k = {o.TargetDirections}, QR every step",
                        string.Create(
                            CultureInfo.InvariantCulture,
                            $"{target.StepMilliseconds / decode:F2}× ({target.StepMilliseconds:F3} ms against {decode:F3} ms; target ≤ "
                                + $"{o.TargetRatio:G3}×: {(target.StepMilliseconds / decode <= o.TargetRatio ? "met" : "NOT met")})"
                        )
                    ),
                    new KeyValue(
                        $"k = {o.TargetDirections}, propagation alone (Step)",
                        string.Create(
                            CultureInfo.InvariantCulture,
                            $"{target.ForwardMilliseconds / decode:F2}× (the batched propagation of the tangents; "
                                + $"target ≤ {o.TargetPropagationRatio:G3}×: "
                                + $"{(target.ForwardMilliseconds / decode <= o.TargetPropagationRatio ? "met" : "NOT met")})"
                        )
                    ),
                    new KeyValue(
                        $"k = {o.TargetDirections}, QR every {o.QrInterval} steps",
                        string.Create(
                            CultureInfo.InvariantCulture,
                            $"{(target.ForwardMilliseconds + target.ReorthonormaliseMilliseconds / o.QrInterval) / decode:F2}× on average "
                                + $"(qrInterval {o.QrInterval} in lyapunov-teacher-forced)"
                        )
                    ),
                ]
        );
        if (target is not null)
            run.Headline($"propagation / decode step, k = {o.TargetDirections}", target.ForwardMilliseconds / decode);

        report.Section(
            "Cost per k",
            "Each time is per step; ratios are to the single-trajectory decoding step of the same run. "
                + "Forward is Step() (the 1 + k-row forward with the head on the reference row only, the probes' reads of h and the "
                + "reference entropy); re-orthonormalisation is "
                + "Reorthonormalise(), split into the QR of the k observed deviations (timed alone on a frame of the same shape) and the "
                + "re-combination of every row's deviation in the whole cache (the remainder)."
        );
        report.Numbers(
            [
                .. r.Spectrum.Select(m => new KeyValue(
                    $"k = {m.K}",
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"{m.StepMilliseconds / decode:F2}× ({m.StepMilliseconds:F3} ms): forward {m.ForwardMilliseconds:F3} ms "
                            + $"({Share(m.ForwardMilliseconds, m)}), QR {m.QrMilliseconds:F3} ms ({Share(m.QrMilliseconds, m)}), "
                            + $"re-combination {m.MixMilliseconds:F3} ms ({Share(m.MixMilliseconds, m)}); "
                            + $"a plain decoding step of {1 + m.K} rows takes "
                            + $"{m.BatchDecodeMilliseconds:F3} ms ({m.BatchDecodeMilliseconds / decode:F2}×)"
                    )
                )),
            ],
            "milliseconds per step"
        );

        report.Section("What bounds the cost", Bounds(o, r, shape, meanLength) + " " + FloorNote(o, r, floors));

        var ks = r.Spectrum.Select(m => (double)m.K).ToArray();
        report.Figure(
            run.Figure(
                new Figure(
                    "spectrum-cost",
                    "Cost of a k-direction spectrum step relative to one decoding step",
                    new Axis("k (tangent directions)") { Log = true },
                    new Axis("cost / one decoding step (1 row)") { Log = true }
                )
                {
                    Series =
                    [
                        new LineSeries(
                            "spectrum step (forward + QR + re-combination)",
                            ks,
                            r.Spectrum.Select(m => m.StepMilliseconds / decode).ToArray()
                        )
                        {
                            Markers = true,
                            Color = "#1f77b4",
                        },
                        new LineSeries("forward of 1 + k rows (Step)", ks, r.Spectrum.Select(m => m.ForwardMilliseconds / decode).ToArray())
                        {
                            Markers = true,
                            Color = "#ff7f0e",
                        },
                        new LineSeries(
                            "QR + re-combination (Reorthonormalise)",
                            ks,
                            r.Spectrum.Select(m => Math.Max(m.ReorthonormaliseMilliseconds, 1e-6) / decode).ToArray()
                        )
                        {
                            Markers = true,
                            Color = "#9467bd",
                        },
                        new LineSeries(
                            "plain decoding step of 1 + k rows",
                            ks,
                            r.Spectrum.Select(m => m.BatchDecodeMilliseconds / decode).ToArray()
                        )
                        {
                            Markers = true,
                            Color = "#7f7f7f",
                        },
                        new LineSeries("k× (k separate decoding steps)", ks, ks) { Dashed = true, Color = "#2ca02c" },
                        .. (
                            double.IsFinite(floors.GBps)
                                ?
                                [
                                    new LineSeries(
                                        "memory floor of the step / of a decoding step",
                                        ks,
                                        r.Spectrum.Select(m => floors.StepMs(m.K) / floors.DecodeMs).ToArray()
                                    )
                                    {
                                        Dashed = true,
                                        Color = "#8c564b",
                                    },
                                ]
                                : Array.Empty<LineSeries>()
                        ),
                        new ReferenceLine(
                            string.Create(CultureInfo.InvariantCulture, $"target: ≤ {o.TargetRatio:G3}× at k = {o.TargetDirections}"),
                            ReferenceOrientation.Horizontal,
                            o.TargetRatio
                        )
                        {
                            Color = "#d62728",
                        },
                    ],
                    Legend = LegendPosition.TopLeft,
                }
            )
        );
    }

    /// <summary>What the re-combination's cost depends on: the model's blocks, its key/value heads and their width, and the
    /// bytes of one cached number.</summary>
    readonly record struct Shape(int Layers, int KvHeads, int HeadDim, int ElementBytes);

    static int ElementBytes(string dtype) =>
        dtype switch
        {
            "float64" => 8,
            "bfloat16" or "float16" => 2,
            _ => 4,
        };

    /// <summary>The memory floors of the run: the least time a step can take when every byte it must touch streams at the
    /// bandwidth measured in the same run. A decoding step reads the weights once and one row's keys and values at the
    /// mean cache length; a spectrum step reads the weights once and 1 + k rows' keys and values, and its re-combination
    /// reads 1 + k rows and writes k rows of the perturbed part of the cache (positions PerturbedPosition … now). NaN where
    /// the result predates these measurements.</summary>
    readonly struct Floors(SpectrumBenchmarkResult r, Shape shape)
    {
        readonly double _meanLength = r.PromptTokens + (r.Steps + 1) / 2.0;
        readonly double _rowBytes = 2.0 * shape.Layers * shape.KvHeads * shape.HeadDim * shape.ElementBytes; // per position

        /// <summary>Bytes a decoding step of one row must move.</summary>
        public double DecodeBytes => r.WeightBytes + _meanLength * _rowBytes;

        /// <summary>Bytes a spectrum step with k directions must move.</summary>
        public double StepBytes(int k) =>
            r.WeightBytes
            + (1 + k) * _meanLength * _rowBytes
            + (2 * k + 1) * (_meanLength - SpectrumBenchmark.PerturbedPosition) * _rowBytes;

        /// <summary>Bandwidth (GB/s) the floors use; NaN when not measured.</summary>
        public double GBps => r.WeightBytes > 0 && r.BandwidthGBps > 0 ? r.BandwidthGBps : double.NaN;

        /// <summary>The decoding step's memory floor, ms.</summary>
        public double DecodeMs => DecodeBytes / (GBps * 1e9) * 1e3;

        /// <summary>The spectrum step's memory floor, ms.</summary>
        public double StepMs(int k) => StepBytes(k) / (GBps * 1e9) * 1e3;
    }

    /// <summary>The share of a part in the whole step, as a percentage string.</summary>
    static string Share(double part, SpectrumStepMeasurement m) =>
        string.Create(CultureInfo.InvariantCulture, $"{100 * part / m.StepMilliseconds:F0}%");

    /// <summary>Arithmetic rate of the re-combination: k(k + 1) floating-point operations per cached number of a row (R⁻¹ is
    /// upper triangular: output i sums i + 1 deviations), over every layer's keys and values at the mean cache length,
    /// divided by its measured time (GFLOP/s).</summary>
    static double MixGflops(SpectrumStepMeasurement m, Shape shape, SpectrumBenchmarkResult r) =>
        m.MixMilliseconds > 0 ? MixFlops(m.K, shape, r.PromptTokens + (r.Steps + 1) / 2.0) / (m.MixMilliseconds * 1e-3) / 1e9 : double.NaN;

    static double MixFlops(int k, Shape shape, double meanLength) =>
        (double)k * (k + 1) * 2 * shape.Layers * shape.KvHeads * shape.HeadDim * meanLength;

    /// <summary>The closing note: which part dominates at the target k and beyond, and what would bring the ratio down, all from
    /// this run's numbers.</summary>
    static string Bounds(SpectrumBenchOptions o, SpectrumBenchmarkResult r, Shape shape, double meanLength)
    {
        var decode = r.DecodeMilliseconds;
        var parts = new List<string>();
        foreach (var m in r.Spectrum)
        {
            var dominant = new[]
            {
                ("the forward", m.ForwardMilliseconds),
                ("the QR", m.QrMilliseconds),
                ("the cache re-combination", m.MixMilliseconds),
            }.MaxBy(p => p.Item2);
            var rate =
                m.MixMilliseconds > 0
                    ? string.Create(
                        CultureInfo.InvariantCulture,
                        $" at {MixFlops(m.K, shape, meanLength) / (m.MixMilliseconds * 1e-3) / 1e9:F1} GFLOP/s"
                    )
                    : "";
            parts.Add(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"k = {m.K}: {dominant.Item1} dominates "
                        + $"({100 * dominant.Item2 / m.StepMilliseconds:F0}% of {m.StepMilliseconds:F3} ms); "
                        + $"the forward is {m.ForwardMilliseconds / m.BatchDecodeMilliseconds:F2}× "
                        + $"a plain decoding step of {1 + m.K} rows (it adds the probes' reads of h and the reference "
                        + $"entropy, and runs the head for the reference row only), and the re-combination does "
                        + $"{MixFlops(m.K, shape, meanLength) / 1e6:F1} MFLOP "
                        + $"(k(k + 1) per cached number of a row, {2 * shape.Layers} key/value "
                        + $"buffers of {shape.KvHeads}×{shape.HeadDim} per position, mean length {meanLength:F0}){rate}."
                )
            );
        }
        var target = r.Spectrum.FirstOrDefault(m => m.K == o.TargetDirections);
        if (target is not null)
        {
            var ratio = target.StepMilliseconds / decode;
            var budget = o.TargetRatio * decode - target.ForwardMilliseconds;
            string amortised =
                budget <= 0
                    ? string.Create(
                        CultureInfo.InvariantCulture,
                        $"The forward alone is {target.ForwardMilliseconds / decode:F2}× a decoding step, above the target: "
                            + $"re-orthonormalising less often cannot meet it; "
                            + $"the forward of {1 + target.K} rows itself must get cheaper (a plain "
                            + $"{1 + target.K}-row decoding step is {target.BatchDecodeMilliseconds / decode:F2}×)."
                    )
                    : string.Create(
                        CultureInfo.InvariantCulture,
                        $"With the forward at {target.ForwardMilliseconds / decode:F2}×, re-orthonormalising every q steps (Core's QR "
                            + $"interval) amortises the QR + re-combination to 1/q: q ≥ "
                            + $"{Math.Max(1, Math.Ceiling(target.ReorthonormaliseMilliseconds / budget)):F0} meets the target "
                            + $"(the cost at q = 4 would be "
                            + $"{(target.ForwardMilliseconds + target.ReorthonormaliseMilliseconds / 4) / decode:F2}×, at q = 8 "
                            + $"{(target.ForwardMilliseconds + target.ReorthonormaliseMilliseconds / 8) / decode:F2}×)."
                    );
            parts.Add(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"At the target k = {target.K} the step costs {ratio:F2}× ({(ratio <= o.TargetRatio ? "met" : "NOT met")}); forward "
                        + $"{target.ForwardMilliseconds / decode:F2}×, QR {target.QrMilliseconds / decode:F2}×, re-combination "
                        + $"{target.MixMilliseconds / decode:F2}×. "
                ) + amortised
            );
        }
        parts.Add(
            "The re-combination grows as k² × the cache length (every position of every layer is re-mixed at every QR), the "
                + "forward as about 1 + k rows of the same weights, so the re-combination takes over as k and the text grow."
        );
        return string.Join(" ", parts);
    }

    /// <summary>The memory floors in words: what the target's ratio can be at best on this machine, and how far the measured
    /// step is from its own floor.</summary>
    static string FloorNote(SpectrumBenchOptions o, SpectrumBenchmarkResult r, Floors floors)
    {
        if (!double.IsFinite(floors.GBps))
            return "";
        var target = r.Spectrum.FirstOrDefault(m => m.K == o.TargetDirections);
        var decodeLine = string.Create(
            CultureInfo.InvariantCulture,
            $"Memory floors at the {floors.GBps:F1} GB/s of streaming reads measured in this run: a decoding step must move "
                + $"{floors.DecodeBytes / 1e6:F1} MB (the weights once and one row's keys and values), {floors.DecodeMs:F3} ms, and "
                + $"took {r.DecodeMilliseconds / floors.DecodeMs:F2}× that."
        );
        if (target is null)
            return decodeLine;
        var k = target.K;
        return decodeLine
            + string.Create(
                CultureInfo.InvariantCulture,
                $" A k = {k} step must move {floors.StepBytes(k) / 1e6:F1} MB (the weights, {1 + k} rows' keys and values, and the "
                    + $"re-combination's read of {1 + k} and write of {k} rows), {floors.StepMs(k):F3} ms: even with both steps at "
                    + $"their floors the ratio would be {floors.StepMs(k) / floors.DecodeMs:F2}× (target ≤ {o.TargetRatio:G3}×). "
                    + $"The measured step took {target.StepMilliseconds / floors.StepMs(k):F2}× its floor."
            );
    }
}
