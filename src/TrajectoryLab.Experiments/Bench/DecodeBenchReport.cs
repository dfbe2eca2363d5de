// The report of bench-decode: each throughput figure against its target, and against what bounds it (the weight bytes
// per step at the measured bandwidth, the matmul FLOPs at the measured rate), as tables, prose and a figure; with
// other architectures, their tokens/s at every batch and in the prefill, each as a ratio to the Llama of the same run.
// References: Williams, Waterman, Patterson (2009), "Roofline".
using System.Globalization;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using TrajectoryLab.Reporting.Tables;
using TrajectoryLab.Torch.Bench;

namespace TrajectoryLab.Experiments.Bench;

/// <summary>Decode at one batch size (a row of decode.csv); floors in ms per step.</summary>
public sealed record DecodeRow(
    int Batch,
    int NewTokens,
    double TokensPerSecond,
    double MsPerStep,
    [property: Column("libtorch_tokens_per_second")] double LibTorchTokensPerSecond,
    double BandwidthFloorMs,
    double ArithmeticFloorMs
);

/// <summary>The machine's floors measured in the same run (the row of machine.csv).</summary>
public sealed record MachineRow(
    double CallUs,
    [property: Column("bandwidth_GBps")] double BandwidthGBps,
    [property: Column("matmul_GFLOPs")] double MatmulGflops,
    int Threads,
    [property: Column("kernel_GFLOPs")] double KernelGflops
);

/// <summary>One architecture's throughput in one phase (a row of architectures.csv): decode at a batch size, or the prefill
/// (batch 1, its positions as tokens).</summary>
/// <param name="ModelType">config.json's model_type.</param>
/// <param name="Parameters">Number of model parameters.</param>
/// <param name="Phase">"decode" or "prefill".</param>
/// <param name="Batch">Trajectories decoded together (1 for the prefill).</param>
/// <param name="Tokens">Tokens generated per trajectory, or the prefill's positions.</param>
/// <param name="TokensPerSecond">Aggregate tokens per second.</param>
/// <param name="RatioToLlama">Tokens per second over the Llama's in the same phase and batch, timed in the same rounds.</param>
public sealed record ArchitectureRow(
    string ModelType,
    long Parameters,
    string Phase,
    int Batch,
    int Tokens,
    double TokensPerSecond,
    double RatioToLlama
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
        double ArithmeticFloorMs(int batch) => batch * r.FlopsPerToken / (m.BestGflops * 1e9) * 1e3;

        run.Table(
            "decode",
            r.Decode.Select(d => new DecodeRow(
                d.Batch,
                d.NewTokens,
                d.TokensPerSecond,
                d.MillisecondsPerStep,
                d.LibTorchTokensPerSecond,
                bandwidthFloorMs,
                ArithmeticFloorMs(d.Batch)
            ))
        );
        run.Table("machine", [new MachineRow(m.CallMicroseconds, m.BandwidthGBps, m.MatmulGflops, m.Threads, m.KernelGflops)]);
        run.Headline("libtorch fp32 matmul GFLOP/s (1024²)", m.MatmulGflops);
        if (double.IsFinite(m.KernelGflops))
            run.Headline("C# kernel fp32 product GFLOP/s (1024²)", m.KernelGflops);

        // A prefill runs the body at every position and the head at the last one only.
        double headFlops = 2.0 * o.Dim * o.Vocab;
        double prefillFloorMs = (r.Prefill.Tokens * (r.FlopsPerToken - headFlops) + headFlops) / (m.BestGflops * 1e9) * 1e3;
        run.Headline("prefill tok/s, head at every position", r.Prefill.AllPositionsTokensPerSecond);

        var checks = new List<KeyValue>();
        var single = r.Decode.FirstOrDefault(d => d.Batch == 1);
        var batched = r.Decode.Where(d => d.Batch > 1).MaxBy(d => d.Batch);
        if (single is not null)
        {
            run.Headline("decode tok/s, batch 1", single.TokensPerSecond);
            var fraction = bandwidthFloorMs / single.MillisecondsPerStep;
            run.Headline("decode batch 1 / bandwidth floor", fraction);
            checks.Add(
                new KeyValue(
                    "decode batch 1, fraction of the bandwidth floor",
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"{fraction:F2} ({single.TokensPerSecond:F0} tok/s against the floor's {1e3 / bandwidthFloorMs:F0}; target ≥ "
                            + $"{o.TargetBandwidthFraction:F2}: {(fraction >= o.TargetBandwidthFraction ? "met" : "NOT met")})"
                    )
                )
            );
            if (r.WeightReadGBps is { } ownRate)
            {
                // The same floor over the step's own weights, where they lie (WeightReadBaseline.cs).
                var ownFloorMs = r.WeightBytes / (ownRate * 1e9) * 1e3;
                var ownFraction = ownFloorMs / single.MillisecondsPerStep;
                run.Headline("read of the model's own weights GB/s", ownRate);
                run.Headline("decode batch 1 / read of its own weights", ownFraction);
                checks.Add(
                    new KeyValue(
                        "decode batch 1, fraction of the read of its own weights",
                        string.Create(
                            CultureInfo.InvariantCulture,
                            $"{ownFraction:F2} ({single.TokensPerSecond:F0} tok/s against {1e3 / ownFloorMs:F0} passes/s over the "
                                + $"same {r.WeightBytes / 1e6:F1} MB in place at {ownRate:F1} GB/s; target ≥ "
                                + $"{o.TargetBandwidthFraction:F2}: {(ownFraction >= o.TargetBandwidthFraction ? "met" : "NOT met")})"
                        )
                    )
                );
            }
            if (r.SimdMatVecTokensPerSecond is { } simd)
            {
                run.Headline("C# SIMD matrix-vector baseline tok/s", simd);
                run.Headline("decode batch 1 / C# SIMD matrix-vector baseline", single.TokensPerSecond / simd);
            }
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
                    + $"Greedy decoding of {o.NewTokens} tokens after a {o.PromptTokens}-token prompt through the model state, one "
                    + $"dispose scope per step, {o.Threads} threads; best of {o.Repeats}."
            )
        );
        report.Section("Against the targets", "Each target is a minimum (pass when the measured value reaches it).");
        report.Numbers(checks, "tokens per second");
        var kernelText = double.IsFinite(m.KernelGflops)
            ? string.Create(
                CultureInfo.InvariantCulture,
                $"and {m.KernelGflops:F0} GFLOP/s in the model's C# kernel ({Torch.Bench.MachineBaselines.KernelInstructionSet}); "
            )
            : "(the C# kernel does not run on this CPU); ";
        report.Section(
            "What bounds each figure",
            string.Create(
                CultureInfo.InvariantCulture,
                $"Measured in the same run: one tiny native call costs {m.CallMicroseconds:F2} µs, streaming reads reach "
                    + $"{m.BandwidthGBps:F1} GB/s, and a {1024}² fp32 product reaches {m.MatmulGflops:F0} GFLOP/s in libtorch "
                    + $"{kernelText}the arithmetic floors use the faster, {m.BestGflops:F0} GFLOP/s. "
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
                        + $"({d.TokensPerSecond / d.LibTorchTokensPerSecond:F2}× the libtorch-products baseline of this run, "
                        + $"{d.LibTorchTokensPerSecond:F0} tok/s), {d.MillisecondsPerStep:F2} ms/step = "
                        + $"{d.MillisecondsPerStep / bandwidthFloorMs:F1}× the bandwidth floor, "
                        + $"{d.MillisecondsPerStep / ArithmeticFloorMs(d.Batch):F1}× the arithmetic floor"
                ) + (d.Batch == 1 ? SimdComparison(d, r.SimdMatVecTokensPerSecond) : "")
            )),
            new KeyValue(
                "prefill",
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{r.Prefill.TokensPerSecond:F0} tok/s ({r.Prefill.Milliseconds:F1} ms for {r.Prefill.Tokens} tokens, head at the last "
                        + $"position) = {r.Prefill.Milliseconds / prefillFloorMs:F1}× its arithmetic floor of {prefillFloorMs:F1} ms; "
                        + $"{r.Prefill.TokensPerSecond / r.Prefill.AllPositionsTokensPerSecond:F2}× "
                        + $"the same-run baseline that runs the head at every position ({r.Prefill.AllPositionsTokensPerSecond:F0} tok/s); "
                        + $"{r.Prefill.TokensPerSecond / r.Prefill.LibTorchTokensPerSecond:F2}× the libtorch-products baseline "
                        + $"({r.Prefill.LibTorchTokensPerSecond:F0} tok/s)"
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
                        new LineSeries("libtorch products (same run)", batches, r.Decode.Select(d => d.LibTorchTokensPerSecond).ToArray())
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
                        new LineSeries("arithmetic floor", batches, r.Decode.Select(_ => m.BestGflops * 1e9 / r.FlopsPerToken).ToArray())
                        {
                            Dashed = true,
                            Color = "#d62728",
                        },
                    ],
                    Legend = LegendPosition.BottomRight,
                }
            )
        );
        RenderArchitectures(o, result, run);
    }

    /// <summary>The comparison of architectures at the Llama's sizes: a table, a text table, two figures and the ratio
    /// headlines; nothing when only the Llama was measured.</summary>
    static void RenderArchitectures(DecodeBenchOptions o, DecodeBenchResult result, RunContext run)
    {
        if (result.Architectures is not { Count: > 1 } all)
            return;
        var llama = all[0];
        var others = all.Skip(1).ToArray();
        double DecodeRatio(BatchThroughput d) => d.TokensPerSecond / llama.Decode.First(l => l.Batch == d.Batch).TokensPerSecond;
        double PrefillRatio(ArchitectureThroughput a) => a.PrefillTokensPerSecond / llama.PrefillTokensPerSecond;

        run.Table(
            "architectures",
            all.SelectMany(a =>
                a.Decode.Select(d => new ArchitectureRow(
                        a.ModelType,
                        a.Parameters,
                        "decode",
                        d.Batch,
                        o.NewTokens,
                        d.TokensPerSecond,
                        DecodeRatio(d)
                    ))
                    .Append(
                        new ArchitectureRow(
                            a.ModelType,
                            a.Parameters,
                            "prefill",
                            1,
                            a.PrefillTokens,
                            a.PrefillTokensPerSecond,
                            PrefillRatio(a)
                        )
                    )
            )
        );
        foreach (var a in others)
        foreach (var d in a.Decode.Where(d => d.Batch == 1 || d == a.Decode.MaxBy(x => x.Batch)))
            run.Headline($"{a.ModelType} / llama, decode batch {d.Batch}", DecodeRatio(d));

        static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
        var batches = llama.Decode.Select(d => d.Batch).ToArray();
        var report = run.Report;
        report.Section(
            "Architectures at the same sizes",
            string.Create(
                CultureInfo.InvariantCulture,
                $"Each model type shaped from dim {o.Dim}, {o.Layers} layers, {o.Heads} heads, hidden {o.Hidden}, vocab {o.Vocab}, "
                    + $"context {o.Context}, {(o.Tied ? "tied" : "untied")} head, with its family's own design (ModelSpec.Shaped: "
                    + $"mistral slides a window of half the context, gpt2 learns its positions, gpt_neox runs attention and MLP in "
                    + $"parallel with a quarter of each head rotated, phi3 rotates three quarters with a window, gemma2 alternates "
                    + $"sliding layers and soft-caps, gemma3_text has q/k norms and local/global rotary bases, qwen3 and olmo2 "
                    + $"normalise queries and keys, mamba replaces attention and MLP by a selective state space with d_state 16, "
                    + $"expand 2, d_conv 4). "
                    + $"Random weights; the same greedy loop and prefill as the Llama above, every model warmed up once and then timed "
                    + $"in {o.Repeats} rounds that visit every model in turn (so that the machine's drift falls on all alike), best "
                    + $"of the rounds, {o.Threads} threads; the Llama is timed again in these rounds. "
                    + $"Ratios are to the Llama of this run; parameters differ between designs (a GELU MLP has two matrices, "
                    + $"a gated one three; a Mamba block has no MLP), so read a ratio with the parameter count beside it."
            )
        );
        var header = new List<string> { "model_type", "params (M)" };
        header.AddRange(batches.Select(b => $"decode b={b} tok/s (× llama)"));
        header.Add($"prefill {llama.PrefillTokens} tok/s (× llama)");
        report.Add(
            new Preformatted(
                TextTable.Table(
                    header,
                    all.Select(a =>
                        (IReadOnlyList<string>)
                            [
                                a.ModelType,
                                F(a.Parameters / 1e6, "F2"),
                                .. a.Decode.Select(d => $"{F(d.TokensPerSecond, "F0")} ({F(DecodeRatio(d), "F2")})"),
                                $"{F(a.PrefillTokensPerSecond, "F0")} ({F(PrefillRatio(a), "F2")})",
                            ]
                    )
                )
            )
        );
        var x = batches.Select(b => (double)b).ToArray();
        report.Figure(
            run.Figure(
                new Figure(
                    "architectures-throughput",
                    "Decode throughput per architecture",
                    new Axis("batch") { Log = true },
                    new Axis("tokens / s (aggregate)") { Log = true }
                )
                {
                    Series =
                    [
                        .. all.Select(a => new LineSeries(a.ModelType, x, [.. a.Decode.Select(d => d.TokensPerSecond)]) { Markers = true }),
                    ],
                    Legend = LegendPosition.OutsideRight,
                }
            )
        );
        report.Figure(
            run.Figure(
                new Figure(
                    "architectures-ratio",
                    "Decode throughput relative to the Llama of the same run",
                    new Axis("batch") { Log = true },
                    new Axis("tokens / s ÷ llama's")
                )
                {
                    Series =
                    [
                        .. others.Select(a => new LineSeries(a.ModelType, x, [.. a.Decode.Select(d => DecodeRatio(d))]) { Markers = true }),
                        new ReferenceLine("llama", ReferenceOrientation.Horizontal, 1),
                    ],
                    Legend = LegendPosition.OutsideRight,
                }
            )
        );
    }

    /// <summary>How a batch-1 step compares with the plain C# SIMD stream of the same weights (empty when a saved result
    /// predates that baseline).</summary>
    static string SimdComparison(DecodeMeasurement d, double? simd) =>
        simd is { } s
            ? string.Create(
                CultureInfo.InvariantCulture,
                $"; {d.TokensPerSecond / s:F2}× the C# SIMD matrix-vector baseline of this run ({s:F0} tok/s, {1e3 / s:F2} ms: "
                    + $"the same weights streamed once in plain C#, nothing else)"
            )
            : "";

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
