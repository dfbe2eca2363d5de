// What bench-decode measured: decode throughput per batch, the prefill, the machine's floors timed in the same run
// (call cost, bandwidth, matmul rate), the model's size and the process's peak memory (DecodeBenchmark).
using TrajectoryLab.Torch.Bench;

namespace TrajectoryLab.Experiments.Bench;

/// <summary>One decode benchmark run.</summary>
/// <param name="Benchmark">Everything <see cref="DecodeBenchmark.Run"/> measured.</param>
public sealed record DecodeBenchResult(DecodeBenchmarkResult Benchmark);
