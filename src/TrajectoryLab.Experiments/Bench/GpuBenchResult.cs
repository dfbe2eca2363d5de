// What bench-gpu measured: decode per batch (internal loop and GenerationSession), prefill, the tiny-op cost and the
// spectrum step on the device (GpuBenchmark), and the PyTorch baseline file it was given, read when it ran, so that the
// report renders again without that file.
using TrajectoryLab.Torch.Bench;

namespace TrajectoryLab.Experiments.Bench;

/// <summary>One GPU benchmark run.</summary>
/// <param name="Benchmark">Everything <see cref="GpuBenchmark.Run"/> measured.</param>
/// <param name="Baseline">The PyTorch baseline read from the options' file, or null when none was given or it did not exist.</param>
public sealed record GpuBenchResult(GpuBenchmarkResult Benchmark, GpuBaseline? Baseline);

/// <summary>The PyTorch baseline file's contents (<see cref="PyTorchBaseline"/>, with figures by batch as lists).</summary>
/// <param name="Versions">Version strings by name (torch, transformers, cuda, gpu, python).</param>
/// <param name="Device">Device it ran on.</param>
/// <param name="DType">Dtype it ran in.</param>
/// <param name="Config">The numeric config keys it used, by our experiment file's key names.</param>
/// <param name="Figures">Figures by attention implementation ("eager", "sdpa").</param>
public sealed record GpuBaseline(
    IReadOnlyDictionary<string, string> Versions,
    string Device,
    string DType,
    IReadOnlyDictionary<string, double> Config,
    IReadOnlyDictionary<string, GpuBaselineFigures> Figures
)
{
    /// <summary>The baseline as read from its file.</summary>
    public static GpuBaseline Of(PyTorchBaseline b) =>
        new(
            b.Versions,
            b.Device,
            b.DType,
            b.Config,
            b.Figures.ToDictionary(
                p => p.Key,
                p => new GpuBaselineFigures(ByBatch(p.Value.Decode), ByBatch(p.Value.Generate), p.Value.PrefillTokensPerSecond),
                StringComparer.Ordinal
            )
        );

    /// <summary>The baseline again in <see cref="PyTorchBaseline"/>'s form (its figures by batch as dictionaries).</summary>
    public PyTorchBaseline ToPyTorch() =>
        new(
            Versions,
            Device,
            DType,
            Config,
            Figures.ToDictionary(
                p => p.Key,
                p => new PyTorchFigures(Dictionary(p.Value.Decode), Dictionary(p.Value.Generate), p.Value.PrefillTokensPerSecond),
                StringComparer.Ordinal
            )
        );

    static BatchFigure[] ByBatch(IReadOnlyDictionary<int, double> figures) => [.. figures.Select(p => new BatchFigure(p.Key, p.Value))];

    static Dictionary<int, double> Dictionary(IReadOnlyList<BatchFigure> figures) =>
        figures.ToDictionary(f => f.Batch, f => f.TokensPerSecond);
}

/// <summary>One attention implementation's figures in the baseline.</summary>
/// <param name="Decode">Aggregate decode tokens/s of the manual greedy loop (one forward per token), per batch.</param>
/// <param name="Generate">Aggregate tokens/s of model.generate() (prefill included), per batch; for reference.</param>
/// <param name="PrefillTokensPerSecond">Prefill tokens/s.</param>
public sealed record GpuBaselineFigures(
    IReadOnlyList<BatchFigure> Decode,
    IReadOnlyList<BatchFigure> Generate,
    double PrefillTokensPerSecond
);

/// <summary>A figure at one batch size.</summary>
/// <param name="Batch">Trajectories decoded together.</param>
/// <param name="TokensPerSecond">Aggregate tokens per second.</param>
public sealed record BatchFigure(int Batch, double TokensPerSecond);
