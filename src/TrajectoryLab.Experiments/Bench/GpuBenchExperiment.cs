// bench-gpu (issue 9): decode tokens/s (single stream and batched), prefill tokens/s and the cost of a k = 16 spectrum
// step, of a random-weight ~1B Llama on a device (default CUDA, bf16), with the PyTorch-eager baseline of
// scripts/gpu/hf_eager_bench.py read when its JSON is given. Every timed region is synchronised on the device
// (DeviceClock). GpuBenchReport reads each figure against what bounds it and against PyTorch.
// References: Williams, Waterman, Patterson (2009), "Roofline"; GpuBenchmark for what each figure times.
using Microsoft.Extensions.Logging;
using TrajectoryLab.Torch.Bench;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Experiments.Bench;

/// <summary>Runs <see cref="GpuBenchmark"/> on a random-weight model of the configured shape.</summary>
public sealed class GpuBenchExperiment : Experiment<GpuBenchOptions, GpuBenchResult>
{
    /// <inheritdoc/>
    public override string Kind => "bench-gpu";

    /// <inheritdoc/>
    public override GpuBenchResult Measure(GpuBenchOptions o, IMeasureContext run)
    {
        var spec = ModelSpec.Llama(o.Vocab, o.Dim, o.Hidden, o.Layers, o.Heads, o.KvHeads, context: o.Context, tieWordEmbeddings: o.Tied);
        var baseline = o.Baseline.Length > 0 && File.Exists(o.Baseline) ? PyTorchBaseline.Load(o.Baseline) : null;
        using var lm = run.Phase("model", () =>
            LanguageModel.Random(spec, o.Seed, new ModelOptions { Device = o.Device, DType = o.DType })
        );
        var settings = new GpuBenchSettings
        {
            Batches = o.Batches,
            PromptTokens = o.PromptTokens,
            NewTokens = o.NewTokens,
            PrefillTokens = o.PrefillTokens,
            Repeats = o.Repeats,
            Threads = o.Threads,
            Seed = o.Seed,
            SpectrumDirections = o.SpectrumDirections,
            SpectrumPromptTokens = o.SpectrumPromptTokens,
            SpectrumSteps = o.SpectrumSteps,
        };
        var r = run.Phase("benchmark", () =>
            GpuBenchmark.Run(lm, settings, note => run.Logger.LogInformation("{Note}", note), run.Cancellation)
        );
        return new GpuBenchResult(r, baseline is null ? null : GpuBaseline.Of(baseline));
    }

    /// <inheritdoc/>
    public override void Report(GpuBenchOptions o, GpuBenchResult result, RunContext run) => GpuBenchReport.Render(o, result, run);
}
