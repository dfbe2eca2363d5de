// bench-decode: decode tokens/s (single stream and batched, aggregate) and prefill tokens/s of a Llama of the
// stories15M shape (Karpathy's llama2.c: dim 288, 6 layers, 6 heads, hidden 768, vocab 32000) with random weights,
// against the machine's own floors measured in the same run (calls, bandwidth, arithmetic) and the issue's targets.
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Microsoft.Extensions.Logging;
using TrajectoryLab.Experiments;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using TrajectoryLab.Torch.Bench;
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Experiments.Bench;

/// <summary>Options of <c>bench-decode</c>.</summary>
public sealed class DecodeBenchOptions : ExperimentOptions
{
    [Range(8, 65_536)] public int Dim { get; set; } = 288;
    [Range(1, 256)] public int Layers { get; set; } = 6;
    [Range(1, 256)] public int Heads { get; set; } = 6;
    /// <summary>Key/value heads; 0 means equal to <see cref="Heads"/>.</summary>
    [Range(0, 256)] public int KvHeads { get; set; }
    [Range(8, 262_144)] public int Hidden { get; set; } = 768;
    [Range(2, 1_000_000)] public int Vocab { get; set; } = 32_000;
    [Range(8, 1_000_000)] public int Context { get; set; } = 256;
    /// <summary>Tied input/output embedding (stories15M ties them).</summary>
    public bool Tied { get; set; } = true;
    /// <summary>Batch sizes measured (1 = single stream).</summary>
    [EachInRange(1, 4096)] public int[] Batches { get; set; } = [1, 32];
    [Range(1, 100_000)] public int PromptTokens { get; set; } = 8;
    [Range(1, 100_000)] public int NewTokens { get; set; } = 248;
    [Range(1, 1_000_000)] public int PrefillTokens { get; set; } = 256;
    [Range(1, 100)] public int Repeats { get; set; } = 3;
    [Range(1, 1024)] public int Threads { get; set; } = 2;
    /// <summary>Targets of the model issue on 2 cores, tokens/s.</summary>
    [Range(0, 1e9)] public double TargetSingle { get; set; } = 300;
    [Range(0, 1e9)] public double TargetBatched { get; set; } = 2000;
    [Range(0, 1e9)] public double TargetPrefill { get; set; } = 10_000;
}

/// <summary>Runs <see cref="DecodeBenchmark"/> and reports each figure against its floor and target.</summary>
public sealed class DecodeBenchExperiment : Experiment<DecodeBenchOptions>
{
    public override string Kind => "bench-decode";

    protected override void Run(DecodeBenchOptions o, RunContext run)
    {
        var spec = new ModelSpec("llama", o.Vocab, o.Dim, o.Hidden, o.Layers, o.Heads, o.KvHeads == 0 ? o.Heads : o.KvHeads, o.Dim / o.Heads,
            1e-5, 10_000, null, o.Tied, false, false, o.Context);
        var r = run.Phase("benchmark", () => DecodeBenchmark.Run(spec, o.Batches, o.PromptTokens, o.NewTokens, o.PrefillTokens, o.Repeats, o.Seed, o.Threads,
            step => run.Logger.LogInformation("{Step}", step)));
        var m = r.Machine;
        double bandwidthFloorMs = r.WeightBytes / (m.BandwidthGBps * 1e9) * 1e3;

        run.Table("decode", ["batch", "new_tokens", "tokens_per_second", "ms_per_step", "unblocked_tokens_per_second", "bandwidth_floor_ms", "arithmetic_floor_ms"],
            r.Decode.Select(d => new object[] { d.Batch, d.NewTokens, d.TokensPerSecond, d.MillisecondsPerStep, d.UnblockedTokensPerSecond, bandwidthFloorMs, d.Batch * r.FlopsPerToken / (m.MatmulGflops * 1e9) * 1e3 }));
        run.Table("machine", ["call_us", "bandwidth_GBps", "matmul_GFLOPs", "threads"], [[m.CallMicroseconds, m.BandwidthGBps, m.MatmulGflops, m.Threads]]);

        // A prefill runs the body at every position and the head at the last one only.
        double headFlops = 2.0 * o.Dim * o.Vocab;
        double prefillFloorMs = (r.Prefill.Tokens * (r.FlopsPerToken - headFlops) + headFlops) / (m.MatmulGflops * 1e9) * 1e3;
        run.Headline("prefill tok/s, head at every position", r.Prefill.AllPositionsTokensPerSecond);

        var checks = new List<KeyValue>();
        var single = r.Decode.FirstOrDefault(d => d.Batch == 1);
        var batched = r.Decode.Where(d => d.Batch > 1).MaxBy(d => d.Batch);
        if (single is not null) { run.Headline("decode tok/s, batch 1", single.TokensPerSecond); checks.Add(AtLeast("decode tok/s, batch 1", single.TokensPerSecond, o.TargetSingle)); }
        if (batched is not null) { run.Headline($"decode tok/s, batch {batched.Batch}", batched.TokensPerSecond); checks.Add(AtLeast($"decode tok/s aggregate, batch {batched.Batch}", batched.TokensPerSecond, o.TargetBatched)); }
        run.Headline("prefill tok/s", r.Prefill.TokensPerSecond);
        run.Headline("peak resident MiB", r.PeakResidentMiB);
        checks.Add(AtLeast($"prefill tok/s ({r.Prefill.Tokens} tokens)", r.Prefill.TokensPerSecond, o.TargetPrefill));

        var report = run.Report;
        report.Lead(string.Create(CultureInfo.InvariantCulture,
            $"Random-weight Llama: dim {o.Dim}, {o.Layers} layers, {o.Heads} heads ({spec.NumKvHeads} KV), hidden {o.Hidden}, vocab {o.Vocab}, {(o.Tied ? "tied" : "untied")} head; " +
            $"{r.Parameters:N0} parameters, {r.WeightBytes / 1e6:F1} MB of fp32 weights streamed per step. Greedy decoding of {o.NewTokens} tokens after a {o.PromptTokens}-token prompt " +
            $"through the KV cache, one dispose scope per step, {o.Threads} threads; best of {o.Repeats}."));
        report.Section("Against the targets", "Each target is a minimum (pass when the measured value reaches it).");
        report.Numbers(checks, "tokens per second");
        report.Section("What bounds each figure", string.Create(CultureInfo.InvariantCulture,
            $"Measured in the same run: one tiny native call costs {m.CallMicroseconds:F2} µs, streaming reads reach {m.BandwidthGBps:F1} GB/s, " +
            $"and a {1024}² fp32 matmul reaches {m.MatmulGflops:F0} GFLOP/s. A step must stream the weights once (bandwidth floor {bandwidthFloorMs:F2} ms) " +
            $"and do {r.FlopsPerToken / 1e6:F1} MFLOP per token (arithmetic floor per batch in the table)."));
        report.Numbers([.. r.Decode.Select(d => new KeyValue($"batch {d.Batch}",
            string.Create(CultureInfo.InvariantCulture, $"{d.TokensPerSecond:F0} tok/s ({d.TokensPerSecond / d.UnblockedTokensPerSecond:F2}× the plain x·W baseline of this run, {d.UnblockedTokensPerSecond:F0} tok/s), {d.MillisecondsPerStep:F2} ms/step = {d.MillisecondsPerStep / bandwidthFloorMs:F1}× the bandwidth floor, " +
                $"{d.MillisecondsPerStep / (d.Batch * r.FlopsPerToken / (m.MatmulGflops * 1e9) * 1e3):F1}× the arithmetic floor"))),
            new KeyValue("prefill", string.Create(CultureInfo.InvariantCulture, $"{r.Prefill.TokensPerSecond:F0} tok/s ({r.Prefill.Milliseconds:F1} ms for {r.Prefill.Tokens} tokens, head at the last position) = " +
                $"{r.Prefill.Milliseconds / prefillFloorMs:F1}× its arithmetic floor of {prefillFloorMs:F1} ms; " +
                $"{r.Prefill.TokensPerSecond / r.Prefill.AllPositionsTokensPerSecond:F2}× the same-run baseline that runs the head at every position ({r.Prefill.AllPositionsTokensPerSecond:F0} tok/s)"))]);
        report.Figure(run.Figure(new Figure("decode-throughput", "Decode throughput against batch size", new Axis("batch") { Log = true }, new Axis("tokens / s (aggregate)") { Log = true })
        {
            Series =
            [
                new LineSeries("measured", r.Decode.Select(d => (double)d.Batch).ToArray(), r.Decode.Select(d => d.TokensPerSecond).ToArray()) { Markers = true, Color = "#1f77b4" },
                new LineSeries("plain x·W baseline (same run)", r.Decode.Select(d => (double)d.Batch).ToArray(), r.Decode.Select(d => d.UnblockedTokensPerSecond).ToArray()) { Markers = true, Color = "#7f7f7f" },
                new LineSeries("bandwidth floor (weights once per step)", r.Decode.Select(d => (double)d.Batch).ToArray(), r.Decode.Select(d => d.Batch / (bandwidthFloorMs / 1e3)).ToArray()) { Dashed = true, Color = "#2ca02c" },
                new LineSeries("arithmetic floor", r.Decode.Select(d => (double)d.Batch).ToArray(), r.Decode.Select(_ => m.MatmulGflops * 1e9 / r.FlopsPerToken).ToArray()) { Dashed = true, Color = "#d62728" },
            ],
            Legend = LegendPosition.BottomRight,
        }));
    }

    /// <summary>A minimum target as a table row: the measured value, the target and whether it is met.</summary>
    static KeyValue AtLeast(string name, double measured, double target) =>
        new(name, string.Create(CultureInfo.InvariantCulture, $"{measured:F0} (target ≥ {target:F0}: {(measured >= target ? "met" : "NOT met")}, {measured / target:F2}× target)"));
}
