// The report of bench-decode: each throughput figure against its target, and against what bounds it (the weight bytes
// per step at the measured bandwidth, the matmul FLOPs at the measured rate), as tables, prose and a figure.
// References: Williams, Waterman, Patterson (2009), "Roofline".
using System.Globalization;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;

namespace TrajectoryLab.Experiments.Bench;

/// <summary>Decode at one batch size (a row of decode.csv); floors in ms per step.</summary>
public sealed record DecodeRow(
    int Batch,
    int NewTokens,
    double TokensPerSecond,
    double MsPerStep,
    double UnblockedTokensPerSecond,
    double BandwidthFloorMs,
    double ArithmeticFloorMs
);

/// <summary>The machine's floors measured in the same run (the row of machine.csv).</summary>
public sealed record MachineRow(
    double CallUs,
    [property: Column("bandwidth_GBps")] double BandwidthGBps,
    [property: Column("matmul_GFLOPs")] double MatmulGflops,
    int Threads
);

/// <summary>Renders a <see cref="DecodeBenchResult"/>.</summary>
public static class DecodeBenchReport
{
    /// <summary>Writes the tables, figure, sections and headlines of <paramref name="result"/>.</summary>
    public static void Render(DecodeBenchOptions o, DecodeBenchResult result, RunContext run)
    {
        var r = result.Benchmark;
        var spec = DecodeBenchExperiment.Spec(o);
        var m = r.Machine;
        double bandwidthFloorMs = r.WeightBytes / (m.BandwidthGBps * 1e9) * 1e3;
        double ArithmeticFloorMs(int batch) => batch * r.FlopsPerToken / (m.MatmulGflops * 1e9) * 1e3;

        run.Table(
            "decode",
            r.Decode.Select(d => new DecodeRow(
                d.Batch,
                d.NewTokens,
                d.TokensPerSecond,
                d.MillisecondsPerStep,
                d.UnblockedTokensPerSecond,
                bandwidthFloorMs,
                ArithmeticFloorMs(d.Batch)
            ))
        );
        run.Table("machine", [new MachineRow(m.CallMicroseconds, m.BandwidthGBps, m.MatmulGflops, m.Threads)]);

        // A prefill runs the body at every position and the head at the last one only.
        double headFlops = 2.0 * o.Dim * o.Vocab;
        double prefillFloorMs = (r.Prefill.Tokens * (r.FlopsPerToken - headFlops) + headFlops) / (m.MatmulGflops * 1e9) * 1e3;
        run.Headline("prefill tok/s, head at every position", r.Prefill.AllPositionsTokensPerSecond);

        var checks = new List<KeyValue>();
        var single = r.Decode.FirstOrDefault(d => d.Batch == 1);
        var batched = r.Decode.Where(d => d.Batch > 1).MaxBy(d => d.Batch);
        if (single is not null)
        {
            run.Headline("decode tok/s, batch 1", single.TokensPerSecond);
            checks.Add(AtLeast("decode tok/s, batch 1", single.TokensPerSecond, o.TargetSingle));
        }
        if (batched is not null)
        {
            run.Headline($"decode tok/s, batch {batched.Batch}", batched.TokensPerSecond);
            checks.Add(AtLeast($"decode tok/s aggregate, batch {batched.Batch}", batched.TokensPerSecond, o.TargetBatched));
        }
        run.Headline("prefill tok/s", r.Prefill.TokensPerSecond);
        run.Headline("peak resident MiB", r.PeakResidentMiB);
        checks.Add(AtLeast($"prefill tok/s ({r.Prefill.Tokens} tokens)", r.Prefill.TokensPerSecond, o.TargetPrefill));

        var report = run.Report;
        report.Lead(
            string.Create(
                CultureInfo.InvariantCulture,
                $"Random-weight Llama: dim {o.Dim}, {o.Layers} layers, {o.Heads} heads ({spec.NumKvHeads} KV), hidden {o.Hidden}, vocab "
                    + $"{o.Vocab}, {(o.Tied ? "tied" : "untied")} head; {r.Parameters:N0} parameters, "
                    + $"{r.WeightBytes / 1e6:F1} MB of fp32 weights streamed per step. "
                    + $"Greedy decoding of {o.NewTokens} tokens after a {o.PromptTokens}-token prompt through the KV cache, one "
                    + $"dispose scope per step, {o.Threads} threads; best of {o.Repeats}."
            )
        );
        report.Section("Against the targets", "Each target is a minimum (pass when the measured value reaches it).");
        report.Numbers(checks, "tokens per second");
        report.Section(
            "What bounds each figure",
            string.Create(
                CultureInfo.InvariantCulture,
                $"Measured in the same run: one tiny native call costs {m.CallMicroseconds:F2} µs, streaming reads reach "
                    + $"{m.BandwidthGBps:F1} GB/s, and a {1024}² fp32 matmul reaches {m.MatmulGflops:F0} GFLOP/s. "
                    + $"A step must stream the weights once (bandwidth floor {bandwidthFloorMs:F2} ms) "
                    + $"and do {r.FlopsPerToken / 1e6:F1} MFLOP per token (arithmetic floor per batch in the table)."
            )
        );
        report.Numbers([
            .. r.Decode.Select(d => new KeyValue(
                $"batch {d.Batch}",
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{d.TokensPerSecond:F0} tok/s "
                        + $"({d.TokensPerSecond / d.UnblockedTokensPerSecond:F2}× the plain x·W baseline of this run, "
                        + $"{d.UnblockedTokensPerSecond:F0} tok/s), {d.MillisecondsPerStep:F2} ms/step = "
                        + $"{d.MillisecondsPerStep / bandwidthFloorMs:F1}× the bandwidth floor, "
                        + $"{d.MillisecondsPerStep / ArithmeticFloorMs(d.Batch):F1}× the arithmetic floor"
                )
            )),
            new KeyValue(
                "prefill",
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{r.Prefill.TokensPerSecond:F0} tok/s ({r.Prefill.Milliseconds:F1} ms for {r.Prefill.Tokens} tokens, head at the last "
                        + $"position) = {r.Prefill.Milliseconds / prefillFloorMs:F1}× its arithmetic floor of {prefillFloorMs:F1} ms; "
                        + $"{r.Prefill.TokensPerSecond / r.Prefill.AllPositionsTokensPerSecond:F2}× "
                        + $"the same-run baseline that runs the head at every position ({r.Prefill.AllPositionsTokensPerSecond:F0} tok/s)"
                )
            ),
        ]);
        var batches = r.Decode.Select(d => (double)d.Batch).ToArray();
        report.Figure(
            run.Figure(
                new Figure(
                    "decode-throughput",
                    "Decode throughput against batch size",
                    new Axis("batch") { Log = true },
                    new Axis("tokens / s (aggregate)") { Log = true }
                )
                {
                    Series =
                    [
                        new LineSeries("measured", batches, r.Decode.Select(d => d.TokensPerSecond).ToArray())
                        {
                            Markers = true,
                            Color = "#1f77b4",
                        },
                        new LineSeries("plain x·W baseline (same run)", batches, r.Decode.Select(d => d.UnblockedTokensPerSecond).ToArray())
                        {
                            Markers = true,
                            Color = "#7f7f7f",
                        },
                        new LineSeries(
                            "bandwidth floor (weights once per step)",
                            batches,
                            r.Decode.Select(d => d.Batch / (bandwidthFloorMs / 1e3)).ToArray()
                        )
                        {
                            Dashed = true,
                            Color = "#2ca02c",
                        },
                        new LineSeries("arithmetic floor", batches, r.Decode.Select(_ => m.MatmulGflops * 1e9 / r.FlopsPerToken).ToArray())
                        {
                            Dashed = true,
                            Color = "#d62728",
                        },
                    ],
                    Legend = LegendPosition.BottomRight,
                }
            )
        );
    }

    /// <summary>A minimum target as a table row: the measured value, the target and whether it is met.</summary>
    static KeyValue AtLeast(string name, double measured, double target) =>
        new(
            name,
            string.Create(
                CultureInfo.InvariantCulture,
                $"{measured:F0} (target ≥ {target:F0}: {(measured >= target ? "met" : "NOT met")}, {measured / target:F2}× target)"
            )
        );
}
