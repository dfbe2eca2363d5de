// The report of bench-gpu: each figure against PyTorch (when a baseline was given), against what bounds it (the weight
// bytes per step at the peak bandwidth, the matmul FLOPs at the peak rate, the measured cost of one tiny op) and the
// issue's targets, as tables, prose and figures, all from the saved measurement.
// References: Williams, Waterman, Patterson (2009), "Roofline"; GpuBenchmark for what each figure times.
using System.Globalization;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using TrajectoryLab.Torch.Bench;

namespace TrajectoryLab.Experiments.Bench;

/// <summary>Decode at one batch size (a row of decode.csv); PyTorch columns NaN without a baseline.</summary>
public sealed record GpuDecodeRow(
    int Batch,
    double TokensPerSecond,
    double MsPerStep,
    double SessionTokensPerSecond,
    double SessionMsPerStep,
    double BandwidthFloorMs,
    double ArithmeticFloorMs,
    double BandwidthFraction,
    double PytorchEagerTokensPerSecond,
    double PytorchSdpaTokensPerSecond,
    double RatioToEager,
    double RatioToSdpa
);

/// <summary>The prefill (the row of prefill.csv); PyTorch columns NaN without a baseline.</summary>
public sealed record GpuPrefillRow(
    int Tokens,
    double TokensPerSecond,
    double Ms,
    double ArithmeticFloorMs,
    double PytorchEagerTokensPerSecond,
    double PytorchSdpaTokensPerSecond,
    double RatioToEager
);

/// <summary>The device, the model's size and the peak figures used (the row of device.csv).</summary>
public sealed record GpuDeviceRow(
    string Device,
    [property: Column("dtype")] string DType,
    long Parameters,
    long StreamedParameters,
    long StreamedBytes,
    double CallUs,
    double PeakBandwidth,
    double PeakFlops
);

/// <summary>The spectrum step against one decoding step (the row of spectrum.csv).</summary>
public sealed record GpuSpectrumRow(
    int K,
    double DecodeMs,
    double SpectrumStepMs,
    double Ratio,
    double ForwardMs,
    double ForwardRatio,
    double ReorthonormaliseMs,
    double QrMs,
    double MixMs
);

/// <summary>Renders a <see cref="GpuBenchResult"/>.</summary>
public static class GpuBenchReport
{
    static string F(FormattableString s) => string.Create(CultureInfo.InvariantCulture, $"{s}");

    /// <summary>Writes the tables, figures, sections and headlines of <paramref name="result"/>.</summary>
    public static void Render(GpuBenchOptions o, GpuBenchResult result, RunContext run)
    {
        var r = result.Benchmark;
        var baseline = result.Baseline?.ToPyTorch();
        var bandwidthFloorMs = GpuBenchMath.BandwidthFloorMilliseconds(r.StreamedBytes, o.PeakBandwidth);
        double ArithmeticMs(int batch) => GpuBenchMath.ArithmeticFloorMilliseconds(r.StreamedParameters, batch, o.PeakFlops);
        double Fraction(GpuDecodeMeasurement d) =>
            GpuBenchMath.BandwidthFraction(r.StreamedBytes, d.MillisecondsPerStep / 1e3, o.PeakBandwidth);
        PyTorchFigures? eager = null,
            sdpa = null;
        baseline?.Figures.TryGetValue("eager", out eager);
        baseline?.Figures.TryGetValue("sdpa", out sdpa);
        static double Of(IReadOnlyDictionary<int, double>? byBatch, int batch) =>
            byBatch is not null && byBatch.TryGetValue(batch, out var v) ? v : double.NaN;

        run.Table(
            "decode",
            r.Decode.Select(d => new GpuDecodeRow(
                d.Batch,
                d.TokensPerSecond,
                d.MillisecondsPerStep,
                d.SessionTokensPerSecond,
                d.SessionMillisecondsPerStep,
                bandwidthFloorMs,
                ArithmeticMs(d.Batch),
                Fraction(d),
                Of(eager?.Decode, d.Batch),
                Of(sdpa?.Decode, d.Batch),
                d.TokensPerSecond / Of(eager?.Decode, d.Batch),
                d.TokensPerSecond / Of(sdpa?.Decode, d.Batch)
            ))
        );
        var prefillFloorMs = ArithmeticMs(r.PrefillTokens);
        run.Table(
            "prefill",
            [
                new GpuPrefillRow(
                    r.PrefillTokens,
                    r.PrefillTokensPerSecond,
                    r.PrefillMilliseconds,
                    prefillFloorMs,
                    eager?.PrefillTokensPerSecond ?? double.NaN,
                    sdpa?.PrefillTokensPerSecond ?? double.NaN,
                    r.PrefillTokensPerSecond / (eager?.PrefillTokensPerSecond ?? double.NaN)
                ),
            ]
        );
        run.Table(
            "device",
            [
                new GpuDeviceRow(
                    r.Device,
                    r.DType,
                    r.Parameters,
                    r.StreamedParameters,
                    r.StreamedBytes,
                    r.CallMicroseconds,
                    o.PeakBandwidth,
                    o.PeakFlops
                ),
            ]
        );
        var spectrum = r.Spectrum?.Spectrum.SingleOrDefault();
        if (r.Spectrum is not null && spectrum is not null)
            run.Table(
                "spectrum",
                [
                    new GpuSpectrumRow(
                        spectrum.K,
                        r.Spectrum.DecodeMilliseconds,
                        spectrum.StepMilliseconds,
                        spectrum.StepMilliseconds / r.Spectrum.DecodeMilliseconds,
                        spectrum.ForwardMilliseconds,
                        spectrum.ForwardMilliseconds / r.Spectrum.DecodeMilliseconds,
                        spectrum.ReorthonormaliseMilliseconds,
                        spectrum.QrMilliseconds,
                        spectrum.MixMilliseconds
                    ),
                ]
            );

        foreach (var d in r.Decode)
            run.Headline($"decode tok/s, batch {d.Batch}", d.TokensPerSecond);
        run.Headline("prefill tok/s", r.PrefillTokensPerSecond);
        var single = r.Decode.FirstOrDefault(d => d.Batch == 1);
        if (single is not null)
            run.Headline("bandwidth fraction, batch 1", Fraction(single));
        if (r.Spectrum is not null && spectrum is not null)
            run.Headline($"spectrum step / decode step, k = {spectrum.K}", spectrum.StepMilliseconds / r.Spectrum.DecodeMilliseconds);
        if (eager is not null)
        {
            foreach (var d in r.Decode)
                run.Headline($"ours / PyTorch eager, decode batch {d.Batch}", d.TokensPerSecond / Of(eager.Decode, d.Batch));
            run.Headline("ours / PyTorch eager, prefill", r.PrefillTokensPerSecond / eager.PrefillTokensPerSecond);
        }
        else
            run.Headline("PyTorch baseline", "absent");

        var report = run.Report;
        report.Lead(
            F($"Random-weight Llama: dim {o.Dim}, {o.Layers} layers, {o.Heads} heads ({o.KvHeads} KV), hidden {o.Hidden}, vocab ")
                + F($"{o.Vocab}, {(o.Tied ? "tied" : "untied")} head, context {o.Context}; {r.Parameters:N0} parameters on {r.Device} in ")
                + F($"{r.DType}; a decoding step streams {r.StreamedParameters:N0} of them, {r.StreamedBytes / 1e9:F3} GB. Decode: a ")
                + F(
                    $"{o.PromptTokens}-token random prompt (untimed), then {o.NewTokens} timed greedy steps through the KV cache; prefill: "
                )
                + F($"{o.PrefillTokens} tokens into a fresh cache, head at the last position. Every timed region is synchronised on the ")
                + F($"device; each figure is the best of {o.Repeats} after a warm-up. ")
                + "Headline decode figures use the internal loop "
                + "(tokens stay on the device, the same work as the PyTorch baseline's manual past_key_values loop); "
                + "the GenerationSession figures add one host round trip per step, as every experiment pays."
        );

        report.Section(
            "Against PyTorch",
            baseline is null
                ? "The PyTorch baseline is absent ("
                    + (o.Baseline.Length == 0 ? "no baseline path was given" : $"{o.Baseline} does not exist")
                    + "). "
                    + "Recipe: python3 scripts/gpu/hf_eager_bench.py --config experiments/bench-gpu.json --out $OUT/hf.json && "
                    + "scripts/gpu/run.sh bench gpu --set baseline=$OUT/hf.json"
                : F($"{o.Baseline}: torch {Version(baseline, "torch")}, transformers {Version(baseline, "transformers")}, ")
                    + F($"CUDA {Version(baseline, "cuda")}, {Version(baseline, "gpu")}, on {baseline.Device} in {baseline.DType}. ")
                    + (
                        baseline.Mismatches(o.ComparedKeys()) is { Count: > 0 } mismatches
                            ? "The baseline ran a different configuration, so the ratios compare unlike work: "
                                + string.Join("; ", mismatches)
                                + "."
                            : "Same configuration keys as this run."
                    )
        );
        if (baseline is not null)
        {
            var rows = new List<KeyValue>();
            foreach (var (name, figures) in baseline.Figures.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                foreach (var d in r.Decode)
                    rows.Add(
                        new KeyValue(
                            $"decode batch {d.Batch} vs {name}",
                            Ratio(d.TokensPerSecond, Of(figures.Decode, d.Batch), o.TargetRatio)
                                + F($"; model.generate(): {Of(figures.Generate, d.Batch):F0} tok/s (prefill included)")
                        )
                    );
                rows.Add(
                    new KeyValue($"prefill vs {name}", Ratio(r.PrefillTokensPerSecond, figures.PrefillTokensPerSecond, o.TargetRatio))
                );
            }
            report.Numbers(rows, "ours / PyTorch, tokens per second");
        }

        report.Section(
            "What bounds each figure",
            F($"At {o.PeakBandwidth / 1e12:G4} TB/s a step that streams {r.StreamedBytes / 1e9:F3} GB takes at least ")
                + F($"{bandwidthFloorMs:F3} ms (the bandwidth floor); at {o.PeakFlops / 1e12:G4} TFLOP/s the ")
                + F($"{2.0 * r.StreamedParameters / 1e9:F2} GFLOP of matmuls per token ")
                + F($"take at least {ArithmeticMs(1):F4} ms per token. One ")
                + F($"tiny op on {r.Device} costs {r.CallMicroseconds:F2} µs (launch and dispatch), so a step that issues n ops takes at ")
                + F($"least n × {r.CallMicroseconds:F2} µs whatever the hardware.")
        );
        report.Numbers([
            .. r.Decode.Select(d => new KeyValue(
                $"decode batch {d.Batch}",
                F($"{d.TokensPerSecond:F1} tok/s, {d.MillisecondsPerStep:F3} ms/step = {d.MillisecondsPerStep / bandwidthFloorMs:F2}× ")
                    + F($"the bandwidth floor ({100 * Fraction(d):F1}% of the bandwidth limit), ")
                    + F($"{d.MillisecondsPerStep / ArithmeticMs(d.Batch):F1}× ")
                    + F($"the arithmetic floor of {ArithmeticMs(d.Batch):F3} ms, the time ")
                    + F($"of {d.MillisecondsPerStep * 1e3 / r.CallMicroseconds:F0} tiny ops; through GenerationSession ")
                    + F($"{d.SessionTokensPerSecond:F1} tok/s ({d.SessionMillisecondsPerStep / d.MillisecondsPerStep:F2}× the step time)")
            )),
            new KeyValue(
                "prefill",
                F($"{r.PrefillTokensPerSecond:F0} tok/s ({r.PrefillMilliseconds:F2} ms for {r.PrefillTokens} tokens) = ")
                    + F($"{r.PrefillMilliseconds / prefillFloorMs:F2}× its arithmetic floor of {prefillFloorMs:F3} ms ")
                    + F($"({100 * prefillFloorMs / r.PrefillMilliseconds:F1}% of the peak matmul rate)")
            ),
        ]);

        if (r.Spectrum is not null && spectrum is not null)
        {
            var ratio = spectrum.StepMilliseconds / r.Spectrum.DecodeMilliseconds;
            report.Section(
                "Lyapunov spectrum step",
                F($"A k = {spectrum.K} spectrum step (TeacherForcedDynamics.Step + Reorthonormalise: {1 + spectrum.K} batch rows, QR of ")
                    + F($"the deviations, re-combination of the cache) costs {spectrum.StepMilliseconds:F3} ms = {ratio:F2}× one plain ")
                    + F($"teacher-forced GenerationSession step of one row ({r.Spectrum.DecodeMilliseconds:F3} ms); target ≤ ")
                    + F($"{o.TargetSpectrumRatio:G3}×: {(ratio <= o.TargetSpectrumRatio ? "met" : "NOT met")}. Propagation alone (Step) ")
                    + F($"{spectrum.ForwardMilliseconds / r.Spectrum.DecodeMilliseconds:F2}×; QR {spectrum.QrMilliseconds:F3} ms, cache ")
                    + F($"re-combination {spectrum.MixMilliseconds:F3} ms.")
            );
        }

        report.Figure(run.Figure(Throughput(r, eager, sdpa)));
        report.Figure(
            run.Figure(
                new Figure(
                    "step-time",
                    "Decode step time against its floors",
                    new Axis("batch") { Log = true },
                    new Axis("ms per step") { Log = true }
                )
                {
                    Series =
                    [
                        new LineSeries("ours (internal loop)", Batches(r), r.Decode.Select(d => d.MillisecondsPerStep).ToArray())
                        {
                            Markers = true,
                            Color = "#1f77b4",
                        },
                        new LineSeries("ours (GenerationSession)", Batches(r), r.Decode.Select(d => d.SessionMillisecondsPerStep).ToArray())
                        {
                            Markers = true,
                            Color = "#aec7e8",
                        },
                        .. eager is null
                            ? Array.Empty<FigureSeries>()
                            :
                            [
                                new LineSeries(
                                    "PyTorch eager",
                                    Batches(r),
                                    r.Decode.Select(d => d.Batch / Of(eager.Decode, d.Batch) * 1e3).ToArray()
                                )
                                {
                                    Markers = true,
                                    Color = "#ff7f0e",
                                },
                            ],
                        new LineSeries("bandwidth floor", Batches(r), r.Decode.Select(_ => bandwidthFloorMs).ToArray())
                        {
                            Dashed = true,
                            Color = "#2ca02c",
                        },
                        new LineSeries("arithmetic floor", Batches(r), r.Decode.Select(d => ArithmeticMs(d.Batch)).ToArray())
                        {
                            Dashed = true,
                            Color = "#d62728",
                        },
                    ],
                    Legend = LegendPosition.OutsideRight,
                }
            )
        );
    }

    static double[] Batches(GpuBenchmarkResult r) => [.. r.Decode.Select(d => (double)d.Batch)];

    /// <summary>Tokens/s of each figure (decode per batch, then prefill) at x = 1, 2, …: ours and, when given, PyTorch eager and
    /// sdpa.</summary>
    static Figure Throughput(GpuBenchmarkResult r, PyTorchFigures? eager, PyTorchFigures? sdpa)
    {
        var x = Enumerable.Range(1, r.Decode.Count + 1).Select(i => (double)i).ToArray();
        double[] Values(Func<GpuDecodeMeasurement, double> decode, double prefill) => [.. r.Decode.Select(decode), prefill];
        var series = new List<FigureSeries>
        {
            new LineSeries("ours", x, Values(d => d.TokensPerSecond, r.PrefillTokensPerSecond)) { Markers = true, Color = "#1f77b4" },
        };
        if (eager is not null)
            series.Add(
                new LineSeries(
                    "PyTorch eager",
                    x,
                    Values(d => eager.Decode.GetValueOrDefault(d.Batch, double.NaN), eager.PrefillTokensPerSecond)
                )
                {
                    Markers = true,
                    Color = "#ff7f0e",
                }
            );
        if (sdpa is not null)
            series.Add(
                new LineSeries(
                    "PyTorch sdpa",
                    x,
                    Values(d => sdpa.Decode.GetValueOrDefault(d.Batch, double.NaN), sdpa.PrefillTokensPerSecond)
                )
                {
                    Markers = true,
                    Dashed = true,
                    Color = "#9467bd",
                }
            );
        var labels = string.Join(
            ", ",
            r.Decode.Select((d, i) => F($"{i + 1} = decode batch {d.Batch}")).Append(F($"{r.Decode.Count + 1} = prefill {r.PrefillTokens}"))
        );
        return new Figure(
            "throughput",
            "Tokens per second, ours against PyTorch",
            new Axis("figure") { Min = 0.5, Max = r.Decode.Count + 1.5 },
            new Axis("tokens / s") { Log = true }
        )
        {
            Series = series,
            Subtitle = labels,
            Legend = LegendPosition.TopLeft,
        };
    }

    static string Version(PyTorchBaseline b, string name) => b.Versions.TryGetValue(name, out var v) ? v : "(unknown)";

    static string Ratio(double ours, double theirs, double target) =>
        double.IsFinite(theirs) && theirs > 0
            ? F($"{ours / theirs:F2}× ({ours:F1} against {theirs:F1} tok/s; target ≥ {target:G3}×: ")
                + F($"{(ours / theirs >= target ? "met" : "NOT met")})")
            : F($"{ours:F1} tok/s; the baseline has no figure for it");
}
