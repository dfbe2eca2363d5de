// What bench-spectrum measured: the model it ran (shape, device, dtype, read off the loaded model) and, per k, the cost
// of a spectrum step and its parts against one plain decoding step of the same run (SpectrumBenchmark).
using TrajectoryLab.Torch.Bench;

namespace TrajectoryLab.Experiments.Bench;

/// <summary>One spectrum benchmark run.</summary>
/// <param name="Model">The model timed.</param>
/// <param name="KvHeads">Its key/value heads.</param>
/// <param name="HeadDim">Its head width.</param>
/// <param name="Benchmark">Everything <see cref="SpectrumBenchmark.Run"/> measured.</param>
public sealed record SpectrumBenchResult(ModelFacts Model, int KvHeads, int HeadDim, SpectrumBenchmarkResult Benchmark);
